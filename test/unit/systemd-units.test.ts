// The appliance's systemd units: `systemd-analyze verify` on every unit and on Debian's
// rtpengine-daemon.service with our drop-in, the hardening each long-running unit must keep, and
// the shipped config and rtpengine config agreeing with the units (ports, paths, ng address).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, rtpPortRange } from '../../config/loader.js';
import { REPO } from '../support/appliance.js';

const UNITS_DIR = join(REPO, 'systemd');
const COMPONENTS = ['sipvault-recorder.service', 'sipvault-portal.service', 'sipvault-snmp.service'];
const RELEASE = '/opt/sipvault/current/';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipvault-units-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const unitFiles = () => readdirSync(UNITS_DIR).filter((f) => /\.(service|target)$/.test(f)).sort();

/** The units (and drop-in directories) copied to a fresh directory, optionally changed. */
function stage(name: string, edit?: (file: string, text: string) => string): string {
  const out = join(dir, name);
  cpSync(UNITS_DIR, out, { recursive: true });
  if (edit) {
    for (const f of [...unitFiles(), 'rtpengine-daemon.service.d/sipvault.conf']) writeFileSync(join(out, f), edit(f, readFileSync(join(out, f), 'utf8')));
  }
  return out;
}

/**
 * `systemd-analyze verify` on every unit in `unitDir` plus Debian's rtpengine-daemon.service
 * (found in the system unit path, with our drop-in from `unitDir` applied on top of it).
 */
function verify(unitDir: string): { status: number | null; output: string } {
  const units = readdirSync(unitDir).filter((f) => /\.(service|target)$/.test(f));
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...units, 'rtpengine-daemon.service'], {
    cwd: unitDir,
    encoding: 'utf8',
    // Our directory first, then (trailing colon) the system's own unit directories.
    env: { ...process.env, SYSTEMD_UNIT_PATH: `${unitDir}:` },
  });
  if (r.error) throw new Error(`systemd-analyze cannot run: ${r.error.message} (Debian package systemd)`);
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** key -> values of one section of a unit file (repeated keys keep every value, in order). */
function section(text: string, name: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      current = head[1]!;
      continue;
    }
    if (current !== name) continue;
    const i = line.indexOf('=');
    const key = line.slice(0, i);
    out.set(key, [...(out.get(key) ?? []), line.slice(i + 1)]);
  }
  return out;
}
const unit = (file: string) => readFileSync(join(UNITS_DIR, file), 'utf8');
const one = (m: Map<string, string[]>, key: string) => m.get(key)?.at(-1);

test('systemd-analyze verify passes on every unit and on rtpengine-daemon.service with our drop-in, without a warning', () => {
  assert.ok(existsSync('/lib/systemd/system/rtpengine-daemon.service') || existsSync('/usr/lib/systemd/system/rtpengine-daemon.service'), 'Debian package rtpengine-daemon is installed');
  const r = verify(stage('as-shipped'));
  assert.equal(r.output, '', `verify printed:\n${r.output}`);
  assert.equal(r.status, 0);
  assert.deepEqual(unitFiles(), ['sipvault-catalog.service', 'sipvault-firewall.service', 'sipvault-firstboot.service', 'sipvault-portal.service', 'sipvault-recorder.service', 'sipvault-snmp.service', 'sipvault.target']);
});

test('the verify check catches what it should: a misspelt key, a missing program, a broken drop-in', () => {
  const typo = verify(stage('typo', (f, t) => (f === 'sipvault-portal.service' ? t.replace('NoNewPrivileges=', 'NoNewPrivilege=') : t)));
  assert.match(typo.output, /Unknown key 'NoNewPrivilege'/);
  const missing = verify(stage('missing', (f, t) => (f === 'sipvault-recorder.service' ? t.replace('ExecStart=/usr/bin/node', 'ExecStart=/usr/bin/no-such-node') : t)));
  assert.notEqual(missing.status, 0);
  assert.match(missing.output, /no-such-node is not executable/);
  const dropIn = verify(stage('drop-in', (f, t) => (f.endsWith('sipvault.conf') ? t.replace('ExecStart=/usr/bin/rtpengine', 'ExecStart=/usr/bin/rtpengine-gone') : t)));
  assert.notEqual(dropIn.status, 0);
  assert.match(dropIn.output, /rtpengine-gone is not executable/);
});

