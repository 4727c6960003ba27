// Capacity benchmark: ramps concurrent SIPREC calls against the real appliance with the load
// generator (bench/loadgen) until a step fails (recorder-side loss: packets not received, lost,
// late or concealed; a failed verification; the recorder's event loop or the machine CPU
// saturated; the sender fell behind), then holds the highest level that passed for the hold time
// and reports it with what it cost. See bench/README.md.
//
//   node dist/bench/capacity.js [--quick] [--relay direct|rtpengine] [--levels 250,500,...]
//        [--step-seconds 30] [--hold-minutes 5] [--rate 100] [--budget-minutes 14] [--out DIR]
//        [loadgen options: --transport, --codec, --g722, --opus, --no-mp3, --pin, --work-dir, ...]
//
// The appliance runs with media.mp3.enabled false; MP3 throughput is measured after the hold on
// the run's own recordings (bench/capacity/mp3-sample.ts); --no-mp3 skips that.
//
// Exit status: 0 when the aim was met, 1 when the run completed without meeting it, 2 on error.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, UsageError, commonOptions } from './loadgen/options.js';
import { CAPACITY_OPTIONS, capacitySettings } from './capacity/options.js';
import { describe } from './loadgen/describe.js';
import { measureMp3, type Mp3Sample } from './capacity/mp3-sample.js';
import { RtpSender, SENDER_NICE } from './loadgen/rtp-sender.js';
import { runLoad, type LoadPlan, type LoadResult } from './loadgen/run.js';
import { APPLIANCE_NICE, externalTarget, pinProcesses, prioritiseAppliance, startTarget, unpin, type Target } from './loadgen/target.js';
import { judgeStep, stepSeconds, type StepVerdict } from './capacity/step-verdict.js';
import { capacityMarkdown, type CapacityReport, type StepRecord } from './capacity/report.js';

/** Recordings encoded for the MP3 figure (the longest of the run). */
const MP3_SAMPLE_FILES = 16;

const AIM = { direct: 1000, rtpengine: 500, rssMiB: 1024, byeToAvailableP95Ms: 2000 };

const USAGE =
  'usage: node dist/bench/capacity.js [--quick] [--relay direct|rtpengine] [--levels 250,500,...] [--step-seconds 30] [--hold-minutes 5] ' +
  '[--rate 100] [--budget-minutes 14] [--out DIR] [--transport udp|tcp] [--codec PCMU|PCMA] [--g722 PCT] [--opus PCT] [--no-mp3] [--pin] [--priority] [--work-dir DIR] [--keep]';

