import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import type { Catalog, NewAuditEntry } from '../storage/catalog/index.js';
import type { MediaTarget } from '../storage/media/media-target.js';

/** What every API plugin receives as its options. */
export interface PortalContext {
  config: Config;
  catalog: Catalog;
  /** Where stored recordings are (local disk or S3). */
  mediaStore: MediaTarget;
  /** The recorder's spool: recordings waiting for their upload are played from here. */
  spoolDir: string;
  /** Hard limit on a login session, whatever the activity. */
  sessionAbsoluteHours: number;
  /** Epoch ms; sessions, lockouts, tokens and TOTP codes are timed by it (tests move it). */
  clock: () => number;
}

/** Writes one audit row for the caller of `request` (or the anonymous caller of a login). */
export function audit(
  ctx: PortalContext,
  request: FastifyRequest,
  action: string,
  target: string | null,
  details: NewAuditEntry['details'] = null,
  who?: { userId: number | null; username: string | null },
): void {
  ctx.catalog.audit.record({
    userId: who ? who.userId : (request.auth?.user.id ?? null),
    username: who ? who.username : (request.auth?.user.username ?? null),
    action,
    target,
    details,
    ip: request.ip,
  });
}

/** A configuration change through the API, audited with what it was and what it became (secrets masked by the caller). */
export function configChange(
  ctx: PortalContext,
  request: FastifyRequest,
  setting: string,
  op: 'create' | 'update' | 'delete',
  target: string | null,
  before: unknown,
  after: unknown,
  restartRequired: boolean,
): void {
  audit(ctx, request, 'config.change', target, { setting, op, before: before ?? null, after: after ?? null, restartRequired });
}
