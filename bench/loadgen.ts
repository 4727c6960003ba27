// SIPREC load generator: N concurrent recorded calls against the real appliance, each with two
// real-time RTP streams carrying a tone pair unique to the call, then every recording verified
// through the portal API. See bench/README.md.
//
//   node dist/bench/loadgen.js [--calls 100] [--rate 50] [--hold 30] [--transport udp|tcp]
//        [--relay direct|rtpengine] [--codec PCMU|PCMA] [--g722 PCT] [--opus PCT]
//        [--loss PCT] [--jitter MS] [--reorder PCT] [--latency-sample N] [--no-audio-check]
//        [--no-mp3] [--log-level warn] [--work-dir DIR] [--keep] [--sip HOST:PORT --portal URL]
//
// Exit status: 0 when every call was recorded and verified, 1 when some were not, 2 on error.
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, UsageError, commonOptions, num } from './loadgen/options.js';
import { RtpSender, SENDER_NICE } from './loadgen/rtp-sender.js';
import { runLoad } from './loadgen/run.js';
import { describe } from './loadgen/describe.js';
import { APPLIANCE_NICE, externalTarget, pinProcesses, prioritiseAppliance, startTarget, type Target } from './loadgen/target.js';

const USAGE =
  'usage: node dist/bench/loadgen.js [--calls 100] [--rate 50] [--hold 30] [--transport udp|tcp] [--relay direct|rtpengine] [--codec PCMU|PCMA] ' +
  '[--g722 PCT] [--opus PCT] [--loss PCT] [--jitter MS] [--reorder PCT] [--latency-sample N] [--no-audio-check] [--no-mp3] [--log-level warn] [--pin] [--priority] ' +
  '[--work-dir DIR] [--keep] [--sip HOST:PORT --portal URL]';

async function main(): Promise<number> {
  let raw;
  try {
    raw = parseArgs({ options: { ...COMMON_OPTIONS, calls: { type: 'string', default: '100' }, hold: { type: 'string', default: '30' } }, strict: true }).values;
  } catch (err) {
    console.error(`loadgen: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (raw.help) {
    console.log(USAGE);
    return 0;
  }
  let o, calls: number, hold: number, rate: number;
  try {
    o = commonOptions(raw);
    calls = num(raw, 'calls', { min: 1, integer: true });
    hold = num(raw, 'hold', { min: 1 });
    rate = num(raw, 'rate', { min: 0.1, fallback: 50 });
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`loadgen: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  let target: Target | null = null;
  const sender = RtpSender.start();
  const cleanup = async () => {
    sender.close();
    await target?.stop();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    target = o.external
      ? await externalTarget(o.external.sip, o.external.portal)
      : await startTarget({ relay: o.relay, maxCalls: calls, workParent: o.workParent, logLevel: o.logLevel, mp3: o.mp3, keep: o.keep });
    if (o.pin && !pinProcesses(target, [process.pid, sender.pid])) console.log('loadgen: could not pin every process (taskset)');
    if (o.priority && !prioritiseAppliance(target)) console.log(`loadgen: could not renice every appliance process to ${APPLIANCE_NICE}`);
    console.log(`loadgen: ${o.pin ? 'pinned (recorder on CPU 0, the rest on CPU 1), ' : ''}${o.priority ? `appliance at nice ${APPLIANCE_NICE}, ` : ''}RTP sender at ${sender.prioritised ? `nice ${SENDER_NICE}` : 'default priority'}, ${target.relay} appliance, SIP ${target.sipHost}:${target.sipPort}${target.workDir ? `, work dir ${target.workDir}` : ''}`);
    const result = await runLoad(
      target,
      sender,
      { calls, rate, holdSec: hold, transport: o.transport, g711: o.g711, g722Share: o.g722Share, opusShare: o.opusShare, impair: o.impair, latencySample: o.latencySample, checkAudio: o.checkAudio, availableTimeoutSec: 60, pinned: o.pin },
      { log: (l) => console.log(l) },
    );
    console.log('');
    for (const l of describe(result)) console.log(l);
    console.log(JSON.stringify({ bench: 'loadgen', ...result }));
    return result.callsFailed === 0 ? 0 : 1;
  } catch (err) {
    console.error(`loadgen: ${(err as Error).stack ?? err}`);
    return 2;
  } finally {
    await cleanup();
    if (o.keep && target?.workDir) console.log(`kept: ${target.workDir}`);
  }
}

process.exitCode = await main();
