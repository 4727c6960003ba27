import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import { SipRequestError, SipStack, parseVia, type ServerRequest } from '../../recorder/sip/index.js';
import {
  StreamPeer,
  StreamServerPeer,
  dialogHeaders,
  isRequestOf,
  isResponseWith,
  logger,
  makePki,
  recordingLogger,
  sipRequest,
  sleep,
  type TestPki,
} from '../support/sip-peers.js';

// SIP over TLS (RFC 3261 §26.2, RFC 5630) with per-source client certificates.
let pki: TestPki;
let open: SipStack; // client certificates required only from 192.0.2.0/24: loopback clients need none
let mutual: SipStack; // client certificates required from 127.0.0.0/8
let openPort = 0;
let mutualPort = 0;
const seen: ServerRequest[] = [];
const mutualLog = recordingLogger();

const tlsPort = (s: SipStack): number => s.boundAddresses().find((b) => b.transport === 'tls')?.port ?? 0;

before(async () => {
  pki = makePki();
  const tls = { cert: pki.server.cert, key: pki.server.key, ca: pki.ca };
  open = new SipStack({ listen: ['tls:127.0.0.1:0'], maxMessageBytes: 65536, logger, tls: { ...tls, requireClientCertFrom: ['192.0.2.0/24'] }, timers: { T1: 20, T2: 80, T4: 100 } });
  mutual = new SipStack({ listen: ['tls:127.0.0.1:0'], maxMessageBytes: 65536, logger: mutualLog.logger, tls: { ...tls, requireClientCertFrom: ['10.0.0.0/8', '127.0.0.0/8'] } });
  for (const s of [open, mutual]) {
    s.onRequest((req) => {
      seen.push(req);
      req.respond(200);
    });
    await s.start();
  }
  openPort = tlsPort(open);
  mutualPort = tlsPort(mutual);
});

after(async () => {
  await open.stop();
  await mutual.stop();
});

const trustCa = (): { ca: string } => ({ ca: pki.ca });

test('configuration errors name the key: missing cert/key, bad PEM, CIDRs, client certs without a CA', () => {
  const base = { maxMessageBytes: 65536, logger };
  assert.throws(() => new SipStack({ ...base, listen: ['udp:127.0.0.1:0', 'tls:127.0.0.1:5061'] }), /"tls:127\.0\.0\.1:5061" needs sip\.tls\.cert and sip\.tls\.key/);
  assert.throws(() => new SipStack({ ...base, listen: ['tls:127.0.0.1:5061'], tls: { cert: pki.server.cert, key: '' } }), /sip\.tls\.cert and sip\.tls\.key/);
  assert.throws(() => new SipStack({ ...base, listen: ['tls:127.0.0.1:5061'], tls: { cert: 'not a pem', key: pki.server.key } }), /Invalid sip\.tls\.cert/);
  assert.throws(
    () => new SipStack({ ...base, listen: ['tls:127.0.0.1:5061'], tls: { ...pki.server, requireClientCertFrom: ['10.0.0.0/8'] } }),
    /requireClientCertFrom needs sip\.tls\.ca/,
  );
  assert.throws(
    () => new SipStack({ ...base, listen: ['tls:127.0.0.1:5061'], tls: { ...pki.server, ca: pki.ca, requireClientCertFrom: ['10.0.0.0/8', '10.0.0.0/33'] } }),
    /sip\.tls\.requireClientCertFrom\[1\]: "10\.0\.0\.0\/33"/,
  );
  // A stack without tls: entries ignores sip.tls entirely.
  assert.doesNotThrow(() => new SipStack({ ...base, listen: ['udp:127.0.0.1:0'] }));
});

test('TLS carries SIP with TCP framing; the TU sees transport "tls"', async () => {
  const client = await StreamPeer.tls(openPort, '127.0.0.1', trustCa());
  try {
    const a = sipRequest('OPTIONS', { callId: 'tls-1', transport: 'TLS', sentBy: `127.0.0.1:${client.localPort}` });
    const b = sipRequest('OPTIONS', { callId: 'tls-2', transport: 'TLS', sentBy: `127.0.0.1:${client.localPort}` });
    // Two messages in one write, then one split across writes.
    client.send(a + b);
    const c = Buffer.from(sipRequest('MESSAGE', { callId: 'tls-3', transport: 'TLS', sentBy: `127.0.0.1:${client.localPort}`, body: 'hello' }));
    client.send(c.subarray(0, 40));
    await sleep(20);
    client.send(c.subarray(40));
    for (const id of ['tls-1', 'tls-2', 'tls-3']) await client.inbox.next(isResponseWith(200, id));
    const req = seen.find((r) => r.message.headers.get('Call-ID') === 'tls-3');
    assert.equal(req?.source.transport, 'tls');
    assert.equal(req?.message.body.toString(), 'hello');
  } finally {
    client.destroy();
  }
});

