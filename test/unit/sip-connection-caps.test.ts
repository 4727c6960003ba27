import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SipRequestError, SipStack } from '../../recorder/sip/index.js';
import { StreamPeer, StreamServerPeer, dialogHeaders, isResponseWith, makePki, recordingLogger, sipRequest, sleep, type TestPki } from '../support/sip-peers.js';

// Resource caps on stream transports: a shared maxConnections budget (TCP + TLS, inbound and
// outbound), the per-connection framing buffer (maxMessageBytes) and idle reaping.
let pki: TestPki;
let stack: SipStack;
const log = recordingLogger();
let tcpPort = 0;
let tlsPort = 0;

before(async () => {
  pki = makePki();
  stack = new SipStack({
    listen: ['tcp:127.0.0.1:0', 'tls:127.0.0.1:0'],
    maxMessageBytes: 4096,
    maxConnections: 3,
    tcpIdleMs: 400,
    logger: log.logger,
    tls: { cert: pki.server.cert, key: pki.server.key },
  });
  stack.onRequest((req) => req.respond(200));
  await stack.start();
  for (const b of stack.boundAddresses()) {
    if (b.transport === 'tcp') tcpPort = b.port;
    if (b.transport === 'tls') tlsPort = b.port;
  }
});

after(async () => {
  await stack.stop();
});

async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(10);
  }
}

const options = (callId: string): string => sipRequest('OPTIONS', { callId, transport: 'TCP' });

test('maxConnections is shared by TCP and TLS: beyond it new connections are closed at once, with one warning per window', async () => {
  const held = [await StreamPeer.tcp(tcpPort), await StreamPeer.tls(tlsPort, '127.0.0.1', { ca: pki.ca, checkServerIdentity: () => undefined }), await StreamPeer.tcp(tcpPort)];
  try {
    await until(() => stack.stats().connections === 3);
    const refused: StreamPeer[] = [];
    for (let i = 0; i < 5; i++) {
      const extra = await StreamPeer.tcp(tcpPort);
      refused.push(extra);
      extra.send(options(`over-cap-${i}`));
    }
    const extraTls = await StreamPeer.tls(tlsPort, '127.0.0.1', { ca: pki.ca }).catch(() => null);
    for (const extra of refused) assert.ok(await extra.closedWithin(1000), 'a connection over the cap stayed open');
    if (extraTls) assert.ok(await extraTls.closedWithin(1000));
    for (const extra of refused) assert.equal(extra.inbox.size, 0);
    assert.equal(log.warnings.filter((w) => w === 'SIP connection refused: maxConnections reached').length, 1, 'warnings are rate-limited');
    assert.equal(stack.stats().connections, 3);
    // The held connections are still served, and a freed slot is usable again.
    held[0]?.send(options('held-0'));
    await held[0]?.inbox.next(isResponseWith(200, 'held-0'));
    held[2]?.destroy();
    await until(() => stack.stats().connections === 2);
    const again = await StreamPeer.tcp(tcpPort);
    again.send(options('after-free'));
    await again.inbox.next(isResponseWith(200, 'after-free'));
    again.destroy();
  } finally {
    for (const h of held) h.destroy();
  }
  await until(() => stack.stats().connections === 0);
});

test('outgoing connections count too: at the cap request() fails as a transport error', async () => {
  const held = [await StreamPeer.tcp(tcpPort), await StreamPeer.tcp(tcpPort), await StreamPeer.tcp(tcpPort)];
  const server = await StreamServerPeer.tcp();
  try {
    await until(() => stack.stats().connections === 3);
    await assert.rejects(
      stack.request({ method: 'OPTIONS', uri: 'sip:src@127.0.0.1', destination: { transport: 'tcp', address: '127.0.0.1', port: server.port }, headers: dialogHeaders('cap-out', 'OPTIONS') }),
      (err: Error) => err instanceof SipRequestError && err.kind === 'transport' && /maxConnections/.test(err.message),
    );
    assert.equal(server.connections.length, 0);
  } finally {
    for (const h of held) h.destroy();
    await server.close();
  }
  await until(() => stack.stats().connections === 0);
});

test('a header section that never ends is cut at maxMessageBytes; idle connections are reaped; nothing stays buffered', async () => {
  const drip = await StreamPeer.tcp(tcpPort);
  drip.send('OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nX-Pad: ');
  for (let i = 0; i < 6 && !drip.isClosed; i++) {
    drip.send('a'.repeat(1000));
    await sleep(10);
  }
  assert.ok(await drip.closedWithin(1000), 'an endless header was not cut');
  drip.destroy();

  const idle = await StreamPeer.tls(tlsPort, '127.0.0.1', { ca: pki.ca });
  idle.send('OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\n'); // half a message, then silence
  await until(() => stack.stats().bufferedBytes > 0);
  const started = Date.now();
  assert.ok(await idle.closedWithin(2000), 'idle TLS connection not reaped');
  assert.ok(Date.now() - started >= 300, 'reaped before tcpIdleMs');
  idle.destroy();
  await until(() => stack.stats().connections === 0);
  assert.equal(stack.stats().bufferedBytes, 0);
});
