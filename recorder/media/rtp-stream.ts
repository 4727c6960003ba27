// One received RTP stream, from datagram to timeline:
//   onPacket (per datagram, the hot path): header fields read in place, RFC 3550 statistics,
//     timestamp -> timeline position (re-anchoring on jumps, following clock drift), DTMF
//     detection, payload copied into the jitter buffer. No decoding, no allocation, no logging.
//   playout (per flush, every 250 ms): packets whose position is older than the session's
//     horizon leave the jitter buffer in sequence order, are decoded, converted to the file rate
//     and mixed into the timeline; gaps are concealed (loss), filled with comfort noise (CN) or
//     left silent (the sender paused); a talk spurt whose next packet is overdue at the horizon
//     is concealed right away ("expansion"), since the timeline cannot take it later.
// The session calls playout before it writes the timeline up to the same horizon.
import type { Socket } from 'node:dgram';
import { rtpPayloadEnd, rtpPayloadOffset, rtpSequence, rtpSsrc, rtpTimestamp } from './rtp-header.js';
import type { StereoTimeline } from './stereo-timeline.js';
import type { MixerCodec } from './codecs.js';
import { MAX_DECODED_SAMPLES, type AudioDecoder } from './decoder.js';
import { Resampler } from './resampler.js';
import { ReceptionStats, Arrival } from './reception-stats.js';
import { JitterBuffer, PacketKind, SLOTS } from './jitter-buffer.js';
import { PlayoutClock } from './playout-clock.js';
import { Concealment } from './concealment.js';
import { DtmfDetector } from './dtmf.js';
import { estimateMos } from './e-model.js';

/** Samples kept in memory before they are written: the reorder window. Later packets are late. */
export const JITTER_WINDOW_MS = 200;
/** A new sender or a timestamp jump continues right after the previous packet when that is this close to now. */
const SNAP_MS = 60;
/** Comfort noise lasts until the stream's next packet, at most this long after the last CN packet. */
const CN_HOLD_MS = 5000;
/** Gaps without lost packets up to this long inside a talk spurt (drift correction, timestamp slop) are concealed. */
const SMALL_GAP_MS = 10;
/** Packets outside the jitter window this long, timestamps running on, mean the path's delay changed: follow it. */
const DELAY_STEP_SECONDS = 1;
/** A pause in arrivals this long marks the next packet as the end of a gap (the no-RTP check's resume time). */
const ARRIVAL_GAP_MS = 500;
/** prevKind after the playout ran out of packets inside a talk spurt and concealed up to the horizon. */
const EXPANDED = 10;

// Decode and conversion scratch shared by every stream: playout runs synchronously.
const decoded = new Int16Array(MAX_DECODED_SAMPLES);
const converted = new Int16Array(MAX_DECODED_SAMPLES * 2);
const fill = new Int16Array(MAX_DECODED_SAMPLES * 2);

export interface StreamStats {
  /** Packets received (duplicates not counted). */
  packets: number;
  /** Packets the sequence numbers say were sent (RFC 3550 A.3), per sender segment. */
  expected: number;
  lost: number;
  lossRate: number;
  /** Worst loss rate over 20 s windows of the stream. */
  maxLossRate20s: number;
  duplicates: number;
  /** Arrived after a packet with a higher sequence number. */
  reordered: number;
  /** Arrived after their place on the timeline was written (concealed, then discarded). */
  late: number;
  /** RFC 3550 interarrival jitter averaged over the stream, and its maximum, ms. */
  jitterMs: number;
  jitterMaxMs: number;
  /** Audio synthesised for lost, late or missing samples inside talk spurts. */
  concealedMs: number;
  /** Concealed samples / (decoded + concealed samples). */
  concealedRatio: number;
  /** ITU-T G.107 estimate for the recording leg; null without packets. */
  estMos: number | null;
  /** DTMF key presses (RFC 4733). */
  events: number;
  unknownPayload: number;
  /** Times the stream was re-anchored to the wall clock (timestamp jumps, delay steps beyond the jitter window). */
  reanchors: number;
}

export interface StreamOptions {
  label: string;
  channel: 0 | 1;
  mixed: boolean;
  port: number;
  socket: Socket;
  codec: MixerCodec;
  payloadType: number;
  eventPayloadType: number | null;
  /** Clock of the telephone-event rtpmap (RFC 4733 wants it equal to the audio clock). */
  eventClockRate: number;
  cnPayloadType: number | null;
  /** The session file's sample rate. */
  fileRate: number;
}

/** A key press at timeline position `pos`. */
export type DtmfListener = (pos: number, details: { digit: string; durationMs: number; label: string }) => void;