async function main(): Promise<number> {
  let raw;
  try {
    raw = parseArgs({
      options: {
        ...COMMON_OPTIONS,
        ...CAPACITY_OPTIONS,
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`capacity: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (raw.help) {
    console.log(USAGE);
    return 0;
  }
  let o, levels: number[], stepSec: number, holdSec: number, budgetSec: number, rate: number;
  try {
    o = commonOptions(raw);
    ({ levels, stepSec, holdSec, budgetSec, rate } = capacitySettings(raw));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`capacity: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  const outDir = resolve((raw.out as string | undefined) ?? '.');
  // Made now, not at the end: a 15-minute run must not fail on a missing directory.
  mkdirSync(outDir, { recursive: true });
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const log = (l: string) => console.log(`[${elapsed().toFixed(0).padStart(4)} s] ${l}`);
  const sender = RtpSender.start();
  let target: Target | null = null;
  const cleanup = async () => {
    sender.close();
    await target?.stop();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  const hardStop = setTimeout(() => {
    console.error('capacity: over twice the time budget: stopping');
    void cleanup().then(() => process.exit(2));
  }, 2 * budgetSec * 1000 + 120_000);
  hardStop.unref();

  try {
    target = o.external
      ? await externalTarget(o.external.sip, o.external.portal)
      : await startTarget({ relay: o.relay, maxCalls: Math.max(...levels), workParent: o.workParent, logLevel: o.logLevel, mp3: false, keep: o.keep });
    if (o.pin && !pinProcesses(target, [process.pid, sender.pid])) log('could not pin every process (taskset)');
    if (o.priority && !prioritiseAppliance(target)) log(`could not renice every appliance process to ${APPLIANCE_NICE}`);
    log(`capacity: ${o.pin ? 'pinned (recorder on CPU 0, the rest on CPU 1), ' : ''}${o.priority ? `appliance at nice ${APPLIANCE_NICE}, ` : ''}RTP sender at ${sender.prioritised ? `nice ${SENDER_NICE}` : 'default priority'}, ${target.relay} appliance${target.workDir ? ` in ${target.workDir}` : ''}; levels ${levels.join(', ')} for ${stepSec} s each at ${rate} set-ups/s, then ${holdSec} s at the best; budget ${budgetSec} s`);
    const plan = (calls: number, hold: number): LoadPlan => ({
      calls, rate, holdSec: hold, transport: o.transport, g711: o.g711, g722Share: o.g722Share, opusShare: o.opusShare,
      impair: { lossPct: 0, jitterMs: 0, reorderPct: 0 }, latencySample: o.latencySample, checkAudio: o.checkAudio, availableTimeoutSec: 90, pinned: o.pin,
    });
    const steps: StepRecord[] = [];

    const runStep = async (kind: 'ramp' | 'refine' | 'hold', calls: number, hold: number): Promise<{ r: LoadResult; v: StepVerdict }> => {
      log(`${kind} step: ${calls} calls, ${hold} s with all up`);
      const r = await runLoad(target!, sender, plan(calls, hold), { log });
      const v = judgeStep(r);
      for (const l of describe(r)) log(l);
      log(v.held ? `${calls} calls: HELD` : `${calls} calls: NOT HELD: ${v.reasons.join('; ')}; ran out first: ${v.limit}`);
      steps.push({ kind, calls, holdSec: hold, held: v.held, reasons: v.reasons, limit: v.limit, result: r });
      return { r, v };
    };

    const holdEstimate = (calls: number) => stepSeconds(calls, rate, holdSec);
    let best = 0;
    let firstFail: { calls: number; limit: string } | null = null;
    let stoppedBy: string | null = null;
    for (const calls of levels) {
      const need = stepSeconds(calls, rate, stepSec) + holdEstimate(calls);
      if (elapsed() + need > budgetSec) {
        stoppedBy = `time budget: a ${calls}-call step and the hold would end at ~${Math.round(elapsed() + need)} s of ${budgetSec} s`;
        log(`ramp stops: ${stoppedBy}`);
        break;
      }
      const { v } = await runStep('ramp', calls, stepSec);
      if (!v.held) {
        firstFail = { calls, limit: v.limit ?? '' };
        break;
      }
      best = calls;
    }
    // One step between the last level held and the first that failed, when there is room.
    if (firstFail && firstFail.calls - best >= 100) {
      const mid = Math.round((best + firstFail.calls) / 2 / 50) * 50;
      if (mid > best && mid < firstFail.calls && elapsed() + stepSeconds(mid, rate, stepSec) + holdEstimate(mid) <= budgetSec) {
        const { v } = await runStep('refine', mid, stepSec);
        if (v.held) best = mid;
        else firstFail = { calls: mid, limit: v.limit ?? '' };
      }
    }
    // The hold: the best level for the full hold time; one level lower if that fails and time allows.
    let held: StepRecord | null = null;
    const candidates = [best, ...steps.filter((s) => s.held && s.calls < best).map((s) => s.calls).sort((a, b) => b - a)];
    for (const calls of candidates) {
      if (calls <= 0) break;
      if (steps.some((s) => s.kind === 'hold') && elapsed() + holdEstimate(calls) > budgetSec) {
        log(`no time for a hold at ${calls} calls`);
        break;
      }
      const { v } = await runStep('hold', calls, holdSec);
      if (v.held) {
        held = steps.at(-1)!;
        break;
      }
    }
    // MP3 throughput on the longest recordings of the run (the hold's), as the recorder encodes them.
    let mp3: Mp3Sample | null = null;
    if (o.mp3 && target.workDir) {
      // ffmpeg as the recorder runs it: on every core (a pinned bench process would pass CPU 1 on).
      if (o.pin) unpin(process.pid);
      mp3 = await measureMp3(target.workDir, MP3_SAMPLE_FILES);
      if (mp3) log(`MP3 (${mp3.ffmpeg} ffmpeg, pool of ${mp3.workers}): ${mp3.files} recordings, ${mp3.audioSec} s of audio in ${mp3.cpuSec} s of ffmpeg CPU (${mp3.audioSecPerCpuSec} s of audio per CPU second), ${mp3.audioSecPerWallSec} s per wall second`);
    }

    const relay = target.relay === 'rtpengine' ? 'rtpengine' : 'direct';
    const aimCalls = relay === 'rtpengine' ? AIM.rtpengine : AIM.direct;
    const h = held?.result ?? null;
    const report: CapacityReport = {
      bench: 'capacity',
      date: new Date().toISOString(),
      relay: target.relay,
      transport: o.transport,
      pinned: o.pin,
      priority: o.priority,
      codecs: { g711: o.g711, g722Pct: o.g722Share * 100, opusPct: o.opusShare * 100 },
      rate,
      stepSec,
      holdSec,
      heldCalls: held ? held.calls : 0,
      heldFor: held ? held.holdSec : 0,
      recorderCpuPerCallPct: h?.usage.recorderCpuPct != null ? Math.round((h.usage.recorderCpuPct / held!.calls) * 10000) / 10000 : null,
      rtpengineCpuPerCallPct: h?.usage.rtpengineCpuPct != null ? Math.round((h.usage.rtpengineCpuPct / held!.calls) * 10000) / 10000 : null,
      recorderRssMiB: h?.usage.recorderRssMiB ?? null,
      recorderPeakRssMiB: h?.usage.recorderPeakRssMiB ?? null,
      byeToAvailableMs: h ? h.byeToAvailableMs : null,
      mp3,
      firstFailure: firstFail,
      rampStoppedBy: stoppedBy,
      aim: {
        calls: aimCalls,
        rssMiB: AIM.rssMiB,
        byeToAvailableP95Ms: AIM.byeToAvailableP95Ms,
        met: held !== null && held.calls >= aimCalls && (h?.usage.recorderRssMiB ?? Infinity) < AIM.rssMiB && (h?.byeToAvailableMs.p95 ?? Infinity) < AIM.byeToAvailableP95Ms,
      },
      wallSec: Math.round(elapsed()),
      steps,
    };
    const md = capacityMarkdown(report);
    const stamp = report.date.replace(/[:.]/g, '-');
    const jsonPath = join(outDir, `capacity-${relay}-${stamp}.json`);
    const mdPath = join(outDir, `capacity-${relay}-${stamp}.md`);
    writeFileSync(jsonPath, JSON.stringify(report, null, 2));
    writeFileSync(mdPath, md);
    console.log(`\n${md}`);
    console.log(`written: ${jsonPath}, ${mdPath}`);
    console.log(JSON.stringify({ ...report, steps: report.steps.map((s) => ({ kind: s.kind, calls: s.calls, held: s.held, limit: s.limit })) }));
    return report.aim.met ? 0 : 1;
  } catch (err) {
    console.error(`capacity: ${(err as Error).stack ?? err}`);
    return 2;
  } finally {
    clearTimeout(hardStop);
    await cleanup();
  }
}

process.exitCode = await main();
