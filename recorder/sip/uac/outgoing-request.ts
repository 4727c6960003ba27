import { isIP } from 'node:net';
import { parseCSeq } from '../messages/cseq.js';
import { isToken } from '../messages/grammar.js';
import { headerKey } from '../messages/header-names.js';
import { SipHeaders } from '../messages/headers.js';
import type { SipRequest } from '../messages/types.js';
import type { Destination } from '../transports/transport.js';

/** A request the recorder sends (BYE, OPTIONS, ...); the dialog layer supplies the dialog headers. */
export interface OutgoingRequestOptions {
  /** BYE, OPTIONS, ... (not INVITE: no INVITE client transaction here; not ACK: no transaction at all). */
  method: string;
  /** Request-URI: the peer's Contact (remote target, RFC 3261 §12.2.1.1). */
  uri: string;
  /** Where to send it; the address is an IP literal (names are resolved by the caller, RFC 3263). */
  destination: Destination;
  /** From, To, Call-ID, CSeq, Route, ... in order. Via and Content-Length are the stack's. */
  headers: Array<[string, string]>;
  body?: Buffer;
  contentType?: string;
}

const TRANSPORTS = new Set(['udp', 'tcp', 'tls']);
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"]+$/;
// Written by the stack: a caller's copy would contradict the transaction layer.
const OWNED = new Set(['via', 'content-length']);
const REQUIRED = ['from', 'to', 'call-id', 'cseq'];

/** Why `opts` cannot be sent, or null. */
export function outgoingRequestProblem(opts: OutgoingRequestOptions): string | null {
  const { method, uri, destination, headers } = opts;
  if (typeof method !== 'string' || !isToken(method)) return `method "${String(method)}" is not a SIP token`;
  if (method === 'INVITE' || method === 'ACK') return `${method} needs the INVITE client transaction (RFC 3261 §17.1.1), which this stack does not originate`;
  if (typeof uri !== 'string' || !URI.test(uri)) return `Request-URI "${String(uri)}" is not an absolute URI`;
  if (!destination || !TRANSPORTS.has(destination.transport)) return 'destination.transport must be udp, tcp or tls';
  if (isIP(destination.address) === 0) return `destination.address "${destination.address}" must be an IP address`;
  if (!Number.isInteger(destination.port) || destination.port < 1 || destination.port > 65535) return `destination.port ${destination.port} is out of range`;
  const present = new Set<string>();
  for (const [name, value] of headers) {
    if (!isToken(name)) return `header name "${name}" is not a token`;
    if (typeof value !== 'string') return `header ${name} has no string value`;
    present.add(headerKey(name));
  }
  for (const name of REQUIRED) if (!present.has(name)) return `header ${name} is required (RFC 3261 §8.1.1)`;
  const cseqLine = headers.find(([name]) => headerKey(name) === 'cseq')?.[1] ?? '';
  const cseq = parseCSeq(cseqLine);
  if (!cseq) return `CSeq "${cseqLine}" is malformed`;
  // §8.1.1.5: the CSeq method MUST match the request method; responses are matched by it (§17.1.3).
  if (cseq.method !== method) return `CSeq method ${cseq.method} does not match ${method}`;
  return null;
}

/**
 * The request as it goes on the wire (§8.1.1): our Via on top, Max-Forwards 70 unless the caller
 * set one (§8.1.1.6), the caller's headers in order, User-Agent, Content-Type for a body.
 * Content-Length is computed by the serializer.
 */
export function buildOutgoingRequest(opts: OutgoingRequestOptions, via: string, userAgent: string): SipRequest {
  const headers = new SipHeaders();
  headers.append('Via', via);
  const supplied = new Set(opts.headers.map(([name]) => headerKey(name)));
  if (!supplied.has('max-forwards')) headers.append('Max-Forwards', '70');
  for (const [name, value] of opts.headers) if (!OWNED.has(headerKey(name))) headers.append(name, value);
  if (!supplied.has('user-agent')) headers.append('User-Agent', userAgent);
  const body = opts.body ?? Buffer.alloc(0);
  if (opts.contentType && body.length > 0 && !supplied.has('content-type')) headers.append('Content-Type', opts.contentType);
  return { method: opts.method, uri: opts.uri, version: 'SIP/2.0', headers, body };
}
