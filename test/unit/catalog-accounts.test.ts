import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Catalog,
  DuplicateUsernameError,
  InvalidInputError,
  PasswordPolicyError,
} from '../../storage/catalog/index.js';

function openCatalog(t: TestContext): Catalog {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-catalog-'));
  const catalog = Catalog.open(dir);
  t.after(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return catalog;
}

test('users: add, duplicate, policy, verify right/wrong/unknown, password change', async (t) => {
  const catalog = openCatalog(t);
  const u = catalog.users.add({ username: 'alice', password: 'correct horse', role: 'user', extensions: ['100', ' 101 ', '100'] });
  assert.equal(u.username, 'alice');
  assert.equal(u.role, 'user');
  assert.deepEqual(u.extensions, ['100', '101']);
  assert.equal(u.mustChangePassword, false);
  assert.deepEqual(catalog.users.byUsername('alice'), u);
  assert.deepEqual(catalog.users.get(u.id), u);
  assert.equal(catalog.users.count(), 1);

  assert.throws(
    () => catalog.users.add({ username: 'Alice', password: 'another pw', role: 'admin', extensions: [] }),
    (err: unknown) => err instanceof DuplicateUsernameError && /already exists/.test(err.message),
  );
  assert.throws(
    () => catalog.users.add({ username: 'bob', password: 'short', role: 'user', extensions: [] }),
    (err: unknown) => err instanceof PasswordPolicyError && /at least 8 characters/.test(err.message),
  );
  assert.throws(() => catalog.users.add({ username: 'bad name', password: 'long enough', role: 'user', extensions: [] }), InvalidInputError);
  assert.throws(
    () => catalog.users.add({ username: 'carl', password: 'long enough', role: 'root' as 'admin', extensions: [] }),
    InvalidInputError,
  );

  assert.deepEqual(catalog.users.verify('alice', 'correct horse'), u);
  assert.equal(catalog.users.verify('alice', 'wrong horse'), null);
  assert.equal(catalog.users.verify('nobody', 'correct horse'), null);
  assert.deepEqual(await catalog.users.verifyAsync('alice', 'correct horse'), u);
  assert.equal(await catalog.users.verifyAsync('alice', 'Correct horse'), null);
  assert.equal(await catalog.users.verifyAsync('nobody', 'x'), null);

  const session = catalog.sessions.create(u.id, 30);
  catalog.users.setPassword('alice', 'battery staple');
  assert.equal(catalog.users.verify('alice', 'correct horse'), null);
  assert.ok(catalog.users.verify('alice', 'battery staple'));
  assert.equal(catalog.sessions.touch(session.id), null, 'a new password ends existing sessions');
  assert.throws(() => catalog.users.setPassword('alice', '1234567'), PasswordPolicyError);
  assert.throws(() => catalog.users.setPassword('nobody', '12345678'), /not found/);
  assert.deepEqual(
    catalog.users.list().map((x) => x.username),
    ['alice'],
  );
});

test('sessions: touch returns the user and CSRF token; idle and absolute timeouts; delete', async (t) => {
  const catalog = openCatalog(t);
  const u = catalog.users.add({ username: 'sam', password: 'password-1', role: 'admin', extensions: [] });
  const s = catalog.sessions.create(u.id, 30);
  assert.match(s.id, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
  assert.ok(s.expiresAt.getTime() > Date.now());
  assert.deepEqual(catalog.sessions.touch(s.id), { userId: u.id, csrfToken: s.csrfToken, publicId: s.publicId });
  assert.equal(catalog.sessions.touch('not-a-session'), null);
  catalog.sessions.delete(s.id);
  assert.equal(catalog.sessions.touch(s.id), null);

  const idle = catalog.sessions.create(u.id, 0.002); // 120 ms idle
  await sleep(60);
  assert.ok(catalog.sessions.touch(idle.id), 'activity within the idle time keeps it');
  await sleep(80);
  assert.ok(catalog.sessions.touch(idle.id), 'each touch pushes the idle expiry');
  await sleep(200);
  assert.equal(catalog.sessions.touch(idle.id), null, 'expired after idling');

  const absolute = catalog.sessions.create(u.id, 30, 0.1 / 3600); // 100 ms absolute
  await sleep(40);
  assert.ok(catalog.sessions.touch(absolute.id));
  await sleep(100);
  assert.equal(catalog.sessions.touch(absolute.id), null, 'expired at the absolute limit despite activity');
});

test('alarms: no duplicate raise, severity change, clear, history of every event', (t) => {
  const catalog = openCatalog(t);
  const kind = { name: 'ConnectionFailed', oid: '1.3.6.1.4.1.5003.9.40.3.2.0.101', source: 'sv/Local-SystemConfiguration' };
  const first = catalog.alarms.raise({ ...kind, severity: 'major', text: 'Connection To Storage Local Lost' });
  assert.equal(first.changed, true);
  assert.equal(first.alarm.state, 'active');
  assert.equal(first.alarm.clearedAt, null);

  const again = catalog.alarms.raise({ ...kind, severity: 'major', text: 'Connection To Storage Local Lost' });
  assert.equal(again.changed, false, 'same alarm at the same severity: no new event');
  assert.equal(again.alarm.id, first.alarm.id);

  const worse = catalog.alarms.raise({ ...kind, severity: 'critical', text: 'still lost' });
  assert.equal(worse.changed, true);
  assert.equal(worse.alarm.id, first.alarm.id, 'a severity change updates the same alarm');
  assert.equal(worse.alarm.severity, 'critical');

  const other = catalog.alarms.raise({ ...kind, source: 'sv/Recorder', severity: 'minor', text: 'other source' });
  assert.notEqual(other.alarm.id, first.alarm.id, 'the same name from another source is another alarm');
  assert.equal(catalog.alarms.active().length, 2);

  const cleared = catalog.alarms.clear(kind.name, kind.source);
  assert.ok(cleared);
  assert.equal(cleared.state, 'cleared');
  assert.ok(cleared.clearedAt);
  assert.equal(catalog.alarms.clear(kind.name, kind.source), null, 'nothing active to clear');
  assert.deepEqual(
    catalog.alarms.active().map((a) => a.source),
    ['sv/Recorder'],
  );

  const history = catalog.alarms.history(10);
  assert.deepEqual(
    history.map((h) => [h.event, h.severity, h.state, h.source]),
    [
      ['clear', 'cleared', 'cleared', kind.source],
      ['raise', 'minor', 'active', 'sv/Recorder'],
      ['change', 'critical', 'active', kind.source],
      ['raise', 'major', 'active', kind.source],
    ],
  );
  const reraised = catalog.alarms.raise({ ...kind, severity: 'major', text: 'lost again' });
  assert.equal(reraised.changed, true);
  assert.notEqual(reraised.alarm.id, first.alarm.id, 'a raise after a clear is a new occurrence');
  assert.deepEqual(
    catalog.alarms.recent(10).map((a) => [a.source, a.state]),
    [
      [kind.source, 'active'],
      ['sv/Recorder', 'active'],
      [kind.source, 'cleared'],
    ],
  );
  assert.throws(() => catalog.alarms.raise({ ...kind, severity: 'cleared' as 'major', text: '' }), /clear\(\)/);
});

test('audit: record and list newest first with a time window', async (t) => {
  const catalog = openCatalog(t);
  catalog.audit.record({ userId: null, username: 'x', action: 'login.failed', target: 'x', details: null, ip: '10.0.0.1' });
  await sleep(5);
  const mid = new Date();
  await sleep(5);
  catalog.audit.record({ userId: 1, username: 'admin', action: 'media.play', target: 'abc', details: { format: 'wav' }, ip: '10.0.0.2' });
  const all = catalog.audit.list({ limit: 10 });
  assert.deepEqual(
    all.map((e) => e.action),
    ['media.play', 'login.failed'],
  );
  assert.deepEqual(all[0]!.details, { format: 'wav' });
  assert.deepEqual(
    catalog.audit.list({ limit: 10, from: mid }).map((e) => e.action),
    ['media.play'],
  );
  assert.deepEqual(
    catalog.audit.list({ limit: 10, to: mid }).map((e) => e.action),
    ['login.failed'],
  );
  assert.equal(catalog.audit.list({ limit: 1 }).length, 1);
});
