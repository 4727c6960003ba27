// Errors the catalog throws on purpose. Callers (portal, CLI) map them to answers by class, so the
// message is written for the operator and never contains SQL.

export class CatalogError extends Error {
  override name = 'CatalogError';
}

/** The catalog file was written by a newer sipvault than this one. */
export class CatalogVersionError extends CatalogError {
  override name = 'CatalogVersionError';
}

export class DuplicateUsernameError extends CatalogError {
  override name = 'DuplicateUsernameError';
  constructor(readonly username: string) {
    super(`user "${username}" already exists`);
  }
}

export class PasswordPolicyError extends CatalogError {
  override name = 'PasswordPolicyError';
}

/** A value the catalog refuses to store (bad username, extension, role ...). */
export class InvalidInputError extends CatalogError {
  override name = 'InvalidInputError';
}

export class InvalidCursorError extends CatalogError {
  override name = 'InvalidCursorError';
  constructor() {
    super('invalid cursor: pass the nextCursor of a previous page unchanged');
  }
}

export class NotFoundError extends CatalogError {
  override name = 'NotFoundError';
}

/** A recording (or a user's calls) under legal hold cannot be deleted or purged. */
export class LegalHoldError extends CatalogError {
  override name = 'LegalHoldError';
}
