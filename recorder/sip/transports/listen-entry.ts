import { isIPv6 } from 'node:net';
import type { TransportProtocol } from './transport.js';

export interface ListenEntry {
  /** The entry as configured, for error messages. */
  text: string;
  protocol: TransportProtocol;
  host: string; // without brackets
  port: number;
  ipv6: boolean;
}

const ENTRY = /^(udp|tcp|tls):(\[[0-9A-Fa-f:.]+\]|[^:\s[\]]+):(\d{1,5})$/;

/** Parses `udp:HOST:PORT` / `tcp:[::]:PORT` / `tls:HOST:PORT`; throws a message naming the entry when invalid. */
export function parseListenEntry(text: string): ListenEntry {
  const m = ENTRY.exec(text.trim());
  if (!m?.[1] || !m[2] || !m[3]) throw new Error(`Invalid SIP listen entry "${text}": expected udp|tcp|tls:HOST:PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`Invalid SIP listen entry "${text}": port out of range`);
  const host = m[2].startsWith('[') ? m[2].slice(1, -1) : m[2];
  return { text, protocol: m[1] as TransportProtocol, host, port, ipv6: isIPv6(host) };
}
