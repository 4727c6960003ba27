// Lexical helpers shared by the header parsers (RFC 3261 §25.1). Hand-written scanners instead of
// regular expressions so that hostile input can never trigger catastrophic backtracking.

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

export function isToken(value: string): boolean {
  return TOKEN_RE.test(value);
}

/**
 * Index of the first `ch` at nesting level zero: outside quoted strings (with backslash escapes,
 * §25.1 quoted-pair) and outside <...>. Returns -1 when absent.
 */
export function indexOfUnquoted(value: string, ch: string, from = 0): number {
  let inQuote = false;
  let angle = 0;
  for (let i = from; i < value.length; i++) {
    const c = value[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
      continue;
    }
    if (c === '"') inQuote = true;
    else if (c === ch && angle === 0) return i;
    else if (c === '<') angle++;
    else if (c === '>' && angle > 0) angle--;
  }
  return -1;
}

/**
 * Splits on `sep` at nesting level zero (see indexOfUnquoted) and trims the parts. Empty parts are
 * dropped unless `keepEmpty` (validation wants to see `;;` and `,,`, RFC 4475 §3.1.2.1).
 */
export function splitUnquoted(value: string, sep: string, keepEmpty = false): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const at = indexOfUnquoted(value, sep, start);
    const part = (at < 0 ? value.slice(start) : value.slice(start, at)).trim();
    if (part || keepEmpty) out.push(part);
    if (at < 0) return out;
    start = at + 1;
  }
}

/** Removes surrounding double quotes and resolves quoted-pairs; other values are returned trimmed. */
export function unquote(value: string): string {
  const v = value.trim();
  if (v.length < 2 || v[0] !== '"' || v[v.length - 1] !== '"') return v;
  let out = '';
  for (let i = 1; i < v.length - 1; i++) {
    const c = v[i];
    if (c === '\\' && i + 1 < v.length - 1) out += v[++i];
    else out += c;
  }
  return out;
}

/**
 * Parses `;name=value;flag` generic-params (§25.1) into a Map with lower-case names (parameter
 * names are case-insensitive, §7.3.1) and unquoted values ('' for a flag without value).
 */
export function parseParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const raw of splitUnquoted(text, ';')) {
    const eq = raw.indexOf('=');
    const name = (eq < 0 ? raw : raw.slice(0, eq)).trim().toLowerCase();
    if (!name) continue;
    params.set(name, eq < 0 ? '' : unquote(raw.slice(eq + 1)));
  }
  return params;
}

/**
 * One parameter of a header value, or of an already parsed params Map. For a string, parameters
 * inside <...> (URI parameters) are skipped: only header parameters count.
 */
export function getParam(source: string | ReadonlyMap<string, string>, name: string): string | undefined {
  const key = name.toLowerCase();
  if (typeof source !== 'string') return source.get(key);
  const semi = indexOfUnquoted(source, ';');
  if (semi < 0) return undefined;
  return parseParams(source.slice(semi + 1)).get(key);
}
