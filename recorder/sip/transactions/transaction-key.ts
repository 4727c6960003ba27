import { parseCSeq } from '../messages/cseq.js';
import { parseNameAddr } from '../messages/name-addr.js';
import type { SipRequest } from '../messages/types.js';
import { parseVia } from '../messages/via.js';

/** RFC 3261 branch IDs start with this cookie (§8.1.1.7); without it the peer is RFC 2543. */
const MAGIC_COOKIE = 'z9hG4bK';

/**
 * Server transaction matching key (§17.2.3): top Via branch + sent-by + method, where ACK matches
 * the INVITE. `asMethod` overrides the method, e.g. 'INVITE' to find the transaction a CANCEL
 * targets (§9.2). Falls back to the RFC 2543 rules (Call-ID, CSeq number, From tag, Request-URI,
 * top Via; To tag left out so ACK and CANCEL match) when the branch lacks the cookie.
 * Null when the top Via does not parse (the parser has already rejected such requests).
 */
export function transactionKey(request: SipRequest, asMethod?: string): string | null {
  const topVia = request.headers.get('Via');
  const via = topVia === undefined ? null : parseVia(topVia);
  if (!via || topVia === undefined) return null;
  const method = asMethod ?? (request.method === 'ACK' ? 'INVITE' : request.method);
  const branch = via.params.get('branch');
  if (branch?.startsWith(MAGIC_COOKIE)) return `${branch}\n${via.sentBy}\n${method}`;
  const cseq = parseCSeq(request.headers.get('CSeq') ?? '');
  const from = parseNameAddr(request.headers.get('From') ?? '');
  return ['2543', request.headers.get('Call-ID'), cseq?.seq, from.params.get('tag') ?? '', request.uri, topVia, method].join('\n');
}

/** Call-ID + CSeq number: how the UAS core matches the ACK of a 2xx (§13.3.1.4, §17.1.1.3). */
export function ackKey(callId: string, seq: number): string {
  return `${callId}\n${seq}`;
}


/** Client transaction matching key (§17.1.3): the top Via branch we generated + the CSeq method. */
export function clientTransactionKey(branch: string, method: string): string {
  return `${branch}\n${method}`;
}