test('every script a unit runs from the release exists in this tree (/opt/sipvault/current is a release of it)', () => {
  const seen: string[] = [];
  for (const f of unitFiles()) {
    for (const cmd of [...(section(unit(f), 'Service').get('ExecStart') ?? []), ...(section(unit(f), 'Service').get('ExecStartPre') ?? [])]) {
      for (const word of cmd.split(/\s+/)) {
        if (!word.startsWith(RELEASE)) continue;
        seen.push(word);
        assert.ok(existsSync(join(REPO, word.slice(RELEASE.length))), `${f}: ${word} is not in the release`);
      }
    }
  }
  assert.ok(seen.length >= 6, `release paths found: ${seen.join(' ')}`);
});

test('recorder, portal and SNMP: own user, restart policy, hardening, writes only to the data directory', () => {
  for (const f of COMPONENTS) {
    const s = section(unit(f), 'Service');
    const u = section(unit(f), 'Unit');
    assert.equal(one(s, 'User'), 'sipvault', f);
    assert.equal(one(s, 'Restart'), 'always', f);
    assert.ok(Number(one(s, 'RestartSec')) >= 1, `${f} RestartSec`);
    assert.ok(Number(one(u, 'StartLimitBurst')) >= 3, `${f} StartLimitBurst`);
    for (const [k, v] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['PrivateDevices', 'yes']] as const) {
      assert.equal(one(s, k), v, `${f} ${k}`);
    }
    assert.deepEqual(s.get('ReadWritePaths'), ['/var/lib/sipvault'], `${f} ReadWritePaths`);
    assert.equal(s.has('ReadOnlyPaths') || s.has('StateDirectory'), false, `${f}: no other writable path`);
    assert.match(one(s, 'ExecStart') ?? '', new RegExp(`^/usr/bin/node ${RELEASE}bin/sipvault ${f.slice(9, -8)} --config /etc/sipvault/sipvault.yaml$`));
    assert.match(one(u, 'Requires') ?? '', /sipvault-catalog\.service/, `${f} waits for the catalog`);
    const all = (key: string) => (u.get(key) ?? []).join(' ').split(/\s+/);
    assert.ok(all('After').includes('sipvault-catalog.service'), `${f} starts after the catalog`);
    // A data disk is mounted first when attached; without one (the mount fails) the unit still starts.
    assert.ok(all('Wants').includes('var-lib-sipvault.mount') && all('After').includes('var-lib-sipvault.mount'), `${f} waits for the data disk`);
    assert.equal(u.has('RequiresMountsFor'), false, `${f}: a missing data disk must not fail it`);
  }
  // The SNMP agent (udp/161) and the portal (tcp/443 and the redirect on tcp/80) bind privileged
  // ports: that one capability, bounded to it; the recorder gets no capability at all.
  assert.equal(one(section(unit('sipvault-recorder.service'), 'Service'), 'CapabilityBoundingSet'), '');
  assert.equal(one(section(unit('sipvault-recorder.service'), 'Service'), 'AmbientCapabilities'), '');
  for (const f of ['sipvault-portal.service', 'sipvault-snmp.service']) {
    assert.equal(one(section(unit(f), 'Service'), 'CapabilityBoundingSet'), 'CAP_NET_BIND_SERVICE', f);
    assert.equal(one(section(unit(f), 'Service'), 'AmbientCapabilities'), 'CAP_NET_BIND_SERVICE', f);
  }
});

test('systemd-analyze security rates every component unit well hardened (exposure below 2.0)', () => {
  const unitDir = stage('security');
  for (const f of COMPONENTS) {
    const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--man=no', f], { cwd: unitDir, encoding: 'utf8', env: { ...process.env, SYSTEMD_UNIT_PATH: `${unitDir}:` } });
    const m = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout);
    assert.ok(m, `${f}: ${r.stdout}${r.stderr}`);
    assert.ok(Number(m[1]) < 2.0, `${f} exposure ${m[1]}`);
  }
});

