import type { Logger } from 'pino';
import { parseCSeq } from './messages/cseq.js';
import { splitUnquoted } from './messages/grammar.js';
import type { SipHeaders } from './messages/headers.js';
import { EMPTY_MESSAGE, parseMessage, type ParseResult } from './messages/parser.js';
import { buildResponse } from './messages/response-builder.js';
import { serializeResponse } from './messages/serializer.js';
import { isRequest, type SipRequest, type SipResponse } from './messages/types.js';
import { withReceived } from './messages/via.js';
import { InviteServerTransaction } from './transactions/invite-server-transaction.js';
import { NonInviteServerTransaction } from './transactions/non-invite-server-transaction.js';
import type { ServerTransaction, ServerTransactionContext } from './transactions/server-transaction.js';
import { ackKey, transactionKey } from './transactions/transaction-key.js';
import { ServerTransactionTable } from './transactions/transaction-table.js';
import { DEFAULT_TIMERS, TimerPolicy } from './transactions/timers.js';
import { hostPort } from './transports/address.js';
import { ConnectionBudget } from './transports/connection-budget.js';
import { parseListenEntry, type ListenEntry } from './transports/listen-entry.js';
import { TransportFactory } from './transports/transport-factory.js';
import type { BoundAddress, Flow, SipSource, Transport } from './transports/transport.js';
import { RequestSender } from './uac/request-sender.js';
import { AckTracker } from './uas/ack-tracker.js';
import { IncomingRequest, newTag, type ServerRequest, type UasContext } from './uas/server-request.js';
import type { SipRequestOptions, SipStackOptions, SipStackStats } from './stack-options.js';
import { WarnLimiter } from './warn-limiter.js';

export type { SipRequestOptions, SipStackOptions, SipStackStats };
export type { SipSource };

const REQUIRED_FOR_ANSWER = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;

/**
 * The SIP facade: transports in (UDP, TCP, TLS), server transactions (RFC 3261 §17.2, RFC 6026),
 * the UAS core's 2xx/ACK handling (§13.3.1.4) and CANCEL (§9.2); every other request goes to the
 * TU handler. Requests of the TU's own (BYE, OPTIONS) go out through non-INVITE client
 * transactions (§17.1.2) via request().
 */
export class SipStack {
  private readonly entries: ListenEntry[];
  private readonly log: Logger;
  private readonly warnings: WarnLimiter;
  private readonly serverName: string;
  private readonly txContext: ServerTransactionContext;
  private readonly uas: UasContext;
  private readonly table = new ServerTransactionTable();
  /** INVITE requests whose transaction is alive, by transaction key: what a CANCEL can target. */
  private readonly invites = new Map<string, IncomingRequest>();
  private readonly acks: AckTracker;
  private readonly budget: ConnectionBudget;
  private readonly factory: TransportFactory;
  private readonly client: RequestSender;
  private transports: Transport[] = [];
  private handler: ((req: ServerRequest) => void) | null = null;
  private running = false;

  constructor(opts: SipStackOptions) {
    // Validated here so a bad entry or missing TLS material fails at construction, naming the key.
    this.entries = opts.listen.map(parseListenEntry);
    if (this.entries.length === 0) throw new Error('SIP stack needs at least one listen entry');
    this.log = opts.logger;
    this.warnings = new WarnLimiter(this.log);
    this.serverName = opts.serverName ?? 'sipvault';
    const t = opts.timers ?? {};
    const policy = new TimerPolicy({ T1: t.T1 ?? DEFAULT_TIMERS.T1, T2: t.T2 ?? DEFAULT_TIMERS.T2, T4: t.T4 ?? DEFAULT_TIMERS.T4 });
    this.budget = new ConnectionBudget(opts.maxConnections ?? 1024, this.log);
    this.factory = new TransportFactory(this.entries, {
      logger: this.log,
      maxMessageBytes: opts.maxMessageBytes,
      idleMs: opts.tcpIdleMs ?? 120_000,
      // Opening a connection for a request may take as long as its whole transaction would.
      connectTimeoutMs: policy.F,
      tls: opts.tls,
      budget: this.budget,
      onMessage: (data, flow) => this.receive(data, flow),
    });
    this.acks = new AckTracker(policy, this.log);
    this.txContext = { policy, logger: this.log, onTerminated: (tx) => this.forget(tx) };
    this.uas = { serverName: this.serverName, logger: this.log, acks: this.acks, active: () => this.running };
    this.client = new RequestSender({
      policy,
      logger: this.log,
      userAgent: this.serverName,
      transports: () => this.transports,
      active: () => this.running,
    });
  }

