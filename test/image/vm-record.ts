// The host's side of the image proof (packer/proof/build-and-boot.sh): reads the first-boot
// message from the VM's serial console (admin password, certificate fingerprint), places a
// SIPREC call into the VM over TCP with RTP tones on both legs, and fetches the recording through
// the portal over HTTPS, pinning the certificate the VM made. The portal serves that HTTPS itself
// (no proxy in front): its session cookie is Secure, it sends HSTS, and plain HTTP on port 80 only
// redirects. Also checks the firewall from outside. Not a *.test.ts: it needs the booted VM, so `npm test` does not run it.
// Usage: node dist/test/image/vm-record.js --host 10.77.0.2 --console console.log --state F [--timeout 600]
//        node dist/test/image/vm-record.js --host 10.77.0.2 --state F --after-update
import { parseArgs, promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { request } from 'node:https';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import assert from 'node:assert/strict';
import { placeSiprecCall } from '../support/siprec-call.js';
import { buildRequest, rand, SipTestClient } from '../support/sip-client.js';
import { dominantFrequency, parseWav, rms, type Wav } from '../support/audio.js';
import { checkStereoTones } from '../support/recording-checks.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '10.77.0.2' },
    console: { type: 'string' },
    timeout: { type: 'string', default: '600' },
    state: { type: 'string' },
    'after-update': { type: 'boolean' },
    // The VM runs under qemu's TCG emulation (no KVM): see stereoTones.
    emulated: { type: 'boolean' },
  },
});
const HOST = values.host!;
const deadline = Date.now() + Number(values.timeout) * 1000;
const started = Date.now();
const log = (msg: string) => console.log(`[vm-record +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

async function until<T>(what: string, probe: () => Promise<T | null>, everyMs = 1000): Promise<T> {
  for (;;) {
    const v = await probe().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The first-boot message on the serial console: portal URL, fingerprint, admin password. */
async function firstBootMessage(file: string): Promise<{ password: string; fingerprint: string }> {
  return until('the first-boot message on the console', async () => {
    const text = readFileSync(file, 'latin1');
    const password = /Log in as: admin\s+password: (\S+)/.exec(text)?.[1];
    const fingerprint = /TLS certificate SHA-256 fingerprint: ([0-9A-F:]+)/.exec(text)?.[1];
    return password && fingerprint ? { password, fingerprint } : null;
  });
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * The portal's certificate as PEM, after checking it is the one whose fingerprint the console
 * showed; requests then trust exactly it (chain and host name checked as usual).
 */
function pinnedCertificate(fingerprint: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: HOST, port: 443, rejectUnauthorized: false }, () => {
      const cert = s.getPeerX509Certificate();
      s.destroy();
      if (cert?.fingerprint256 === fingerprint) resolve(cert.toString());
      else reject(new Error(`certificate ${cert?.fingerprint256} is not the one the console showed (${fingerprint})`));
    });
    s.once('error', reject);
    s.setTimeout(5000, () => s.destroy(new Error('TLS handshake timeout')));
  });
}

interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function https(ca: string, method: string, path: string, o: { headers?: Record<string, string>; body?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: HOST,
        port: 443,
        method,
        path,
        ca,
        headers: { ...(o.headers ?? {}), ...(o.body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(o.body)) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    if (o.body) req.write(o.body);
    req.end();
  });
}

/** How a TCP connection to `port` ends: open, refused, or dropped (nothing answers within 2 s). */
function tcpClosed(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: HOST, port });
    const done = (how: string) => {
      s.destroy();
      resolve(how);
    };
    s.setTimeout(2000, () => done('dropped'));
    s.once('connect', () => done('open'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED' ? 'refused' : `error ${e.code}`));
  });
}

/** SIP OPTIONS over TCP answered 200: the recorder is up and the firewall lets SIP in. */
async function sipReady(): Promise<boolean> {
  const c = await SipTestClient.open('tcp', HOST, 5060);
  try {
    c.send(buildRequest(c, { method: 'OPTIONS', uri: `sip:srs@${HOST}:5060`, callId: rand(), fromTag: rand(4), cseq: 1 }));
    return (await c.waitFor(() => true, 2000)).status === 200;
  } finally {
    c.close();
  }
}

interface Portal {
  ca: string;
  auth: Record<string, string>;
}

interface Recorded {
  callId: string;
  interactionId: string;
  wavSha256: string;
}

/** What the second boot (after the in-place update) needs from the first. */
interface State {
  password: string;
  fingerprint: string;
  recorded: Recorded;
}

async function portalLogin(password: string, fingerprint: string): Promise<Portal> {
  const ca = await until('the portal certificate', () => pinnedCertificate(fingerprint));
  const health = await until('the portal over HTTPS', async () => {
    const r = await https(ca, 'GET', '/healthz');
    return r.status === 200 ? r : null;
  });
  log(`portal /healthz over HTTPS: ${health.status} ${health.body.toString().slice(0, 120)}`);
  const hsts = health.headers['strict-transport-security'];
  assert.match(String(hsts), /^max-age=\d+/, 'the portal knows it serves HTTPS: Strict-Transport-Security');
  // The image ships the web UI, not only the API: the sign-in page loads from the appliance itself.
  const page = await https(ca, 'GET', '/');
  assert.equal(page.status, 200, `the web UI at /: ${page.status} ${page.body.toString().slice(0, 200)}`);
  assert.match(page.body.toString(), /<div id="app">/, 'the web UI\'s page');
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page.body.toString())?.[1];
  assert.ok(asset, 'the page names its script');
  assert.equal((await https(ca, 'GET', asset)).status, 200, `the web UI's script ${asset}`);
  log(`web UI over HTTPS: / and ${asset} served`);
  const login = await https(ca, 'POST', '/api/v1/auth/login', { body: JSON.stringify({ username: 'admin', password }) });
  assert.equal(login.status, 200, `login as admin: ${login.status} ${login.body.toString()}`);
  const setCookie = String([login.headers['set-cookie']].flat()[0] ?? '');
  const attributes = setCookie.split(';').slice(1).map((a) => a.trim().toLowerCase());
  assert.ok(attributes.includes('secure'), `the session cookie is Secure: ${setCookie.replace(/=[^;]*/, '=...')}`);
  assert.ok(attributes.includes('httponly'), 'the session cookie is HttpOnly');
  const cookie = setCookie.split(';')[0]!;
  log(`logged in as admin; session cookie attributes: ${attributes.map((a) => a.split('=')[0]).join(', ')}; HSTS: ${hsts}`);
  return { ca, auth: { cookie } };
}

