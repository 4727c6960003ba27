// One received RTP stream: its socket's packets placed on the session timeline, plus the
// RFC 3550 reception statistics (A.1 sequence tracking, A.3 loss, A.8 jitter).
import type { Socket } from 'node:dgram';
import { rtpPayloadEnd, rtpPayloadOffset, rtpPayloadType, rtpSequence, rtpSsrc, rtpTimestamp } from './rtp-header.js';
import type { StereoTimeline } from './stereo-timeline.js';

export interface StreamStats {
  packets: number;
  lost: number;
  jitterMs: number;
  late: number;
  duplicates: number;
  events: number;
  unknownPayload: number;
}

/** How far a timestamp may stray from wall-clock placement before the stream is re-anchored. */
const REANCHOR_SAMPLES = 8000 * 2;

export class RtpStream {
  private anchored = false;
  private ssrc = 0;
  private baseTs = 0;
  private basePos = 0;
  // RFC 3550 A.1 state of the current sender (SSRC); earlier senders are summed in prior*.
  private trackedSsrc = -1;
  private priorReceived = 0;
  private priorLost = 0;
  private baseSeq = 0;
  private maxSeq = 0;
  private cycles = 0;
  private received = 0;
  private jitter = 0; // in timestamp units
  private lastTransit = 0;
  private readonly recent = new Int32Array(64).fill(-1);
  private late = 0;
  private duplicates = 0;
  private events = 0;
  private unknownPayload = 0;

  constructor(
    readonly label: string,
    /** Mutable: a metadata update may move a stream to the other party's side. */
    public channel: 0 | 1,
    /** A stream the SRC mixed from several parties is written to both channels. */
    public mixed: boolean,
    readonly port: number,
    readonly socket: Socket,
    /** Decode table per payload type; payload types absent here are not audio. */
    private readonly tables: Map<number, Int16Array>,
    private readonly eventPayloadType: number | null,
    private readonly clockRate: number,
  ) {}

  /** The hot path: called once per datagram. `nowPos` is the wall-clock position in samples. */
  onPacket(buf: Buffer, nowPos: number, timeline: StereoTimeline): void {
    const offset = rtpPayloadOffset(buf);
    if (offset < 0) return;
    const pt = rtpPayloadType(buf);
    const seq = rtpSequence(buf);
    const slot = seq & 63;
    if (this.recent[slot] === seq && this.anchored && rtpSsrc(buf) === this.ssrc) {
      this.duplicates++;
      return;
    }
    this.recent[slot] = seq;
    this.track(seq, rtpTimestamp(buf), nowPos, rtpSsrc(buf));
    if (pt === this.eventPayloadType) {
      this.events++; // DTMF is an event, never audio
      return;
    }
    const table = this.tables.get(pt);
    if (!table) {
      this.unknownPayload++;
      return;
    }
    const end = rtpPayloadEnd(buf);
    const ts = rtpTimestamp(buf);
    const ssrc = rtpSsrc(buf);
    if (!this.anchored || ssrc !== this.ssrc) this.anchor(ssrc, ts, nowPos);
    let pos = this.basePos + ((ts - this.baseTs) | 0);
    if (pos > nowPos + REANCHOR_SAMPLES || pos < nowPos - REANCHOR_SAMPLES) {
      this.anchor(ssrc, ts, nowPos); // timestamp jump: trust the wall clock
      pos = this.basePos;
    }
    if (!timeline.mix8(this.mixed ? 0 : this.channel, pos, buf, offset, end, table)) this.late++;
    else if (this.mixed) timeline.mix8(1, pos, buf, offset, end, table);
  }

  private anchor(ssrc: number, ts: number, nowPos: number): void {
    this.anchored = true;
    this.ssrc = ssrc;
    this.baseTs = ts;
    this.basePos = nowPos;
  }

  /**
   * Sequence numbers count per sender: a new SSRC (re-INVITE, hold/unhold, SBC failover) or a
   * sender that restarts its numbering starts a new segment, and the old one's counts are kept.
   */
  private track(seq: number, ts: number, nowPos: number, ssrc: number): void {
    const delta = (seq - this.maxSeq) & 0xffff;
    if (this.received === 0 || ssrc !== this.trackedSsrc || (delta >= 3000 && delta <= 65536 - 100)) {
      this.closeSegment();
      this.trackedSsrc = ssrc;
      this.baseSeq = seq;
      this.maxSeq = seq;
      this.cycles = 0;
    } else if (delta < 3000) {
      if (seq < this.maxSeq) this.cycles += 65536;
      this.maxSeq = seq;
    }
    this.received++;
    const transit = nowPos * (this.clockRate / 8000) - ts;
    if (this.received > 1) {
      const d = Math.abs((transit - this.lastTransit) | 0);
      this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
  }

  private segmentLost(): number {
    const expected = this.received === 0 ? 0 : this.cycles + this.maxSeq - this.baseSeq + 1;
    return Math.max(0, expected - this.received);
  }

  private closeSegment(): void {
    this.priorReceived += this.received;
    this.priorLost += this.segmentLost();
    this.received = 0;
  }

  stats(): StreamStats {
    return {
      packets: this.priorReceived + this.received,
      lost: this.priorLost + this.segmentLost(),
      jitterMs: Math.round((this.jitter / this.clockRate) * 1000 * 100) / 100,
      late: this.late,
      duplicates: this.duplicates,
      events: this.events,
      unknownPayload: this.unknownPayload,
    };
  }
}
