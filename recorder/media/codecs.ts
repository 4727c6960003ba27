// Codecs the mixer decodes itself. Anything else is declined in direct mode, and transcoded by
// rtpengine in relay mode. telephone-event (RFC 4733) and CN (RFC 3389) ride along with the chosen
// codec; they are never decoded as audio.
import type { AudioDecoder } from './decoder.js';
import { ALAW_TABLE, ULAW_TABLE, G711Decoder } from './g711.js';
import { G722Decoder } from './g722.js';
import { L16Decoder } from './l16.js';
import { OpusDecoder } from './opus.js';

export interface MixerCodec {
  /** Upper-case encoding name as in a=rtpmap. */
  encoding: string;
  /** The RTP timestamp clock from a=rtpmap (8000 for G.722, 48000 for Opus). */
  clockRate: number;
  /** Sample rate of the decoded audio. */
  sampleRate: number;
  /** Carries audio above 4 kHz: a call with such a stream is written at 16 kHz. */
  wideband: boolean;
  createDecoder(): AudioDecoder;
}

export const MIXER_CODECS: readonly MixerCodec[] = [
  { encoding: 'PCMU', clockRate: 8000, sampleRate: 8000, wideband: false, createDecoder: () => new G711Decoder(ULAW_TABLE) },
  { encoding: 'PCMA', clockRate: 8000, sampleRate: 8000, wideband: false, createDecoder: () => new G711Decoder(ALAW_TABLE) },
  { encoding: 'G722', clockRate: 8000, sampleRate: 16000, wideband: true, createDecoder: () => new G722Decoder() },
  { encoding: 'OPUS', clockRate: 48000, sampleRate: 48000, wideband: true, createDecoder: () => new OpusDecoder() },
  { encoding: 'L16', clockRate: 8000, sampleRate: 8000, wideband: false, createDecoder: () => new L16Decoder(8000) },
  { encoding: 'L16', clockRate: 16000, sampleRate: 16000, wideband: true, createDecoder: () => new L16Decoder(16000) },
];

export function mixerCodec(encoding: string, clockRate: number): MixerCodec | undefined {
  const name = encoding.toUpperCase();
  return MIXER_CODECS.find((c) => c.encoding === name && c.clockRate === clockRate);
}

export const NARROWBAND_RATE = 8000;
export const WIDEBAND_RATE = 16000;

/**
 * The file's sample rate, decided once when the session opens: 16 kHz when any stream uses a
 * wideband codec (G.722, Opus, L16/16000), else 8 kHz. Streams added later are converted to it.
 */
export function fileSampleRate(codecs: Iterable<MixerCodec>): number {
  for (const c of codecs) if (c.wideband) return WIDEBAND_RATE;
  return NARROWBAND_RATE;
}

/** RFC 3551 static payload type of comfort noise, used when the offer lists no CN rtpmap. */
export const STATIC_CN_PAYLOAD_TYPE = 13;
