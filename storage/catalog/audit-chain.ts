import { createHash } from 'node:crypto';

// The audit trail is a hash chain: each row stores SHA-256 over the previous row's hash and its
// own canonical content, so editing, inserting or deleting a row in the middle breaks every hash
// from there on, and `verify` names the first row that no longer fits. The canonical content is
// a JSON array of the stored columns in a fixed order (details as its stored JSON text), so the
// check needs nothing but the row itself.

/** prev_hash of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

/** The stored columns of one audit row, as the hash sees them. */
export interface ChainedRow {
  id: number;
  at: number;
  user_id: number | null;
  username: string | null;
  action: string;
  target: string | null;
  details: string | null;
  ip: string | null;
  app: string | null;
  kind: string | null;
  item: string | null;
  action_type: string | null;
  description: string | null;
  activity_type: string | null;
  log_type: string | null;
}

export function rowHash(prevHash: string, r: ChainedRow): string {
  const canonical = JSON.stringify([
    r.id,
    r.at,
    r.user_id,
    r.username,
    r.action,
    r.target,
    r.details,
    r.ip,
    r.app,
    r.kind,
    r.item,
    r.action_type,
    r.description,
    r.activity_type,
    r.log_type,
  ]);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}
