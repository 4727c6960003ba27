// RFC 4733 telephone-events to one event per key press. All packets of an event carry the event's
// start timestamp and a growing duration; the end packet (E bit) is sent three times. An event is
// reported once, at its first end packet, or when the next event starts or the stream ends without
// one (end packets lost). Events 0-16 are DTMF (§3.2); other named events are not reported.

/** RFC 4733 §3.2: events 0-9, *, #, A-D, then flash. */
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D', 'flash'];

export function dtmfDigit(event: number): string | null {
  return DIGITS[event] ?? null;
}

export type DtmfSink = (startTs: number, digit: string, durationTs: number) => void;

export class DtmfDetector {
  private active = false;
  private reported = false;
  private ts = 0;
  private event = 0;
  private duration = 0;
  /** Start timestamp of the last reported event: a late retransmission of it is not a new one. */
  private lastReportedTs = -1;
  events = 0;

  constructor(private readonly sink: DtmfSink) {}

  onPacket(ts: number, payload: Buffer, from: number, to: number): void {
    if (to - from < 4) return;
    const event = payload[from]!;
    const end = (payload[from + 1]! & 0x80) !== 0;
    const duration = payload.readUInt16BE(from + 2);
    if (!this.active || ts !== this.ts) {
      if (ts === this.lastReportedTs) return; // retransmitted end of an event already reported
      if (this.active && ((ts - this.ts) | 0) < 0) return; // a straggler of an older event
      this.finish();
      this.active = true;
      this.reported = false;
      this.ts = ts;
      this.event = event;
      this.duration = duration;
    } else if (duration > this.duration) {
      this.duration = duration;
    }
    if (end) this.finish();
  }

  /** Reports the current event if it has not been (its end packets were lost, or the stream ends). */
  finish(): void {
    if (!this.active || this.reported) return;
    this.reported = true;
    this.lastReportedTs = this.ts;
    const digit = dtmfDigit(this.event);
    if (digit === null) return;
    this.events++;
    this.sink(this.ts, digit, this.duration);
  }
}
