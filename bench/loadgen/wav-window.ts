// Reading a window of a stereo WAV fetched with HTTP Range requests: the header tells where the
// PCM starts; a window is a byte range of whole frames inside the data chunk.

export interface WavLayout {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  dataOffset: number;
  dataBytes: number;
}

/** Layout from the first bytes of a RIFF/WAVE file (at least up to the data chunk header). */
export function parseWavHeader(head: Buffer): WavLayout {
  if (head.length < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let off = 12;
  let fmt: { channels: number; sampleRate: number; bitsPerSample: number } | null = null;
  while (off + 8 <= head.length) {
    const id = head.toString('ascii', off, off + 4);
    const size = head.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      if (off + 24 > head.length) break;
      fmt = { channels: head.readUInt16LE(off + 10), sampleRate: head.readUInt32LE(off + 12), bitsPerSample: head.readUInt16LE(off + 22) };
    } else if (id === 'data') {
      if (!fmt) throw new Error('data chunk before fmt chunk');
      return { ...fmt, dataOffset: off + 8, dataBytes: size };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error(`no data chunk within the first ${head.length} bytes`);
}

/** Inclusive byte range of `seconds` of frames starting `atSec` into the audio, clamped to the data. */
export function windowRange(w: WavLayout, atSec: number, seconds: number): { start: number; end: number; frames: number } {
  const frameBytes = (w.channels * w.bitsPerSample) / 8;
  const totalFrames = Math.floor(w.dataBytes / frameBytes);
  const frames = Math.max(0, Math.min(Math.round(seconds * w.sampleRate), totalFrames));
  const first = Math.max(0, Math.min(Math.round(atSec * w.sampleRate), totalFrames - frames));
  const start = w.dataOffset + first * frameBytes;
  return { start, end: start + frames * frameBytes - 1, frames };
}

/** De-interleaves 16-bit little-endian PCM frames into one array per channel. */
export function splitChannels(pcm: Buffer, channels: number): Int16Array[] {
  const frames = Math.floor(pcm.length / (2 * channels));
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let f = 0; f < frames; f++) for (let c = 0; c < channels; c++) out[c]![f] = pcm.readInt16LE((f * channels + c) * 2);
  return out;
}
