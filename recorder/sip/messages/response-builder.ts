import { headerKey } from './header-names.js';
import { SipHeaders } from './headers.js';
import { tryParseNameAddr } from './name-addr.js';
import { reasonPhrase } from './reason-phrases.js';
import type { SipResponse } from './types.js';

export interface BuildResponseOptions {
  reason?: string;
  /** Added to To unless the request's To already has a tag; never added to a 100 (§8.2.6.2). */
  toTag?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: Buffer;
  contentType?: string;
}

// Headers the response builder owns: a caller's copy would contradict the copied ones.
const OWNED = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length']);

/**
 * A response to `request` (RFC 3261 §8.2.6.2): Via lines in order, From, To (+tag), Call-ID and
 * CSeq copied; Timestamp echoed on 100 (§8.2.6.1). Works on a partial header set too (400 answers).
 */
export function buildResponse(request: { headers: SipHeaders }, status: number, options: BuildResponseOptions = {}): SipResponse {
  const req = request.headers;
  const headers = new SipHeaders();
  for (const via of req.getLines('Via')) headers.append('Via', via);
  const from = req.get('From');
  if (from !== undefined) headers.append('From', from);
  const to = req.get('To');
  if (to !== undefined) headers.append('To', status > 100 && options.toTag ? addTag(to, options.toTag) : to);
  const callId = req.get('Call-ID');
  if (callId !== undefined) headers.append('Call-ID', callId);
  const cseq = req.get('CSeq');
  if (cseq !== undefined) headers.append('CSeq', cseq);
  if (status === 100) {
    const timestamp = req.get('Timestamp');
    if (timestamp !== undefined) headers.append('Timestamp', timestamp);
  }
  for (const [name, value] of options.headers ?? []) {
    if (!OWNED.has(headerKey(name))) headers.append(name, value);
  }
  const body = options.body ?? Buffer.alloc(0);
  if (options.contentType && body.length > 0 && !headers.has('Content-Type')) headers.append('Content-Type', options.contentType);
  const reason = options.reason ?? reasonPhrase(status);
  return { status, reason, version: 'SIP/2.0', headers, body };
}

function addTag(to: string, tag: string): string {
  const parsed = tryParseNameAddr(to);
  if (!parsed || parsed.params.has('tag')) return to;
  return `${to};tag=${tag}`;
}
