// The appliance's first boot (scripts/image/sipvault-firstboot.sh), run for real on temporary
// directories: a TLS certificate for the portal, the admin account with a random password that
// works, the console message and login banner; a second run keeps both and prints no password.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../support/appliance.js';
import { Catalog } from '../../storage/catalog/index.js';

const FIRSTBOOT = join(REPO, 'scripts/image/sipvault-firstboot.sh');

let dir: string;
let env: NodeJS.ProcessEnv;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipvault-firstboot-'));
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc/sipvault.yaml'), `dataDir: ${join(dir, 'data')}\n`);
  env = {
    ...process.env,
    SIPVAULT_CONFIG: join(dir, 'etc/sipvault.yaml'),
    SIPVAULT_RELEASE: REPO,
    SIPVAULT_TLS_DIR: join(dir, 'etc/tls'),
    SIPVAULT_ISSUE_DIR: join(dir, 'issue.d'),
    SIPVAULT_CONSOLE: join(dir, 'console'),
    SIPVAULT_FIRSTBOOT_STAMP: join(dir, 'etc/.firstboot-done'),
    // The test runs as whoever runs the suite; the image runs it as root for the sipvault user.
    SIPVAULT_USER: userInfo().username,
  };
});
after(() => rmSync(dir, { recursive: true, force: true }));

function firstboot(): { status: number | null; stdout: string; stderr: string } {
  writeFileSync(join(dir, 'console'), '');
  const r = spawnSync('bash', [FIRSTBOOT], { encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('first boot: certificate, admin account whose password works, console message and banner, stamp', () => {
  const r = firstboot();
  assert.equal(r.status, 0, r.stderr);
  const cert = new X509Certificate(readFileSync(join(dir, 'etc/tls/portal.crt')));
  assert.match(cert.subjectAltName ?? '', /DNS:/);
  assert.ok(new Date(cert.validTo).getTime() - Date.now() > 5 * 365 * 86400_000, `valid to ${cert.validTo}`);
  assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(join(dir, 'etc/tls/portal.key')))), 'the key matches the certificate');
  assert.equal(statSync(join(dir, 'etc/tls/portal.key')).mode & 0o777, 0o640);

  const consoleText = readFileSync(join(dir, 'console'), 'utf8');
  const password = /Log in as: admin\s+password: (\S+)/.exec(consoleText)?.[1];
  assert.ok(password && password.length >= 16, consoleText);
  assert.ok(consoleText.includes(cert.fingerprint256), 'the console shows the certificate fingerprint');
  assert.doesNotMatch(r.stdout + r.stderr, new RegExp(password), 'the password goes to the console only, not to the journal');

  const catalog = Catalog.open(join(dir, 'data'));
  try {
    assert.equal(catalog.users.verify('admin', password)?.role, 'admin');
    assert.equal(catalog.users.verify('admin', `${password}x`), null);
  } finally {
    catalog.close();
  }
  assert.match(readFileSync(join(dir, 'issue.d/sipvault.issue'), 'utf8'), new RegExp(`Portal: https://\\\\4/ .*${cert.fingerprint256}`));
  assert.equal(statSync(join(dir, 'issue.d/sipvault-admin-password.issue')).mode & 0o777, 0o600);
  assert.ok(existsSync(join(dir, 'etc/.firstboot-done')));
});

test('a second run (or a new image on an old data disk) keeps the certificate and the accounts', () => {
  const before = new X509Certificate(readFileSync(join(dir, 'etc/tls/portal.crt'))).fingerprint256;
  rmSync(join(dir, 'issue.d/sipvault-admin-password.issue'));
  const r = firstboot();
  assert.equal(r.status, 0, r.stderr);
  assert.equal(new X509Certificate(readFileSync(join(dir, 'etc/tls/portal.crt'))).fingerprint256, before);
  const consoleText = readFileSync(join(dir, 'console'), 'utf8');
  assert.match(consoleText, /existing accounts/);
  assert.doesNotMatch(consoleText, /password: /);
  assert.equal(existsSync(join(dir, 'issue.d/sipvault-admin-password.issue')), false);
  const catalog = Catalog.open(join(dir, 'data'));
  try {
    assert.deepEqual(catalog.users.list().map((u) => u.username), ['admin']);
  } finally {
    catalog.close();
  }
});

test('a broken configuration stops the first boot with the key named, before anything is created', () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'dataDir: /tmp/x\nportal: { listen: nowhere }\n');
  const r = spawnSync('bash', [FIRSTBOOT], { encoding: 'utf8', env: { ...env, SIPVAULT_CONFIG: bad, SIPVAULT_TLS_DIR: join(dir, 'tls-bad') } });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /portal\.listen/);
  assert.equal(existsSync(join(dir, 'tls-bad')), false);
});
