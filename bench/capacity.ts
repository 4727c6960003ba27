// Capacity benchmark: ramps concurrent SIPREC calls against the real appliance with the load
// generator (bench/loadgen) until a step fails (recorder-side loss: packets not received, lost,
// late or concealed; a failed verification; the recorder's event loop or the machine CPU
// saturated; the sender fell behind), then holds the highest level that passed for the hold time
// and reports it with what it cost. See bench/README.md.
//
//   node dist/bench/capacity.js [--quick] [--relay direct|rtpengine] [--levels 250,500,...]
//        [--step-seconds 30] [--hold-minutes 5] [--rate 100] [--budget-minutes 14] [--out DIR]
//        [loadgen options: --transport, --codec, --g722, --opus, --no-mp3, --work-dir, ...]
//
// Exit status: 0 when the aim was met, 1 when the run completed without meeting it, 2 on error.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, UsageError, commonOptions } from './loadgen/options.js';
import { CAPACITY_OPTIONS, capacitySettings } from './capacity/options.js';
import { describe } from './loadgen/describe.js';
import { reapedChildrenCpuSec } from './loadgen/proc-extra.js';
import { RtpSender, SENDER_NICE } from './loadgen/rtp-sender.js';
import { listSince, runLoad, type LoadPlan, type LoadResult } from './loadgen/run.js';
import { externalTarget, pinProcesses, startTarget, type Target } from './loadgen/target.js';
import { judgeStep, stepSeconds, type StepVerdict } from './capacity/step-verdict.js';
import { capacityMarkdown, type CapacityReport, type StepRecord } from './capacity/report.js';

const AIM = { direct: 1000, rtpengine: 500, rssMiB: 1024, byeToAvailableP95Ms: 2000 };

