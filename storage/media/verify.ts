import { createHash } from 'node:crypto';
import type { MediaTarget } from './media-target.js';

/** What a stored copy must match: the size and SHA-256 the catalog has for the file. */
export interface Expected {
  key: string;
  bytes: number;
  sha256: string;
}

export class VerificationError extends Error {
  override name = 'VerificationError';
}

/** SHA-256 of a file on this machine, computed elsewhere than on the caller's event loop. */
export type HashLocalFile = (path: string) => Promise<{ sha256: string }>;

/**
 * Reads the stored object back and hashes it. ETags are not trusted: multipart uploads and some
 * servers do not make them an MD5 of the content, and an MD5 is not the SHA-256 of the record.
 * A target that keeps its files on local disk is hashed by path through `hashLocal` when given
 * (the recorder's hash threads), so the read-back never runs on the recorder's event loop.
 */
export async function verifyStored(target: MediaTarget, expected: Expected, hashLocal?: HashLocalFile): Promise<void> {
  const stored = await target.stat(expected.key);
  if (!stored) throw new VerificationError(`${expected.key}: not in storage target ${target.name} after upload`);
  if (stored.bytes !== expected.bytes) {
    throw new VerificationError(`${expected.key}: ${stored.bytes} bytes in storage target ${target.name}, ${expected.bytes} expected`);
  }
  let sha256: string;
  if (hashLocal && target.localPath) {
    sha256 = (await hashLocal(target.localPath(expected.key))).sha256;
  } else {
    const hash = createHash('sha256');
    for await (const chunk of await target.read(expected.key)) hash.update(chunk as Buffer);
    sha256 = hash.digest('hex');
  }
  if (sha256 !== expected.sha256) {
    throw new VerificationError(`${expected.key}: SHA-256 in storage target ${target.name} is ${sha256}, ${expected.sha256} expected`);
  }
}
