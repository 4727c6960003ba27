// Call set-up rate benchmark: SIPp places SIPREC calls (multipart INVITE with SDP + RFC 7865
// metadata, two labelled m-lines; ACK; optional hold; BYE; no RTP) at a fixed rate against the
// real appliance in direct mode, and we report the set-up rate achieved, INVITE-to-200 latency,
// failed calls and the CPU the recorder process spent.
//
//   node dist/bench/setup-rate.js [--rate 300] [--calls 3000] [--transport udp|tcp] [--hold-ms 0]
//        [--log-level info] [--cpu-prof DIR] [--work-dir DIR] [--keep]
//
// Exit status: 0 when the aim was met, 1 when the run completed but missed it, 2 on error.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO, freePort } from '../test/support/appliance.js';
import { startBenchAppliance, type BenchAppliance } from './appliance.js';
import { childrenOf } from '../test/support/processes.js';
import { machineCpuSec, processCpuSec, processPeakRssMiB, udpDropCounters } from './proc-stats.js';
import { summariseCpuProfile } from './cpuprofile-top.js';

const AIM = { rate: 300, p99Ms: 20 };
/** SIPp paces calls per 1 s period; a run within 1% of the aim's rate counts as reaching it. */
const RATE_TOLERANCE = 0.99;
const SCENARIO = join(REPO, 'bench/sipp/siprec-setup.xml');
/** Free of Linux's default ephemeral range (32768-60999), so SIPp and the portal do not take our RTP ports. */
const RTP_LOW = 10000;
const RTP_HIGH = 32766;

interface Options {
  rate: number;
  calls: number;
  transport: 'udp' | 'tcp';
  holdMs: number;
  logLevel: string;
  cpuProfDir: string | null;
  workParent: string;
  keep: boolean;
}

function usage(msg?: string): never {
  if (msg) console.error(`setup-rate: ${msg}`);
  console.error('usage: node dist/bench/setup-rate.js [--rate 300] [--calls 3000] [--transport udp|tcp] [--hold-ms 0] [--log-level info] [--cpu-prof DIR] [--work-dir DIR] [--keep]');
  process.exit(2);
}

function options(): Options {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        rate: { type: 'string', default: '300' },
        calls: { type: 'string', default: '3000' },
        transport: { type: 'string', default: 'udp' },
        'hold-ms': { type: 'string', default: '0' },
        'log-level': { type: 'string', default: 'info' },
        'cpu-prof': { type: 'string' },
        'work-dir': { type: 'string' },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    usage((err as Error).message);
  }
  if (parsed.help) usage();
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) usage(`--${name} must be an integer >= ${min} (got "${v}")`);
    return n;
  };
  const transport = parsed.transport;
  if (transport !== 'udp' && transport !== 'tcp') usage(`--transport must be udp or tcp (got "${transport}")`);
  return {
    rate: int('rate', parsed.rate!, 1),
    calls: int('calls', parsed.calls!, 2),
    transport,
    holdMs: int('hold-ms', parsed['hold-ms']!, 0),
    logLevel: parsed['log-level']!,
    cpuProfDir: parsed['cpu-prof'] ? resolve(parsed['cpu-prof']) : null,
    workParent: resolve(parsed['work-dir'] ?? tmpdir()),
    keep: parsed.keep!,
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (n: number, digits = 2) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);

interface CallTrace {
  inviteAtMs: number;
  okAtMs: number | null;
}

/**
 * SIPp's -trace_shortmsg log, one line per message sent (S) or received (R), stamped in
 * microseconds: "date<TAB>time<TAB>epoch.us<TAB>S|R<TAB>Call-ID<TAB>CSeq:n METHOD<TAB>first line".
 * (SIPp's own response-time figures come from a coarse clock that ticks every 4 ms here.)
 * Returns, per call, the first transmission of its INVITE and the 200 to it, and a count of every
 * other final response received.
 */
function readShortMessages(path: string): { calls: Map<string, CallTrace>; otherResponses: Record<string, number> } {
  const calls = new Map<string, CallTrace>();
  const otherResponses: Record<string, number> = {};
  for (const line of readFileSync(path, 'latin1').split('\n')) {
    const f = line.split('\t');
    if (f.length < 7) continue;
    const atMs = Number(f[2]) * 1000;
    const [dir, callId, cseq, first] = [f[3], f[4]!, f[5]!, f[6]!];
    if (dir === 'S' && cseq.endsWith(' INVITE') && first.startsWith('INVITE ')) {
      if (!calls.has(callId)) calls.set(callId, { inviteAtMs: atMs, okAtMs: null });
    } else if (dir === 'R') {
      const status = /^SIP\/2\.0 (\d{3})/.exec(first)?.[1];
      if (!status || status === '100') continue;
      const call = calls.get(callId);
      if (status === '200' && cseq.endsWith(' INVITE') && call) call.okAtMs ??= atMs;
      else if (status !== '200') otherResponses[status] = (otherResponses[status] ?? 0) + 1;
    }
  }
  return { calls, otherResponses };
}

