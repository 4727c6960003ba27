// Driving Debian's SIPp 3.6.1 (`sipp`, package sip-tester) from tests: scenario templates from
// test/sipp with placeholders filled in, one SIPp process per call with its message trace parsed,
// and the RTP sender processes the scenarios start with <exec command>, tracked by PID so that a
// test can stop every process it started.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, freePort } from './appliance.js';

export const hasSipp = spawnSync('sipp', ['-v'], { encoding: 'utf8' }).error === undefined;

/**
 * RTP senders started by SIPp. SIPp's <exec command> forks twice and lets the command run on its
 * own, so SIPp never knows the sender's PID: scenarios run `command` instead, a shell wrapper that
 * appends its PID to a file and then execs dist/test/support/send-rtp.js (which keeps the PID).
 * Usage in a scenario: `<exec command="RTP_COMMAND HOST CALLER_PORT CALLEE_PORT DURATION_MS"/>`.
 */
export class RtpSenders {
  readonly command: string;
  private readonly pidFile: string;

  constructor(dir: string, name: string) {
    mkdirSync(dir, { recursive: true });
    this.pidFile = join(dir, `${name}.rtp-pids`);
    const script = join(dir, `${name}.send-rtp.sh`);
    writeFileSync(this.pidFile, '');
    writeFileSync(
      script,
      `#!/bin/sh\necho $$ >> '${this.pidFile}'\nexec '${process.execPath}' '${join(REPO, 'dist/test/support/send-rtp.js')}' "$@"\n`,
    );
    this.command = `/bin/sh ${script}`;
  }

