// The capacity bench's own options (the load generator's are in bench/loadgen/options.ts): the
// standard run and the quick one differ only in their defaults.
import { UsageError, num } from '../loadgen/options.js';

export const CAPACITY_OPTIONS = {
  quick: { type: 'boolean', default: false },
  levels: { type: 'string' },
  'step-seconds': { type: 'string' },
  'hold-minutes': { type: 'string' },
  'budget-minutes': { type: 'string' },
  out: { type: 'string' },
} as const;

export interface CapacitySettings {
  quick: boolean;
  levels: number[];
  stepSec: number;
  holdSec: number;
  budgetSec: number;
  rate: number;
}

export function levelsOf(text: string): number[] {
  const levels = text.split(',').map((s) => (s.trim() === '' ? NaN : Number(s.trim())));
  if (levels.some((n) => !Number.isInteger(n) || n <= 0)) throw new UsageError(`--levels must be positive integers separated by commas (got "${text}")`);
  return [...new Set(levels)].sort((a, b) => a - b);
}

/**
 * Standard: 250-call steps of 30 s up to 1,500, then 5 minutes at the best (12-13 minutes when the
 * ramp reaches 1,000-1,250). Quick: 100, 250, 500 for 10 s each, then 30 s (under 2 minutes).
 */
export function capacitySettings(raw: Record<string, string | boolean | undefined>): CapacitySettings {
  const quick = raw.quick === true;
  return {
    quick,
    levels: levelsOf((raw.levels as string | undefined) ?? (quick ? '100,250,500' : '250,500,750,1000,1250,1500')),
    stepSec: num(raw, 'step-seconds', { min: 5, fallback: quick ? 10 : 30 }),
    holdSec: num(raw, 'hold-minutes', { min: 0.1, fallback: quick ? 0.5 : 5 }) * 60,
    budgetSec: num(raw, 'budget-minutes', { min: 1, fallback: quick ? 1.9 : 14.5 }) * 60,
    // Set-ups cost the recorder's event loop ~3.5 ms each (bench/setup-rate): 100/s keeps set-up
    // bursts from stalling the media of the calls already up.
    rate: num(raw, 'rate', { min: 1, fallback: 100 }),
  };
}