  onRequest(handler: (req: ServerRequest) => void): void {
    this.handler = handler;
  }

  async start(): Promise<void> {
    if (this.running || this.transports.length > 0) throw new Error('SIP stack already started');
    for (const entry of this.entries) {
      const transport = this.factory.create(entry);
      try {
        await transport.start();
      } catch (err) {
        await Promise.all(this.transports.map((t) => t.stop()));
        this.transports = [];
        throw err;
      }
      this.transports.push(transport);
    }
    this.running = true;
    this.log.info({ listen: this.boundAddresses() }, 'SIP stack listening');
  }

  /**
   * Sends a request of ours (BYE, OPTIONS, ...) through a non-INVITE client transaction
   * (RFC 3261 §17.1.2) and resolves with its final response; provisional responses are absorbed.
   * The stack adds the top Via (its sent-by on that transport, a fresh z9hG4bK branch, rport),
   * Max-Forwards 70 and User-Agent unless given, Content-Type for a body, and Content-Length.
   * Over UDP it retransmits (Timer E); over TCP/TLS it reuses an open connection with exactly
   * that address:port (an SRC's own connection), else opens one. Rejects with a SipRequestError:
   * 'timeout' (Timer F, 64*T1), 'transport' (cannot send/connect, connection lost), 'stopped'
   * (stop() was called) or 'invalid' (unusable options; nothing sent).
   */
  request(opts: SipRequestOptions): Promise<SipResponse> {
    return this.client.send(opts);
  }

