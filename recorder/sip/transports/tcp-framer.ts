// Message framing on a byte stream (RFC 3261 §18.3): the header section ends at the first empty
// line, the body is exactly Content-Length bytes (0 when absent). CRLFs between messages are
// keep-alives (§7.5); a double CRLF is an RFC 5626 §4.4.1 ping that wants a single CRLF pong.

export type FrameEvent =
  | { kind: 'message'; data: Buffer }
  /** The header section is readable but the stream cannot be resynchronised (bad Content-Length):
   *  deliver it (the stack can answer 400), then close the connection. */
  | { kind: 'fatal-message'; data: Buffer; error: string }
  | { kind: 'ping' }
  | { kind: 'overflow'; error: string };

const CR = 0x0d;
const LF = 0x0a;
// Only at a line start: `Content-Length: 12` or the compact `l: 12` (§7.3.3), any case.
const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)$/gim;
// §7.3.1 folding: a line starting with SP/HT continues the previous one. Unfolded first so that the
// framer reads `Content-Length:\r\n 12` (RFC 4475 style) exactly as the parser does.
const FOLD = /\r?\n[ \t]+/g;

export class TcpFramer {
  private buffer: Buffer = Buffer.alloc(0);
  /** Between messages: CRLF keep-alives are skipped and counted. */
  private inMessage = false;
  private crlfs = 0;
  /** Where the search for the empty line resumes, so a slowly dripping header is not rescanned. */
  private scanFrom = 0;
  /** Total size of the current message once its header section is known. */
  private expected: number | null = null;
  private dead = false;

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.buffer.length;
  }

  push(chunk: Buffer): FrameEvent[] {
    if (this.dead) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const events: FrameEvent[] = [];
    for (;;) {
      const event = this.next();
      if (!event) break;
      events.push(event);
      if (event.kind === 'overflow' || event.kind === 'fatal-message') {
        // Framing is lost: nothing after this point can be trusted to start a message.
        this.dead = true;
        this.buffer = Buffer.alloc(0);
        break;
      }
    }
    return events;
  }

  private next(): FrameEvent | null {
    if (!this.inMessage) {
      const buf = this.buffer;
      let i = 0;
      while (i < buf.length) {
        if (buf[i] === CR && buf[i + 1] === LF) {
          this.crlfs++;
          i += 2;
        } else if (buf[i] === LF || (buf[i] === CR && i + 1 < buf.length)) {
          i++;
        } else {
          break; // a message starts, or half a CRLF waits for its LF
        }
      }
      this.buffer = buf.subarray(i);
      if (this.crlfs >= 2) {
        this.crlfs = 0;
        return { kind: 'ping' };
      }
      if (this.buffer.length === 0 || this.buffer[0] === CR) return null;
      this.inMessage = true;
      this.crlfs = 0;
      this.scanFrom = 0;
    }
    if (this.expected === null) {
      const framed = this.readHeader();
      if (framed) return framed;
      if (this.expected === null) return null;
    }
    if (this.buffer.length < this.expected) return null;
    const data = this.buffer.subarray(0, this.expected);
    this.buffer = this.buffer.subarray(this.expected);
    this.inMessage = false;
    this.expected = null;
    return { kind: 'message', data };
  }

  /** Sets `expected` once the header section is complete; returns an event only on failure. */
  private readHeader(): FrameEvent | null {
    const buf = this.buffer;
    let bodyStart = -1;
    let lf = buf.indexOf(LF, this.scanFrom);
    while (lf >= 0) {
      if (buf[lf + 1] === LF) {
        bodyStart = lf + 2;
        break;
      }
      if (buf[lf + 1] === CR && buf[lf + 2] === LF) {
        bodyStart = lf + 3;
        break;
      }
      lf = buf.indexOf(LF, lf + 1);
    }
    if (bodyStart < 0) {
      if (buf.length > this.maxMessageBytes) return { kind: 'overflow', error: `header section over ${this.maxMessageBytes} bytes` };
      // Resume a little before the end: the empty line may straddle two chunks.
      this.scanFrom = Math.max(0, buf.length - 3);
      return null;
    }
    if (bodyStart > this.maxMessageBytes) return { kind: 'overflow', error: `header section over ${this.maxMessageBytes} bytes` };
    let length = 0;
    let seen: string | null = null;
    for (const m of buf.toString('latin1', 0, bodyStart).replace(FOLD, ' ').matchAll(CONTENT_LENGTH)) {
      const value = (m[1] ?? '').trim();
      if (!/^\d{1,10}$/.test(value) || (seen !== null && seen !== value)) {
        return { kind: 'fatal-message', data: buf.subarray(0, bodyStart), error: 'Malformed Content-Length' };
      }
      seen = value;
      length = Number(value);
    }
    const total = bodyStart + length;
    if (total > this.maxMessageBytes) return { kind: 'overflow', error: `message of ${total} bytes over ${this.maxMessageBytes}` };
    this.expected = total;
    return null;
  }
}
