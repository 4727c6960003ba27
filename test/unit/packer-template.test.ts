// The VM image template: `packer validate` (Debian's packer) accepts it and rejects broken
// variants, and it provisions through the same scripts the offline proof runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../support/appliance.js';

const PACKER_DIR = join(REPO, 'packer');
const TEMPLATE = join(PACKER_DIR, 'sipvault.pkr.hcl');

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipvault-packer-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function packer(args: string[], cwd = PACKER_DIR): { status: number | null; output: string } {
  // No checkpoint calls home; the template is checked offline.
  const r = spawnSync('packer', args, { cwd, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  if (r.error) throw new Error(`packer cannot run: ${r.error.message} (Debian package packer)`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A copy of the template (edited) in a directory with the same http/ and scripts/ beside it. */
function variant(name: string, edit: (t: string) => string): string {
  const d = join(dir, name);
  spawnSync('cp', ['-a', PACKER_DIR, d]);
  writeFileSync(join(d, 'sipvault.pkr.hcl'), edit(readFileSync(TEMPLATE, 'utf8')));
  return d;
}

test('packer validate accepts the template, and its formatting is canonical', () => {
  const v = packer(['validate', '-var', 'build_password=validate-only', 'sipvault.pkr.hcl']);
  assert.equal(v.status, 0, v.output);
  const fmt = packer(['fmt', '-check', 'sipvault.pkr.hcl']);
  assert.equal(fmt.status, 0, `packer fmt would change: ${fmt.output}`);
});

test('packer validate catches what it should: the build password unset, an unknown setting, a missing variable', () => {
  const unset = packer(['validate', 'sipvault.pkr.hcl']);
  assert.notEqual(unset.status, 0);
  assert.match(unset.output, /build_password/);
  const typo = packer(['validate', '-var', 'build_password=x', 'sipvault.pkr.hcl'], variant('typo', (t) => t.replace('disk_interface', 'disk_interfase')));
  assert.notEqual(typo.status, 0);
  assert.match(typo.output, /disk_interfase/);
  const undefinedVar = packer(['validate', '-var', 'build_password=x', 'sipvault.pkr.hcl'], variant('undefined', (t) => t.replace('var.disk_size', 'var.disk_sise')));
  assert.notEqual(undefinedVar.status, 0);
  assert.match(undefinedVar.output, /disk_sise/);
});

test('the template installs Debian 12 from a pinned, checksummed installer and provisions with packer/scripts/provision.sh', () => {
  const t = readFileSync(TEMPLATE, 'utf8');
  assert.match(t, /default\s*=\s*"https:\/\/deb\.debian\.org\/debian\/dists\/bookworm\/main\/installer-amd64\/[^"]+\/images\/[^"]+\.iso"/);
  assert.match(t, /default\s*=\s*"sha256:[0-9a-f]{64}"/);
  assert.match(t, /bash \/root\/sipvault-src\/packer\/scripts\/provision\.sh \/root\/sipvault-src/);
  assert.match(t, /default\s*=\s*"nodesource:24"/, 'a Node LTS that is not end-of-life');
  assert.doesNotMatch(readFileSync(join(PACKER_DIR, 'http/preseed.cfg'), 'utf8'), /root-password(-again)?\s+(string|password)\s+\S/, 'no password in the preseed file');
});

test('the provisioning and image scripts are valid shell (bash -n, shellcheck) and install what the appliance runs', () => {
  const steps = readdirSync(join(PACKER_DIR, 'scripts/steps')).sort();
  assert.deepEqual(steps, ['10-packages.sh', '20-node.sh', '30-sipvault.sh', '40-system.sh', '90-cleanup.sh']);
  const scripts = [...steps.map((s) => join(PACKER_DIR, 'scripts/steps', s)), join(PACKER_DIR, 'scripts/provision.sh'), join(PACKER_DIR, 'scripts/source-tarball.sh')];
  scripts.push(...readdirSync(join(PACKER_DIR, 'proof')).filter((f) => f.endsWith('.sh')).map((f) => join(PACKER_DIR, 'proof', f)));
  scripts.push(...readdirSync(join(REPO, 'scripts/image')).filter((f) => f.endsWith('.sh')).map((f) => join(REPO, 'scripts/image', f)));
  for (const f of scripts) {
    const r = spawnSync('bash', ['-n', f], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
  }
  const lint = spawnSync('shellcheck', ['-S', 'warning', ...scripts], { encoding: 'utf8' });
  assert.equal(lint.error, undefined, 'shellcheck runs (Debian package shellcheck)');
  assert.equal(lint.status, 0, `shellcheck:\n${lint.stdout}`);
  const packages = readFileSync(join(PACKER_DIR, 'scripts/steps/10-packages.sh'), 'utf8');
  for (const p of ['rtpengine-daemon', 'ffmpeg', 'snmp', 'nftables']) assert.match(packages, new RegExp(`\\s${p}\\s`), p);
  // The portal serves HTTPS itself: no proxy in the image.
  assert.doesNotMatch(packages, /nginx|apache|haproxy/, 'no reverse proxy package');
  const system = readFileSync(join(PACKER_DIR, 'scripts/steps/40-system.sh'), 'utf8');
  for (const u of ['sipvault.target', 'sipvault-recorder.service', 'sipvault-portal.service', 'sipvault-snmp.service', 'sipvault-firstboot.service', 'sipvault-firewall.service', 'rtpengine-daemon.service']) {
    assert.match(system, new RegExp(`systemctl enable [^\\n]*(\\\\\\n[^\\n]*)*${u.replace('.', '\\.')}`), `${u} enabled`);
  }
});
