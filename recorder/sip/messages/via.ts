import { indexOfUnquoted, parseParams } from './grammar.js';
import { parseHostPort } from './uri.js';

export interface Via {
  protocol: string; // 'SIP/2.0'
  transport: string; // upper case: UDP, TCP, TLS, WS, ...
  host: string; // without IPv6 brackets
  port: number | null;
  /** host[:port] as used for transaction matching (§17.2.3), host lower-cased. */
  sentBy: string;
  params: Map<string, string>;
}

const SENT_PROTOCOL = /^([^\s/]+)\s*\/\s*([^\s/]+)\s*\/\s*([^\s/]+)\s+(\S.*)$/s;

/** One Via value (RFC 3261 §20.42; LWS around '/' is legal, §25.1). Null when malformed. */
export function parseVia(value: string): Via | null {
  const v = value.trim();
  const semi = indexOfUnquoted(v, ';');
  const head = (semi < 0 ? v : v.slice(0, semi)).trim();
  const m = SENT_PROTOCOL.exec(head);
  if (!m) return null;
  const [, name = '', version = '', transport = '', sentBy = ''] = m;
  const hp = parseHostPort(sentBy);
  if (!hp) return null;
  const host = hp.host.includes(':') ? `[${hp.host}]` : hp.host;
  return {
    protocol: `${name.toUpperCase()}/${version}`,
    transport: transport.toUpperCase(),
    host: hp.host,
    port: hp.port,
    sentBy: `${host.toLowerCase()}${hp.port === null ? '' : `:${hp.port}`}`,
    params: semi < 0 ? new Map() : parseParams(v.slice(semi + 1)),
  };
}

/**
 * Adds what the server transport must record in the top Via (RFC 3261 §18.2.1 `received` when the
 * sent-by host is not the packet's source address; RFC 3581 §4 `rport` value when rport was asked
 * for). Returns the value unchanged when nothing applies or it does not parse.
 */
export function withReceived(value: string, address: string, port: number): string {
  const via = parseVia(value);
  if (!via) return value;
  let out = value.trim();
  const wantsRport = via.params.get('rport') === '';
  if (wantsRport) out = out.replace(/;\s*rport(?=\s*(;|$))/i, `;rport=${port}`);
  if ((via.host !== address || wantsRport) && !via.params.has('received')) out += `;received=${address}`;
  return out;
}
