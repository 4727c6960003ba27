import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, ConfigError } from '../../config/loader.js';
import { LiveConfig, SETTING, applySettings, currentRetentionDays, effectiveConfig } from '../../config/overrides.js';
import { Catalog } from '../../storage/catalog/index.js';
import { createLogger } from '../../config/logger.js';

const base = buildConfig(
  { dataDir: '/tmp/sv-overrides', retention: { defaultDays: 365 }, snmp: { traps: [{ host: '192.0.2.1', community: 'c' }] } },
  'test',
);

test('overrides: retention merges, trap list replaces the file\'s, the active storage target is the one named', () => {
  const s3 = { type: 's3', name: 'Vault', endPoint: 'minio.lan', port: 9000, useSSL: true, accessKey: 'ak', secretKey: 'sk', bucket: 'rec' };
  const cfg = applySettings(base, {
    [SETTING.retention]: { defaultDays: 30 },
    [SETTING.snmpTraps]: [{ id: 'x', host: '192.0.2.9', port: 1162, version: 'v2c', community: 'n' }],
    [SETTING.storageTargets]: [base.storage.target, s3],
    [SETTING.storageActive]: 'Vault',
  });
  assert.deepEqual(cfg.retention, { defaultDays: 30, purgeIntervalMinutes: 60 });
  assert.deepEqual(cfg.snmp.traps, [{ host: '192.0.2.9', port: 1162, version: 'v2c', community: 'n' }]);
  assert.deepEqual(cfg.storage.target, s3);
  assert.deepEqual(applySettings(base, {}), base, 'no settings: the file as it is');
  assert.throws(
    () => applySettings(base, { [SETTING.snmpTraps]: [{ id: 'x', host: '192.0.2.9', port: 162, version: 'v3' }] }),
    (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.startsWith('snmp.traps[0].user: required for version v3')),
  );
});

test('LiveConfig re-reads only when the settings version moves; a bad override keeps the last good config', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-live-'));
  const catalog = Catalog.open(dir);
  t.after(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const errors: string[] = [];
  const live = new LiveConfig(base, catalog.settings, (e) => errors.push(e.message));
  assert.equal(live.get().retention.purgeIntervalMinutes, 60);
  assert.equal(live.changed(), false);
  catalog.settings.change(SETTING.retention, () => ({ purgeIntervalMinutes: 5 }), 'admin');
  assert.equal(live.changed(), true);
  assert.equal(live.get().retention.purgeIntervalMinutes, 5);
  assert.equal(currentRetentionDays(base, catalog.settings), 365, 'days not overridden: the file\'s');
  catalog.settings.change(SETTING.retention, (r) => ({ ...(r as object), defaultDays: null }), 'admin');
  assert.equal(currentRetentionDays(base, catalog.settings), null, 'keep forever');
  // Written around the API's checks: reported, not applied.
  catalog.settings.change(SETTING.retention, () => ({ purgeIntervalMinutes: 500 }), 'someone');
  assert.equal(live.get().retention.purgeIntervalMinutes, 5);
  assert.match(errors[0] ?? '', /retention\.purgeIntervalMinutes: must be <= 60/);
  assert.equal(effectiveConfig(base, catalog.settings).retention.purgeIntervalMinutes, 60, 'a component starting now falls back to the file');
  assert.equal(catalog.settings.version(), 3);
});

test('the retention job asks for its interval on every tick: a shorter one applies without a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-job-'));
  const catalog = Catalog.open(dir);
  const { RetentionJob } = await import('../../portal/jobs/retention.js');
  const { LocalMediaTarget } = await import('../../storage/media/local-target.js');
  let minutes = 60;
  const job = new RetentionJob(catalog, { target: new LocalMediaTarget('Local', join(dir, 'media')), spoolDir: join(dir, 'spool') }, () => minutes, createLogger('silent'), 20);
  t.after(async () => {
    await job.stop();
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const runs = () => catalog.audit.count({ actions: ['retention.summary'] });
  job.start();
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(runs(), 1, 'one run at start, the next not due for an hour');
  minutes = 0.002; // 120 ms
  await new Promise((r) => setTimeout(r, 800));
  assert.ok(runs() >= 3, `runs at the new interval: ${runs()}`);
  assert.ok(runs() <= 8, `not faster than the interval: ${runs()}`);
});
