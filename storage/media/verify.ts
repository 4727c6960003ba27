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

/**
 * Reads the stored object back and hashes it. ETags are not trusted: multipart uploads and some
 * servers do not make them an MD5 of the content, and an MD5 is not the SHA-256 of the record.
 */
export async function verifyStored(target: MediaTarget, expected: Expected): Promise<void> {
  const stored = await target.stat(expected.key);
  if (!stored) throw new VerificationError(`${expected.key}: not in storage target ${target.name} after upload`);
  if (stored.bytes !== expected.bytes) {
    throw new VerificationError(`${expected.key}: ${stored.bytes} bytes in storage target ${target.name}, ${expected.bytes} expected`);
  }
  const hash = createHash('sha256');
  for await (const chunk of await target.read(expected.key)) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  if (sha256 !== expected.sha256) {
    throw new VerificationError(`${expected.key}: SHA-256 in storage target ${target.name} is ${sha256}, ${expected.sha256} expected`);
  }
}