async function wavOf(portal: Portal, interactionId: string): Promise<Buffer> {
  const res = await https(portal.ca, 'GET', `/api/v1/interactions/${interactionId}/media?format=wav`, { headers: portal.auth });
  assert.equal(res.status, 200, `WAV of ${interactionId}: ${res.status}`);
  return res.body;
}

/**
 * On KVM: test/support/recording-checks.ts checkStereoTones as it is. Under qemu's TCG emulation
 * (--emulated) the guest's clock runs unevenly against the sender's RTP clock: the recorder's drift
 * correction (up to 2 samples per 20 ms packet, recorder/media/playout-clock.ts) may shift a tone by
 * up to 1 % (one 10 Hz analysis step), and a leg whose first packets reach the slow guest late
 * starts later, so the file may be up to 0.6 s longer or 0.2 s shorter than the call.
 */
function stereoTones(wav: Wav, expectedSec: number, leftHz: number, rightHz: number): [number, number] {
  if (!values.emulated) {
    checkStereoTones(wav, expectedSec, leftHz, rightHz);
    return [leftHz, rightHz];
  }
  assert.equal(wav.format, 1, 'PCM');
  assert.equal(wav.channels, 2);
  assert.equal(wav.sampleRate, 8000);
  assert.equal(wav.bitsPerSample, 16);
  assert.ok(wav.durationSec >= expectedSec - 0.2 && wav.durationSec <= expectedSec + 0.6, `duration ${wav.durationSec}s should be from ${expectedSec - 0.2}s to ${expectedSec + 0.6}s`);
  const mid = Math.floor(wav.samples[0]!.length / 2);
  const window = (ch: number) => wav.samples[ch]!.subarray(mid - 4000, mid + 4000);
  const found = [dominantFrequency(window(0), 8000), dominantFrequency(window(1), 8000)] as [number, number];
  const near = (f: number, hz: number) => Math.abs(f - hz) <= Math.max(10, hz * 0.01);
  assert.ok(near(found[0], leftHz), `left channel = calling party: ${found[0]} Hz, expected ${leftHz} Hz`);
  assert.ok(near(found[1], rightHz), `right channel = called party: ${found[1]} Hz, expected ${rightHz} Hz`);
  assert.ok(rms(window(0)) > 1000 && rms(window(1)) > 1000, 'both channels carry audio');
  return found;
}

