import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { PasswordPolicyError } from './errors.js';

// Hash string: $scrypt$ln=15,r=8,p=1$<salt>$<key> (PHC style, base64 without padding). The
// parameters travel with every hash, so raising the cost later leaves old hashes verifiable.
// ln=15, r=8 costs 32 MiB and ~100 ms per hash on one appliance core.

export interface ScryptParams {
  /** log2 of N */
  ln: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { ln: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

interface Parsed {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function options(p: ScryptParams): ScryptOptions {
  const N = 2 ** p.ln;
  return { N, r: p.r, p: p.p, maxmem: 256 * N * p.r + 1024 * 1024 };
}

function format(p: ScryptParams, salt: Buffer, key: Buffer): string {
  return `$scrypt$ln=${p.ln},r=${p.r},p=${p.p}$${salt.toString('base64').replace(/=+$/, '')}$${key
    .toString('base64')
    .replace(/=+$/, '')}`;
}

function parse(hash: string): Parsed | null {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(hash);
  if (!m) return null;
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  // Bounds keep a tampered row from turning one login into a memory bomb.
  if (params.ln < 10 || params.ln > 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) return null;
  return { params, salt: Buffer.from(m[4]!, 'base64'), key: Buffer.from(m[5]!, 'base64') };
}

export function checkPasswordPolicy(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new PasswordPolicyError(`password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new PasswordPolicyError(`password must be at most ${MAX_PASSWORD_LENGTH} characters long`);
  }
}

export function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): string {
  const salt = randomBytes(SALT_BYTES);
  return format(params, salt, scryptSync(password.normalize('NFC'), salt, KEY_BYTES, options(params)));
}

function matches(parsed: Parsed, derived: Buffer): boolean {
  return derived.length === parsed.key.length && timingSafeEqual(derived, parsed.key);
}

export function verifyPassword(password: string, hash: string): boolean {
  const parsed = parse(hash);
  if (!parsed) return false;
  const derived = scryptSync(password.normalize('NFC'), parsed.salt, parsed.key.length, options(parsed.params));
  return matches(parsed, derived);
}

/** Same as verifyPassword, on the libuv thread pool: a login does not stall the event loop. */
export function verifyPasswordAsync(password: string, hash: string): Promise<boolean> {
  const parsed = parse(hash);
  if (!parsed) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), parsed.salt, parsed.key.length, options(parsed.params), (err, derived) => {
      if (err) reject(err);
      else resolve(matches(parsed, derived));
    });
  });
}

/**
 * A real hash of a random password: verifying against it costs what a real user's check costs,
 * so an unknown username answers as slowly as a wrong password.
 */
export function dummyHash(): string {
  dummy ??= hashPassword(randomBytes(18).toString('base64'));
  return dummy;
}
let dummy: string | undefined;