export class RtpStream {
  readonly label: string;
  /** Mutable: a metadata update may move a stream to the other party's side. */
  channel: 0 | 1;
  /** A stream the SRC mixed from several parties is written to both channels. */
  mixed: boolean;
  readonly port: number;
  readonly socket: Socket;
  readonly codec: MixerCodec;
  onDtmf: DtmfListener | null = null;
  /**
   * Arrival position of the newest RTP packet, and of the first one after a pause in arrivals of
   * ARRIVAL_GAP_MS or more (or the first ever); -1 before any. Read by the no-RTP check.
   */
  lastArrival = -1;
  gapEnd = -1;

  private readonly fileRate: number;
  private readonly audioPt: number;
  private readonly eventPt: number;
  private readonly cnPt: number;
  private readonly eventClockRate: number;
  private readonly decoder: AudioDecoder;
  private readonly resampler: Resampler | null;
  private readonly toFile: number;
  private readonly rx: ReceptionStats;
  private readonly clock: PlayoutClock;
  private readonly jb = new JitterBuffer();
  private readonly plc: Concealment;
  private readonly dtmf: DtmfDetector;
  private readonly maxLateness: number;
  private readonly snap: number;
  private readonly smallGap: number;
  private readonly arrivalGap: number;

  // Arrival side: the newest in-order audio packet.
  private lastExt = -1;
  private lastEnd = -1;
  private lastDuration = 0;
  /** Since when in-order packets arrive outside the jitter window with consistent timestamps (-1: they do not). */
  private offsideSince = -1;
  private nowPos = 0;
  // Playout side.
  private cursor = -1;
  private lastPlayedExt = -1;
  private prevKind: PacketKind | typeof EXPANDED | -1 = -1;
  private lastFrame = 0;
  private cnLevel = -1;
  private cnUntil = 0;
  /** Where the current expansion started, and where the last one ended (audio before it came too late). */
  private expandedFrom = -1;
  private expandedUntil = -1;
  // Counters.
  private late = 0;
  private unknownPayload = 0;
  private malformed = 0;
  private audioSamples = 0;
  private concealed = 0;

  constructor(o: StreamOptions) {
    this.label = o.label;
    this.channel = o.channel;
    this.mixed = o.mixed;
    this.port = o.port;
    this.socket = o.socket;
    this.codec = o.codec;
    this.fileRate = o.fileRate;
    this.audioPt = o.payloadType;
    this.eventPt = o.eventPayloadType ?? -1;
    this.cnPt = o.cnPayloadType ?? -1;
    this.eventClockRate = o.eventClockRate;
    this.decoder = o.codec.createDecoder();
    this.resampler = Resampler.between(this.decoder.sampleRate, o.fileRate);
    this.toFile = o.fileRate / this.decoder.sampleRate;
    this.rx = new ReceptionStats(o.fileRate, o.codec.clockRate);
    this.clock = new PlayoutClock(o.fileRate, o.codec.clockRate);
    this.plc = new Concealment(o.fileRate);
    this.dtmf = new DtmfDetector((ts, digit, durationTs) => this.reportDtmf(ts, digit, durationTs));
    this.maxLateness = (JITTER_WINDOW_MS * o.fileRate) / 1000;
    this.snap = (SNAP_MS * o.fileRate) / 1000;
    this.smallGap = (SMALL_GAP_MS * o.fileRate) / 1000;
    this.arrivalGap = (ARRIVAL_GAP_MS * o.fileRate) / 1000;
  }

  /** Timeline position up to which this stream has written (-1 before its first packet). */
  get writtenEnd(): number {
    return this.cursor;
  }

  /** Timeline position just after the newest in-order audio packet (-1 before the first). */
  get arrivalEnd(): number {
    return this.lastEnd;
  }

