import { isToken } from './grammar.js';
import { SipHeaders } from './headers.js';
import type { SipMessage } from './types.js';
import { headersProblem, requestUriProblem } from './validation.js';

export interface ParseOptions {
  /**
   * true (default) for a UDP datagram: a missing Content-Length means "up to the datagram end"
   * (RFC 3261 §18.3) and one larger than the datagram is an error. false for a message framed
   * from a stream by Content-Length: the body is the rest of the buffer.
   */
  datagram?: boolean;
}

/** What could be read of an invalid message: enough for the stack to decide whether to answer 400. */
export interface PartialMessage {
  method?: string;
  uri?: string;
  status?: number;
  version?: string;
  headers: SipHeaders;
}

export type ParseResult =
  | { ok: true; message: SipMessage; /** Tolerated irregularities, for debug logging. */ notes?: string[] }
  | { ok: false; error: string; /** Response status an answer should carry (400, 505). */ status: number; partial?: PartialMessage };

/** The error for input that is only CR/LF: a keep-alive (RFC 5626 §4.4.1), not a fault. */
export const EMPTY_MESSAGE = 'Empty message';

const CR = 0x0d;
const LF = 0x0a;

const STATUS_LINE = /^(\S+)[ \t]+(\d{3})(?:[ \t]+(.*))?$/;
const VERSION = /^SIP\/(\d{1,3})\.(\d{1,3})$/i;
const DIGITS = /^\d{1,10}$/;
const TOKEN_START = /^[A-Za-z0-9\-.!%*_+`'~]$/;

interface HeaderEnd {
  end: number; // index of the LF that ends the last header line (exclusive end of header text)
  bodyStart: number;
}

/** The blank line ending the header section: CRLFCRLF, LFLF or a mix (some SBCs send bare LF). */
function findHeaderEnd(data: Buffer, from: number): HeaderEnd | null {
  let i = data.indexOf(LF, from);
  while (i >= 0) {
    if (data[i + 1] === LF) return { end: i, bodyStart: i + 2 };
    if (data[i + 1] === CR && data[i + 2] === LF) return { end: i, bodyStart: i + 3 };
    i = data.indexOf(LF, i + 1);
  }
  return null;
}

/**
 * Unfolds continuation lines first (§7.3.1: a line starting with SP/HT continues the previous one,
 * the line break and leading whitespace counting as one SP), then splits name and value, so even
 * a fold before the colon (`Call-ID` / ` : value`, RFC 4475 §3.1.1.2) parses. A line that is not
 * `name: value` is skipped and noted: what matters is validated afterwards, field leniency wins.
 */
function readHeaders(lines: string[], headers: SipHeaders, notes: string[]): void {
  const logical: string[] = [];
  for (const line of lines) {
    if (line === '') continue;
    if (line[0] === ' ' || line[0] === '\t') {
      const more = trimLws(line);
      if (logical.length === 0) notes.push('continuation line before any header ignored');
      else if (more) logical[logical.length - 1] += ` ${more}`;
      continue;
    }
    logical.push(line);
  }
  for (const line of logical) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trimEnd() : '';
    if (isToken(name)) headers.append(name, trimLws(line.slice(colon + 1)));
    else notes.push(`malformed header line ignored: "${printable(line.slice(0, 40))}"`);
  }
}

/**
 * Strips SP, HT (LWS, §25.1) and stray CRs. Not String.prototype.trim: that also eats U+FEFF and
 * U+00A0, which are content in a UTF-8 value (RFC 4475 §3.1.1.2 puts such bytes in headers).
 */
function trimLws(text: string): string {
  return text.replace(/^[ \t\r]+|[ \t\r]+$/g, '');
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/**
 * Parses one SIP message. Never throws: invalid input gives `{ ok: false }` with a short error
 * (fit for a reason phrase) and, when the start line was readable, the headers found so far.
 */
export function parseMessage(data: Buffer, options: ParseOptions = {}): ParseResult {
  try {
    return parse(data, options.datagram ?? true);
  } catch (err) {
    // Defensive: a parser bug must never take a transport down.
    return { ok: false, status: 400, error: `Unparseable message (${(err as Error).message})` };
  }
}

function parse(data: Buffer, datagram: boolean): ParseResult {
  // §7.5: CRLFs before the start line are ignored (keep-alives, RFC 5626 §4.4.1).
  let start = 0;
  while (start < data.length && (data[start] === CR || data[start] === LF)) start++;
  if (start >= data.length) return { ok: false, status: 400, error: EMPTY_MESSAGE };
  // A start line begins with a method token or "SIP/": anything else (binary noise, STUN, TLS
  // hellos on the wrong port) is refused before any decoding, which keeps garbage floods cheap.
  if (!TOKEN_START.test(String.fromCharCode(data[start] ?? 0))) return { ok: false, status: 400, error: 'Bad start line' };

  const headerEnd = findHeaderEnd(data, start);
  const textEnd = headerEnd ? headerEnd.end : data.length;
  const lines = data.toString('utf8', start, textEnd).split(/\r?\n/);
  const startLine = trimLws(lines.shift() ?? '');
  const headers = new SipHeaders();
  const notes: string[] = [];
  readHeaders(lines, headers, notes);

  let partial: PartialMessage;
  let method: string | undefined;
  let uri = '';
  let status = 0;
  let reason = '';
  let versionText: string;
  if (startLine.startsWith('SIP/')) {
    const m = STATUS_LINE.exec(startLine);
    // A status line that does not parse (RFC 4475 §3.1.2.19, a 10-digit code) is still a response:
    // never answered, so no method in the partial message.
    if (!m) return { ok: false, status: 400, error: 'Bad status line', partial: { status: 0, headers } };
    versionText = m[1] ?? '';
    status = Number(m[2]);
    reason = trimLws(m[3] ?? '');
    partial = { status, version: versionText, headers };
    if (status < 100 || status > 699) return { ok: false, status: 400, error: 'Bad status code', partial };
  } else {
    // §7.1 Request-Line; runs of SP/HT are tolerated between the elements and at the end
    // (RFC 4475 §3.1.2.9 and §3.1.2.10 allow an element to be liberal there).
    const parts = startLine.split(/[ \t]+/);
    const first = parts[0] ?? '';
    // Knowing the method is what makes a 400 possible: keep it whenever it is a token.
    if (!isToken(first)) return { ok: false, status: 400, error: 'Bad start line', partial: { headers } };
    method = first;
    if (parts.length < 3) return { ok: false, status: 400, error: 'Bad start line', partial: { method, headers } };
    uri = parts.slice(1, -1).join(' ');
    versionText = parts[parts.length - 1] ?? '';
    partial = { method, uri, version: versionText, headers };
    // RFC 4475 §3.1.2.8: LWS inside the Request-URI.
    if (parts.length > 3) return { ok: false, status: 400, error: 'Malformed Request-URI', partial };
    const uriProblem = requestUriProblem(uri);
    if (uriProblem) return { ok: false, status: 400, error: uriProblem, partial };
  }
  const version = VERSION.exec(versionText);
  if (!version) return { ok: false, status: 400, error: 'Bad SIP version', partial };
  if (version[1] !== '2' || version[2] !== '0') return { ok: false, status: 505, error: 'Version Not Supported', partial };

  const invalid = headersProblem(headers, method);
  if (invalid) return { ok: false, status: 400, error: invalid, partial };
  if (!headerEnd) return { ok: false, status: 400, error: 'Missing empty line after headers', partial };

  // Content-Length (§18.3, §20.14).
  const available = data.length - headerEnd.bodyStart;
  let bodyLength = available;
  const cl = headers.get('Content-Length');
  if (cl !== undefined) {
    if (!DIGITS.test(cl)) return { ok: false, status: 400, error: 'Malformed Content-Length', partial };
    const declared = Number(cl);
    if (declared > available) return { ok: false, status: 400, error: 'Content-Length larger than message', partial };
    if (declared < available) {
      // §18.3: on a datagram, bytes past Content-Length are discarded. A stream frame is cut
      // exactly by the framer, so a mismatch there means the framer and parser disagree.
      if (!datagram) return { ok: false, status: 400, error: 'Content-Length smaller than frame', partial };
      notes.push(`Content-Length ${declared} < ${available} bytes after headers: trailing bytes ignored`);
    }
    bodyLength = declared;
  }
  const body = data.subarray(headerEnd.bodyStart, headerEnd.bodyStart + bodyLength);
  const message: SipMessage =
    method === undefined ? { status, reason, version: 'SIP/2.0', headers, body } : { method, uri, version: 'SIP/2.0', headers, body };
  return notes.length > 0 ? { ok: true, message, notes } : { ok: true, message };
}
