// The load generator's and capacity bench's command lines (parsed strictly, each bad value named
// with its option) and the summaries they print.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, UsageError, commonOptions } from '../../bench/loadgen/options.js';
import { CAPACITY_OPTIONS, capacitySettings, levelsOf } from '../../bench/capacity/options.js';
import { capacityMarkdown, type CapacityReport, type StepRecord } from '../../bench/capacity/report.js';
import { describe as describeRun } from '../../bench/loadgen/describe.js';
import type { LoadResult } from '../../bench/loadgen/run.js';

const parse = (args: string[]) => parseArgs({ args, options: { ...COMMON_OPTIONS, ...CAPACITY_OPTIONS }, strict: true }).values;

test('load generator options: defaults, and every bad value named with its option', () => {
  const d = commonOptions(parse([]));
  assert.equal(d.transport, 'udp');
  assert.equal(d.relay, 'direct');
  assert.equal(d.g711, 'PCMU');
  assert.deepEqual(d.impair, { lossPct: 0, jitterMs: 0, reorderPct: 0 });
  assert.equal(d.checkAudio, true);
  assert.equal(d.mp3, true);
  assert.equal(d.external, null);
  const o = commonOptions(parse(['--transport', 'tcp', '--relay', 'rtpengine', '--codec', 'PCMA', '--g722', '20', '--opus', '10', '--loss', '1.5', '--jitter', '30', '--reorder', '2', '--no-mp3', '--pin']));
  assert.equal(o.transport, 'tcp');
  assert.equal(o.relay, 'rtpengine');
  assert.equal(o.g711, 'PCMA');
  assert.equal(o.g722Share, 0.2);
  assert.equal(o.opusShare, 0.1);
  assert.deepEqual(o.impair, { lossPct: 1.5, jitterMs: 30, reorderPct: 2 });
  assert.equal(o.mp3, false);
  assert.equal(o.pin, true);
  assert.equal(o.priority, false);
  assert.equal(commonOptions(parse(['--priority'])).priority, true);
  const bad: Array<[string[], RegExp]> = [
    [['--transport', 'sctp'], /--transport must be one of udp, tcp \(got "sctp"\)/],
    [['--relay', 'kernel'], /--relay must be one of direct, rtpengine/],
    [['--codec', 'G729'], /--codec must be one of PCMU, PCMA/],
    [['--loss', '60'], /--loss must be a number from 0 to 50 \(got "60"\)/],
    [['--loss', 'x'], /--loss must be a number/],
    [['--jitter', '2.5'], /--jitter must be an integer from 0 to 100/],
    [['--jitter', '101'], /--jitter must be an integer from 0 to 100/],
    [['--g722', '70', '--opus', '40'], /--g722 and --opus together must be at most 100/],
    [['--sip', '127.0.0.1:5060'], /--sip and --portal go together/],
    [['--log-level', 'loud'], /--log-level must be one of/],
    [['--latency-sample=-1'], /--latency-sample must be an integer from 0/],
  ];
  for (const [args, re] of bad) assert.throws(() => commonOptions(parse(args)), (e: Error) => e instanceof UsageError && re.test(e.message), args.join(' '));
  assert.throws(() => parse(['--bogus']), /bogus/);
});

test('capacity options: standard and quick defaults, levels parsed and sorted, bad values named', () => {
  const std = capacitySettings(parse([]));
  assert.deepEqual(std, { quick: false, levels: [250, 500, 750, 1000, 1250, 1500], stepSec: 30, holdSec: 300, budgetSec: 870, rate: 100 });
  const quick = capacitySettings(parse(['--quick']));
  assert.deepEqual(quick, { quick: true, levels: [100, 250, 500], stepSec: 10, holdSec: 30, budgetSec: 114, rate: 100 });
  assert.ok(quick.budgetSec < 120, 'a quick run fits in two minutes');
  assert.deepEqual(capacitySettings(parse(['--levels', '800, 200,800', '--hold-minutes', '1', '--rate', '50'])).levels, [200, 800]);
  assert.deepEqual(levelsOf('5'), [5]);
  for (const text of ['', '100,,200', '100,abc', '0', '-5', '2.5']) assert.throws(() => levelsOf(text), /--levels must be positive integers/, text);
  assert.throws(() => capacitySettings(parse(['--step-seconds', '2'])), /--step-seconds must be a number from 5/);
  assert.throws(() => capacitySettings(parse(['--rate', '0'])), /--rate must be a number from 1/);
  assert.throws(() => capacitySettings(parse(['--budget-minutes', 'soon'])), /--budget-minutes must be a number/);
});

