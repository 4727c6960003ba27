// In-place update (scripts/image/sipvault-update.sh) on a copy of an appliance's file system
// (SIPVAULT_ROOT): the catalog is migrated from an older schema with its accounts, every recording
// stays byte for byte, the admin's config is kept, the catalog is backed up first; a release that
// cannot open the catalog is rolled back with the catalog restored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { REPO } from '../support/appliance.js';
import { Catalog, SCHEMA_VERSION } from '../../storage/catalog/index.js';
import { migrate, schemaVersion } from '../../storage/catalog/migrate.js';
import { migrations, type Migration } from '../../storage/catalog/migrations/index.js';
import { hashPassword } from '../../storage/catalog/passwords.js';

const UPDATE = join(REPO, 'scripts/image/sipvault-update.sh');

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipvault-update-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A built release: this tree's runtime parts (the build in dist/, the dependencies). */
function release(at: string): string {
  mkdirSync(at, { recursive: true });
  for (const p of ['bin', 'dist', 'scripts', 'systemd', 'packer', 'package.json', 'README.md']) cpSync(join(REPO, p), join(at, p), { recursive: true });
  symlinkSync(realpathSync(join(REPO, 'node_modules')), join(at, 'node_modules'));
  writeFileSync(join(at, 'release.json'), JSON.stringify({ version: '0.1.0', revision: 'test', node: process.version, nodeModuleAbi: process.versions.modules }));
  return at;
}

/** An installed appliance under `root` whose catalog is at `version` (with a user) and one recording. */
function appliance(root: string, opts: { catalogMigrations: readonly Migration[] }): { data: string; media: string; mediaHash: string } {
  const data = join(root, 'var/lib/sipvault');
  mkdirSync(join(root, 'etc/sipvault'), { recursive: true });
  writeFileSync(join(root, 'etc/sipvault/sipvault.yaml'), `# the admin's own file\ndataDir: ${data}\nsip: { maxSessions: 42 }\n`);
  release(join(root, 'opt/sipvault/releases/20250101T000000Z'));
  symlinkSync(join(root, 'opt/sipvault/releases/20250101T000000Z'), join(root, 'opt/sipvault/current'));
  mkdirSync(data, { recursive: true });
  const db = new BetterSqlite3(join(data, 'catalog.sqlite'));
  db.pragma('journal_mode = WAL');
  migrate(db, opts.catalogMigrations);
  // The account as an older release wrote it: today's UsersRepo expects columns of later schemas.
  const now = Date.now();
  const { lastInsertRowid } = db
    .prepare('INSERT INTO users (username, password_hash, role, must_change_password, created_at, updated_at) VALUES (?, ?, ?, 0, ?, ?)')
    .run('alice', hashPassword('alice-long-Pa55word'), 'supervisor', now, now);
  db.prepare('INSERT INTO user_extensions (user_id, extension) VALUES (?, ?)').run(lastInsertRowid, '2001');
  db.close();
  const media = join(data, 'media/2026/11/24/0193-test.wav');
  mkdirSync(join(media, '..'), { recursive: true });
  const bytes = randomBytes(64 * 1024);
  writeFileSync(media, bytes);
  return { data, media, mediaHash: createHash('sha256').update(bytes).digest('hex') };
}

const versionOf = (data: string) => {
  const db = new BetterSqlite3(join(data, 'catalog.sqlite'), { readonly: true });
  try {
    return schemaVersion(db);
  } finally {
    db.close();
  }
};
const sha256 = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

function update(root: string, newRelease: string) {
  return spawnSync('bash', [UPDATE, newRelease], { encoding: 'utf8', env: { ...process.env, SIPVAULT_ROOT: root } });
}

