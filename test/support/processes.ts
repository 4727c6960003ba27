// Child processes seen through /proc: how tests and benchmarks find the components the
// `sipvault start` supervisor runs (its children are not ours, so Node cannot list them).
import { readdirSync, readFileSync } from 'node:fs';

/** PIDs whose parent is `ppid`, with their command lines. */
export function childrenOf(ppid: number): Array<{ pid: number; cmdline: string[] }> {
  const out: Array<{ pid: number; cmdline: string[] }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== ppid) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(entry), cmdline });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** PID of the `sipvault recorder` child of a `sipvault start` supervisor, or null. */
export function recorderPidOf(supervisorPid: number): number | null {
  return childrenOf(supervisorPid).find((c) => c.cmdline.includes('recorder'))?.pid ?? null;
}
