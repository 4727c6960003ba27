// Command-line options shared by bench/loadgen and bench/capacity: parsed strictly, every bad
// value named with its option.
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { MAX_JITTER_MS, type Impairment } from './rtp-sender.js';

export class UsageError extends Error {}

export const COMMON_OPTIONS = {
  rate: { type: 'string' },
  transport: { type: 'string', default: 'udp' },
  relay: { type: 'string', default: 'direct' },
  codec: { type: 'string', default: 'PCMU' },
  g722: { type: 'string', default: '0' },
  opus: { type: 'string', default: '0' },
  loss: { type: 'string', default: '0' },
  jitter: { type: 'string', default: '0' },
  reorder: { type: 'string', default: '0' },
  'latency-sample': { type: 'string', default: '100' },
  'no-audio-check': { type: 'boolean', default: false },
  'no-mp3': { type: 'boolean', default: false },
  'work-dir': { type: 'string' },
  'log-level': { type: 'string', default: 'info' },
  sip: { type: 'string' },
  portal: { type: 'string' },
  keep: { type: 'boolean', default: false },
  pin: { type: 'boolean', default: false },
  priority: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

type Raw = Record<string, string | boolean | undefined>;

export function num(raw: Raw, name: string, o: { min: number; max?: number; integer?: boolean; fallback?: number }): number {
  const v = raw[name];
  if (v === undefined) {
    if (o.fallback !== undefined) return o.fallback;
    throw new UsageError(`--${name} is required`);
  }
  const n = Number(v);
  const max = o.max ?? Number.MAX_SAFE_INTEGER;
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n < o.min || n > max || (o.integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${o.integer ? 'an integer' : 'a number'} from ${o.min}${o.max !== undefined ? ` to ${o.max}` : ''} (got "${String(v)}")`);
  }
  return n;
}

export function oneOf<T extends string>(raw: Raw, name: string, allowed: readonly T[]): T {
  const v = raw[name];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got "${String(v)}")`);
  return v as T;
}

export interface CommonOptions {
  transport: 'udp' | 'tcp';
  relay: 'direct' | 'rtpengine';
  g711: 'PCMU' | 'PCMA';
  g722Share: number;
  opusShare: number;
  impair: Impairment;
  latencySample: number;
  checkAudio: boolean;
  mp3: boolean;
  workParent: string;
  logLevel: string;
  external: { sip: string; portal: string } | null;
  keep: boolean;
  /** The recorder alone on CPU 0; the load generator, portal and rtpengine on CPU 1. */
  pin: boolean;
  /** The appliance's processes at nice -10 (a VM shared with other work). */
  priority: boolean;
}

export function commonOptions(raw: Raw): CommonOptions {
  const g722Share = num(raw, 'g722', { min: 0, max: 100 }) / 100;
  const opusShare = num(raw, 'opus', { min: 0, max: 100 }) / 100;
  if (g722Share + opusShare > 1) throw new UsageError('--g722 and --opus together must be at most 100 (%)');
  if ((raw.sip === undefined) !== (raw.portal === undefined)) throw new UsageError('--sip and --portal go together (an appliance already running)');
  return {
    transport: oneOf(raw, 'transport', ['udp', 'tcp'] as const),
    relay: oneOf(raw, 'relay', ['direct', 'rtpengine'] as const),
    g711: oneOf(raw, 'codec', ['PCMU', 'PCMA'] as const),
    g722Share,
    opusShare,
    impair: {
      lossPct: num(raw, 'loss', { min: 0, max: 50 }),
      jitterMs: num(raw, 'jitter', { min: 0, max: MAX_JITTER_MS, integer: true }),
      reorderPct: num(raw, 'reorder', { min: 0, max: 50 }),
    },
    latencySample: num(raw, 'latency-sample', { min: 0, integer: true }),
    checkAudio: !raw['no-audio-check'],
    mp3: !raw['no-mp3'],
    workParent: resolve((raw['work-dir'] as string | undefined) ?? tmpdir()),
    logLevel: oneOf(raw, 'log-level', ['fatal', 'error', 'warn', 'info', 'debug'] as const),
    external: typeof raw.sip === 'string' && typeof raw.portal === 'string' ? { sip: raw.sip, portal: raw.portal } : null,
    keep: raw.keep === true,
    pin: raw.pin === true,
    priority: raw.priority === true,
  };
}
