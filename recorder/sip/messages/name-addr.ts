import { indexOfUnquoted, parseParams } from './grammar.js';

export interface NameAddr {
  displayName: string | null;
  /** The URI without angle brackets (or '*' for a wildcard Contact). */
  uri: string;
  /** Header parameters (e.g. tag, expires, +sip.src), lower-case names, unquoted values. */
  params: Map<string, string>;
}

function parseQuoted(value: string): { text: string; end: number } | null {
  let text = '';
  for (let i = 1; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      if (i + 1 >= value.length) return null;
      text += value[++i];
    } else if (c === '"') {
      return { text, end: i + 1 };
    } else {
      text += c;
    }
  }
  return null;
}

/**
 * From/To/Contact/Route values (RFC 3261 §20.10, §25.1 name-addr / addr-spec). Without angle
 * brackets every ';' parameter after the URI is a header parameter, not a URI parameter (§20.10).
 * Lenient for callers that only want a field: an unparseable value gives uri '' and no params.
 */
export function parseNameAddr(value: string): NameAddr {
  return tryParseNameAddr(value) ?? { displayName: null, uri: '', params: new Map() };
}

/** Like parseNameAddr, but null when the value is not a name-addr or addr-spec (for validation). */
export function tryParseNameAddr(value: string): NameAddr | null {
  const v = value.trim();
  if (!v) return null;
  if (v === '*') return { displayName: null, uri: '*', params: new Map() };
  let displayName: string | null = null;
  let rest = v;
  if (v[0] === '"') {
    const quoted = parseQuoted(v);
    if (!quoted) return null;
    displayName = quoted.text;
    rest = v.slice(quoted.end).trimStart();
    if (rest[0] !== '<') return null;
  }
  const lt = indexOfUnquoted(rest, '<');
  const semi = indexOfUnquoted(rest, ';');
  if (rest[0] === '<' || (lt >= 0 && (semi < 0 || lt < semi))) {
    const open = rest.indexOf('<');
    if (displayName === null) {
      const name = rest.slice(0, open).trim();
      displayName = name || null;
    }
    const close = rest.indexOf('>', open);
    if (close < 0) return null;
    const uri = rest.slice(open + 1, close).trim();
    if (!isUriLike(uri)) return null;
    const after = rest.slice(close + 1).trim();
    if (after && after[0] !== ';') return null;
    return { displayName, uri, params: parseParams(after.slice(1)) };
  }
  const uri = (semi < 0 ? rest : rest.slice(0, semi)).trim();
  if (!isUriLike(uri) || /[\s,?]/.test(uri)) return null;
  return { displayName: null, uri, params: semi < 0 ? new Map() : parseParams(rest.slice(semi + 1)) };
}

function isUriLike(uri: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"]+$/.test(uri);
}

/** Formats a name-addr back to text, always with angle brackets (§20.10 requires them with params). */
export function formatNameAddr(addr: NameAddr): string {
  const name = addr.displayName === null ? '' : `"${addr.displayName.replace(/(["\\])/g, '\\$1')}" `;
  let out = `${name}<${addr.uri}>`;
  for (const [k, v] of addr.params) out += v === '' ? `;${k}` : `;${k}=${v}`;
  return out;
}