  /** The hot path: called once per datagram. `nowPos` is the wall-clock timeline position. */
  onPacket(buf: Buffer, nowPos: number, timeline: StereoTimeline): void {
    const offset = rtpPayloadOffset(buf);
    if (offset < 0) {
      this.malformed++;
      return;
    }
    const end = rtpPayloadEnd(buf);
    if (end < offset) {
      this.malformed++;
      return;
    }
    this.nowPos = nowPos;
    if (this.lastArrival < 0 || nowPos - this.lastArrival >= this.arrivalGap) this.gapEnd = nowPos;
    this.lastArrival = nowPos;
    const pt = buf[1]! & 0x7f;
    const ts = rtpTimestamp(buf);
    const arrival = this.rx.receive(rtpSequence(buf), rtpSsrc(buf), nowPos);
    if (arrival === Arrival.Duplicate) return;
    const ext = this.rx.ext;
    if (this.rx.newSegment || !this.clock.anchored) this.startSegment(ts, ext, nowPos, timeline);

    let kind: PacketKind;
    let pos: number;
    if (pt === this.audioPt) {
      kind = PacketKind.Audio;
      pos = this.clock.position(ts, ext);
      if (arrival !== Arrival.InOrder && pos > nowPos + this.maxLateness) {
        this.late++; // a straggler whose timestamp fits no mapping: nowhere sensible to put it
        return;
      }
      if (arrival === Arrival.InOrder) {
        const lateness = nowPos - pos;
        // Does the timestamp continue the previous packet's (allowing for lost packets between)?
        const seqGap = ext - this.lastExt;
        const consistent = this.lastExt >= 0 && seqGap < 50 && Math.abs(pos - (this.lastEnd + (seqGap - 1) * this.lastDuration)) <= this.smallGap;
        if (!consistent && (lateness > this.maxLateness || lateness < -this.maxLateness)) {
          // A timestamp jump: continue right after the previous packet when the numbering is
          // contiguous (and that is about now), else at the arrival position.
          pos = seqGap === 1 && Math.abs(this.lastEnd - nowPos) <= this.snap ? this.lastEnd : nowPos;
          this.reanchor(ts, pos, ext);
        } else if (lateness > this.maxLateness || lateness < -this.maxLateness) {
          // The timestamps run on but the packets arrive outside the window: a delay spike (these
          // packets are late, the stream keeps its place next to the other legs) or, when it lasts,
          // a delay step (or a stall of ours): then the stream moves to the new delay.
          if (this.offsideSince < 0) this.offsideSince = nowPos;
          else if (nowPos - this.offsideSince >= this.fileRate * DELAY_STEP_SECONDS) {
            pos = nowPos;
            this.reanchor(ts, pos, ext);
          }
        } else {
          this.offsideSince = -1;
          if (this.clock.settling) pos = this.settle(pos, nowPos);
          pos += this.clock.track(pos, nowPos);
        }
        this.lastExt = ext;
        this.lastDuration = this.decoder.samples(buf, offset, end) * this.toFile;
        this.lastEnd = pos + this.lastDuration;
      }
      this.rx.updateJitter(nowPos, ts);
    } else {
      pos = this.clock.position(ts, ext);
      // Only audio re-anchors the mapping; a control packet with a wild timestamp must not hold
      // up the jitter buffer (it releases in sequence order), so it waits at its arrival position.
      if (pos > nowPos + this.maxLateness || pos < nowPos - 10 * this.maxLateness) pos = nowPos;
      if (pt === this.eventPt) {
        kind = PacketKind.Event;
        this.dtmf.onPacket(ts, buf, offset, end); // DTMF is an event, never audio
      } else if (pt === this.cnPt) {
        kind = PacketKind.ComfortNoise;
      } else {
        kind = PacketKind.Other;
        this.unknownPayload++;
      }
    }
    if (this.jb.overflows(ext)) {
      // More packets waiting than slots (very short packet times): play the oldest out early.
      this.playout(timeline, -Infinity, ext - SLOTS + 1);
      this.jb.advanceTo(ext - SLOTS + 1);
    }
    if (!this.jb.insert(ext, pos, kind, buf, offset, end) && kind === PacketKind.Audio) this.late++;
  }

  /**
   * The stream's first packets: one earlier than the mapping says shows the anchor packet was
   * handled late. The mapping and the packets held move back to it, as far as they can without
   * going before what was written already (or the start of the file). Returns the new `pos`.
   */
  private settle(pos: number, nowPos: number): number {
    const wanted = this.clock.settleShift(pos, nowPos);
    if (wanted === 0) return pos;
    const floor = Math.max(this.cursor, 0);
    const limit = Math.min(0, floor - Math.min(this.jb.earliestPos(), pos));
    const shift = Math.max(wanted, limit);
    if (shift < 0) {
      this.jb.shift(shift);
      if (this.lastEnd >= 0) this.lastEnd += shift;
    }
    this.clock.settle(shift, wanted);
    return pos + shift;
  }

  /** Samples drift correction added (positive) or dropped (negative) in this stream. */
  get driftCorrection(): number {
    return this.clock.driftCorrection;
  }

  private reanchor(ts: number, pos: number, ext: number): void {
    this.clock.anchor(ts, pos, ext, false);
    this.rx.resetTransit();
    this.offsideSince = -1;
  }

