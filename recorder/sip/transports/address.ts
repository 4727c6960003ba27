import { isIPv4, isIPv6 } from 'node:net';

// Addresses as sockets report them: a dual-stack socket bound to `::` sees IPv4 peers as
// IPv4-mapped IPv6 (`::ffff:192.0.2.1`). Keys and policy checks use the plain IPv4 form.

const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

export function unmapIPv4(address: string): string {
  const m = MAPPED.exec(address);
  return m?.[1] ?? address;
}

/** Identity of a peer endpoint, for connection reuse. */
export function peerKey(address: string, port: number): string {
  return `${unmapIPv4(address).toLowerCase()}|${port}`;
}

/** host:port as written in Via sent-by and logs, IPv6 in brackets (RFC 3261 §25.1 hostport). */
export function hostPort(address: string, port: number): string {
  const host = unmapIPv4(address);
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

export function isIpAddress(address: string): boolean {
  return isIPv4(address) || isIPv6(address);
}
