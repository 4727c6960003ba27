// multipart/mixed bodies (RFC 2046) as SRCs send them: parts in any order, CRLF or bare LF,
// unknown parts (e.g. application/gtd) ignored. Works on raw bytes: a part's body is an exact slice.

export interface BodyPart {
  headers: Map<string, string>; // lower-case names
  contentType: string; // lower-case media type without parameters
  body: Buffer;
}

export class MultipartError extends Error {}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  let last: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (!line) continue;
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    headers.set(last, line.slice(colon + 1).trim());
  }
  return headers;
}

function lineEndBefore(buf: Buffer, index: number): number {
  // Strip the line break that precedes a delimiter: it belongs to the delimiter, not the part.
  if (index >= 2 && buf[index - 2] === 0x0d && buf[index - 1] === 0x0a) return index - 2;
  if (index >= 1 && buf[index - 1] === 0x0a) return index - 1;
  return index;
}

export function parseMultipart(body: Buffer, boundary: string): BodyPart[] {
  if (!boundary) throw new MultipartError('multipart body without a boundary parameter');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: BodyPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new MultipartError(`boundary "${boundary}" not found in the body`);
  while (pos >= 0) {
    let start = pos + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // closing delimiter
    // Skip transport padding and the line break after the delimiter.
    while (body[start] === 0x20 || body[start] === 0x09) start++;
    if (body[start] === 0x0d) start++;
    if (body[start] === 0x0a) start++;
    const next = body.indexOf(delimiter, start);
    const end = next < 0 ? body.length : lineEndBefore(body, next);
    const chunk = body.subarray(start, Math.max(start, end));
    // Headers end at the first empty line (CRLFCRLF or LFLF).
    let split = chunk.indexOf('\r\n\r\n');
    let bodyStart = split + 4;
    const lf = chunk.indexOf('\n\n');
    if (split < 0 || (lf >= 0 && lf < split)) {
      split = lf;
      bodyStart = lf + 2;
    }
    const headerText = split < 0 ? chunk.toString('latin1') : chunk.subarray(0, split).toString('latin1');
    const headers = parseHeaders(headerText);
    const contentType = (headers.get('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
    parts.push({ headers, contentType, body: split < 0 ? Buffer.alloc(0) : chunk.subarray(bodyStart) });
    if (next < 0) break;
    pos = next;
  }
  return parts;
}
