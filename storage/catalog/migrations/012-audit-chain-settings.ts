import type BetterSqlite3 from 'better-sqlite3';
import { GENESIS_HASH, rowHash, type ChainedRow } from '../audit-chain.js';
import { auditMeaning } from '../audit-vocabulary.js';
import type { Migration } from './index.js';

// 1. The audit trail becomes tamper-evident: each row carries the hash chain (see audit-chain.ts)
//    and what it means to a reader (seed 000 Action/Item, seed 001 ActionType, the description,
//    and for system activities the System Activity Log's Log Type and Activity Type). Triggers
//    refuse every UPDATE and DELETE, and an INSERT that does not extend the chain from its current
//    end, so no process (portal, recorder, a second catalog on the same file) can fork it.
// 2. system_activity: seed 000's System Activity Log as a view over the audit rows of system
//    activities and the alarm history (raise, severity change, clear).
// 3. settings: configuration changed through the API, as overrides of the YAML file; every change
//    bumps settings_version so running components notice it with one cheap read.
const columns = `
ALTER TABLE audit ADD COLUMN app TEXT;
ALTER TABLE audit ADD COLUMN kind TEXT;
ALTER TABLE audit ADD COLUMN item TEXT;
ALTER TABLE audit ADD COLUMN action_type TEXT;
ALTER TABLE audit ADD COLUMN description TEXT;
ALTER TABLE audit ADD COLUMN activity_type TEXT;
ALTER TABLE audit ADD COLUMN log_type TEXT;
ALTER TABLE audit ADD COLUMN prev_hash TEXT;
ALTER TABLE audit ADD COLUMN hash TEXT;
`;

const guards = `
CREATE INDEX audit_action ON audit (action, id);
CREATE INDEX audit_item ON audit (item, id);
CREATE INDEX audit_kind ON audit (kind, id);
CREATE INDEX audit_target ON audit (target, id);
CREATE INDEX audit_activity ON audit (at) WHERE log_type IS NOT NULL;

CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows cannot be changed'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: rows cannot be deleted'); END;
CREATE TRIGGER audit_chain_append BEFORE INSERT ON audit
WHEN NEW.hash IS NULL OR length(NEW.hash) <> 64
  OR NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit)
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '${GENESIS_HASH}')
BEGIN SELECT RAISE(ABORT, 'audit rows are appended through the catalog only, at the end of the hash chain'); END;

CREATE VIEW system_activity AS
  SELECT 'audit' AS source, id AS source_id, at, log_type, activity_type, description,
         action AS subject
  FROM audit WHERE log_type IS NOT NULL
  UNION ALL
  SELECT 'alarm', h.id, h.at,
    CASE
      WHEN h.event = 'clear' THEN
        CASE WHEN a.severity IN ('critical', 'major') THEN 'alarm Clear'
             WHEN a.severity IN ('minor', 'warning') THEN 'warning Clear' ELSE 'Info' END
      WHEN h.severity IN ('critical', 'major') THEN 'alarm'
      WHEN h.severity IN ('minor', 'warning') THEN 'warning'
      ELSE 'Info'
    END,
    CASE
      WHEN a.source LIKE '%-SystemConfiguration' THEN 'Storage'
      WHEN a.source LIKE '%/MediaEngine' THEN 'Recording'
      ELSE 'System'
    END,
    CASE WHEN h.event = 'clear' THEN 'Cleared: ' || h.text ELSE h.text END,
    a.name || ' ' || a.source
  FROM alarm_history h JOIN alarms a ON a.id = h.alarm_id;

CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL CHECK (json_valid(value)),
  updated_at INTEGER NOT NULL,
  updated_by TEXT
) STRICT;
CREATE TABLE settings_version (
  id      INTEGER PRIMARY KEY CHECK (id = 1),
  version INTEGER NOT NULL
) STRICT;
INSERT INTO settings_version (id, version) VALUES (1, 0);
`;

type OldRow = Omit<ChainedRow, 'app' | 'kind' | 'item' | 'action_type' | 'description' | 'activity_type' | 'log_type'>;

/** Rows written before the chain get their meaning and their link, in id order. */
function chainExisting(db: BetterSqlite3.Database): void {
  const rows = db.prepare('SELECT id, at, user_id, username, action, target, details, ip FROM audit ORDER BY id').all() as OldRow[];
  const update = db.prepare(`UPDATE audit SET app = @app, kind = @kind, item = @item, action_type = @action_type,
    description = @description, activity_type = @activity_type, log_type = @log_type, prev_hash = @prev_hash, hash = @hash
    WHERE id = @id`);
  let prev = GENESIS_HASH;
  for (const r of rows) {
    const details = r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>);
    const m = auditMeaning({ action: r.action, username: r.username, target: r.target, details });
    const row: ChainedRow = {
      ...r,
      app: r.user_id === null && r.ip === null ? 'System' : 'Portal',
      kind: m.kind,
      item: m.item,
      action_type: m.actionType,
      description: m.description,
      activity_type: m.activity?.type ?? null,
      log_type: m.activity?.logType ?? null,
    };
    const hash = rowHash(prev, row);
    update.run({ ...row, prev_hash: prev, hash });
    prev = hash;
  }
}

export const auditChainSettings: Migration = {
  version: 12,
  name: 'audit hash chain, system activity log, settings',
  up(db) {
    db.exec(columns);
    chainExisting(db);
    db.exec(guards);
  },
};
