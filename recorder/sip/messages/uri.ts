import { indexOfUnquoted, parseParams } from './grammar.js';

export interface SipUri {
  scheme: string; // lower case: sip, sips, tel, ...
  user: string | null; // for tel: the number
  password: string | null;
  host: string; // without IPv6 brackets; '' for schemes without a host (tel)
  port: number | null;
  params: Map<string, string>; // uri-parameters, lower-case names
  headers: Map<string, string>; // ?name=value headers, as written
}

const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * RFC 3261 §19.1.1 SIP-URI, lenient; tel (RFC 3966) and others keep their body in `user`.
 * Escapes are kept as written (`%40` stays `%40`): comparison rules (§19.1.4) are the caller's.
 */
export function parseUri(text: string): SipUri | null {
  const value = text.trim();
  const scheme = SCHEME_RE.exec(value)?.[1];
  if (!scheme) return null;
  const lowerScheme = scheme.toLowerCase();
  let rest = value.slice(scheme.length + 1);
  if (lowerScheme !== 'sip' && lowerScheme !== 'sips') {
    const q = rest.indexOf('?');
    const headers = q < 0 ? new Map<string, string>() : parseUriHeaders(rest.slice(q + 1));
    if (q >= 0) rest = rest.slice(0, q);
    const semi = indexOfUnquoted(rest, ';');
    const params = semi < 0 ? new Map<string, string>() : parseParams(rest.slice(semi + 1));
    return { scheme: lowerScheme, user: (semi < 0 ? rest : rest.slice(0, semi)) || null, password: null, host: '', port: null, params, headers };
  }
  // The userinfo ends at the first '@': '@' is never unescaped in user or password, while ';',
  // '?' and '/' are legal there (RFC 4475 §3.1.1.2 and §3.1.1.9: `sip:user;par=u%40ex.net@host`).
  let user: string | null = null;
  let password: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    password = colon < 0 ? null : userinfo.slice(colon + 1);
    rest = rest.slice(at + 1);
  }
  const q = rest.indexOf('?');
  const headers = q < 0 ? new Map<string, string>() : parseUriHeaders(rest.slice(q + 1));
  if (q >= 0) rest = rest.slice(0, q);
  const semi = indexOfUnquoted(rest, ';');
  const params = semi < 0 ? new Map<string, string>() : parseParams(rest.slice(semi + 1));
  const hostport = parseHostPort(semi < 0 ? rest : rest.slice(0, semi));
  if (!hostport) return null;
  return { scheme: lowerScheme, user, password, host: hostport.host, port: hostport.port, params, headers };
}

/** `?name=value&...` URI headers (§19.1.1), as written (still escaped). */
function parseUriHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    if (pair) headers.set(eq < 0 ? pair : pair.slice(0, eq), eq < 0 ? '' : pair.slice(eq + 1));
  }
  return headers;
}

/** host[:port] with IPv6 references in brackets (§25.1 hostport). */
export function parseHostPort(text: string): { host: string; port: number | null } | null {
  const value = text.trim();
  let host: string;
  let portText: string | undefined;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0) return null;
    host = value.slice(1, close);
    const after = value.slice(close + 1);
    if (after && !after.startsWith(':')) return null;
    portText = after ? after.slice(1) : undefined;
  } else {
    const colon = value.indexOf(':');
    host = colon < 0 ? value : value.slice(0, colon);
    portText = colon < 0 ? undefined : value.slice(colon + 1);
  }
  if (!host || /[\s<>"@;,]/.test(host)) return null;
  if (portText === undefined) return { host, port: null };
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  return port <= 65535 ? { host, port } : null;
}
