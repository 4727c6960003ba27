// Minimal SDP (RFC 8866) model: enough of the offer to answer it and to know where media comes from.
// Parsing is lenient: unknown lines are kept per m-line so nothing the SRC sent is lost for logging.

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface RtpMap {
  payloadType: number;
  encoding: string; // upper case, e.g. PCMU
  clockRate: number;
  channels: number;
  fmtp: string | null;
}

export interface MediaDescription {
  media: string; // audio, video, ...
  port: number;
  proto: string;
  formats: string[];
  connection: string | null; // address from a media-level c= line
  label: string | null;
  direction: SdpDirection | null;
  rtpmaps: RtpMap[];
  attributes: string[];
}

export interface SessionDescription {
  origin: string | null;
  connection: string | null;
  direction: SdpDirection | null;
  media: MediaDescription[];
}

export class SdpError extends Error {}

// RFC 3551 static payload types the mixer can meet without an rtpmap line.
const STATIC_PT: Record<number, [string, number]> = { 0: ['PCMU', 8000], 8: ['PCMA', 8000], 9: ['G722', 8000], 18: ['G729', 8000], 3: ['GSM', 8000] };

function connectionAddress(value: string): string | null {
  // c=IN IP4 192.0.2.1 (a TTL/count suffix may follow for multicast)
  const parts = value.trim().split(/\s+/);
  return parts[2]?.split('/')[0] ?? null;
}

export function parseSdp(text: string): SessionDescription {
  const sdp: SessionDescription = { origin: null, connection: null, direction: null, media: [] };
  let current: MediaDescription | null = null;
  let sawVersion = false;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trimEnd();
    if (!line) continue;
    if (line[1] !== '=') throw new SdpError(`malformed SDP line "${line.slice(0, 40)}"`);
    const type = line[0];
    const value = line.slice(2);
    if (type === 'v') sawVersion = true;
    else if (type === 'o') sdp.origin = value;
    else if (type === 'c') {
      if (current) current.connection = connectionAddress(value);
      else sdp.connection = connectionAddress(value);
    } else if (type === 'm') {
      const [media = '', portText = '', proto = '', ...formats] = value.split(/\s+/);
      const port = Number(portText.split('/')[0]);
      if (!media || !Number.isInteger(port) || port < 0 || port > 65535 || !proto) {
        throw new SdpError(`malformed m= line "${value}"`);
      }
      current = { media: media.toLowerCase(), port, proto, formats, connection: null, label: null, direction: null, rtpmaps: [], attributes: [] };
      sdp.media.push(current);
    } else if (type === 'a') {
      const colon = value.indexOf(':');
      const name = (colon < 0 ? value : value.slice(0, colon)).toLowerCase();
      const arg = colon < 0 ? '' : value.slice(colon + 1).trim();
      if (name === 'sendrecv' || name === 'sendonly' || name === 'recvonly' || name === 'inactive') {
        if (current) current.direction = name;
        else sdp.direction = name;
      } else if (current) {
        if (name === 'label') current.label = arg;
        else if (name === 'rtpmap') {
          const m = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(arg);
          if (m) current.rtpmaps.push({ payloadType: Number(m[1]), encoding: m[2]!.toUpperCase(), clockRate: Number(m[3]), channels: m[4] ? Number(m[4]) : 1, fmtp: null });
        } else if (name === 'fmtp') {
          const m = /^(\d+)\s+(.*)$/.exec(arg);
          const map = m ? current.rtpmaps.find((r) => r.payloadType === Number(m[1])) : undefined;
          if (map && m) map.fmtp = m[2]!;
        }
        current.attributes.push(value);
      }
    }
  }
  if (!sawVersion) throw new SdpError('SDP has no v= line');
  // Give static payload types without an rtpmap their RFC 3551 meaning.
  for (const m of sdp.media) {
    for (const f of m.formats) {
      const pt = Number(f);
      const known = STATIC_PT[pt];
      if (known && !m.rtpmaps.some((r) => r.payloadType === pt)) {
        m.rtpmaps.push({ payloadType: pt, encoding: known[0], clockRate: known[1], channels: 1, fmtp: null });
      }
    }
  }
  return sdp;
}

/** The effective direction of an m-line: media level, else session level, else sendrecv. */
export function effectiveDirection(sdp: SessionDescription, m: MediaDescription): SdpDirection {
  return m.direction ?? sdp.direction ?? 'sendrecv';
}

export function effectiveConnection(sdp: SessionDescription, m: MediaDescription): string | null {
  return m.connection ?? sdp.connection;
}

const NULL_ADDRESSES = new Set(['0.0.0.0', '::']);

/**
 * SIPREC pause (interop.md): every live audio stream is inactive or points at the null address.
 * The session goes on; only the media stops, and the timeline keeps running as silence.
 */
export function isPaused(sdp: SessionDescription): boolean {
  const live = sdp.media.filter((m) => m.media === 'audio' && m.port !== 0);
  if (live.length === 0) return false;
  return live.every((m) => effectiveDirection(sdp, m) === 'inactive' || NULL_ADDRESSES.has(effectiveConnection(sdp, m) ?? ''));
}

export interface AnswerMedia {
  /** 0 declines the stream. */
  port: number;
  media: string;
  proto: string;
  codec: RtpMap | null;
  telephoneEvent: RtpMap | null;
  label: string | null;
  direction: SdpDirection;
}

export interface AnswerOptions {
  address: string;
  sessionId: string;
  sessionVersion: number;
  media: AnswerMedia[];
}

/** Builds the SDP answer: our own o= line, one codec (plus telephone-event) per m-line, same order. */
export function buildAnswer(opts: AnswerOptions): string {
  const ipVersion = opts.address.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=sipvault ${opts.sessionId} ${opts.sessionVersion} IN ${ipVersion} ${opts.address}`,
    's=sipvault recording',
    `c=IN ${ipVersion} ${opts.address}`,
    't=0 0',
  ];
  for (const m of opts.media) {
    const pts = [m.codec, m.telephoneEvent].filter((c): c is RtpMap => c !== null).map((c) => c.payloadType);
    lines.push(`m=${m.media} ${m.port} ${m.proto} ${pts.length ? pts.join(' ') : '0'}`);
    for (const c of [m.codec, m.telephoneEvent]) {
      if (!c) continue;
      lines.push(`a=rtpmap:${c.payloadType} ${c.encoding === 'TELEPHONE-EVENT' ? 'telephone-event' : c.encoding}/${c.clockRate}${c.channels > 1 ? `/${c.channels}` : ''}`);
      if (c.fmtp) lines.push(`a=fmtp:${c.payloadType} ${c.fmtp}`);
    }
    if (m.label !== null) lines.push(`a=label:${m.label}`);
    lines.push(`a=${m.direction}`);
  }
  return lines.join('\r\n') + '\r\n';
}
