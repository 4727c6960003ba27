// Verification of load-generator calls through the portal API, as an admin would see them: the
// interaction exists and is available, each stream got every packet we sent (minus the ones we
// dropped on purpose) with nothing late and no concealment beyond our own drops, the file's length
// matches the call, and each channel carries its leg's tone in the middle and near the end.
import type { PortalClient } from '../../test/support/appliance.js';
import { TONE_MIN_PURITY, TONE_MIN_PURITY_IMPAIRED, judgeChannel, phaseSteps, readTone, type ToneVerdict } from './tone-check.js';
import { parseWavHeader, splitChannels, windowRange } from './wav-window.js';

export interface ApiStream {
  label: string;
  channel: number;
  codec: string | null;
  packets: number;
  lost: number;
  late: number;
  concealedMs: number;
  reordered: number;
  duplicates: number;
  jitterMaxMs: number;
}

export interface ApiInteraction {
  id: string;
  callId: string;
  status: string;
  durationMs: number | null;
  streams: ApiStream[];
  files: Array<{ format: string; sampleRate: number; channels: number; durationMs: number; bytes: number }>;
}

/** What the sender did on one leg (see StreamReport). */
export interface LegSent {
  label: string;
  channel: number;
  freq: number;
  sent: number;
  dropped: number;
  reordered: number;
  /** How late we sent the stream's first packet, ms (the recorder anchors on it). */
  firstLateMs: number;
}

export interface CallExpectation {
  callId: string;
  legs: [LegSent, LegSent];
  /** From the 200 to the BYE, seconds: what the recording should span. */
  callSec: number;
  /** Jitter or reordering was induced. */
  impaired: boolean;
}

/** Recorder-side shortfalls, summed per call (our own induced drops excluded). */
export interface StreamShortfall {
  /** Packets we sent that the recorder did not count as received. */
  notReceived: number;
  /** lost beyond the packets we dropped on purpose. */
  lost: number;
  late: number;
  /** Concealment beyond 20 ms per packet we dropped. */
  concealedMs: number;
}

export interface CallVerdict {
  causes: string[];
  shortfall: StreamShortfall;
  durationSec: number | null;
  hasMp3: boolean;
}

/** Allowed difference between the WAV's length and the 200-to-BYE time. */
export const DURATION_TOLERANCE_SEC = 0.5;

/** With jitter or reordering induced, the playout clock may conceal a little while it follows: this much per stream is not the recorder's fault. */
export const IMPAIRED_CONCEALMENT_SLACK_MS = 20;

/** Checks the catalog's view of a call (no audio): streams and duration. */
export function checkInteraction(it: ApiInteraction, exp: CallExpectation): CallVerdict {
  const causes: string[] = [];
  const shortfall: StreamShortfall = { notReceived: 0, lost: 0, late: 0, concealedMs: 0 };
  if (it.status !== 'available') causes.push(`status-${it.status}`);
  if (it.streams.length !== exp.legs.length) causes.push('stream-count');
  for (const leg of exp.legs) {
    const s = it.streams.find((x) => x.label === leg.label);
    if (!s) {
      causes.push('stream-missing');
      continue;
    }
    if (s.channel !== leg.channel) causes.push('channel-assignment');
    shortfall.notReceived += Math.max(0, leg.sent - s.packets);
    shortfall.lost += Math.max(0, s.lost - leg.dropped);
    shortfall.late += s.late;
    shortfall.concealedMs += Math.max(0, s.concealedMs - 20 * leg.dropped - (exp.impaired ? IMPAIRED_CONCEALMENT_SLACK_MS : 0));
  }
  if (shortfall.notReceived > 0) causes.push('packets-not-received');
  if (shortfall.lost > 0) causes.push('recorder-lost');
  if (shortfall.late > 0) causes.push('recorder-late');
  if (shortfall.concealedMs > 0) causes.push('recorder-concealed');
  const wav = it.files.find((f) => f.format === 'wav');
  const durationSec = wav ? wav.durationMs / 1000 : null;
  if (it.status === 'available') {
    if (!wav) causes.push('no-wav');
    else if (wav.channels !== 2) causes.push('not-stereo');
    else if (Math.abs(durationSec! - exp.callSec) > DURATION_TOLERANCE_SEC) causes.push('duration');
  }
  return { causes, shortfall, durationSec, hasMp3: it.files.some((f) => f.format === 'mp3') };
}

async function range(portal: PortalClient, id: string, start: number, end: number): Promise<Buffer> {
  const res = await portal.fetch(`/api/v1/interactions/${id}/media?format=wav`, { headers: { range: `bytes=${start}-${end}` } });
  if (res.status !== 206 && res.status !== 200) throw new Error(`media ${id}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  return res.status === 200 ? body.subarray(start, end + 1) : body;
}

/**
 * Tone causes ('tone-<channel>-<verdict>') from a window in the middle and one near the end, and
 * what was read where a check failed (for the log).
 */
export async function checkTones(portal: PortalClient, it: ApiInteraction, exp: CallExpectation): Promise<{ causes: string[]; details: string[] }> {
  const head = parseWavHeader(await range(portal, it.id, 0, 1023));
  const total = head.dataBytes / (head.channels * 2) / head.sampleRate;
  const windowSec = 0.5; // 25 packets: whole 20 ms periods keep the plan tones orthogonal
  const causes = new Set<string>();
  const details: string[] = [];
  for (const at of [total / 2 - windowSec / 2, total - 1 - windowSec]) {
    if (at < 0) continue;
    const r = windowRange(head, Math.round(at * 50) / 50, windowSec);
    const ch = splitChannels(await range(portal, it.id, r.start, r.end), head.channels);
    for (const leg of exp.legs) {
      const other = exp.legs.find((l) => l !== leg)!;
      const samples = ch[leg.channel]!;
      const reading = readTone(samples, head.sampleRate);
      const steps = phaseSteps(samples, head.sampleRate, leg.freq);
      const v: ToneVerdict = judgeChannel(reading, leg.freq, other.freq, exp.impaired ? TONE_MIN_PURITY_IMPAIRED : TONE_MIN_PURITY, steps);
      // Induced jitter delays first packets too: walking such a stream back is the recorder's job.
      if (v === 'ok' || (v === 'time-stepped' && exp.impaired)) continue;
      const cause = `tone-${leg.channel === 0 ? 'left' : 'right'}-${v}`;
      causes.add(cause);
      details.push(`${cause} at ${at.toFixed(2)} s: ${reading.freq} Hz (want ${leg.freq}) purity ${reading.purity.toFixed(2)} phase step ${steps.stepRad.toFixed(2)} rad/20 ms over ${Math.round(100 * steps.share)} % (consistency ${steps.consistency.toFixed(2)}) rms ${Math.round(reading.rms)} (${it.streams[leg.channel]?.codec ?? '?'} ${head.sampleRate} Hz; first packet sent ${leg.firstLateMs} ms late)`);
    }
  }
  return { causes: [...causes], details };
}
