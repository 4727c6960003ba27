#!/usr/bin/env node
// The appliance's nftables ruleset, made from the sipvault config: only the SIP listeners, the RTP
// range the SRCs send to, the portal (and its HTTP redirect) and the SNMP agent are open;
// everything else that is not a reply to our own traffic is dropped. Run at boot by
// sipvault-firewall.service.
// Usage: firewall.mjs --config F [--rtpengine-conf F] [--extra-tcp N] (--print | --check | --apply)
//   --extra-tcp: one more TCP port, e.g. for a reverse proxy an admin puts in front of a portal
//   that listens on loopback.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { loadConfig, splitHostPort, ConfigError } = await import(new URL('../../dist/config/loader.js', import.meta.url).href);

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: '/etc/sipvault/sipvault.yaml' },
    'rtpengine-conf': { type: 'string', default: '/etc/sipvault/rtpengine.conf' },
    'rtpengine-section': { type: 'string', default: 'sipvault' },
    'extra-tcp': { type: 'string' },
    print: { type: 'boolean' },
    check: { type: 'boolean' },
    apply: { type: 'boolean' },
  },
});

const isLoopback = (host) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/** port-min and port-max of one section of an rtpengine ini file. */
function rtpengineRange(file, section) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`media.relay is rtpengine but ${file} cannot be read: ${err.message}`);
  }
  let current = null;
  const keys = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const head = /^\[(.+)\]$/.exec(line);
    if (head) current = head[1];
    else if (current === section) {
      const kv = /^([\w-]+)\s*=\s*(.*)$/.exec(line);
      if (kv) keys[kv[1]] = kv[2].trim();
    }
  }
  const min = Number(keys['port-min']);
  const max = Number(keys['port-max']);
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
    throw new Error(`${file} [${section}]: port-min and port-max must be a port range (found ${keys['port-min']} and ${keys['port-max']})`);
  }
  return [min, max];
}

/** Every open port as { proto, port (number or "a-b"), why }. */
function openPorts(cfg, opts) {
  const out = [];
  for (const entry of cfg.sip.listen) {
    const [transport, ...rest] = entry.split(':');
    const { host, port } = splitHostPort(rest.join(':'));
    if (isLoopback(host)) continue;
    out.push({ proto: transport === 'udp' ? 'udp' : 'tcp', port, why: `SIP ${transport} (sip.listen ${entry})` });
  }
  if (cfg.media.relay === 'rtpengine') {
    const [min, max] = rtpengineRange(opts.rtpengineConf, opts.rtpengineSection);
    out.push({ proto: 'udp', port: `${min}-${max}`, why: `RTP to rtpengine (${opts.rtpengineConf} port-min/port-max)` });
  } else {
    out.push({ proto: 'udp', port: cfg.media.rtpPorts, why: 'RTP to the mixer (media.rtpPorts)' });
  }
  const portal = splitHostPort(cfg.portal.listen);
  if (!isLoopback(portal.host)) {
    const what = cfg.portal.tls.mode === 'off' ? 'portal over plain HTTP' : 'HTTPS portal';
    out.push({ proto: 'tcp', port: portal.port, why: `${what} (portal.listen ${cfg.portal.listen})` });
  }
  if (cfg.portal.httpRedirect) {
    const r = splitHostPort(cfg.portal.httpRedirect);
    if (!isLoopback(r.host)) out.push({ proto: 'tcp', port: r.port, why: `redirect to the HTTPS portal (portal.httpRedirect ${cfg.portal.httpRedirect})` });
  }
  if (opts.extraTcp !== null) out.push({ proto: 'tcp', port: opts.extraTcp, why: 'extra port (--extra-tcp)' });
  const agent = cfg.snmp.agent?.listen;
  if (agent) {
    const a = splitHostPort(agent);
    if (!isLoopback(a.host)) out.push({ proto: 'udp', port: a.port, why: `SNMP agent (snmp.agent.listen ${agent})` });
  }
  return out;
}

function ruleset(ports) {
  const rules = ports.map((p) => `\t\t${p.proto} dport ${p.port} accept comment "${p.why.replace(/"/g, "'")}"`);
  return `#!/usr/sbin/nft -f
# Made by sipvault's firewall.mjs from the sipvault config; edit the config, not this.
table inet sipvault
delete table inet sipvault
table inet sipvault {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t\tct state invalid drop
\t\tiif lo accept
\t\t# Path MTU discovery, IPv6 neighbour discovery and ping.
\t\tmeta l4proto icmp limit rate 100/second accept
\t\tmeta l4proto ipv6-icmp accept
${rules.join('\n')}
\t}
\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t}
}
`;
}

const modes = ['print', 'check', 'apply'].filter((m) => values[m]);
if (modes.length !== 1) {
  console.error('firewall.mjs: give exactly one of --print, --check, --apply');
  process.exit(2);
}
let text;
try {
  const cfg = loadConfig(values.config);
  let extraTcp = null;
  if (values['extra-tcp'] !== undefined) {
    extraTcp = Number(values['extra-tcp']);
    if (!/^\d+$/.test(values['extra-tcp']) || extraTcp < 1 || extraTcp > 65535) throw new Error(`--extra-tcp: not a port: ${values['extra-tcp']}`);
  }
  text = ruleset(openPorts(cfg, { rtpengineConf: values['rtpengine-conf'], rtpengineSection: values['rtpengine-section'], extraTcp }));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `firewall.mjs: ${err.message}`);
  process.exit(1);
}
if (values.print) {
  process.stdout.write(text);
} else {
  const r = spawnSync('nft', values.check ? ['-c', '-f', '-'] : ['-f', '-'], { input: text, encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    console.error(`firewall.mjs: nft ${values.check ? 'check' : 'load'} failed: ${r.error?.message ?? r.stderr}`);
    process.exit(1);
  }
  console.log(values.check ? 'firewall ruleset is valid' : 'firewall ruleset loaded');
}
