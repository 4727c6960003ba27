// Watches free space on the filesystem recordings are written to (the spool under dataDir). Two
// floors, major and critical, each crossed when free space drops under its percent or its MB
// limit; a level is left only once free space is `hysteresisPercent` of the filesystem above the
// floor, so a disk hovering at a floor does not flap the alarm (and the SBC's routing) per check.
import { statfs } from 'node:fs/promises';
import type { Logger } from 'pino';

export type CapacityLevel = 'ok' | 'major' | 'critical';

export interface CapacityLimits {
  majorFreePercent: number;
  criticalFreePercent: number;
  majorFreeMB: number;
  criticalFreeMB: number;
  hysteresisPercent: number;
}

export interface FsSpace {
  totalBytes: number;
  /** Free to an unprivileged writer (the recorder does not rely on root's reserve). */
  freeBytes: number;
}

const MB = 1024 * 1024;

/** The level for `space`, given the level now (which decides whether the hysteresis margin applies). */
export function capacityLevel(space: FsSpace, limits: CapacityLimits, current: CapacityLevel): CapacityLevel {
  const margin = (limits.hysteresisPercent / 100) * space.totalBytes;
  const freePct = space.totalBytes > 0 ? (space.freeBytes / space.totalBytes) * 100 : 0;
  const under = (pct: number, mb: number, holding: boolean): boolean => {
    const extraPct = holding ? limits.hysteresisPercent : 0;
    const extraBytes = holding ? margin : 0;
    return (pct > 0 && freePct < pct + extraPct) || (mb > 0 && space.freeBytes < mb * MB + extraBytes);
  };
  if (under(limits.criticalFreePercent, limits.criticalFreeMB, current === 'critical')) return 'critical';
  if (under(limits.majorFreePercent, limits.majorFreeMB, current !== 'ok')) return 'major';
  return 'ok';
}

export async function fsSpace(path: string): Promise<FsSpace> {
  const s = await statfs(path);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
}

export function describeSpace(space: FsSpace): string {
  const pct = space.totalBytes > 0 ? (space.freeBytes / space.totalBytes) * 100 : 0;
  return `${(space.freeBytes / MB).toFixed(1)} MB (${pct.toFixed(1)}%) free of ${(space.totalBytes / MB).toFixed(1)} MB`;
}

export interface CapacityMonitorOptions {
  path: string;
  limits: CapacityLimits;
  intervalMs: number;
  logger: Logger;
  /** Called on every level change, and once after the first check whatever the level. */
  onLevel: (level: CapacityLevel, space: FsSpace) => void;
}

export class CapacityMonitor {
  private current: CapacityLevel = 'ok';
  private timer: NodeJS.Timeout | null = null;
  private checked = false;

  constructor(private readonly o: CapacityMonitorOptions) {}

  get level(): CapacityLevel {
    return this.current;
  }

  /** Checks once (so the recorder knows before its first INVITE), then every interval. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async check(): Promise<CapacityLevel> {
    let space: FsSpace;
    try {
      space = await fsSpace(this.o.path);
    } catch (err) {
      // A failing statfs says nothing about space; the write path reports real trouble.
      this.o.logger.warn({ err, path: this.o.path }, 'cannot read free space of the data filesystem');
      return this.current;
    }
    const next = capacityLevel(space, this.o.limits, this.current);
    if (next !== this.current || !this.checked) {
      const log = next === 'ok' ? this.o.logger.info.bind(this.o.logger) : this.o.logger.error.bind(this.o.logger);
      if (next !== this.current) log({ path: this.o.path, level: next, was: this.current }, `data filesystem: ${describeSpace(space)}`);
      this.current = next;
      this.checked = true;
      this.o.onLevel(next, space);
    }
    return next;
  }
}
