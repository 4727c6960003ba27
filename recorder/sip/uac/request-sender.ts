import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { parseCSeq } from '../messages/cseq.js';
import { serializeRequest } from '../messages/serializer.js';
import type { SipResponse } from '../messages/types.js';
import { parseVia } from '../messages/via.js';
import { ClientTransactionTable } from '../transactions/client-transaction-table.js';
import { NonInviteClientTransaction, type ClientTransactionContext } from '../transactions/non-invite-client-transaction.js';
import type { TimerPolicy } from '../transactions/timers.js';
import { clientTransactionKey } from '../transactions/transaction-key.js';
import { hostPort } from '../transports/address.js';
import type { Destination, Flow, Transport } from '../transports/transport.js';
import { buildOutgoingRequest, outgoingRequestProblem, type OutgoingRequestOptions } from './outgoing-request.js';
import { SipRequestError } from './request-error.js';

export interface RequestSenderContext {
  policy: TimerPolicy;
  logger: Logger;
  userAgent: string;
  /** The running transports (empty once stopped). */
  transports: () => readonly Transport[];
  active: () => boolean;
}

/** Why a response did not match a client transaction, for the debug log. */
export type ResponseMismatch = 'no transaction' | 'foreign sent-by' | 'several Vias';

/**
 * The client side of the transaction user: builds requests of ours, picks the flow they go out
 * on, runs one non-INVITE client transaction each (§17.1.2) and matches responses to them (§17.1.3).
 */
export class RequestSender {
  private readonly table = new ClientTransactionTable();
  private readonly txContext: ClientTransactionContext;

  constructor(private readonly ctx: RequestSenderContext) {
    this.txContext = { policy: ctx.policy, logger: ctx.logger, onTerminated: (tx) => this.table.delete(tx) };
  }

  get size(): number {
    return this.table.size;
  }

  async send(opts: OutgoingRequestOptions): Promise<SipResponse> {
    const d = opts.destination;
    const label = `SIP ${String(opts.method)} to ${d ? `${d.transport}:${hostPort(d.address, d.port)}` : '(no destination)'}`;
    const problem = outgoingRequestProblem(opts);
    if (problem) throw new SipRequestError('invalid', `${label}: invalid request: ${problem}`);
    if (!this.ctx.active()) throw new SipRequestError('stopped', `${label}: SIP stack is not running`);
    const { transport, flow } = await this.route(d, label);
    const bound = transport.boundAddress();
    if (!this.ctx.active() || !bound) throw new SipRequestError('stopped', `${label}: SIP stack stopped`);
    // §18.1.1: our sent-by is where responses can reach us: this flow's local address and the
    // listening port of the transport (not a client connection's ephemeral port).
    const sentBy = hostPort(flow.source.localAddress, bound.port);
    // §8.1.1.7: a branch unique in space and time, with the RFC 3261 magic cookie.
    const branch = `z9hG4bK${randomBytes(10).toString('hex')}`;
    // RFC 3581 §3: rport asks the peer to answer to the packet's source port (NAT, wildcard binds).
    const via = `SIP/2.0/${transport.protocol.toUpperCase()} ${sentBy};branch=${branch};rport`;
    const data = serializeRequest(buildOutgoingRequest(opts, via, this.ctx.userAgent));
    return new Promise<SipResponse>((resolve, reject) => {
      const tx = new NonInviteClientTransaction(clientTransactionKey(branch, opts.method), sentBy.toLowerCase(), flow, data, this.txContext, {
        final: resolve,
        failed: (kind, detail) => reject(new SipRequestError(kind, `${label}: ${kind === 'transport' ? 'transport failure' : kind}: ${detail}`)),
      });
      this.table.add(tx);
      tx.start();
    });
  }

  /** §17.1.3: branch of the top Via + CSeq method; null when a client transaction took it. */
  receiveResponse(response: SipResponse): ResponseMismatch | null {
    const vias = response.headers.getAll('Via');
    const top = parseVia(vias[0] ?? '');
    const branch = top?.params.get('branch');
    const cseq = parseCSeq(response.headers.get('CSeq') ?? '');
    const tx = branch && cseq ? this.table.get(clientTransactionKey(branch, cseq.method)) : undefined;
    if (!tx || !top) return 'no transaction';
    // §18.1.2: a sent-by we did not insert means the response is not for us.
    if (top.sentBy !== tx.sentBy) return 'foreign sent-by';
    // §8.1.3.3: "If more than one Via header field value is present in a response, the UAC
    // SHOULD discard the message."
    if (vias.length > 1) return 'several Vias';
    tx.receiveResponse(response);
    return null;
  }

  /** Stack shutdown: every pending request is rejected, every timer cleared. */
  abortAll(detail: string): void {
    this.table.abortAll(detail);
  }

  /** An open connection to exactly that peer when any transport has one, else a new flow. */
  private async route(destination: Destination, label: string): Promise<{ transport: Transport; flow: Flow }> {
    const candidates = this.ctx.transports().filter((t) => t.protocol === destination.transport);
    if (candidates.length === 0) throw new SipRequestError('transport', `${label}: transport failure: no ${destination.transport} listen entry`);
    for (const transport of candidates) {
      const flow = transport.existingFlow(destination);
      if (flow) return { transport, flow };
    }
    const transport = candidates.find((t) => t.canReach(destination.address));
    if (!transport) throw new SipRequestError('transport', `${label}: transport failure: no ${destination.transport} listen entry of that address family`);
    try {
      return { transport, flow: await transport.flowTo(destination) };
    } catch (err) {
      throw new SipRequestError('transport', `${label}: transport failure: ${(err as Error).message}`);
    }
  }
}
