export interface CSeq {
  seq: number;
  method: string;
}

const CSEQ_RE = /^(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)$/;

/** CSeq (RFC 3261 §20.16): the number must be below 2**31 (§8.1.1.5). Null when malformed. */
export function parseCSeq(value: string): CSeq | null {
  const m = CSEQ_RE.exec(value.trim());
  if (!m?.[1] || !m[2]) return null;
  const seq = Number(m[1]);
  if (seq > 2 ** 31 - 1) return null;
  return { seq, method: m[2] };
}