  /** A new sender (SSRC) or restarted numbering: the old one's packets are played out, state reset. */
  private startSegment(ts: number, ext: number, nowPos: number, timeline: StereoTimeline): void {
    const continuing = this.clock.anchored;
    if (continuing) {
      this.playout(timeline, Infinity, Infinity, nowPos);
      this.dtmf.finish();
      this.jb.reset();
      this.decoder.reset();
      this.resampler?.reset();
      this.lastPlayedExt = -1;
      this.lastExt = -1;
      this.offsideSince = -1;
    }
    const snapped = continuing && this.lastEnd >= 0 && Math.abs(this.lastEnd - nowPos) <= this.snap;
    // Only an anchor at the arrival position can have been handled late (a snapped one continues
    // the previous sender's audio).
    this.clock.anchor(ts, snapped ? this.lastEnd : nowPos, ext, true, !snapped);
  }

  /**
   * Releases what is due before `horizon` (or numbered below `below`) into the timeline. Comfort
   * noise after the last packet runs up to `noiseUntil` (the horizon, or now when forced).
   */
  playout(timeline: StereoTimeline, horizon: number, below = -Infinity, noiseUntil = horizon): void {
    for (;;) {
      const slot = this.jb.release(horizon, below);
      if (slot < 0) break;
      this.play(slot, this.jb.lastReleased, timeline);
    }
    if (this.cursor < 0) return;
    if (this.cnLevel >= 0 && this.prevKind === PacketKind.ComfortNoise) {
      const until = Math.min(noiseUntil, this.cnUntil);
      if (until > this.cursor) this.writeNoise(timeline, this.cursor, until - this.cursor);
    } else if (horizon !== Infinity && this.cursor < horizon) {
      // The next packet is overdue by the whole jitter window: lost, late, or the talk spurt
      // ended. Conceal now, while the timeline can still take it (the fade ends in silence); what
      // it was shows when the next packet comes, and only loss or lateness counts as concealed.
      if (this.prevKind === PacketKind.Audio) {
        this.prevKind = EXPANDED;
        this.expandedFrom = this.cursor;
      }
      if (this.prevKind === EXPANDED) {
        this.writeConcealment(timeline, this.cursor, horizon - this.cursor, this.cursor - this.expandedFrom);
        this.cursor = this.expandedUntil = horizon;
      }
    }
  }

  /** End of the call at `nowPos`: everything held is written, a DTMF without end packets is reported. */
  finish(timeline: StereoTimeline, nowPos: number): void {
    this.playout(timeline, Infinity, Infinity, nowPos);
    this.dtmf.finish();
  }

  private play(slot: number, ext: number, timeline: StereoTimeline): void {
    const jb = this.jb;
    const p = jb.pos[slot]!;
    const kind = jb.kind[slot]! as PacketKind;
    const lostBefore = this.lastPlayedExt >= 0 ? ext - this.lastPlayedExt - 1 : 0;
    this.lastPlayedExt = ext;
    if (this.cursor >= 0 && p > this.cursor) this.fillGap(timeline, p - this.cursor, lostBefore);
    if (kind === PacketKind.Audio) {
      this.writeAudio(timeline, p, jb.offset(slot), jb.len[slot]!);
      this.cnLevel = -1;
    } else if (kind === PacketKind.ComfortNoise) {
      // RFC 3389 §3: the first payload byte is the noise level in -dBov (0..127).
      this.cnLevel = jb.len[slot]! > 0 ? jb.slab[jb.offset(slot)]! & 0x7f : 127;
      this.cnUntil = p + (CN_HOLD_MS * this.fileRate) / 1000;
      if (this.cursor < p) this.cursor = p;
    } else {
      this.cnLevel = -1;
      if (this.cursor < p) this.cursor = p;
    }
    this.prevKind = kind;
  }

  /** The timeline from the cursor to the next packet: concealment, comfort noise or silence. */
  private fillGap(timeline: StereoTimeline, gap: number, lostBefore: number): void {
    const from = this.cursor;
    if (this.prevKind === PacketKind.ComfortNoise && this.cnLevel >= 0) {
      const n = Math.min(gap, this.cnUntil - from);
      if (n > 0) this.writeNoise(timeline, from, n);
    } else if (this.prevKind === PacketKind.Audio || this.prevKind === EXPANDED) {
      // After an expansion the concealment goes on where it stopped (it stood in for part of it).
      const done = this.prevKind === EXPANDED ? from - this.expandedFrom : 0;
      if (lostBefore > 0) {
        this.writeConcealment(timeline, from, Math.min(gap, lostBefore * this.lastFrame), done);
        this.concealed += lostBefore * this.lastFrame;
      } else if (gap <= this.smallGap) {
        this.writeConcealment(timeline, from, gap, done);
        this.concealed += gap;
      }
    }
    this.cursor = from + gap;
  }