  /** PIDs of every sender started so far, in start order. */
  pids(): number[] {
    if (!existsSync(this.pidFile)) return [];
    return readFileSync(this.pidFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map(Number);
  }

  /** Senders still running (checked against /proc so that a recycled PID is never taken for ours). */
  running(): number[] {
    return this.pids().filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('send-rtp.js');
      } catch {
        return false;
      }
    });
  }

  /** Stops the senders still running, by PID, and waits until they are gone. */
  async stop(): Promise<void> {
    const left = this.running();
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const until = Date.now() + 2000;
    while (this.running().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    for (const pid of this.running()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** One SIP message of a SIPp `-trace_msg` log. */
export interface SippMessage {
  direction: 'sent' | 'received';
  /** Wall-clock time SIPp logged it, ms since the epoch (local time as SIPp prints it). */
  at: number;
  /** The request method, or null for a response. */
  method: string | null;
  /** The response status, or null for a request. */
  status: number | null;
  /** CSeq as `N METHOD`. */
  cseq: string;
  /** Header values by lower-case name (first occurrence). */
  headers: Map<string, string>;
  body: string;
  text: string;
}

/** Parses the message log of `-trace_msg`: blocks opened by a dashed line with a timestamp. */
export function parseSippTrace(log: string): SippMessage[] {
  const out: SippMessage[] = [];
  const blocks = log.split(/^-{20,} (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d+)\r?\n/m);
  // split() with two capture groups: [before, date, time, block, date, time, block, ...]
  for (let i = 1; i + 2 < blocks.length; i += 3) {
    const [date, time, block] = [blocks[i]!, blocks[i + 1]!, blocks[i + 2] ?? ''];
    const kind = /^(?:UDP|TCP) message (sent|received)[^\n]*\n\r?\n/.exec(block);
    if (!kind) continue;
    const text = block.slice(kind[0].length);
    const sep = text.indexOf('\r\n\r\n');
    const head = sep < 0 ? text : text.slice(0, sep);
    const lines = head.split('\r\n');
    const start = lines[0] ?? '';
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    }
    const length = Number(headers.get('content-length') ?? '0');
    const body = sep < 0 ? '' : text.slice(sep + 4, sep + 4 + length);
    const status = /^SIP\/2\.0 (\d{3})/.exec(start);
    out.push({
      direction: kind[1] as 'sent' | 'received',
      at: new Date(`${date}T${time.slice(0, 12)}`).getTime(),
      method: status ? null : (start.split(' ')[0] ?? null),
      status: status ? Number(status[1]) : null,
      cseq: headers.get('cseq') ?? '',
      headers,
      body,
      text,
    });
  }
  return out;
}

export interface SippRun {
  exitCode: number | null;
  /** SIPp's screen output (statistics, warnings). */
  output: string;
  messages: SippMessage[];
  callId: string;
  rtp: RtpSenders;
  /** A message for assertion failures: exit code, the end of the output and the message flow. */
  describe(): string;
}

export interface SippOptions {
  /** Scenario file name in test/sipp. */
  scenario: string;
  transport: 'u1' | 't1';
  /** SIP address of the recorder. */
  host: string;
  port: number;
  /** Where the filled scenario, the trace and the RTP wrapper go. */
  workDir: string;
  /** Unique per run (file names). */
  name: string;
  /** Placeholder -> value, on top of RTP_COMMAND. */
  replacements?: Record<string, string>;
  /** SIPp's own -timeout (the whole run), seconds. */
  timeoutSec?: number;
  /** More SIPp options, e.g. `-nr`. */
  extraArgs?: string[];
}

/**
 * Runs one call of a scenario with SIPp and returns its trace. Never leaves a process behind:
 * SIPp is killed if it outlives its own -timeout, and every RTP sender it started is stopped.
 */
export async function runSipp(opts: SippOptions): Promise<SippRun> {
  const timeoutSec = opts.timeoutSec ?? 30;
  const rtp = new RtpSenders(opts.workDir, opts.name);
  let xml = readFileSync(join(REPO, 'test/sipp', opts.scenario), 'utf8').replaceAll('RTP_COMMAND', rtp.command);
  for (const [k, v] of Object.entries(opts.replacements ?? {})) xml = xml.replaceAll(k, v);
  const scenario = join(opts.workDir, `${opts.name}.xml`);
  const trace = join(opts.workDir, `${opts.name}.messages.log`);
  writeFileSync(scenario, xml);
  const localPort = await freePort();
  const args = [
    `${opts.host}:${opts.port}`, '-sf', scenario, '-m', '1', '-t', opts.transport,
    '-i', opts.host, '-p', String(localPort), '-mi', opts.host,
    '-timeout', String(timeoutSec), '-timeout_error', '-nostdin', '-message_file', trace, '-trace_msg',
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawn('sipp', args, { cwd: opts.workDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  const killer = setTimeout(() => proc.kill('SIGKILL'), (timeoutSec + 10) * 1000);
  let exitCode: number | null;
  try {
    exitCode = await exited;
  } finally {
    clearTimeout(killer);
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
    await rtp.stop();
  }
  const messages = existsSync(trace) ? parseSippTrace(readFileSync(trace, 'utf8')) : [];
  const callId = messages.find((m) => m.direction === 'sent' && m.method === 'INVITE')?.headers.get('call-id') ?? '';
  return {
    exitCode,
    output,
    messages,
    callId,
    rtp,
    describe: () =>
      `sipp ${opts.scenario} -t ${opts.transport} exit ${exitCode}\n${output.slice(-1500)}\nflow:\n` +
      messages.map((m) => `${m.direction === 'sent' ? '->' : '<-'} ${m.method ?? m.status} (${m.cseq})`).join('\n'),
  };
}

/** The first message matching, or a thrown error naming what was missing. */
export function findMessage(run: SippRun, what: string, match: (m: SippMessage) => boolean, from = 0): SippMessage {
  const hit = run.messages.slice(from).find(match);
  if (!hit) throw new Error(`no ${what} in the SIPp trace\n${run.describe()}`);
  return hit;
}

/** The RTP ports a recorder answered in an SDP body, in m-line order. */
export function answeredPorts(sdp: string): number[] {
  return [...sdp.matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1]));
}
