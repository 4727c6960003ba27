import { mkdir, rename, copyFile, unlink, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { MediaTarget, StoredObject } from './media-target.js';

export class LocalMediaTarget implements MediaTarget {
  readonly root: string;

  constructor(
    readonly name: string,
    root: string,
  ) {
    this.root = resolve(root);
  }

  /** Absolute path of a key; refuses keys that would escape the root. */
  pathOf(key: string): string {
    const p = resolve(this.root, key);
    if (!p.startsWith(this.root + sep)) throw new Error(`media key escapes the store: ${key}`);
    return p;
  }

  async put(localPath: string, key: string): Promise<StoredObject> {
    const dest = this.pathOf(key);
    await mkdir(dirname(dest), { recursive: true });
    try {
      await rename(localPath, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      // Spool and store on different filesystems: copy, then drop the spool copy.
      await copyFile(localPath, dest);
      await unlink(localPath);
    }
    return { key, bytes: (await stat(dest)).size };
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
