// Codecs the mixer decodes itself. Anything else is declined in direct mode, and transcoded by
// rtpengine in relay mode (issue 4).
import { ALAW_TABLE, ULAW_TABLE } from './g711.js';

export interface MixerCodec {
  encoding: string;
  clockRate: number;
  table: Int16Array;
}

export const MIXER_CODECS: readonly MixerCodec[] = [
  { encoding: 'PCMU', clockRate: 8000, table: ULAW_TABLE },
  { encoding: 'PCMA', clockRate: 8000, table: ALAW_TABLE },
];

export function mixerCodec(encoding: string, clockRate: number): MixerCodec | undefined {
  return MIXER_CODECS.find((c) => c.encoding === encoding.toUpperCase() && c.clockRate === clockRate);
}
