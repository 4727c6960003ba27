import { randomInt } from 'node:crypto';
import type { Logger } from '../../config/logger.js';
import { DuplicateUsernameError, type Catalog } from '../../storage/catalog/index.js';

export const ADMIN_USERNAME = 'admin';
// No look-alikes (0/O, 1/l/I): the password is read off a log line and typed by hand.
const ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function randomPassword(length = 16): string {
  let pw = '';
  for (let i = 0; i < length; i++) pw += ALPHABET[randomInt(ALPHABET.length)];
  return pw;
}

/**
 * First start on an empty catalog: creates `admin` (role sysadmin, the System Administrator whose
 * access cannot be taken away) with SIPVAULT_ADMIN_PASSWORD,
 * or with a random password written once to the log at warn level. Does nothing when any user
 * exists, so the password is never logged again.
 */
export function ensureAdmin(catalog: Catalog, logger: Logger): void {
  if (catalog.users.count() > 0) return;
  const fromEnv = process.env.SIPVAULT_ADMIN_PASSWORD;
  const password = fromEnv !== undefined && fromEnv !== '' ? fromEnv : randomPassword();
  try {
    catalog.users.add({ username: ADMIN_USERNAME, password, role: 'sysadmin', extensions: [] });
  } catch (err) {
    // Another process (recorder and portal starting together) created it first.
    if (err instanceof DuplicateUsernameError) return;
    if (fromEnv) throw new Error(`SIPVAULT_ADMIN_PASSWORD is not usable: ${(err as Error).message}`);
    throw err;
  }
  if (password === fromEnv) logger.info({ username: ADMIN_USERNAME }, 'created user admin with SIPVAULT_ADMIN_PASSWORD');
  else logger.warn(`initial admin password: ${password}`);
}