/** A SIPREC call into the VM, then its recording (WAV and MP3) through the portal. */
async function recordCall(portal: Portal): Promise<Recorded> {
  await until('SIP OPTIONS 200 from the recorder over TCP', async () => ((await sipReady()) ? true : null));
  log('recorder answers SIP OPTIONS on tcp/5060');
  const caller = { aor: 'sip:+15550100@sbc.example', name: 'Caller', freq: 440 };
  const callee = { aor: 'sip:+15550200@pbx.example', name: 'Callee', freq: 1000 };
  const call = await placeSiprecCall({ transport: 'tcp', host: HOST, port: 5060, caller, callee, durationMs: 3000 });
  assert.equal(call.answerStatus, 200, `INVITE answered ${call.answerStatus}: ${call.answer}`);
  assert.equal(call.byeStatus, 200);
  const ports = [...call.answer.matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1]));
  assert.ok(ports.length === 2 && ports.every((p) => p >= 30000 && p <= 39999), `the SRC was sent to rtpengine's ports: ${ports.join(',')}`);
  log(`SIPREC call ${call.callId}: 200 OK, RTP to rtpengine ports ${ports.join(', ')}, 3 s of tones, BYE 200`);

  type Item = { id: string; callId: string; status: string; callingParty: string; calledParty: string; durationMs: number };
  const it = await until('the recording to become available', async () => {
    const r = await https(portal.ca, 'GET', `/api/v1/interactions?callId=${encodeURIComponent(call.callId)}`, { headers: portal.auth });
    const item = (JSON.parse(r.body.toString()) as { items: Item[] }).items[0];
    return item?.status === 'available' ? item : null;
  }, 500);
  log(`interaction ${it.id}: ${it.status}, ${it.callingParty} -> ${it.calledParty}, ${it.durationMs} ms`);

  const bytes = await wavOf(portal, it.id);
  const wav = parseWav(bytes);
  const [left, right] = stereoTones(wav, 3, caller.freq, callee.freq);
  log(`WAV through the portal: ${bytes.length} bytes, ${wav.channels} ch, ${wav.sampleRate} Hz, ${wav.durationSec.toFixed(2)} s, LEFT ${left} Hz, RIGHT ${right} Hz`);

  const mp3 = await until('the MP3 copy', async () => {
    const r = await https(portal.ca, 'GET', `/api/v1/interactions/${it.id}/media?format=mp3`, { headers: portal.auth });
    return r.status === 200 ? r : null;
  }, 500);
  assert.ok(mp3.body.length > 5000 && (mp3.body.subarray(0, 3).toString() === 'ID3' || (mp3.body[0] === 0xff && (mp3.body[1]! & 0xe0) === 0xe0)), 'an MP3 stream');
  log(`MP3 through the portal: ${mp3.body.length} bytes`);
  return { callId: call.callId, interactionId: it.id, wavSha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The SNMP agent (sipvault-snmp.service) answers on udp/161 through the firewall (net-snmp's snmpget). */
async function snmpFromOutside(): Promise<void> {
  const sysDescr = await until('the SNMP agent on udp/161', async () => {
    const { stdout } = await promisify(execFile)('snmpget', ['-v2c', '-c', 'public', '-t', '3', '-r', '1', '-Ovq', HOST, '1.3.6.1.2.1.1.1.0']);
    return /sipvault/.test(stdout) ? stdout.trim() : null;
  }, 2000);
  log(`SNMP sysDescr.0 over udp/161: ${sysDescr}`);
}

/** Plain HTTP on port 80 (portal.httpRedirect) answers 308 to the same path over HTTPS, and serves nothing. */
async function httpRedirects(): Promise<void> {
  const path = '/api/v1/interactions?limit=1';
  const answer = await until('the HTTP redirect on tcp/80', () =>
    new Promise<{ status: number; location: string }>((resolve, reject) => {
      const req = httpGet({ host: HOST, port: 80, path }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: String(res.headers.location ?? '') });
      });
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    }),
  );
  assert.equal(answer.status, 308, 'plain HTTP is redirected');
  assert.equal(answer.location, `https://${HOST}${path}`);
  log(`HTTP on tcp/80: ${answer.status} -> ${answer.location}`);
}

async function firewallFromOutside(): Promise<void> {
  // Connections to ports the firewall does not open vanish (policy drop) rather than being
  // refused by the VM's kernel, which is what would happen without it.
  const closed = { 'tcp/8080 (portal without TLS)': await tcpClosed(8080), 'tcp/22 (ssh)': await tcpClosed(22), 'tcp/5061': await tcpClosed(5061) };
  for (const [what, how] of Object.entries(closed)) assert.equal(how, 'dropped', `${what} must be dropped by the firewall`);
  log(`firewall: ${Object.entries(closed).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

async function main(): Promise<void> {
  assert.ok(values.state, '--state FILE is required');
  if (!values['after-update']) {
    assert.ok(values.console, '--console FILE (the VM serial log) is required');
    const { password, fingerprint } = await firstBootMessage(values.console!);
    log(`first boot printed the admin password (${password.length} characters) and certificate ${fingerprint.slice(0, 23)}...`);
    const portal = await portalLogin(password, fingerprint);
    const recorded = await recordCall(portal);
    await httpRedirects();
    await snmpFromOutside();
    await firewallFromOutside();
    writeFileSync(values.state!, JSON.stringify({ password, fingerprint, recorded } satisfies State), { mode: 0o600 });
    log('PASS: the booted image recorded a SIPREC call and served it over HTTPS');
    return;
  }
  // After the in-place update: same accounts, same certificate, the earlier recording byte for
  // byte, and the updated release records a new call.
  const state = JSON.parse(readFileSync(values.state!, 'utf8')) as State;
  const portal = await portalLogin(state.password, state.fingerprint);
  const before = await wavOf(portal, state.recorded.interactionId);
  assert.equal(createHash('sha256').update(before).digest('hex'), state.recorded.wavSha256, 'the recording from before the update is unchanged');
  log(`recording ${state.recorded.interactionId} from before the update: same SHA-256`);
  const again = await recordCall(portal);
  assert.notEqual(again.interactionId, state.recorded.interactionId);
  await snmpFromOutside();
  await firewallFromOutside();
  log('PASS: after the in-place update the data is kept and the appliance records');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`[vm-record] FAIL: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