  private writeAudio(timeline: StereoTimeline, p: number, offset: number, len: number): void {
    // (A payload too big for the scratch is cut to it: typed arrays ignore writes past their end.)
    const n = Math.min(this.decoder.decode(this.jb.slab, offset, offset + len, decoded), decoded.length);
    if (n === 0) return; // undecodable: the next packet conceals its gap
    let src = decoded;
    let m = n;
    if (this.resampler) {
      m = this.resampler.process(decoded, n, converted);
      src = converted;
    }
    // Overlap with what this stream wrote already: a sample or two after a drift correction, or
    // an expansion that stood in for this packet while it was late (decoded anyway: decoder state).
    const skip = this.cursor > p ? this.cursor - p : 0;
    const expanded = p < this.expandedUntil;
    if (expanded) {
      this.late++;
      this.concealed += Math.min(this.expandedUntil - p, m);
    }
    if (skip < m) {
      if (this.mixIn(timeline, p + skip, src, skip, m - skip)) this.audioSamples += m - skip;
      else if (!expanded) this.late++;
    }
    this.plc.remember(src, 0, m);
    this.lastFrame = m;
    if (this.cursor < p + m) this.cursor = p + m;
  }

  /** `n` samples of concealment at `from`, `done` samples into it. Past the fade it is silence, which is there already. */
  private writeConcealment(timeline: StereoTimeline, from: number, n: number, done = 0): void {
    const count = Math.min(n, fill.length, this.plc.fadeSamples - done);
    if (count <= 0) return;
    this.plc.conceal(fill, count, done);
    this.mixIn(timeline, from, fill, 0, count);
  }

  private writeNoise(timeline: StereoTimeline, from: number, n: number): void {
    for (let done = 0; done < n; ) {
      const chunk = Math.min(n - done, fill.length);
      this.plc.noise(fill, chunk, this.cnLevel);
      this.mixIn(timeline, from + done, fill, 0, chunk);
      done += chunk;
    }
    this.cursor = from + n;
  }

  private mixIn(timeline: StereoTimeline, pos: number, src: Int16Array, from: number, count: number): boolean {
    if (this.mixed) {
      const a = timeline.mix(0, pos, src, from, count);
      return timeline.mix(1, pos, src, from, count) || a;
    }
    return timeline.mix(this.channel, pos, src, from, count);
  }

  private reportDtmf(startTs: number, digit: string, durationTs: number): void {
    if (!this.onDtmf) return;
    // The event's timestamp is its start. With a telephone-event clock unlike the audio clock the
    // mapping does not apply; then the start is estimated from arrival and duration.
    const durationMs = Math.round((durationTs * 1000) / this.eventClockRate);
    const pos =
      this.eventClockRate === this.codec.clockRate
        ? this.clock.position(startTs, this.rx.ext)
        : Math.max(0, this.nowPos - Math.round((durationMs * this.fileRate) / 1000));
    this.onDtmf(Math.max(0, pos), { digit, durationMs, label: this.label });
  }

  stats(): StreamStats {
    const rx = this.rx;
    const expected = rx.expected;
    const lost = rx.lost;
    const jitter = rx.jitterMs();
    const written = this.audioSamples + this.concealed;
    const packetMs = this.lastFrame > 0 ? (this.lastFrame * 1000) / this.fileRate : 20;
    const effectiveLoss = expected > 0 ? Math.min(1, (lost + this.late) / expected) : 0;
    return {
      packets: rx.received,
      expected,
      lost,
      lossRate: round(expected > 0 ? lost / expected : 0, 4),
      maxLossRate20s: round(rx.maxWindowLossRate(), 4),
      duplicates: rx.duplicates,
      reordered: rx.reordered,
      late: this.late,
      jitterMs: round(jitter.avg, 2),
      jitterMaxMs: round(jitter.max, 2),
      concealedMs: Math.round((this.concealed * 1000) / this.fileRate),
      concealedRatio: round(written > 0 ? this.concealed / written : 0, 4),
      estMos: rx.received > 0 ? estimateMos(this.codec.encoding, effectiveLoss, jitter.avg, packetMs) : null,
      events: this.dtmf.events,
      unknownPayload: this.unknownPayload + this.malformed,
      reanchors: this.clock.reanchors,
    };
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
