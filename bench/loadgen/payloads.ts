// Pre-encoded RTP payloads per codec and tone, built once before the first call so the sender
// only copies. G.711 of a plan tone (a multiple of 50 Hz) is the same 160 bytes in every packet;
// G.722 and Opus keep codec state, so a 1 s loop is cut from the steady state of a 2 s encoding
// (the step back at the loop point is a small predictor glitch, not a tone change).
import { tonePayload } from '../../test/support/audio.js';
import { CODEC_SDP, g722Tone, opusTone } from '../../test/support/codec-audio.js';

export type LoadCodec = 'PCMU' | 'PCMA' | 'G722' | 'OPUS';

export const LOAD_CODECS: readonly LoadCodec[] = ['PCMU', 'PCMA', 'G722', 'OPUS'];

export const codecSdp = (c: LoadCodec) => CODEC_SDP[c];

/** 20 ms payloads to send in a loop (packet n carries loop[n % loop.length]). */
export function payloadLoop(codec: LoadCodec, freq: number): Buffer[] {
  switch (codec) {
    case 'PCMU':
    case 'PCMA':
      return [tonePayload(freq, 8000, 0, 160, codec)];
    case 'G722': {
      const bits = g722Tone(freq, 2.1);
      return Array.from({ length: 50 }, (_, n) => Buffer.from(bits.subarray((50 + n) * 160, (51 + n) * 160)));
    }
    case 'OPUS':
      return opusTone(freq, 100).slice(50);
  }
}
