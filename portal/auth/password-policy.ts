import type { Config } from '../../config/schema.js';
import { MIN_PASSWORD_LENGTH, PasswordPolicyError } from '../../storage/catalog/index.js';

export type PasswordPolicy = Config['portal']['auth']['passwordPolicy'];

const CLASSES: ReadonlyArray<[string, RegExp]> = [
  ['lowercase letters', /\p{Ll}/u],
  ['uppercase letters', /\p{Lu}/u],
  ['digits', /\p{Nd}/u],
  ['other characters', /[^\p{Ll}\p{Lu}\p{Nd}]/u],
];

/**
 * Throws PasswordPolicyError naming the rule a password breaks (minLength, minClasses). The
 * catalog itself only keeps its floor of MIN_PASSWORD_LENGTH; this is the configurable policy
 * of portal.auth.passwordPolicy, applied wherever a person chooses a password.
 */
export function checkPasswordPolicy(policy: PasswordPolicy, password: string): void {
  const minLength = Math.max(policy.minLength, MIN_PASSWORD_LENGTH);
  const length = [...password].length;
  if (length < minLength) {
    throw new PasswordPolicyError(`password policy minLength: the password must have at least ${minLength} characters (it has ${length})`);
  }
  const present = CLASSES.filter(([, re]) => re.test(password)).length;
  if (present < policy.minClasses) {
    throw new PasswordPolicyError(
      `password policy minClasses: the password must mix at least ${policy.minClasses} of ${CLASSES.map(([n]) => n).join(', ')} (it has ${present})`,
    );
  }
}