test('the recorder waits for rtpengine; rtpengine serves the shipped config: ng address, userspace, ports apart from media.rtpPorts', () => {
  const recorder = section(unit('sipvault-recorder.service'), 'Unit');
  assert.match(one(recorder, 'After') ?? '', /rtpengine-daemon\.service/);
  assert.match(one(recorder, 'Wants') ?? '', /rtpengine-daemon\.service/);
  // Enough descriptors for one RTP and one RTCP socket per stream, four streams per session.
  const cfg = loadConfig(join(REPO, 'packer/files/sipvault.yaml'));
  const nofile = Number(one(section(unit('sipvault-recorder.service'), 'Service'), 'LimitNOFILE'));
  assert.ok(nofile >= cfg.sip.maxSessions * 4 * 2 + cfg.sip.maxConnections + cfg.sip.maxSessions, `LimitNOFILE ${nofile}`);

  const dropIn = readFileSync(join(UNITS_DIR, 'rtpengine-daemon.service.d/sipvault.conf'), 'utf8');
  const exec = section(dropIn, 'Service').get('ExecStart') ?? [];
  assert.equal(exec[0], '', 'the drop-in resets ExecStart before replacing it');
  const args = exec.at(-1)!;
  const confFile = /--config-file (\S+)/.exec(args)![1]!;
  const confSection = /--config-section (\S+)/.exec(args)![1]!;
  assert.equal(confFile, '/etc/sipvault/rtpengine.conf');
  assert.deepEqual(section(dropIn, 'Service').get('ExecStartPre'), [''], 'no iptables/kernel-module set-up');

  const ini = section(readFileSync(join(REPO, 'packer/files/rtpengine.conf'), 'utf8').replace(/^(\w[\w-]*)\s*=\s*/gm, '$1='), confSection);
  assert.equal(one(ini, 'table'), '-1', 'userspace forwarding');
  assert.equal(one(ini, 'listen-ng'), cfg.media.rtpengine.ng);
  assert.equal(cfg.media.relay, 'rtpengine');
  const [min, max] = [Number(one(ini, 'port-min')), Number(one(ini, 'port-max'))];
  const [mixMin, mixMax] = rtpPortRange(cfg);
  assert.ok(min <= max && (max < mixMin || min > mixMax), `rtpengine ${min}-${max} vs media.rtpPorts ${mixMin}-${mixMax}`);
  assert.equal(cfg.dataDir, '/var/lib/sipvault', 'the units write only to the configured data directory');
});

test('the portal serves HTTPS itself: the first-boot certificate, privileged ports its unit may bind, no proxy unit', () => {
  const cfg = loadConfig(join(REPO, 'packer/files/sipvault.yaml'));
  assert.equal(cfg.portal.tls.mode, 'files');
  // sipvault-firstboot.sh makes these two files (SIPVAULT_TLS_DIR defaults to /etc/sipvault/tls).
  const firstboot = readFileSync(join(REPO, 'scripts/image/sipvault-firstboot.sh'), 'utf8');
  const tlsDir = /^TLS_DIR=\$\{SIPVAULT_TLS_DIR:-(\S+)\}$/m.exec(firstboot)?.[1];
  assert.equal(cfg.portal.tls.cert, `${tlsDir}/portal.crt`);
  assert.equal(cfg.portal.tls.key, `${tlsDir}/portal.key`);
  const ports = [cfg.portal.listen, cfg.portal.httpRedirect].map((hp) => Number(/:(\d+)$/.exec(hp ?? '')?.[1]));
  assert.deepEqual(ports, [443, 80]);
  const portal = unit('sipvault-portal.service');
  assert.ok((section(portal, 'Unit').get('After') ?? []).join(' ').split(/\s+/).includes('sipvault-firstboot.service'), 'the portal starts after the certificate exists');
  assert.equal(one(section(portal, 'Service'), 'AmbientCapabilities'), 'CAP_NET_BIND_SERVICE', 'ports below 1024');
  for (const f of unitFiles()) assert.doesNotMatch(unit(f), /nginx/, `${f} mentions no proxy`);
});