test('update from a catalog at schema 3: migrated to the current schema, accounts and recordings kept, config kept, backup made', () => {
  const root = join(dir, 'ok');
  const { data, media, mediaHash } = appliance(root, { catalogMigrations: migrations.slice(0, 3) });
  assert.equal(versionOf(data), 3);
  const r = update(root, release(join(dir, 'new-release')));
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`schema version ${SCHEMA_VERSION} \\(this release writes ${SCHEMA_VERSION}\\)`));

  assert.equal(versionOf(data), SCHEMA_VERSION, 'the update migrated the catalog');
  assert.equal(sha256(media), mediaHash, 'the recording is untouched');
  const current = readlinkSync(join(root, 'opt/sipvault/current'));
  assert.match(current, /opt\/sipvault\/releases\/\d{8}T\d{6}Z$/);
  assert.notEqual(current, join(root, 'opt/sipvault/releases/20250101T000000Z'));
  assert.ok(existsSync(join(root, 'opt/sipvault/releases/20250101T000000Z')), 'the previous release stays for a manual roll-back');

  const backups = readdirSync(join(data, 'backups'));
  assert.equal(backups.length, 1);
  const backupDb = new BetterSqlite3(join(data, 'backups', backups[0]!, 'catalog.sqlite'), { readonly: true });
  assert.equal(schemaVersion(backupDb), 3, 'the backup is the catalog as it was before the update');
  backupDb.close();

  assert.match(readFileSync(join(root, 'etc/sipvault/sipvault.yaml'), 'utf8'), /# the admin's own file\n.*\nsip: \{ maxSessions: 42 \}/);
  assert.ok(existsSync(join(root, 'etc/sipvault/sipvault.yaml.release')), "the release's config is put next to it");
  assert.ok(existsSync(join(root, 'etc/systemd/system/sipvault-recorder.service')), 'the units of the new release are installed');

  const catalog = Catalog.open(data);
  try {
    const alice = catalog.users.verify('alice', 'alice-long-Pa55word');
    assert.equal(alice?.role, 'supervisor');
    assert.deepEqual(alice?.extensions, ['2001']);
  } finally {
    catalog.close();
  }
});

test('a catalog this release cannot open (newer schema): rolled back to the previous release, catalog restored, exit 1', () => {
  const root = join(dir, 'newer');
  const future: Migration = { version: SCHEMA_VERSION + 1, name: 'from-a-later-release', up: () => undefined };
  const { data, media, mediaHash } = appliance(root, { catalogMigrations: [...migrations, future] });
  const catalogBefore = sha256(join(data, 'catalog.sqlite'));
  const previous = readlinkSync(join(root, 'opt/sipvault/current'));
  const r = update(root, release(join(dir, 'new-release-2')));
  assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, new RegExp(`catalog schema version ${SCHEMA_VERSION + 1} is newer than this sipvault supports`));
  assert.match(r.stdout, /migration failed: restoring the catalog/);
  assert.equal(realpathSync(join(root, 'opt/sipvault/current')), realpathSync(previous));
  assert.equal(versionOf(data), SCHEMA_VERSION + 1);
  assert.equal(sha256(join(data, 'catalog.sqlite')), catalogBefore);
  assert.equal(sha256(media), mediaHash);
  assert.deepEqual(readdirSync(join(root, 'opt/sipvault/releases')), ['20250101T000000Z'], 'the failed release is removed');
});

test('a release built for another Node is refused before anything stops or changes', () => {
  const root = join(dir, 'abi');
  appliance(root, { catalogMigrations: migrations });
  const previous = readlinkSync(join(root, 'opt/sipvault/current'));
  const other = release(join(dir, 'other-abi'));
  writeFileSync(join(other, 'release.json'), JSON.stringify({ version: '0.1.0', revision: 'x', node: 'v99.0.0', nodeModuleAbi: '999' }));
  const r = update(root, other);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /built for Node ABI 999, this appliance runs/);
  assert.equal(readlinkSync(join(root, 'opt/sipvault/current')), previous);
  assert.equal(existsSync(join(root, 'var/lib/sipvault/backups')), false);
  assert.deepEqual(readdirSync(join(root, 'opt/sipvault/releases')), ['20250101T000000Z'], 'the refused release is not left behind');
});
