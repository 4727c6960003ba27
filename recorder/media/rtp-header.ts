// RTP fixed header (RFC 3550 §5.1), read in place from the datagram: no copies, no objects.

export const RTP_MIN_HEADER = 12;

/** Offset of the payload, or -1 when the packet is not a usable RTP packet. */
export function rtpPayloadOffset(buf: Buffer): number {
  if (buf.length < RTP_MIN_HEADER || buf[0]! >> 6 !== 2) return -1;
  let offset = RTP_MIN_HEADER + (buf[0]! & 0x0f) * 4;
  if (buf[0]! & 0x10) {
    if (buf.length < offset + 4) return -1;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  }
  return offset <= buf.length ? offset : -1;
}

/** Payload end, excluding RFC 3550 padding. */
export function rtpPayloadEnd(buf: Buffer): number {
  if (buf[0]! & 0x20) return buf.length - buf[buf.length - 1]!;
  return buf.length;
}

export const rtpPayloadType = (buf: Buffer): number => buf[1]! & 0x7f;
export const rtpSequence = (buf: Buffer): number => buf.readUInt16BE(2);
export const rtpTimestamp = (buf: Buffer): number => buf.readUInt32BE(4);
export const rtpSsrc = (buf: Buffer): number => buf.readUInt32BE(8);
