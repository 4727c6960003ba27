import type { Logger } from 'pino';
import type { TimerValues } from './transactions/timers.js';
import type { SipTlsOptions } from './transports/tls-transport.js';
import type { OutgoingRequestOptions } from './uac/outgoing-request.js';

export interface SipStackOptions {
  /** `udp:HOST:PORT` / `tcp:HOST:PORT` / `tls:HOST:PORT` (IPv6 hosts in brackets); port 0 picks a free port. */
  listen: string[];
  /** Largest message accepted (UDP datagram, or one framed TCP message). */
  maxMessageBytes: number;
  logger: Logger;
  /** Idle TCP connections are closed after this long (default 120000 ms). */
  tcpIdleMs?: number;
  /** Server header value (default 'sipvault'). */
  serverName?: string;
  /** RFC 3261 T1/T2/T4 overrides (defaults 500/4000/5000 ms); for tests and lossy networks. */
  timers?: Partial<TimerValues>;
  /** Certificates for `tls:` listen entries (PEM text, not paths); required when there is one. */
  tls?: SipTlsOptions;
  /** Cap on concurrent TCP + TLS connections, inbound and outbound (default 1024). */
  maxConnections?: number;
}

/** Live state of the stack, for monitoring and for tests that check nothing leaks. */
export interface SipStackStats {
  /** Server transactions (RFC 3261 §17.2) still alive, including those waiting out Timer J/H/I/L. */
  transactions: number;
  /** Client transactions (§17.1.2) of requests we sent, including Timer K. */
  clientTransactions: number;
  /** Open TCP/TLS connections (including ones still in the TLS handshake). */
  connections: number;
  /** Bytes held by stream framers for incomplete messages. */
  bufferedBytes: number;
  /** 2xx responses to INVITE waiting for their ACK (§13.3.1.4). */
  pendingAcks: number;
}

/** One request of ours (BYE, OPTIONS, ...): see SipStack.request(). */
export type SipRequestOptions = OutgoingRequestOptions;
