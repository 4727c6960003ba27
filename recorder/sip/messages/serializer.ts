import { headerKey } from './header-names.js';
import type { SipRequest, SipResponse } from './types.js';

// A CR or LF inside a value would let a caller inject header lines (or a body): fold it to a space.
function clean(text: string): string {
  return /[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, ' ') : text;
}

function serialize(startLine: string, message: SipRequest | SipResponse): Buffer {
  let head = `${clean(startLine)}\r\n`;
  for (const [name, value] of message.headers) {
    // Content-Length is always computed from the body bytes (§20.14), never trusted from the caller.
    if (headerKey(name) === 'content-length') continue;
    head += `${name}: ${clean(value)}\r\n`;
  }
  head += `Content-Length: ${message.body.length}\r\n\r\n`;
  return message.body.length > 0 ? Buffer.concat([Buffer.from(head, 'utf8'), message.body]) : Buffer.from(head, 'utf8');
}

export function serializeRequest(request: SipRequest): Buffer {
  return serialize(`${request.method} ${request.uri} ${request.version || 'SIP/2.0'}`, request);
}

export function serializeResponse(response: SipResponse): Buffer {
  return serialize(`${response.version || 'SIP/2.0'} ${response.status} ${response.reason}`, response);
}