/** The last row of SIPp's -trace_stat CSV, by column name. */
function readStatLastRow(path: string): Map<string, string> {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  const names = (lines[0] ?? '').split(';');
  const values = (lines.at(-1) ?? '').split(';');
  return new Map(names.map((n, i) => [n, values[i] ?? '']));
}

function tailOf(path: string, bytes = 3000): string {
  try {
    return readFileSync(path, 'utf8').slice(-bytes);
  } catch {
    return '';
  }
}

interface SippRun {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  wallSec: number;
  cpuSec: number | null;
}

/** Runs SIPp to completion (or until deadlineMs), its output into files in workDir. */
async function runSipp(args: string[], workDir: string, deadlineMs: number, abort: AbortSignal): Promise<SippRun> {
  const outFd = openSync(join(workDir, 'sipp.out'), 'w');
  const proc = spawn('sipp', args, { cwd: workDir, stdio: ['ignore', outFd, outFd] });
  closeSync(outFd);
  const started = Date.now();
  let cpuSec: number | null = null;
  let timedOut = false;
  // /proc/<pid> disappears at exit: keep the last sample of SIPp's CPU time.
  const sampler = setInterval(() => {
    if (proc.pid !== undefined) cpuSec = processCpuSec(proc.pid)?.total ?? cpuSec;
  }, 200);
  const kill = () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 3000).unref();
  };
  const watchdog = setTimeout(() => {
    timedOut = true;
    kill();
  }, deadlineMs);
  abort.addEventListener('abort', kill, { once: true });
  const [exitCode, signal] = await new Promise<[number | null, string | null]>((res) => {
    proc.once('error', () => res([null, 'spawn-error']));
    proc.once('exit', (c, s) => res([c, s]));
  });
  clearTimeout(watchdog);
  clearInterval(sampler);
  abort.removeEventListener('abort', kill);
  return { exitCode, signal, timedOut, wallSec: (Date.now() - started) / 1000, cpuSec };
}

