import { copyFile, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { StorageTargetError, type ByteRange, type MediaTarget, type StoredObject } from './media-target.js';

export class LocalMediaTarget implements MediaTarget {
  readonly root: string;

  constructor(
    readonly name: string,
    root: string,
  ) {
    this.root = resolve(root);
  }

  get description(): string {
    return `local ${this.root}`;
  }

  /** Absolute path of a key; refuses keys that would escape the root. */
  pathOf(key: string): string {
    const p = resolve(this.root, key);
    if (!p.startsWith(this.root + sep)) throw new Error(`media key escapes the store: ${key}`);
    return p;
  }

  localPath(key: string): string {
    return this.pathOf(key);
  }

  async prepare(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
    } catch (err) {
      throw new StorageTargetError(`storage.target.path: cannot create ${this.root}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, false, { cause: err });
    }
  }

  async put(localPath: string, key: string): Promise<StoredObject> {
    const dest = this.pathOf(key);
    await mkdir(dirname(dest), { recursive: true });
    // Copied under a temporary name and renamed: a reader never sees half a file under the key.
    const temp = join(dirname(dest), `.${randomBytes(6).toString('hex')}.part`);
    try {
      await copyFile(localPath, temp);
      const h = await open(temp, 'r+');
      try {
        await h.sync();
      } finally {
        await h.close();
      }
      await rename(temp, dest);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    return { key, bytes: (await stat(dest)).size };
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      return { key, bytes: (await stat(this.pathOf(key))).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    // Opened before returning, so a missing file rejects here rather than in the stream.
    const handle = await open(this.pathOf(key), 'r');
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

export function localTargetRoot(dataDir: string, path: string | null): string {
  return path ?? join(dataDir, 'media');
}
