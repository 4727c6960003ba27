// Small readers of Linux /proc for the benchmarks: per-process CPU time and peak RSS, machine-wide
// CPU busy time, and the kernel's UDP receive-drop counters.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CLK_TCK = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** User + system CPU seconds of a live process, or null when it is gone. */
export function processCpuSec(pid: number): { user: number; system: number; total: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is field 3, utime field 14, stime field 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(f[11]) / CLK_TCK;
    const system = Number(f[12]) / CLK_TCK;
    return { user, system, total: user + system };
  } catch {
    return null;
  }
}

/** Peak resident set size (VmHWM) in MiB, or null. */
export function processPeakRssMiB(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Machine-wide CPU time in seconds: busy and total, summed over all cores. */
export function machineCpuSec(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!; // "cpu  user nice system idle iowait irq softirq steal ..."
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
}

/** The kernel's UDP counters (all sockets): receive-buffer drops and input errors. */
export function udpDropCounters(): { rcvbufErrors: number; inErrors: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const get = (name: string) => Number(values[names.indexOf(name)] ?? 0);
  return { rcvbufErrors: get('RcvbufErrors'), inErrors: get('InErrors') };
}
