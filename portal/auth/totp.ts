import { generateSecret, generateSync, generateURI, verifySync } from 'otplib';

// TOTP (RFC 6238) through otplib with the settings every authenticator app defaults to:
// HMAC-SHA1, 30-second steps, 6 digits. This module only adapts it to the portal's clock (ms,
// injectable) and to replay protection, which needs the step a code belongs to.

export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;

/** A new 160-bit secret, base32 as authenticator apps take it. */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The code of the step containing `nowMs` (tests and the console use it). */
export function totpCode(secret: string, nowMs: number, digits: 6 | 7 | 8 = TOTP_DIGITS): string {
  return generateSync({ secret, epoch: Math.floor(nowMs / 1000), digits, period: TOTP_STEP_SECONDS });
}

/**
 * The step a code belongs to, accepting one step either side for clock drift; null when the
 * code matches none. The caller refuses a step already used (a replayed code).
 */
export function verifyTotp(secret: string, code: string, nowMs: number, window = 1): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const result = verifySync({
    secret,
    token: code,
    epoch: Math.floor(nowMs / 1000),
    period: TOTP_STEP_SECONDS,
    epochTolerance: window * TOTP_STEP_SECONDS,
  });
  return result.valid ? Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS) + result.delta : null;
}

/** The otpauth:// URI (Key Uri Format) an authenticator app reads from a QR code. */
export function otpauthUri(issuer: string, account: string, secret: string): string {
  return generateURI({ issuer, label: account, secret, algorithm: 'sha1', digits: TOTP_DIGITS, period: TOTP_STEP_SECONDS });
}
