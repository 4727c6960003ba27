// The `sipvault` command as an operator uses it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from '../support/appliance.js';
import { Catalog } from '../../storage/catalog/index.js';

function sipvault(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, env: { ...process.env, SIPVAULT_CONFIG: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function withConfig(yaml: string, fn: (path: string, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-cli-'));
  try {
    const path = join(dir, 'sipvault.yaml');
    writeFileSync(path, yaml.replaceAll('$DIR', dir));
    fn(path, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('config check accepts a valid file', () => {
  withConfig('dataDir: $DIR/var\nsip:\n  listen: ["udp:0.0.0.0:5070"]\n  trustedSources: ["10.0.0.0/8", "2001:db8::/32"]\n', (path) => {
    const r = sipvault(['config', 'check', path]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /valid/);
  });
});

test('config check names an unknown key', () => {
  withConfig('sip:\n  lisen: ["udp:0.0.0.0:5060"]\n', (path) => {
    const r = sipvault(['config', 'check', path]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /sip\.lisen: unknown key/);
  });
});

test('config check names a bad value, a bad CIDR and a bad listen entry', () => {
  withConfig('media:\n  relay: teleport\nsip:\n  listen: ["udp:0.0.0.0"]\n  trustedSources: ["10.0.0.0/33"]\n', (path) => {
    const r = sipvault(['config', 'check', path]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /media\.relay: must be one of rtpengine, direct/);
    assert.match(r.err, /sip\.listen\[0\]/);
    assert.match(r.err, /sip\.trustedSources\[0\]/);
  });
});

test('config check names the storage target key that is wrong', () => {
  withConfig('storage:\n  target: { type: s3, name: Archive, endPoint: s3.local, port: 9000, accessKey: a, secretKey: b }\n', (path) => {
    const r = sipvault(['config', 'check', path]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /storage\.target.*bucket/);
  });
});

test('config check reports YAML syntax errors with a line', () => {
  withConfig('sip:\n  listen: [udp:0.0.0.0:5060\n', (path) => {
    const r = sipvault(['config', 'check', path]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /YAML syntax error at line \d+/);
  });
});

test('user add / list / passwd manage portal accounts without passwords on the command line', () => {
  withConfig('dataDir: $DIR/var\n', (path, dir) => {
    const add = sipvault(['user', 'add', 'supervisor1', '--role', 'supervisor', '--extensions', '100,101', '--config', path], 'a-long-password\n');
    assert.equal(add.code, 0, add.err);
    const dup = sipvault(['user', 'add', 'supervisor1', '--config', path], 'another-password\n');
    assert.notEqual(dup.code, 0);
    assert.match(dup.err, /already exists/);
    const weak = sipvault(['user', 'add', 'weak', '--config', path], 'short\n');
    assert.notEqual(weak.code, 0);
    const list = sipvault(['user', 'list', '--config', path]);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /supervisor1\tsupervisor\t100,101/);
    assert.doesNotMatch(list.out, /weak/);
    const passwd = sipvault(['user', 'passwd', 'supervisor1', '--config', path], 'a-new-long-password\n');
    assert.equal(passwd.code, 0, passwd.err);
    // portal.auth.passwordPolicy applies here too (default: 10 characters, 2 classes).
    const oneClass = sipvault(['user', 'passwd', 'supervisor1', '--config', path], 'onlylowercaseletters\n');
    assert.notEqual(oneClass.code, 0);
    assert.match(oneClass.err, /password policy minClasses/);
    // A lost authenticator and a locked account: reset-totp and passwd bring the user back.
    const catalog = Catalog.open(join(dir, 'var'));
    try {
      const id = catalog.users.byUsername('supervisor1')!.id;
      catalog.users.setTotpSecret(id, 'JBSWY3DPEHPK3PXP');
      catalog.users.enableTotp(id, 1);
      catalog.users.recordLoginFailure(id, 1, 3_600_000);
      assert.ok(catalog.users.signInState(id)!.totpEnabled && catalog.users.signInState(id)!.lockedUntil);
      const reset = sipvault(['user', 'reset-totp', 'supervisor1', '--config', path]);
      assert.equal(reset.code, 0, reset.err);
      assert.match(reset.out, /TOTP of supervisor1 removed/);
      assert.equal(catalog.users.signInState(id)!.totpEnabled, false);
      assert.equal(sipvault(['user', 'passwd', 'supervisor1', '--config', path], 'Unlocked-again-1\n').code, 0);
      assert.equal(catalog.users.signInState(id)!.lockedUntil, null);
      assert.notEqual(sipvault(['user', 'reset-totp', 'nobody', '--config', path]).code, 0);
    } finally {
      catalog.close();
    }
    const bad = sipvault(['user', 'add', 'x1', '--role', 'root', '--config', path], 'a-long-password\n');
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /--role must be one of/);
  });
});
