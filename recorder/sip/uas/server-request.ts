import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { parseCSeq } from '../messages/cseq.js';
import { headerKey } from '../messages/header-names.js';
import { parseNameAddr } from '../messages/name-addr.js';
import { buildResponse } from '../messages/response-builder.js';
import { serializeResponse } from '../messages/serializer.js';
import type { SipRequest } from '../messages/types.js';
import type { ServerTransaction } from '../transactions/server-transaction.js';
import { ackKey } from '../transactions/transaction-key.js';
import type { Flow, SipSource } from '../transports/transport.js';
import type { AckTracker } from './ack-tracker.js';

export interface ResponseOptions {
  reason?: string;
  headers?: Array<[string, string]>;
  body?: Buffer;
  contentType?: string;
}

/** A request as the TU sees it: the message, where it came from, and how to answer it. */
export interface ServerRequest {
  readonly message: SipRequest;
  readonly source: SipSource;
  /** The To-tag the stack uses for every response of this request (generated once; the existing one if the request had one). */
  readonly toTag: string;
  /** Copies Via(s), From, To(+toTag, except on 100), Call-ID, CSeq; sets Content-Length, Server. */
  respond(status: number, opts?: ResponseOptions): void;
  readonly finalSent: boolean;
  /** INVITE only: the UAC cancelled before a final response; the stack has already sent 487. */
  onCancel(cb: () => void): void;
  /** INVITE only: a 2xx was never ACKed within 64*T1 (§13.3.1.4): the session should end. */
  onAckTimeout(cb: () => void): void;
}

export interface UasContext {
  serverName: string;
  logger: Logger;
  acks: AckTracker;
  /** False once the stack stopped: late answers from the TU are dropped instead of arming timers. */
  active: () => boolean;
}

/** RFC 3261 §19.3: a tag needs at least 32 bits of randomness. */
export function newTag(): string {
  return randomBytes(6).toString('hex');
}

/** The stack's implementation of ServerRequest, bound to its server transaction (none for a 2xx ACK). */
export class IncomingRequest implements ServerRequest {
  readonly toTag: string;
  private final = false;
  private cancelled = false;
  private ackTimedOut = false;
  private readonly cancelCallbacks: Array<() => void> = [];
  private readonly ackTimeoutCallbacks: Array<() => void> = [];

  constructor(
    readonly message: SipRequest,
    private readonly flow: Flow,
    private readonly tx: ServerTransaction<string> | null,
    private readonly ctx: UasContext,
    toTag?: string,
  ) {
    const existing = parseNameAddr(message.headers.get('To') ?? '').params.get('tag');
    this.toTag = existing || toTag || newTag();
  }

  get source(): SipSource {
    return this.flow.source;
  }

  get finalSent(): boolean {
    // An ACK is never answered (§17.1.1.3): report it as done so a TU never tries.
    return this.final || this.message.method === 'ACK';
  }

  respond(status: number, opts: ResponseOptions = {}): void {
    if (this.message.method === 'ACK') return;
    if (!Number.isInteger(status) || status < 100 || status > 699) throw new RangeError(`SIP status ${status} is not in 100..699`);
    if (!this.ctx.active()) return;
    if (this.final) {
      this.ctx.logger.debug({ method: this.message.method, status }, 'SIP respond() after the final response ignored');
      return;
    }
    const extra = opts.headers ?? [];
    const headers = extra.some(([name]) => headerKey(name) === 'server') ? extra : [...extra, ['Server', this.ctx.serverName] as [string, string]];
    const response = buildResponse(this.message, status, {
      reason: opts.reason,
      toTag: this.toTag,
      headers,
      body: opts.body,
      contentType: opts.contentType,
    });
    const data = serializeResponse(response);
    if (status >= 200) this.final = true;
    if (this.tx) this.tx.sendResponse(status, data);
    else this.flow.send(data);
    if (status >= 200 && status < 300 && this.message.method === 'INVITE') this.expectAck(data);
  }

  onCancel(cb: () => void): void {
    if (this.cancelled) queueMicrotask(() => this.invoke(cb, 'cancel'));
    else this.cancelCallbacks.push(cb);
  }

  onAckTimeout(cb: () => void): void {
    if (this.ackTimedOut) queueMicrotask(() => this.invoke(cb, 'ack-timeout'));
    else this.ackTimeoutCallbacks.push(cb);
  }

  /**
   * A CANCEL matched this INVITE (§9.2): without a final response yet, answer 487 and tell the TU.
   * Returns whether the INVITE was actually cancelled.
   */
  cancel(): boolean {
    if (this.final || this.message.method !== 'INVITE') return false;
    this.respond(487);
    this.cancelled = true;
    for (const cb of this.cancelCallbacks.splice(0)) this.invoke(cb, 'cancel');
    return true;
  }

  private expectAck(response: Buffer): void {
    const cseq = parseCSeq(this.message.headers.get('CSeq') ?? '');
    const callId = this.message.headers.get('Call-ID');
    if (!cseq || callId === undefined) return;
    this.ctx.acks.expect(ackKey(callId, cseq.seq), this.flow, response, () => {
      this.ackTimedOut = true;
      for (const cb of this.ackTimeoutCallbacks.splice(0)) this.invoke(cb, 'ack-timeout');
    });
  }

  private invoke(cb: () => void, what: string): void {
    try {
      cb();
    } catch (err) {
      this.ctx.logger.error({ err, what }, 'SIP request callback threw');
    }
  }
}
