// Audio helpers for tests: tone generation as G.711 payloads, WAV parsing, dominant frequency.
import { linearToAlaw, linearToUlaw } from '../../recorder/media/g711.js';

export function tonePayload(freq: number, sampleRate: number, startSample: number, samples: number, codec: 'PCMU' | 'PCMA', amplitude = 8000): Buffer {
  const out = Buffer.alloc(samples);
  const enc = codec === 'PCMU' ? linearToUlaw : linearToAlaw;
  for (let i = 0; i < samples; i++) out[i] = enc(amplitude * Math.sin((2 * Math.PI * freq * (startSample + i)) / sampleRate));
  return out;
}

export interface Wav {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  dataBytes: number;
  /** Per channel samples. */
  samples: Int16Array[];
  durationSec: number;
}

export function parseWav(buf: Buffer): Wav {
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let off = 12;
  let fmt: { format: number; channels: number; sampleRate: number; bitsPerSample: number } | null = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      fmt = { format: buf.readUInt16LE(off + 8), channels: buf.readUInt16LE(off + 10), sampleRate: buf.readUInt32LE(off + 12), bitsPerSample: buf.readUInt16LE(off + 22) };
    } else if (id === 'data') {
      if (!fmt) throw new Error('data chunk before fmt chunk');
      const data = buf.subarray(off + 8, off + 8 + size);
      const frames = Math.floor(data.length / (2 * fmt.channels));
      const samples = Array.from({ length: fmt.channels }, () => new Int16Array(frames));
      for (let f = 0; f < frames; f++) for (let c = 0; c < fmt.channels; c++) samples[c]![f] = data.readInt16LE((f * fmt.channels + c) * 2);
      return { ...fmt, dataBytes: size, samples, durationSec: frames / fmt.sampleRate };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}

/** Frequency (Hz, 10 Hz steps, 100..3900) with the most energy in `samples` (Goertzel per bin). */
export function dominantFrequency(samples: Int16Array, sampleRate: number): number {
  let best = 0;
  let bestPower = -1;
  for (let f = 100; f < sampleRate / 2 - 100; f += 10) {
    const coeff = 2 * Math.cos((2 * Math.PI * f) / sampleRate);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]! + coeff * s1 - s2;
      s2 = s1;
      s1 = s;
    }
    const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if (power > bestPower) {
      bestPower = power;
      best = f;
    }
  }
  return best;
}

export function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length));
}