function load(calls: number, over: Partial<LoadResult> = {}, usage: Partial<LoadResult['usage']> = {}): LoadResult {
  return {
    plan: { calls, rate: 100, holdSec: 30, transport: 'udp', g711: 'PCMU', g722Share: 0, opusShare: 0, impair: { lossPct: 0, jitterMs: 0, reorderPct: 0 }, latencySample: 100, checkAudio: true, availableTimeoutSec: 90 },
    relay: 'direct',
    callsPlaced: calls,
    callsAnswered: calls,
    callsVerified: calls,
    callsFailed: 0,
    failures: {},
    failureExamples: [],
    shortfall: { notReceived: 0, lost: 0, late: 0, concealedMs: 0 },
    inducedDrops: 0,
    senderLateStarts: 0,
    inviteTo200Ms: { p50: 3, p95: 9, max: 20 },
    byeToAvailableMs: { p50: 250, p95: 700, max: 900, samples: 100 },
    audioSec: calls * 30,
    mp3Done: 0,
    usage: {
      recorderCpuPct: calls / 10, recorderLoopCpuPct: calls / 11, portalCpuPct: 1, rtpengineCpuPct: null, senderCpuPct: calls / 20, controllerCpuPct: 2, machineBusyPct: 40, othersCpuPct: 3, cores: 2,
      recorderRssMiB: 200 + calls / 10, recorderPeakRssMiB: 210 + calls / 10, kernelUdpDrops: 0, plateauSec: 27.5, sender: { packets: 1, latenessMs: { p50: 0, p99: 1, max: 4 }, cpuSec: 1, activeStreams: 2 * calls },
      ...usage,
    },
    wallSec: 60,
    ...over,
  };
}

const step = (kind: StepRecord['kind'], calls: number, held: boolean, r: LoadResult, limit: string | null = null): StepRecord => ({ kind, calls, holdSec: r.plan.holdSec, held, reasons: held ? [] : ['x'], limit, result: r });

function report(steps: StepRecord[], over: Partial<CapacityReport> = {}): CapacityReport {
  const hold = steps.find((s) => s.kind === 'hold' && s.held);
  return {
    bench: 'capacity', date: '2026-11-24T21:00:00.000Z', relay: 'direct', transport: 'udp', pinned: true, priority: false, codecs: { g711: 'PCMU', g722Pct: 0, opusPct: 0 }, rate: 100, stepSec: 30, holdSec: 300,
    heldCalls: hold?.calls ?? 0, heldFor: hold?.holdSec ?? 0, recorderCpuPerCallPct: hold ? 0.1 : null, rtpengineCpuPerCallPct: null, recorderRssMiB: hold?.result.usage.recorderRssMiB ?? null,
    recorderPeakRssMiB: null, byeToAvailableMs: hold?.result.byeToAvailableMs ?? null,
    mp3: { ffmpeg: 'debian', workers: 2, files: 16, audioSec: 4960, cpuSec: 5.3, audioSecPerCpuSec: 935, wallSec: 2.9, audioSecPerWallSec: 1710 },
    firstFailure: null, rampStoppedBy: null, aim: { calls: 1000, rssMiB: 1024, byeToAvailableP95Ms: 2000, met: (hold?.calls ?? 0) >= 1000 }, wallSec: 700, steps, ...over,
  };
}

test('capacity summary: the level held with its costs, the aim, and what ran out first', () => {
  const fail = load(1250, { callsFailed: 40, callsVerified: 1210, failures: { 'recorder-late': 40 }, shortfall: { notReceived: 0, lost: 0, late: 52, concealedMs: 0 } }, { recorderLoopCpuPct: 97 });
  const held = load(1000, { plan: { ...load(1000).plan, holdSec: 300 } });
  const md = capacityMarkdown(report([step('ramp', 1000, true, load(1000)), step('ramp', 1250, false, fail, 'recorder CPU: its event loop used 97% of one core'), step('hold', 1000, true, held)], {
    firstFailure: { calls: 1250, limit: 'recorder CPU: its event loop used 97% of one core' },
  }));
  assert.match(md, /^## Capacity \(direct, UDP, PCMU, pinned\), 2026-11-24/);
  assert.match(md, /\*\*1000 concurrent stereo calls held for 300 s with zero recorder-side loss\*\*/);
  assert.match(md, /\| recorder RSS \| 300 MiB/);
  assert.match(md, /BYE -> available \| p50 250 ms, p95 700 ms/);
  assert.match(md, /\| MP3 encoding \| 935 s of audio per ffmpeg CPU second \(debian ffmpeg; 16 of the run's recordings, 310 s each\); 1710 s per wall second with 2 workers \|/);
  assert.match(md, /: \*\*met\*\*\./);
  assert.match(md, /The ramp failed first at 1250 calls; what ran out first: recorder CPU: its event loop used 97% of one core\./);
  assert.match(md, /\| ramp \| 1250 \| 30 s \| failed \| .* \| 0\/0\/52\/0 \| recorder-late 40 \|/);
  assert.doesNotMatch(md, /rtpengine CPU \|/, 'no rtpengine row in direct mode');

  const none = capacityMarkdown(report([step('ramp', 250, false, load(250, { failures: { 'invite-503': 3 } }), 'call set-up')], { firstFailure: { calls: 250, limit: 'call set-up (invite-503 3)' } }));
  assert.match(none, /No level was held/);
  assert.match(none, /\*\*not met\*\*/);
  assert.match(none, /what ran out first: call set-up \(invite-503 3\)/);

  const lines = describeRun(load(1000, { senderLateStarts: 3 }));
  assert.match(lines[0]!, /^1000 of 1000 calls recorded and verified \(direct, UDP\); 0 failed$/);
  assert.match(lines.join('\n'), /RTP sender 50% of a core \(25\.0% per 1,000 streams\)/);
  assert.match(lines.join('\n'), /3 streams' first packet went out over 20 ms late/);
  assert.match(lines.join('\n'), /other processes 3% of a core\);/);
  assert.match(describeRun(load(10, {}, { othersCpuPct: 80 })).join('\n'), /other processes 80% of a core: the run was disturbed/);
});
