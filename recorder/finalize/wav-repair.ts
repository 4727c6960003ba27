// Makes a spool WAV left by a killed recorder consistent again. The writer rewrites the header
// after every batch, so it is usually right already; but a kill between the data write and the
// header write leaves the header behind the data, and a kill inside a write can leave a torn
// last frame. The file size is the truth: every whole frame on disk is kept, a torn tail frame is
// cut, and the RIFF and data sizes are set from what remains.
import { open, type FileHandle } from 'node:fs/promises';

export interface WavLayout {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Bytes per frame (one sample of every channel). */
  blockAlign: number;
  /** Offset of the first audio byte. */
  dataOffset: number;
  /** The sizes the header claims. */
  headerRiffBytes: number;
  headerDataBytes: number;
}

export interface RepairedWav {
  sampleRate: number;
  channels: number;
  dataBytes: number;
  durationMs: number;
  /** The header sizes were rewritten. */
  headerFixed: boolean;
  /** Bytes of a torn last frame that were cut off. */
  truncatedBytes: number;
}

export class UnreadableWavError extends Error {
  constructor(path: string, why: string) {
    super(`${path}: not a usable WAV file (${why})`);
    this.name = 'UnreadableWavError';
  }
}

// Our header is 44 bytes; room for a few extra chunks before `data` in files from elsewhere.
const HEAD_BYTES = 4096;

/** Reads the format and where the audio starts; throws UnreadableWavError when they cannot be found. */
export async function readWavLayout(handle: FileHandle, path: string): Promise<WavLayout> {
  const head = Buffer.alloc(HEAD_BYTES);
  const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
  const buf = head.subarray(0, bytesRead);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new UnreadableWavError(path, 'no RIFF/WAVE header');
  }
  let fmt: Pick<WavLayout, 'sampleRate' | 'channels' | 'bitsPerSample' | 'blockAlign'> | null = null;
  for (let off = 12; off + 8 <= buf.length; ) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ' && off + 8 + 16 <= buf.length) {
      fmt = {
        channels: buf.readUInt16LE(off + 10),
        sampleRate: buf.readUInt32LE(off + 12),
        blockAlign: buf.readUInt16LE(off + 20),
        bitsPerSample: buf.readUInt16LE(off + 22),
      };
      if (buf.readUInt16LE(off + 8) !== 1) throw new UnreadableWavError(path, 'not PCM');
      if (fmt.channels < 1 || fmt.sampleRate < 1 || fmt.blockAlign !== (fmt.channels * fmt.bitsPerSample) / 8) {
        throw new UnreadableWavError(path, 'inconsistent fmt chunk');
      }
    } else if (id === 'data') {
      if (!fmt) throw new UnreadableWavError(path, 'data chunk before fmt chunk');
      return { ...fmt, dataOffset: off + 8, headerRiffBytes: buf.readUInt32LE(4), headerDataBytes: size };
    }
    off += 8 + size + (size % 2);
  }
  throw new UnreadableWavError(path, 'no data chunk in the first 4 KB');
}

/** Repairs `path` in place (see the top of this file) and describes the audio it holds. */
export async function repairWav(path: string): Promise<RepairedWav> {
  const handle = await open(path, 'r+');
  try {
    const layout = await readWavLayout(handle, path);
    const size = (await handle.stat()).size;
    const present = Math.max(0, size - layout.dataOffset);
    const dataBytes = present - (present % layout.blockAlign);
    const truncatedBytes = present - dataBytes;
    if (truncatedBytes > 0) await handle.truncate(layout.dataOffset + dataBytes);
    const riffBytes = layout.dataOffset + dataBytes - 8;
    const headerFixed = layout.headerDataBytes !== dataBytes || layout.headerRiffBytes !== riffBytes;
    if (headerFixed) {
      const field = Buffer.alloc(4);
      field.writeUInt32LE(riffBytes, 0);
      await handle.write(field, 0, 4, 4);
      field.writeUInt32LE(dataBytes, 0);
      await handle.write(field, 0, 4, layout.dataOffset - 4);
    }
    return {
      sampleRate: layout.sampleRate,
      channels: layout.channels,
      dataBytes,
      durationMs: Math.round((dataBytes / layout.blockAlign / layout.sampleRate) * 1000),
      headerFixed,
      truncatedBytes,
    };
  } finally {
    await handle.close();
  }
}

/** The audio of a complete WAV (a stored one), without touching the file. */
export async function inspectWav(path: string): Promise<Pick<RepairedWav, 'sampleRate' | 'channels' | 'dataBytes' | 'durationMs'>> {
  const handle = await open(path, 'r');
  try {
    const layout = await readWavLayout(handle, path);
    const size = (await handle.stat()).size;
    const dataBytes = Math.min(layout.headerDataBytes, Math.max(0, size - layout.dataOffset));
    return { sampleRate: layout.sampleRate, channels: layout.channels, dataBytes, durationMs: Math.round((dataBytes / layout.blockAlign / layout.sampleRate) * 1000) };
  } finally {
    await handle.close();
  }
}
