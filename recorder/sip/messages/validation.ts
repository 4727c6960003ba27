import { parseCSeq } from './cseq.js';
import { indexOfUnquoted, isToken, splitUnquoted } from './grammar.js';
import type { SipHeaders } from './headers.js';
import { tryParseNameAddr } from './name-addr.js';
import { parseUri } from './uri.js';
import { parseVia } from './via.js';

// What the stack checks before a request reaches the TU: what the transaction layer depends on
// and what RFC 4475 says an element should refuse with 400. Everything else (unknown schemes,
// Require, Max-Forwards 0, body types) is the TU's decision (416, 420, 483, 415).
// The returned strings become reason phrases: short, no CR/LF.

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"]+$/;
const DIGITS = /^\d{1,10}$/;
const REQUIRED = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;
const SINGLE = ['From', 'To', 'Call-ID', 'CSeq', 'Content-Length', 'Content-Type', 'Max-Forwards'] as const;
// In an unquoted display name these make the value ambiguous (RFC 4475 §3.1.2.15 `Bell, Alexander`).
// Other non-token characters (UTF-8 names, parentheses) are tolerated: PBXs send them unquoted.
const DISPLAY_NAME_SEPARATORS = /[,;"\\\x00-\x1f\x7f]/;

/** Why a Request-URI is unacceptable, or null. */
export function requestUriProblem(uri: string): string | null {
  // §7.1 / RFC 4475 §3.1.2.7: an absolute URI, not enclosed in <>.
  if (!URI.test(uri)) return 'Malformed Request-URI';
  const scheme = uri.slice(0, uri.indexOf(':')).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') return null; // other schemes: the TU answers 416
  const parsed = parseUri(uri);
  // RFC 5118 §4.2: an IPv6 host needs its brackets.
  if (!parsed) return 'Malformed Request-URI';
  // §19.1.1 Table 1: headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11).
  if (parsed.headers.size > 0) return 'Request-URI must not contain headers';
  return null;
}

/** §8.1.1 mandatory headers, well-formedness of what the transaction layer depends on, §20 singletons. */
export function headersProblem(headers: SipHeaders, method: string | undefined): string | null {
  for (const name of REQUIRED) if (!headers.has(name)) return `Missing ${name} header`;
  for (const name of SINGLE) {
    const lines = headers.getLines(name);
    // RFC 4475 §3.3.8 / §3.3.9: several different values of a single-valued header.
    if (lines.length > 1 && lines.some((l) => l !== lines[0])) return `Conflicting ${name} headers`;
  }
  const cseq = parseCSeq(headers.get('CSeq') ?? '');
  // Also RFC 4475 §3.1.2.4: a sequence number over 2**31-1 (§8.1.1.5).
  if (!cseq) return 'Malformed CSeq header';
  // §8.1.1.5, RFC 4475 §3.1.2.17/18: the CSeq method matches the request method.
  if (method !== undefined && cseq.method !== method) return 'CSeq method mismatch';
  const callId = headers.get('Call-ID') ?? '';
  if (!callId || /\s/.test(callId)) return 'Malformed Call-ID header';
  if (nameAddrProblem(headers.get('From') ?? '')) return 'Malformed From header';
  if (nameAddrProblem(headers.get('To') ?? '')) return 'Malformed To header';
  for (const line of headers.getLines('Via')) if (viaLineProblem(line)) return 'Malformed Via header';
  // Contact is the TU's: it must be a name-addr (RFC 4475 §3.1.2.13), but stray ';' are tolerated.
  for (const contact of headers.getAll('Contact')) if (contact !== '*' && nameAddrProblem(contact, false)) return 'Malformed Contact header';
  const maxForwards = headers.get('Max-Forwards');
  // §8.1.1.6: 0..255 (RFC 4475 §3.1.2.4 sends 300).
  if (maxForwards !== undefined && (!DIGITS.test(maxForwards) || Number(maxForwards) > 255)) return 'Malformed Max-Forwards header';
  return null;
}

/** One Via header line: no empty list elements, each value parses, no empty parameters (RFC 4475 §3.1.2.1). */
function viaLineProblem(line: string): boolean {
  for (const value of splitUnquoted(line, ',', true)) {
    if (!value || !parseVia(value)) return true;
    const semi = indexOfUnquoted(value, ';');
    if (semi >= 0 && paramsProblem(value.slice(semi))) return true;
  }
  return false;
}

/**
 * From/To/Contact (§20.10, §25.1 name-addr / addr-spec with header parameters). `strictParams`:
 * empty parameters (`;;tag=`, RFC 4475 §3.1.2.1) make it malformed.
 */
function nameAddrProblem(value: string, strictParams = true): boolean {
  const v = value.trim();
  if (!tryParseNameAddr(v)) return true;
  const lt = indexOfUnquoted(v, '<');
  if (lt > 0 && v[0] !== '"' && DISPLAY_NAME_SEPARATORS.test(v.slice(0, lt))) return true;
  let params = '';
  if (lt >= 0) params = v.slice(v.indexOf('>', lt) + 1);
  else {
    const semi = indexOfUnquoted(v, ';');
    if (semi >= 0) params = v.slice(semi);
  }
  return strictParams && params.trim() !== '' && paramsProblem(params);
}

/** `;name[=value]` repeated: every parameter has a token name and, with '=', a value. */
function paramsProblem(text: string): boolean {
  const parts = splitUnquoted(text, ';', true);
  if (parts[0] !== '') return true; // something before the first ';'
  for (const part of parts.slice(1)) {
    if (!part) return true;
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim();
    if (!isToken(name)) return true;
    if (eq >= 0 && part.slice(eq + 1).trim() === '') return true;
  }
  return false;
}
