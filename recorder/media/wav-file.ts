// A RIFF/WAVE PCM 16-bit file that is valid at every moment: the header is rewritten with the
// current sizes after each batch, so a spool file stays playable while it grows and after a crash.
// (A kill between a batch and its header rewrite, or inside a write, leaves the header behind or a
// torn last frame: the next recorder start fixes both, see finalize/wav-repair.ts.)
import { open, openSync, writeSync, closeSync } from 'node:fs';
import { promisify } from 'node:util';

// The callback open() hands out a plain descriptor we own. (A fs/promises FileHandle would be
// closed again by the garbage collector after we closed its fd: EBADF, or worse, another file.)
const openAsync = promisify(open);

export const WAV_HEADER_BYTES = 44;

export function wavHeader(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

export class WavFile {
  private readonly header: Buffer;
  private dataBytes = 0;
  private closed = false;

  /**
   * Takes an open descriptor (see `create`). Appends stay synchronous on purpose: a batch is a
   * few KB into the page cache, cheaper than a thread-pool round trip per write.
   */
  constructor(
    readonly path: string,
    readonly sampleRate: number,
    readonly channels: number,
    private readonly fd: number = openSync(path, 'w', 0o640),
  ) {
    this.header = wavHeader(sampleRate, channels, 0);
    writeSync(this.fd, this.header, 0, WAV_HEADER_BYTES, 0);
  }

  /** Creates the file off the event loop: at hundreds of set-ups per second a blocking open() shows. */
  static async create(path: string, sampleRate: number, channels: number): Promise<WavFile> {
    const fd = await openAsync(path, 'w', 0o640);
    return new WavFile(path, sampleRate, channels, fd);
  }

  get bytes(): number {
    return this.dataBytes;
  }

  /** Appends interleaved little-endian PCM and refreshes the header sizes. */
  append(pcm: Buffer, length: number): void {
    if (length === 0) return;
    writeSync(this.fd, pcm, 0, length, WAV_HEADER_BYTES + this.dataBytes);
    this.dataBytes += length;
    this.header.writeUInt32LE(36 + this.dataBytes, 4);
    this.header.writeUInt32LE(this.dataBytes, 40);
    writeSync(this.fd, this.header, 0, WAV_HEADER_BYTES, 0);
  }

  /** Closes without fsync: the finalizer syncs the file asynchronously before it leaves the spool. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
