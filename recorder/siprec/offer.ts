// Reads an INVITE body into what a recording needs: the SDP offer and, for SIPREC, the metadata.
import { parseMultipart, MultipartError } from './multipart.js';
import { parseSdp, SdpError, type SessionDescription } from './sdp.js';
import { parseMetadata, MetadataError, type RecordingMetadata } from './metadata.js';

export interface ParsedOffer {
  sdp: SessionDescription | null;
  /** The SDP as received, for a media relay that rewrites it. */
  sdpText: string | null;
  metadata: RecordingMetadata | null;
  /** The metadata document exactly as received (kept with the interaction, every version). */
  metadataXml: string | null;
  metadataError: string | null;
  multipartWithSdp: boolean;
}

/** A problem with the offer that maps to one SIP response. */
export class OfferError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`${status} ${reason}`);
  }
}

const METADATA_TYPES = new Set(['application/rs-metadata+xml', 'application/rs-metadata']);

export function parseOffer(contentType: { type: string; params: Map<string, string> } | null, body: Buffer): ParsedOffer {
  if (body.length === 0 || !contentType) return { sdp: null, sdpText: null, metadata: null, metadataXml: null, metadataError: null, multipartWithSdp: false };
  let sdpBody: Buffer | null = null;
  let metaBody: Buffer | null = null;
  let multipartWithSdp = false;
  if (contentType.type === 'multipart/mixed' || contentType.type === 'multipart/related' || contentType.type === 'multipart/alternative') {
    let parts;
    try {
      parts = parseMultipart(body, contentType.params.get('boundary') ?? '');
    } catch (err) {
      if (err instanceof MultipartError) throw new OfferError(400, `Malformed multipart body: ${err.message}`);
      throw err;
    }
    sdpBody = parts.find((p) => p.contentType === 'application/sdp')?.body ?? null;
    metaBody = parts.find((p) => METADATA_TYPES.has(p.contentType))?.body ?? null;
    multipartWithSdp = sdpBody !== null;
  } else if (contentType.type === 'application/sdp') {
    sdpBody = body;
  } else if (METADATA_TYPES.has(contentType.type)) {
    metaBody = body;
  } else {
    throw new OfferError(415, `Unsupported Media Type ${contentType.type}`);
  }
  let sdp: SessionDescription | null = null;
  const sdpText = sdpBody ? sdpBody.toString('utf8') : null;
  if (sdpText !== null) {
    try {
      sdp = parseSdp(sdpText);
    } catch (err) {
      if (err instanceof SdpError) throw new OfferError(400, `Malformed SDP: ${err.message}`);
      throw err;
    }
  }
  let metadata: RecordingMetadata | null = null;
  let metadataError: string | null = null;
  if (metaBody) {
    try {
      metadata = parseMetadata(metaBody);
    } catch (err) {
      // Lenient: a recording with header-derived parties beats no recording at all.
      if (err instanceof MetadataError) metadataError = err.message;
      else throw err;
    }
  }
  return { sdp, sdpText, metadata, metadataXml: metaBody ? metaBody.toString('utf8') : null, metadataError, multipartWithSdp };
}
