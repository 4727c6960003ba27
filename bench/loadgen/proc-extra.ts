// /proc readers the capacity bench needs beyond bench/proc-stats.ts: one thread's CPU (the
// recorder's event loop is its main thread), current RSS, and the CPU of reaped children (the
// recorder's ffmpeg MP3 encoders).
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CLK_TCK = (() => {
  const n = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

function statFields(path: string): string[] | null {
  try {
    const stat = readFileSync(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** User + system CPU seconds of thread `tid` of `pid` (the main thread: tid = pid). */
export function threadCpuSec(pid: number, tid = pid): number | null {
  const f = statFields(`/proc/${pid}/task/${tid}/stat`);
  return f ? (Number(f[11]) + Number(f[12])) / CLK_TCK : null;
}

/** CPU seconds of the children `pid` has waited for (cutime + cstime). */
export function reapedChildrenCpuSec(pid: number): number | null {
  const f = statFields(`/proc/${pid}/stat`);
  return f ? (Number(f[13]) + Number(f[14])) / CLK_TCK : null;
}

/** Current resident set size (VmRSS) in MiB, or null. */
export function processRssMiB(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
