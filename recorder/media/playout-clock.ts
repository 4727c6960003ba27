// Where a stream's RTP timestamps land on the session timeline (absolute samples at the file rate
// since the session started), and how that mapping follows the wall clock.
//
// The first packet anchors the mapping at its arrival position; after that, positions come from
// timestamps, so network jitter does not move audio. That first packet may have been handled late
// (our event loop was busy while it queued in the socket); then the packets after it look early.
// So for the first window after such an anchor the clock settles: a packet earlier than the
// mapping says by more than the dead band moves the mapping (and the stream moves the packets it
// holds) back to it, and so does every earlier packet after it in that window: the least-delayed
// one is on time. What the stream cannot move any more (audio already written) becomes the
// stream's zero, which drift correction leaves alone: a late anchor is never walked back sample by
// sample, which would play the audio fast for seconds. Two things would make the mapping wander:
// - a timestamp jump (sender restart, SBC failover, a broken mixer upstream): the stream re-anchors
//   at once (the caller decides where: right after the previous packet when the sequence numbers
//   are contiguous, else at the arrival position);
// - clock drift: an RTP clock a fraction of a percent fast or slow moves the stream away from the
//   wall clock (and from the other leg) by seconds per hour. The clock measures, per one-second
//   window, the smallest lateness of the packets (arrival minus position: the least-delayed packet
//   shows the true offset, jitter only adds) as it would be without corrections, fits the drift
//   rate over the last few windows, and keeps the mapping on that line: once the error exceeds a
//   dead band of 20 ms it walks back by at most MAX_STEP samples per packet. A fast sender loses, a slow one
//   gains a sample now and then (the stream bridges such gaps), which nobody hears, instead of
//   jumping by whole packets.

const WINDOW_SECONDS = 1;
/**
 * Offsets up to this (in seconds) are left alone: an anchor packet that came in a little late or
 * early is harmless, and every correction nudges the audio. Drift crosses it within seconds; from
 * then on the correction runs until the offset is under a sample.
 */
const DEAD_BAND_SECONDS = 0.02;

/** Windows the drift rate is fitted over. */
const HISTORY = 5;

export class PlayoutClock {
  anchored = false;
  private baseTs = 0;
  private basePos = 0;
  /** The mapping before the last re-anchor, for reordered packets from before it. */
  private prevBaseTs = 0;
  private prevBasePos = 0;
  private anchorExt = 0;
  private readonly factor: number;
  private readonly windowSamples: number;
  private readonly deadBand: number;
  /** Largest correction per packet: 2 samples at 8 kHz (0.25 ms), enough for 1 % drift at 20 ms. */
  private readonly maxStep: number;
  private windowEnd = 0;
  private windowMin = Infinity;
  /** Minimum uncorrected lateness and the middle of its window, for the last HISTORY windows. */
  private readonly histMin = new Float64Array(HISTORY);
  private readonly histAt = new Float64Array(HISTORY);
  private histCount = 0;
  private slope = 0;
  private correcting = false;
  /** During the first window after an anchor at an arrival position: see settleShift. */
  settling = false;
  /** The settling found the anchor late (see settleShift). */
  private rebased = false;
  /** Lateness the settling could not take back (negative): the zero drift correction aims at. */
  private zero = 0;
  /** Correction in force since the anchor: positions are uncorrected + this. */
  private correction = 0;
  /** Samples added to (positive) or taken from (negative) the stream by drift correction, all anchors. */
  driftCorrection = 0;
  reanchors = 0;

  constructor(
    readonly fileRate: number,
    readonly clockRate: number,
  ) {
    this.factor = fileRate / clockRate;
    this.windowSamples = WINDOW_SECONDS * fileRate;
    this.deadBand = DEAD_BAND_SECONDS * fileRate;
    this.maxStep = Math.max(1, Math.round(fileRate / 4000));
  }

  /** Timeline position of timestamp `ts` of the packet with extended sequence number `ext`. */
  position(ts: number, ext: number): number {
    if (ext < this.anchorExt) return this.prevBasePos + Math.round(((ts - this.prevBaseTs) | 0) * this.factor);
    return this.basePos + Math.round(((ts - this.baseTs) | 0) * this.factor);
  }