async function main(): Promise<number> {
  const opt = options();
  if (spawnSync('sipp', ['-v']).error) {
    console.error('setup-rate: SIPp is not installed (apt-get install sip-tester)');
    return 2;
  }
  if (!existsSync(join(REPO, 'dist/bin/cli.js'))) {
    console.error('setup-rate: not built: run `npx tsc -p tsconfig.json` first');
    return 2;
  }

  // Calls up at once: rate x (hold + a generous set-up/tear-down allowance), bounded by the call count.
  const concurrent = Math.min(opt.calls, Math.ceil(opt.rate * (opt.holdMs / 1000 + 1)) + 50);
  // Each call records two streams; each stream takes an even RTP port and leaves its odd neighbour for RTCP.
  const rtpSpan = Math.max(400, concurrent * 2 * 2 * 2);
  if (RTP_LOW + rtpSpan > RTP_HIGH) {
    console.error(`setup-rate: ${concurrent} calls up at once need ${rtpSpan} RTP ports; at most ${RTP_HIGH - RTP_LOW} fit: lower --rate or --hold-ms`);
    return 2;
  }
  const maxSessions = Math.max(5000, concurrent * 2);
  const sendSec = opt.calls / opt.rate;
  const budgetSec = Math.ceil(sendSec + opt.holdMs / 1000 + 30);

  const workDir = mkdtempSync(join(opt.workParent, 'sipvault-bench-setup-'));
  const abort = new AbortController();
  let app: BenchAppliance | null = null;
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      abort.abort();
      await app?.stop().catch((err) => console.error(`setup-rate: stopping the appliance: ${(err as Error).message}`));
      if (!opt.keep) rmSync(workDir, { recursive: true, force: true });
    })());
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`setup-rate: ${sig}: stopping`);
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // The whole bench, start-up and shut-down included, is bounded.
  const hardStop = setTimeout(() => {
    console.error('setup-rate: overall time limit reached: stopping');
    void cleanup().then(() => process.exit(2));
  }, (budgetSec + 120) * 1000);
  hardStop.unref();

  try {
    if (opt.cpuProfDir) mkdirSync(opt.cpuProfDir, { recursive: true });
    console.log(`setup-rate: starting the appliance (maxSessions ${maxSessions}, RTP ${RTP_LOW}-${RTP_LOW + rtpSpan - 1}, log ${opt.logLevel}) in ${workDir}`);
    app = await startBenchAppliance({
      workDir,
      maxSessions,
      rtpPorts: [RTP_LOW, RTP_LOW + rtpSpan - 1],
      logLevel: opt.logLevel,
      env: opt.cpuProfDir
        ? { NODE_OPTIONS: `--import=${new URL('./cpu-profile-preload.js', import.meta.url).href}`, SIPVAULT_BENCH_CPU_PROF_DIR: opt.cpuProfDir }
        : {},
    });
    const recorderPid = app.recorderPid();
    if (recorderPid === null) throw new Error('recorder process not found');
    // Everything else the appliance runs (supervisor, portal): its CPU is reported apart.
    const supportPids = [app.supervisorPid, ...childrenOf(app.supervisorPid).map((c) => c.pid).filter((p) => p !== recorderPid)];
    const supportCpu = () => supportPids.reduce((sum, pid) => sum + (processCpuSec(pid)?.total ?? 0), 0);

    const localPort = await freePort();
    const args = [
      `127.0.0.1:${app.sipPort}`,
      '-sf', SCENARIO,
      '-t', opt.transport === 'udp' ? 'u1' : 't1', // one socket / one connection, as an SBC does
      '-i', '127.0.0.1', '-p', String(localPort),
      '-r', String(opt.rate), '-rp', '1000',
      '-m', String(opt.calls),
      '-l', String(maxSessions),
      '-d', String(opt.holdMs),
      '-recv_timeout', '10000',
      '-timeout', `${budgetSec}s`, '-timeout_error',
      '-trace_stat', '-stf', join(workDir, 'stat.csv'), '-fd', '1',
      '-trace_err', '-trace_shortmsg',
      '-nostdin',
    ];

    console.log(`setup-rate: SIPp ${opt.calls} calls at ${opt.rate}/s over ${opt.transport.toUpperCase()}, hold ${opt.holdMs} ms (limit ${budgetSec} s)`);
    const cpu0 = processCpuSec(recorderPid);
    const support0 = supportCpu();
    const self0 = process.cpuUsage();
    const machine0 = machineCpuSec();
    const udp0 = udpDropCounters();
    const sipp = await runSipp(args, workDir, (budgetSec + 10) * 1000, abort.signal);
    const cpu1 = processCpuSec(recorderPid);
    const support1 = supportCpu();
    const self1 = process.cpuUsage(self0);
    const machine1 = machineCpuSec();
    const udp1 = udpDropCounters();
    const peakRss = processPeakRssMiB(recorderPid);
    if (abort.signal.aborted) throw new Error('interrupted: no result');
    if (!cpu0 || !cpu1) throw new Error(`the recorder (pid ${recorderPid}) exited during the run; log tail:\n${tailOf(app.logPath)}`);

    const msgFile = readdirSync(workDir).find((n) => n.endsWith('_shortmessages.log'));
    const statFile = join(workDir, 'stat.csv');
    if (!msgFile || !existsSync(statFile)) {
      throw new Error(`SIPp left no result files (exit ${sipp.exitCode ?? sipp.signal}); its output:\n${tailOf(join(workDir, 'sipp.out'))}`);
    }
    const trace = readShortMessages(join(workDir, msgFile));
    const stat = readStatLastRow(statFile);
    const num = (name: string) => Number(stat.get(name) ?? NaN);
    const created = num('TotalCallCreated');
    const successful = num('SuccessfulCall(C)');
    const failed = num('FailedCall(C)');
    const unfinished = Math.max(0, opt.calls - successful - failed);

    const answered = [...trace.calls.values()].filter((c): c is { inviteAtMs: number; okAtMs: number } => c.okAtMs !== null);
    const latencies = answered.map((c) => c.okAtMs - c.inviteAtMs).sort((a, b) => a - b);
    // Per second between the first and the last event: INVITEs SIPp sent, 200s it received.
    const ratePerSec = (times: number[]) => (times.length > 1 ? (times.length - 1) / ((Math.max(...times) - Math.min(...times)) / 1000) : NaN);
    const offeredRate = ratePerSec([...trace.calls.values()].map((c) => c.inviteAtMs));
    const achievedRate = ratePerSec(answered.map((c) => c.okAtMs));
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const max = latencies.at(-1) ?? NaN;
    const recorderCpuSec = cpu1.total - cpu0.total;
    const machineBusy = machine1.busy - machine0.busy;
    const machineTotal = machine1.total - machine0.total;
    // CPU used by anything but the recorder, SIPp, the rest of the appliance and this process.
    const otherCpuSec = machineBusy - recorderCpuSec - (sipp.cpuSec ?? 0) - (support1 - support0) - (self1.user + self1.system) / 1e6;
    const errorCodes = trace.otherResponses;

    const aimMet = achievedRate >= AIM.rate * RATE_TOLERANCE && p99 < AIM.p99Ms && failed === 0 && unfinished === 0 && !sipp.timedOut;
    const result = {
      bench: 'setup-rate',
      transport: opt.transport,
      targetRate: opt.rate,
      achievedRate: round(achievedRate, 1),
      offeredRate: round(offeredRate, 1),
      calls: opt.calls,
      callsCreated: created,
      successful,
      failed: failed + unfinished,
      inviteTo200Ms: { p50: round(p50, 3), p99: round(p99, 3), max: round(max, 3), samples: latencies.length },
      holdMs: opt.holdMs,
      durationSec: round(sipp.wallSec, 2),
      recorderCpuSec: round(recorderCpuSec, 2),
      recorderCpuMsPerCall: round((recorderCpuSec * 1000) / Math.max(1, successful), 3),
      recorderUserSec: round(cpu1.user - cpu0.user, 2),
      recorderSystemSec: round(cpu1.system - cpu0.system, 2),
      recorderPeakRssMiB: round(peakRss ?? NaN, 1),
      sippCpuSec: round(sipp.cpuSec ?? NaN, 2),
      applianceOtherCpuSec: round(support1 - support0, 2),
      otherCpuSec: round(Math.max(0, otherCpuSec), 2),
      machineCpuBusyPct: round((100 * machineBusy) / Math.max(1e-9, machineTotal), 1),
      udpRcvbufErrors: udp1.rcvbufErrors - udp0.rcvbufErrors,
      unexpectedResponses: errorCodes,
      sippExit: sipp.exitCode ?? sipp.signal,
      timedOut: sipp.timedOut,
      logLevel: opt.logLevel,
      aim: { rate: AIM.rate, p99Ms: AIM.p99Ms, met: aimMet },
    };

    const cores = machineTotal / Math.max(1e-9, sipp.wallSec);
    console.log('');
    console.log(`SIPREC call set-up over ${opt.transport.toUpperCase()}: ${successful} of ${opt.calls} calls set up and torn down, ${result.failed} failed${sipp.timedOut ? ' (SIPp hit the time limit)' : ''}`);
    console.log(`  set-up rate   ${result.achievedRate}/s achieved (target ${opt.rate}/s; SIPp sent INVITEs at ${result.offeredRate}/s; ${round(sipp.wallSec, 1)} s run)`);
    console.log(`  INVITE->200   p50 ${result.inviteTo200Ms.p50} ms, p99 ${result.inviteTo200Ms.p99} ms, max ${result.inviteTo200Ms.max} ms`);
    console.log(`  recorder CPU  ${result.recorderCpuSec} s (${result.recorderCpuMsPerCall} ms per call, ${round((100 * recorderCpuSec) / sipp.wallSec, 0)}% of one core); SIPp ${result.sippCpuSec} s; machine ${result.machineCpuBusyPct}% busy of ${round(cores, 0)} cores`);
    if (otherCpuSec > 0.1 * machineBusy) console.log(`  note: ${round(otherCpuSec, 1)} s of CPU went to other processes on this machine: the figures may be disturbed`);
    if (result.udpRcvbufErrors > 0) console.log(`  UDP receive-buffer drops during the run: ${result.udpRcvbufErrors}`);
    if (Object.keys(errorCodes).length) console.log(`  unexpected responses: ${JSON.stringify(errorCodes)}`);
    console.log(`  aim: >= ${AIM.rate} set-ups/s with p99 < ${AIM.p99Ms} ms and no failed call: ${aimMet ? 'MET' : 'NOT MET'}`);
    if (result.failed > 0) console.log(`  SIPp output tail:\n${tailOf(join(workDir, 'sipp.out'), 1500)}`);
    console.log(JSON.stringify(result));

    await cleanup();
    if (opt.cpuProfDir) {
      const prof = `recorder-${recorderPid}.cpuprofile`;
      if (existsSync(join(opt.cpuProfDir, prof))) {
        console.log(`recorder CPU profile: ${join(opt.cpuProfDir, prof)}`);
        console.log(summariseCpuProfile(join(opt.cpuProfDir, prof), 25));
      } else {
        console.log(`no CPU profile of the recorder (pid ${recorderPid}) in ${opt.cpuProfDir}`);
      }
    }
    if (opt.keep) console.log(`kept: ${workDir}`);
    return aimMet ? 0 : 1;
  } catch (err) {
    console.error(`setup-rate: ${(err as Error).message}`);
    return 2;
  } finally {
    clearTimeout(hardStop);
    await cleanup();
  }
}

process.exitCode = await main();
