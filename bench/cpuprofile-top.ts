// Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most self time, and the
// project functions with the most total (inclusive) time.
//   node dist/bench/cpuprofile-top.js FILE.cpuprofile [N]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function where(f: CallFrame): string {
  const url = f.url.replace(/^file:\/\//, '').replace(/^.*\/dist\//, '').replace(/^.*\/node_modules\//, 'npm:');
  return url ? `${url}:${f.lineNumber + 1}` : '';
}

function label(f: CallFrame): string {
  return `${f.functionName || '(anonymous)'} ${where(f)}`.trim();
}

export function summariseCpuProfile(path: string, top = 25): string {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfUs = new Map<number, number>();
  prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    self.set(label(node.callFrame), (self.get(label(node.callFrame)) ?? 0) + us);
    // Charge every distinct function on the stack once (recursion is not double counted).
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!.callFrame);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + us);
    }
  }
  const pct = (us: number) => `${((100 * us) / Math.max(1, totalUs)).toFixed(1).padStart(5)}%`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const lines = [`profile: ${(totalUs / 1e6).toFixed(2)} s sampled`, `self time (top ${top}):`];
  for (const [l, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)} ${ms(us)}  ${l}`);
  lines.push(`total time, project code (top ${top}):`);
  const ours = [...inclusive].filter(([l]) => /(recorder|storage|config|bin)\/\S+\.js:/.test(l) && !l.includes('npm:'));
  for (const [l, us] of ours.sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)} ${ms(us)}  ${l}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node dist/bench/cpuprofile-top.js FILE.cpuprofile [N]');
    process.exit(2);
  }
  console.log(summariseCpuProfile(file, Number(process.argv[3] ?? 25)));
}
