// RFC 3550 reception statistics of one stream: sequence tracking with extended sequence numbers
// (A.1), expected and lost packets (A.3), interarrival jitter (A.8), plus what a recorder wants on
// top: duplicates and reordered packets counted apart, and the worst loss over 20 s windows.
//
// Sequence numbers count per sender: a new SSRC (re-INVITE, hold/unhold, SBC failover) or a sender
// that restarts its numbering starts a new segment, and the old segment's counts are kept.

/** RFC 3550 A.1: a jump of this many or more is a restart, not loss. */
const MAX_DROPOUT = 3000;
/** ... and a packet up to this many behind the highest is reordered (or a duplicate). */
const MAX_MISORDER = 100;
const RECENT = 128;

export const LOSS_WINDOW_SECONDS = 20;

/** What receive() made of a packet. */
export const enum Arrival {
  InOrder = 0,
  Reordered = 1,
  Duplicate = 2,
}

export class ReceptionStats {
  /** Set by receive() when the packet started a new segment (new SSRC or restarted numbering). */
  newSegment = false;
  /** Extended sequence number of the last packet receive() accepted (per segment). */
  ext = 0;
  duplicates = 0;
  reordered = 0;

  private started = false;
  private ssrc = 0;
  private baseExt = 0;
  private maxExt = 0;
  private segReceived = 0;
  private priorExpected = 0;
  private priorReceived = 0;
  /** Extended numbers seen lately, for duplicate detection. */
  private readonly recent = new Float64Array(RECENT).fill(-1);

  // A.8 jitter in timestamp units; averaged and maxed over the packets it was updated on.
  private jitter = 0;
  private lastTransit = 0;
  private haveTransit = false;
  private jitterSum = 0;
  private jitterCount = 0;
  private jitterMax = 0;

  // Loss per window of LOSS_WINDOW_SECONDS of arrival time.
  private windowEnd = -1;
  private windowExpected = 0;
  private windowReceived = 0;
  private worstWindowLoss = -1;

  constructor(
    /** Timeline samples per second (the file rate): arrival positions are in these units. */
    private readonly fileRate: number,
    /** RTP timestamp units per second. */
    private readonly clockRate: number,
  ) {}

  /** Classifies a packet and updates the counts. `ext` holds its extended sequence number. */
  receive(seq: number, ssrc: number, nowPos: number): Arrival {
    this.newSegment = false;
    let ext: number;
    if (!this.started || ssrc !== this.ssrc) {
      ext = this.startSegment(seq, ssrc);
    } else {
      const udelta = (seq - this.maxExt) & 0xffff;
      if (udelta < MAX_DROPOUT) ext = this.maxExt + udelta;
      else if (udelta > 0x10000 - MAX_MISORDER) ext = this.maxExt - (0x10000 - udelta);
      else ext = this.startSegment(seq, ssrc);
    }
    this.ext = ext;
    const slot = ext & (RECENT - 1);
    if (this.recent[slot] === ext) {
      this.duplicates++;
      return Arrival.Duplicate;
    }
    this.recent[slot] = ext;
    this.segReceived++;
    this.tickWindow(nowPos);
    if (ext > this.maxExt) {
      this.maxExt = ext;
      return Arrival.InOrder;
    }
    if (ext === this.maxExt && this.segReceived === 1) return Arrival.InOrder;
    if (ext < this.baseExt) this.baseExt = ext;
    this.reordered++;
    return Arrival.Reordered;
  }

  private startSegment(seq: number, ssrc: number): number {
    if (this.started) {
      this.priorExpected += this.segExpected();
      this.priorReceived += this.segReceived;
      this.newSegment = true;
    }
    this.started = true;
    this.ssrc = ssrc;
    // Extended numbers start high so that reordered packets just before the first stay positive.
    const ext = 0x10000 + seq;
    this.baseExt = ext;
    this.maxExt = ext;
    this.segReceived = 0;
    this.recent.fill(-1);
    this.haveTransit = false;
    return ext;
  }

  /** A.8: `arrivalPos` in timeline samples, `ts` the packet's RTP timestamp. Audio packets only. */
  updateJitter(arrivalPos: number, ts: number): void {
    const transit = (arrivalPos * this.clockRate) / this.fileRate - ts;
    if (this.haveTransit) {
      let d = transit - this.lastTransit;
      // Timestamps wrap at 2^32: take the difference modulo 2^32, signed.
      if (d > 2147483648) d -= 4294967296;
      else if (d < -2147483648) d += 4294967296;
      this.jitter += (Math.abs(d) - this.jitter) / 16;
      this.jitterSum += this.jitter;
      this.jitterCount++;
      if (this.jitter > this.jitterMax) this.jitterMax = this.jitter;
    }
    this.lastTransit = transit;
    this.haveTransit = true;
  }

  /** Forget the transit of the previous packet (after a timestamp jump: its difference is not jitter). */
  resetTransit(): void {
    this.haveTransit = false;
  }

  private segExpected(): number {
    return this.segReceived === 0 ? 0 : this.maxExt - this.baseExt + 1;
  }

  get received(): number {
    return this.priorReceived + this.segReceived;
  }

  get expected(): number {
    return this.priorExpected + this.segExpected();
  }

  get lost(): number {
    return Math.max(0, this.expected - this.received);
  }

  private tickWindow(nowPos: number): void {
    if (this.windowEnd < 0) {
      this.windowEnd = nowPos + LOSS_WINDOW_SECONDS * this.fileRate;
      return;
    }
    if (nowPos < this.windowEnd) return;
    this.closeWindow(true);
    this.windowEnd = nowPos + LOSS_WINDOW_SECONDS * this.fileRate;
  }

  private closeWindow(full: boolean): void {
    const expected = this.expected - this.windowExpected;
    const received = this.received - this.windowReceived;
    // A partial last window counts when it is the only one, or long enough to mean something.
    if (full || this.worstWindowLoss < 0 || expected >= 250) {
      const rate = expected > 0 ? Math.max(0, expected - received) / expected : 0;
      if (rate > this.worstWindowLoss) this.worstWindowLoss = rate;
    }
    this.windowExpected = this.expected;
    this.windowReceived = this.received;
  }

  jitterMs(): { avg: number; max: number } {
    const toMs = 1000 / this.clockRate;
    return {
      avg: this.jitterCount ? (this.jitterSum / this.jitterCount) * toMs : 0,
      max: this.jitterMax * toMs,
    };
  }

  /** The worst loss rate over any 20 s window so far (the last, partial one included). */
  maxWindowLossRate(): number {
    const saved = [this.windowExpected, this.windowReceived, this.worstWindowLoss] as const;
    this.closeWindow(false);
    const worst = Math.max(0, this.worstWindowLoss);
    [this.windowExpected, this.windowReceived, this.worstWindowLoss] = saved;
    return worst;
  }
}
