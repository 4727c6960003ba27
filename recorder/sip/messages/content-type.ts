import { indexOfUnquoted, parseParams } from './grammar.js';

export interface ContentType {
  /** type/subtype in lower case, e.g. 'multipart/mixed' (media types are case-insensitive, RFC 2045 §5.1). */
  type: string;
  /** Lower-case parameter names, unquoted values (a quoted boundary keeps its case). */
  params: Map<string, string>;
}

const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+$/;

/** Content-Type (RFC 3261 §20.15). Null when the media type is malformed. */
export function parseContentType(value: string): ContentType | null {
  const v = value.trim();
  const semi = indexOfUnquoted(v, ';');
  const type = (semi < 0 ? v : v.slice(0, semi)).replace(/\s+/g, '').toLowerCase();
  if (!MEDIA_TYPE.test(type)) return null;
  return { type, params: semi < 0 ? new Map() : parseParams(v.slice(semi + 1)) };
}