test('mutual TLS per source: from a trusted range only a certificate signed by the CA is served', async () => {
  const good = await StreamPeer.tls(mutualPort, '127.0.0.1', { ...trustCa(), ...pki.client });
  try {
    good.send(sipRequest('OPTIONS', { callId: 'mtls-good', transport: 'TLS' }));
    await good.inbox.next(isResponseWith(200, 'mtls-good'));
  } finally {
    good.destroy();
  }
  for (const [name, creds] of [
    ['no certificate', {}],
    ['self-signed certificate', pki.rogue],
  ] as const) {
    // The handshake itself succeeds (rejectUnauthorized: false); the stack then closes.
    const bad = await StreamPeer.tls(mutualPort, '127.0.0.1', { ...trustCa(), ...creds }).catch(() => null);
    if (!bad) continue; // closed during the handshake: refused all the same
    try {
      bad.send(sipRequest('OPTIONS', { callId: `mtls-${name}`, transport: 'TLS' }));
      assert.ok(await bad.closedWithin(1000), `${name}: connection not closed`);
      assert.equal(bad.inbox.size, 0, `${name}: got an answer`);
    } finally {
      bad.destroy();
    }
  }
  assert.ok(mutualLog.warnings.includes('SIP connection refused'));
  assert.equal(seen.filter((r) => /^mtls-(no|self)/.test(r.message.headers.get('Call-ID') ?? '')).length, 0);
});

test("request() over TLS reuses the SRC's connection", async () => {
  const src = await StreamPeer.tls(openPort, '127.0.0.1', trustCa());
  try {
    src.send(sipRequest('OPTIONS', { callId: 'tls-reuse', transport: 'TLS' }));
    await src.inbox.next(isResponseWith(200, 'tls-reuse'));
    const pending = open.request({ method: 'BYE', uri: 'sip:src@127.0.0.1;transport=tls', destination: { transport: 'tls', address: src.localAddress, port: src.localPort }, headers: dialogHeaders('tls-reuse', 'BYE', 2) });
    const got = await src.inbox.next(isRequestOf('BYE'));
    const via = parseVia(got.message.headers.get('Via') ?? '');
    assert.equal(via?.transport, 'TLS');
    assert.equal(via?.sentBy, `127.0.0.1:${openPort}`);
    src.reply(got, 200);
    assert.equal((await pending).status, 200);
  } finally {
    src.destroy();
  }
});

test('request() over TLS opens a verified connection and presents the recorder certificate', async () => {
  const srcServer = await StreamServerPeer.tls('127.0.0.1', { ...pki.server, ca: pki.ca, requestCert: true, rejectUnauthorized: false });
  try {
    const pending = open.request({ method: 'OPTIONS', uri: 'sip:src@127.0.0.1', destination: { transport: 'tls', address: '127.0.0.1', port: srcServer.port }, headers: dialogHeaders('tls-out', 'OPTIONS') });
    const { conn, received } = await srcServer.next(isRequestOf('OPTIONS'));
    assert.equal((conn.socket as TLSSocket).authorized, true, 'the recorder presented a certificate signed by the CA');
    conn.reply(received, 200);
    assert.equal((await pending).status, 200);
  } finally {
    await srcServer.close();
  }
  // A peer whose certificate does not verify is a transport failure, not a silent downgrade.
  const rogue = await StreamServerPeer.tls('127.0.0.1', pki.rogue);
  try {
    await assert.rejects(
      open.request({ method: 'OPTIONS', uri: 'sip:src@127.0.0.1', destination: { transport: 'tls', address: '127.0.0.1', port: rogue.port }, headers: dialogHeaders('tls-rogue', 'OPTIONS') }),
      (err: Error) => err instanceof SipRequestError && err.kind === 'transport' && /certificate/i.test(err.message),
    );
  } finally {
    await rogue.close();
  }
});

test('plain TCP or garbage on the TLS port is closed; the port keeps serving', async () => {
  const plain = await StreamPeer.tcp(openPort);
  plain.send(sipRequest('OPTIONS', { callId: 'tls-plain', transport: 'TCP' }));
  assert.ok(await plain.closedWithin(1000));
  plain.destroy();
  const client = await StreamPeer.tls(openPort, '127.0.0.1', trustCa());
  try {
    client.send(sipRequest('OPTIONS', { callId: 'tls-after-plain', transport: 'TLS' }));
    await client.inbox.next(isResponseWith(200, 'tls-after-plain'));
  } finally {
    client.destroy();
  }
});
