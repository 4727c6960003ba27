// The portal and the recorder share the catalog file; SQLite lets one writer in at a time. A call
// that ends while another process holds the write lock past busy_timeout must still be stored
// whole once the lock is free: not left `recording` until the next start and then kept as partial.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { CATALOG_FILE } from '../../storage/catalog/index.js';
import { startAppliance, PortalClient, waitFor } from '../support/appliance.js';
import { placeSiprecCall } from '../support/siprec-call.js';
import { recordedCall } from '../support/recording-checks.js';

test('a call ending while another process holds the catalog write lock is stored complete once the lock is released', async () => {
  const app = await startAppliance();
  try {
    const portal = await PortalClient.login(app.portalUrl);
    const placed = placeSiprecCall({
      transport: 'udp',
      host: '127.0.0.1',
      port: app.sipPort,
      caller: { aor: 'sip:+15557900@sbc.example.com', name: 'Locked Out', freq: 440 },
      callee: { aor: 'sip:+15557901@pbx.example.com', name: 'Callee', freq: 1000 },
      durationMs: 3000,
    });
    await waitFor('the call recording', async () => (await portal.json<{ items: unknown[] }>('/api/v1/calls/active')).items.length === 1, 10_000);

    // Another writer takes the lock for longer than the recorder's busy_timeout (5 s).
    const other = new BetterSqlite3(join(app.dataDir, CATALOG_FILE));
    other.exec('BEGIN IMMEDIATE');
    let released = false;
    try {
      const { callId } = await placed;
      await sleep(7000);
      const row = other.prepare('SELECT status FROM interactions WHERE call_id = ?').get(callId) as { status: string };
      assert.equal(row.status, 'recording', 'nothing could be written while the lock was held');
      other.exec('COMMIT');
      released = true;

      const it = await recordedCall(portal, '+15557900', callId, 30_000);
      assert.equal(it.status, 'available');
      const detail = await portal.json<{ partial: boolean; durationMs: number; releaseCause: string | null }>(`/api/v1/interactions/${it.id}`);
      assert.equal(detail.partial, false, 'stored as the whole call, not recovered as partial');
      assert.equal(detail.releaseCause, 'Normal');
      assert.ok(Math.abs(detail.durationMs - 3000) < 800, `duration ${detail.durationMs} ms`);
    } finally {
      if (!released) other.exec('ROLLBACK');
      other.close();
    }
  } finally {
    await app.stop();
  }
});