  /**
   * Maps `ts` to `pos` from packet `ext` on (a new sender, a jump). `settle`: `pos` is this
   * packet's arrival position, and it may have been handled late (see settleShift).
   */
  anchor(ts: number, pos: number, ext: number, newSegment: boolean, settle = false): void {
    if (this.anchored && !newSegment) {
      this.prevBaseTs = this.baseTs;
      this.prevBasePos = this.basePos;
      this.anchorExt = ext;
      this.reanchors++;
    } else {
      this.anchorExt = 0;
    }
    this.anchored = true;
    this.baseTs = ts;
    this.basePos = pos;
    this.windowEnd = 0;
    this.windowMin = Infinity;
    this.histCount = 0;
    this.slope = 0;
    this.correcting = false;
    this.correction = 0;
    this.settling = settle;
    this.rebased = false;
    this.zero = 0;
  }

  /**
   * While settling: how far (negative, samples) the mapping should move so that the packet at
   * `pos` arriving at `nowPos` is on time; 0 when it is not early or the clock has settled.
   */
  settleShift(pos: number, nowPos: number): number {
    if (!this.settling || nowPos >= pos) return 0;
    // Early by less than the dead band is jitter or the first second of drift, which drift
    // correction handles as before; beyond it the anchor was late, and from then on the window
    // follows every earlier packet.
    if (!this.rebased && pos - nowPos <= this.deadBand) return 0;
    this.rebased = true;
    return nowPos - pos;
  }

  /**
   * The stream moved the mapping by `shift` (<= 0) of the `wanted` settleShift asked for; the rest
   * could not be moved and becomes the offset drift correction takes as zero. Neither is counted
   * as drift correction: no audio is dropped or synthesised.
   */
  settle(shift: number, wanted: number): void {
    this.basePos += shift;
    const rest = wanted - shift;
    // Lateness so far in this window, measured against the new mapping and zero.
    const newZero = Math.min(this.zero, rest);
    if (this.windowMin !== Infinity) this.windowMin += -shift - (newZero - this.zero);
    this.zero = newZero;
  }

  /**
   * Drift tracking, for each in-order audio packet at `pos` arriving at `nowPos`. Returns the
   * correction applied to this packet (and to the mapping from now on), in samples.
   */
  track(pos: number, nowPos: number): number {
    const raw = nowPos - pos + this.correction - this.zero;
    if (raw < this.windowMin) this.windowMin = raw;
    if (nowPos >= this.windowEnd) {
      if (this.windowEnd > 0) this.closeWindow(this.windowEnd - this.windowSamples / 2);
      this.windowEnd = nowPos + this.windowSamples;
      this.windowMin = Infinity;
      // Rebase on a recent packet, keeping the mapping (exact for the mixer's clock ratios):
      // timestamp differences stay far from 2^31 however long the call.
      this.baseTs = this.tsAt(pos);
      this.basePos = pos;
    }
    if (this.histCount === 0) return 0;
    const last = (this.histCount - 1) % HISTORY;
    const wanted = this.histMin[last]! + this.slope * (nowPos - this.histAt[last]!);
    const err = wanted - this.correction;
    if (!this.correcting) {
      if (Math.abs(err) <= this.deadBand) return 0;
      this.correcting = true;
    }
    if (Math.abs(err) < 1) {
      this.correcting = false;
      return 0;
    }
    const step = err > 0 ? Math.min(Math.round(err), this.maxStep) : Math.max(Math.round(err), -this.maxStep);
    this.correction += step;
    this.driftCorrection += step;
    this.basePos += step;
    return step;
  }

  private closeWindow(at: number): void {
    this.settling = false;
    const i = this.histCount % HISTORY;
    this.histMin[i] = this.windowMin;
    this.histAt[i] = at;
    this.histCount++;
    if (this.histCount >= 2) {
      const oldest = this.histCount > HISTORY ? this.histCount % HISTORY : 0;
      const span = at - this.histAt[oldest]!;
      this.slope = span > 0 ? (this.windowMin - this.histMin[oldest]!) / span : 0;
    }
  }

  private tsAt(pos: number): number {
    return (this.baseTs + Math.round((pos - this.basePos) / this.factor)) >>> 0;
  }
}
