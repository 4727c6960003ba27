import type { SipHeaders } from './headers.js';

export interface SipRequest {
  method: string;
  /** Request-URI exactly as received. */
  uri: string;
  version: string;
  headers: SipHeaders;
  /** Exact bytes of the body (a slice of the received buffer; never re-encoded). */
  body: Buffer;
}

export interface SipResponse {
  status: number;
  reason: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(message: SipMessage): message is SipRequest {
  return 'method' in message;
}