const USAGE =
  'usage: node dist/bench/capacity.js [--quick] [--relay direct|rtpengine] [--levels 250,500,...] [--step-seconds 30] [--hold-minutes 5] ' +
  '[--rate 100] [--budget-minutes 14] [--out DIR] [--transport udp|tcp] [--codec PCMU|PCMA] [--g722 PCT] [--opus PCT] [--no-mp3] [--pin] [--work-dir DIR] [--keep]';

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
      : await startTarget({ relay: o.relay, maxCalls: Math.max(...levels), workParent: o.workParent, logLevel: o.logLevel, mp3: o.mp3, keep: o.keep });
    if (o.pin && !pinProcesses(target, [process.pid, sender.pid])) log('could not pin every process (taskset)');
    log(`capacity: ${o.pin ? 'pinned (recorder on CPU 0, the rest on CPU 1), ' : ''}RTP sender at ${sender.prioritised ? `nice ${SENDER_NICE}` : 'default priority'}, ${target.relay} appliance${target.workDir ? ` in ${target.workDir}` : ''}; levels ${levels.join(', ')} for ${stepSec} s each at ${rate} set-ups/s, then ${holdSec} s at the best; budget ${budgetSec} s`);
    const plan = (calls: number, hold: number): LoadPlan => ({
      calls, rate, holdSec: hold, transport: o.transport, g711: o.g711, g722Share: o.g722Share, opusShare: o.opusShare,
      impair: { lossPct: 0, jitterMs: 0, reorderPct: 0 }, latencySample: o.latencySample, checkAudio: o.checkAudio, availableTimeoutSec: 90, pinned: o.pin,
    });
    const steps: StepRecord[] = [];
    const mp3 = { audioSec: 0, cpuSec: 0 };

    const runStep = async (kind: 'ramp' | 'refine' | 'hold', calls: number, hold: number, drainMp3: boolean): Promise<{ r: LoadResult; v: StepVerdict }> => {
      log(`${kind} step: ${calls} calls, ${hold} s with all up`);
      const since = new Date(Date.now() - 1000);
      const ff0 = target!.recorderPid ? reapedChildrenCpuSec(target!.recorderPid) : null;
      const r = await runLoad(target!, sender, plan(calls, hold), { log });
      const v = judgeStep(r);
      for (const l of describe(r)) log(l);
      log(v.held ? `${calls} calls: HELD` : `${calls} calls: NOT HELD: ${v.reasons.join('; ')}; ran out first: ${v.limit}`);
      let mp3Note: StepRecord['mp3'] = null;
      if (drainMp3 && o.mp3 && target!.recorderPid) {
        // Let the MP3 copies of this step finish before the next one, and count what they cost.
        const t = Date.now();
        const wanted = r.callsAnswered;
        let made = 0;
        while (Date.now() - t < 180_000) {
          const all = await listSince(target!.portal, since);
          made = [...all.values()].filter((it) => it.files.some((f) => f.format === 'mp3')).length;
          if (made >= wanted) break;
          await new Promise((res) => setTimeout(res, 1000));
        }
        const ff1 = reapedChildrenCpuSec(target!.recorderPid);
        if (ff0 !== null && ff1 !== null && made >= wanted && ff1 > ff0) {
          mp3.audioSec += r.audioSec;
          mp3.cpuSec += ff1 - ff0;
          mp3Note = { made, cpuSec: Math.round((ff1 - ff0) * 100) / 100, audioSec: r.audioSec, drainSec: Math.round((Date.now() - t) / 100) / 10 };
          log(`  MP3: ${made} copies, ${r.audioSec} s of audio for ${mp3Note.cpuSec} s of ffmpeg CPU, caught up ${mp3Note.drainSec} s after verification`);
        } else log(`  MP3: ${made} of ${wanted} copies made within 180 s`);
      }
      steps.push({ kind, calls, holdSec: hold, held: v.held, reasons: v.reasons, limit: v.limit, result: r, mp3: mp3Note });
      return { r, v };
    };

    const holdEstimate = (calls: number) => stepSeconds(calls, rate, holdSec, false);
    let best = 0;
    let firstFail: { calls: number; limit: string } | null = null;
    let stoppedBy: string | null = null;
    for (const calls of levels) {
      const need = stepSeconds(calls, rate, stepSec, o.mp3) + holdEstimate(calls);
      if (elapsed() + need > budgetSec) {
        stoppedBy = `time budget: a ${calls}-call step and the hold would end at ~${Math.round(elapsed() + need)} s of ${budgetSec} s`;
        log(`ramp stops: ${stoppedBy}`);
        break;
      }
      const { v } = await runStep('ramp', calls, stepSec, true);
      if (!v.held) {
        firstFail = { calls, limit: v.limit ?? '' };
        break;
      }
      best = calls;
    }
    // One step between the last level held and the first that failed, when there is room.
    if (firstFail && firstFail.calls - best >= 100) {
      const mid = Math.round((best + firstFail.calls) / 2 / 50) * 50;
      if (mid > best && mid < firstFail.calls && elapsed() + stepSeconds(mid, rate, stepSec, o.mp3) + holdEstimate(mid) <= budgetSec) {
        const { v } = await runStep('refine', mid, stepSec, true);
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
      const { v } = await runStep('hold', calls, holdSec, false);
      if (v.held) {
        held = steps.at(-1)!;
        break;
      }
    }
    // MP3 of full-length recordings: the copies of the last step made over a short window, and
    // the ffmpeg CPU reaped meanwhile (at most `workers` copies straddle the window's edges).
    let mp3Long: CapacityReport['mp3Long'] = null;
    const last = steps.at(-1);
    if (o.mp3 && last && target.recorderPid) {
      const windowSec = Math.max(5, Math.min(30, budgetSec - elapsed() - 10));
      const since = new Date(Date.now() - (last.result.wallSec + 5) * 1000);
      const count = async () => [...(await listSince(target!.portal, since)).values()].filter((it) => it.files.some((f) => f.format === 'mp3'));
      const before = await count();
      const cpu0 = reapedChildrenCpuSec(target.recorderPid);
      await new Promise((res) => setTimeout(res, windowSec * 1000));
      const after = await count();
      const cpu1 = reapedChildrenCpuSec(target.recorderPid);
      const seen = new Set(before.map((it) => it.id));
      const fresh = after.filter((it) => !seen.has(it.id));
      const audio = fresh.reduce((sum, it) => sum + (it.files.find((f) => f.format === 'wav')?.durationMs ?? 0) / 1000, 0);
      if (cpu0 !== null && cpu1 !== null && cpu1 > cpu0 && fresh.length > 0) {
        mp3Long = { files: fresh.length, audioSec: Math.round(audio), cpuSec: Math.round((cpu1 - cpu0) * 100) / 100, audioSecPerCpuSec: Math.round(audio / (cpu1 - cpu0)), windowSec };
        log(`MP3 of ${Math.round(audio / fresh.length)} s recordings: ${fresh.length} copies in ${windowSec} s, ${mp3Long.audioSecPerCpuSec} s of audio per ffmpeg CPU second`);
      }
    }

    const relay = target.relay === 'rtpengine' ? 'rtpengine' : 'direct';
    const aimCalls = relay === 'rtpengine' ? AIM.rtpengine : AIM.direct;
    const h = held?.result ?? null;
    const report: CapacityReport = {
      bench: 'capacity',
      date: new Date().toISOString(),
      relay: target.relay,
      transport: o.transport,
      codecs: { g711: o.g711, g722Pct: o.g722Share * 100, opusPct: o.opusShare * 100 },
      mp3Enabled: o.mp3,
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
      mp3AudioSecPerCpuSec: mp3.cpuSec > 0 ? Math.round(mp3.audioSec / mp3.cpuSec) : null,
      mp3Long,
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