  stats(): SipStackStats {
    return {
      transactions: this.table.size,
      clientTransactions: this.client.size,
      connections: this.budget.inUse,
      bufferedBytes: this.transports.reduce((sum, t) => sum + t.bufferedBytes, 0),
      pendingAcks: this.acks.size,
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    // Pending requests of ours fail now ('stopped') and their timers are cleared.
    this.client.abortAll('SIP stack stopped');
    const transports = this.transports;
    this.transports = [];
    await Promise.all(transports.map((t) => t.stop()));
    this.table.disposeAll();
    this.invites.clear();
    this.acks.disposeAll();
  }

  boundAddresses(): Array<{ transport: 'udp' | 'tcp' | 'tls'; address: string; port: number }> {
    return this.transports.map((t) => t.boundAddress()).filter((b): b is BoundAddress => b !== null);
  }

  private receive(data: Buffer, flow: Flow): void {
    if (!this.running) return;
    try {
      const result = parseMessage(data, { datagram: !flow.reliable });
      if (!result.ok) {
        this.rejectInvalid(result, flow);
        return;
      }
      if (result.notes) this.log.debug({ from: peer(flow.source), notes: result.notes }, 'SIP message irregularities tolerated');
      if (!isRequest(result.message)) {
        // §17.1.3 matching; §18.1.2: a response no client transaction takes is discarded.
        const mismatch = this.client.receiveResponse(result.message);
        if (mismatch) this.log.debug({ from: peer(flow.source), status: result.message.status, mismatch }, 'SIP response dropped');
        return;
      }
      this.receiveRequest(result.message, flow);
    } catch (err) {
      this.log.error({ err, from: peer(flow.source) }, 'SIP message handling failed');
    }
  }

  /** §8.2 / §16.3 style rejection: answer 400 (or 505) when a response can be addressed, else drop. */
  private rejectInvalid(result: Extract<ParseResult, { ok: false }>, flow: Flow): void {
    const partial = result.partial;
    const from = peer(flow.source);
    if (result.error === EMPTY_MESSAGE) return;
    if (partial?.status !== undefined) {
      this.log.debug({ from, error: result.error }, 'SIP malformed response dropped');
      return;
    }
    const answerable =
      partial?.method !== undefined && partial.method !== 'ACK' && REQUIRED_FOR_ANSWER.every((name) => partial.headers.has(name));
    if (!answerable || !partial) {
      this.warnings.warn({ from, transport: flow.source.transport, error: result.error }, 'SIP message dropped: unparseable');
      // On a stream an unparseable message means framing can no longer be trusted.
      if (flow.reliable) flow.close();
      return;
    }
    this.annotateVia(partial.headers, flow.source);
    const response = buildResponse({ headers: partial.headers }, result.status, {
      reason: result.error,
      toTag: newTag(),
      headers: [['Server', this.serverName]],
    });
    flow.send(serializeResponse(response));
    this.warnings.warn({ from, method: partial.method, status: result.status, error: result.error }, 'SIP request rejected');
  }

  private receiveRequest(message: SipRequest, flow: Flow): void {
    this.annotateVia(message.headers, flow.source);
    if (message.method === 'ACK') {
      this.receiveAck(message, flow);
      return;
    }
    const key = transactionKey(message);
    if (key === null) return; // unreachable: the parser validated the top Via
    const existing = this.table.get(key);
    if (existing) {
      // §17.2.3: a retransmission; the transaction answers it, the TU never sees it again.
      this.log.debug({ from: peer(flow.source), method: message.method }, 'SIP request retransmission');
      existing.receiveRequestRetransmission();
      return;
    }
    if (message.method === 'CANCEL') {
      this.receiveCancel(message, flow, key);
      return;
    }
    if (message.method === 'INVITE') {
      const tx = new InviteServerTransaction(key, flow, this.txContext);
      this.table.add(tx);
      const request = new IncomingRequest(message, flow, tx, this.uas);
      this.invites.set(key, request);
      // §17.2.1 allows waiting 200 ms for the TU; answering at once stops INVITE retransmissions
      // early (Timer A) on lossy links and costs nothing.
      request.respond(100);
      this.dispatch(request);
      return;
    }
    const tx = new NonInviteServerTransaction(key, flow, this.txContext);
    this.table.add(tx);
    this.dispatch(new IncomingRequest(message, flow, tx, this.uas));
  }

  private receiveAck(message: SipRequest, flow: Flow): void {
    const key = transactionKey(message);
    const tx = key === null ? undefined : this.table.get(key);
    if (tx instanceof InviteServerTransaction && tx.receiveAck()) {
      this.log.debug({ from: peer(flow.source) }, 'SIP ACK for non-2xx absorbed');
      return;
    }
    // ACK of a 2xx: a transaction of its own (§17.1.1.3) that the UAS core handles (§13.3.1.4).
    const cseq = parseCSeq(message.headers.get('CSeq') ?? '');
    const callId = message.headers.get('Call-ID') ?? '';
    if (cseq && this.acks.ack(ackKey(callId, cseq.seq)) === 'duplicate') {
      this.log.debug({ from: peer(flow.source) }, 'SIP duplicate ACK absorbed');
      return;
    }
    this.dispatch(new IncomingRequest(message, flow, null, this.uas));
  }

  /** §9.2: CANCEL matches the INVITE transaction by branch; it is answered here, never by the TU. */
  private receiveCancel(message: SipRequest, flow: Flow, key: string): void {
    const tx = new NonInviteServerTransaction(key, flow, this.txContext);
    this.table.add(tx);
    const inviteKey = transactionKey(message, 'INVITE');
    const invite = inviteKey === null ? undefined : this.invites.get(inviteKey);
    // §9.2: the To tag of the CANCEL response SHOULD equal the one of the INVITE's responses.
    const cancel = new IncomingRequest(message, flow, tx, this.uas, invite?.toTag);
    if (!invite) {
      cancel.respond(481);
      return;
    }
    cancel.respond(200);
    if (invite.cancel()) this.log.debug({ from: peer(flow.source) }, 'SIP INVITE cancelled');
  }

  private dispatch(request: IncomingRequest): void {
    const handler = this.handler;
    if (!handler) {
      if (!request.finalSent) request.respond(503, { reason: 'No request handler' });
      return;
    }
    try {
      const result: unknown = handler(request);
      // Tolerate an async handler: its rejection must not become an unhandled rejection.
      if (result instanceof Promise) result.catch((err: unknown) => this.handlerFailed(request, err));
    } catch (err) {
      this.handlerFailed(request, err);
    }
  }

  private handlerFailed(request: IncomingRequest, err: unknown): void {
    this.log.error({ err, method: request.message.method }, 'SIP request handler threw');
    if (!request.finalSent && this.running) request.respond(500);
  }

  /** §18.2.1 `received` and RFC 3581 `rport` in the top Via, so responses carry them back. */
  private annotateVia(headers: SipHeaders, source: SipSource): void {
    const first = headers.getLines('Via')[0];
    if (first === undefined) return;
    const values = splitUnquoted(first, ',');
    const top = values[0];
    if (top === undefined) return;
    const annotated = withReceived(top, source.address, source.port);
    if (annotated === top) return;
    values[0] = annotated;
    headers.setLine('Via', 0, values.join(', '));
  }

  private forget(tx: ServerTransaction<string>): void {
    this.table.delete(tx);
    const invite = this.invites.get(tx.key);
    if (invite && this.table.get(tx.key) === undefined) this.invites.delete(tx.key);
  }
}

function peer(source: SipSource): string {
  return `${source.transport}:${hostPort(source.address, source.port)}`;
}
