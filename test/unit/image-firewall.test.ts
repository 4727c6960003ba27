// The appliance firewall (scripts/image/firewall.mjs): the nftables ruleset made from the sipvault
// config opens exactly the SIP listeners, the RTP range SRCs send to, the portal's HTTPS and HTTP
// redirect and the SNMP agent,
// and nft itself accepts it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO } from '../support/appliance.js';

const FIREWALL = join(REPO, 'scripts/image/firewall.mjs');
const SHIPPED = join(REPO, 'packer/files/sipvault.yaml');
const RTPENGINE_CONF = join(REPO, 'packer/files/rtpengine.conf');

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipvault-fw-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function firewall(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [FIREWALL, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function configFile(name: string, cfg: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, stringify(cfg));
  return p;
}

/** "proto dport" of every accept rule, in order. */
const opened = (ruleset: string) => [...ruleset.matchAll(/^\s*(udp|tcp) dport (\S+) accept/gm)].map((m) => `${m[1]} ${m[2]}`);

test('shipped config: SIP udp+tcp 5060, rtpengine RTP 30000-39999, HTTPS 443, HTTP redirect 80, SNMP 161, and nothing else', () => {
  const r = firewall(['--config', SHIPPED, '--rtpengine-conf', RTPENGINE_CONF, '--print']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(opened(r.stdout), ['udp 5060', 'tcp 5060', 'udp 30000-39999', 'tcp 443', 'tcp 80', 'udp 161']);
  assert.match(r.stdout, /type filter hook input priority filter; policy drop;/);
  assert.match(r.stdout, /type filter hook forward priority filter; policy drop;/);
  assert.doesNotMatch(r.stdout, /dport 22\b|40000-49999|8080/, 'no SSH, no mixer ports, no plain-HTTP portal');
});

test('nft accepts the ruleset (nft -c), twice in a row as a reload does', () => {
  for (let i = 0; i < 2; i++) {
    const r = firewall(['--config', SHIPPED, '--rtpengine-conf', RTPENGINE_CONF, '--check']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /firewall ruleset is valid/);
  }
});

test('direct media, TLS SIP, loopback-only SNMP and a plain-HTTP portal: the ports follow the config', () => {
  const cfg = configFile('direct.yaml', {
    dataDir: dir,
    sip: { listen: ['udp:0.0.0.0:5070', 'tls:0.0.0.0:5061', 'tcp:127.0.0.1:5080'], tls: { cert: '/etc/c.pem', key: '/etc/k.pem' } },
    media: { relay: 'direct', rtpPorts: '20000-20999' },
    portal: { listen: '0.0.0.0:8443' },
    snmp: { agent: { listen: '127.0.0.1:1161' } },
  });
  const r = firewall(['--config', cfg, '--extra-tcp', '4443', '--print']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(opened(r.stdout), ['udp 5070', 'tcp 5061', 'udp 20000-20999', 'tcp 8443', 'tcp 4443']);
  assert.match(r.stdout, /tcp dport 8443 accept comment "portal over plain HTTP \(portal\.listen 0\.0\.0\.0:8443\)"/);
});

test('the shipped HTTPS portal and its redirect are labelled; a portal and redirect on loopback open nothing', () => {
  const shipped = firewall(['--config', SHIPPED, '--rtpengine-conf', RTPENGINE_CONF, '--print']);
  assert.match(shipped.stdout, /tcp dport 443 accept comment "HTTPS portal \(portal\.listen 0\.0\.0\.0:443\)"/);
  assert.match(shipped.stdout, /tcp dport 80 accept comment "redirect to the HTTPS portal \(portal\.httpRedirect 0\.0\.0\.0:80\)"/);
  const cfg = configFile('loopback.yaml', {
    dataDir: dir,
    sip: { listen: ['udp:0.0.0.0:5060'] },
    media: { relay: 'direct', rtpPorts: '20000-20999' },
    portal: { listen: '127.0.0.1:8443', tls: { mode: 'auto' }, httpRedirect: '127.0.0.1:8080' },
    snmp: { agent: { listen: '127.0.0.1:1161' } },
  });
  const r = firewall(['--config', cfg, '--print']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(opened(r.stdout), ['udp 5060', 'udp 20000-20999']);
  const bad = firewall(['--config', cfg, '--extra-tcp', '80x', '--print']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--extra-tcp: not a port: 80x/);
});

test('bad input is refused with the key named and nothing printed to load', () => {
  const bad = firewall(['--config', configFile('bad.yaml', { media: { rtpPorts: 'lots' } }), '--print']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /media\.rtpPorts/);
  assert.equal(bad.stdout, '');
  const noRange = join(dir, 'rtpengine.conf');
  writeFileSync(noRange, '[sipvault]\ntable = -1\nport-min = 30000\n');
  const missing = firewall(['--config', SHIPPED, '--rtpengine-conf', noRange, '--print']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /port-min and port-max/);
  assert.equal(firewall(['--config', SHIPPED]).status, 2, 'a mode is required');
});
