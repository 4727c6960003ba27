// Header names are case-insensitive (RFC 3261 §7.3.1) and many have a compact form (§7.3.3,
// plus RFC 3265, 3515, 3892, 4028, 3841, 8224). Everything is stored under one canonical long name.

const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
  r: 'refer-to',
  b: 'referred-by',
  x: 'session-expires',
  a: 'accept-contact',
  j: 'reject-contact',
  d: 'request-disposition',
  y: 'identity',
};

// Spellings that plain Title-Case would get wrong.
const SPECIAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
  'min-se': 'Min-SE',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
  'p-asserted-identity': 'P-Asserted-Identity',
  'p-preferred-identity': 'P-Preferred-Identity',
};

/**
 * Headers whose grammar is a comma-separated list (§7.3.1: "header-name: value *(, value)").
 * Authorization-style headers are deliberately absent: their commas separate auth-params.
 */
const MULTI_VALUE = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'allow',
  'allow-events',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-encoding',
  'path',
  'service-route',
]);

// Unknown names are attacker-chosen: bound the memo so it cannot grow without limit.
const MEMO_LIMIT = 2048;
const memo = new Map<string, string>();

function titleCase(lower: string): string {
  return lower.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
}

/** Lower-case canonical key ('i' -> 'call-id'); used for comparisons. */
export function headerKey(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? lower;
}

/** Canonical long form for writing ('i' -> 'Call-ID', 'x-foo' -> 'X-Foo'). */
export function canonicalHeaderName(name: string): string {
  const cached = memo.get(name);
  if (cached !== undefined) return cached;
  const key = headerKey(name);
  const canonical = SPECIAL[key] ?? titleCase(key);
  if (memo.size < MEMO_LIMIT) memo.set(name, canonical);
  return canonical;
}

export function isMultiValueHeader(name: string): boolean {
  return MULTI_VALUE.has(headerKey(name));
}
