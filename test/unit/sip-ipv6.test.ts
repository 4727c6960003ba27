import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SipStack, parseVia, type ServerRequest } from '../../recorder/sip/index.js';
import {
  StreamPeer,
  StreamServerPeer,
  UdpPeer,
  asResponse,
  dialogHeaders,
  hasIpv6Loopback,
  isRequestOf,
  isResponseWith,
  logger,
  makePki,
  sipRequest,
  type TestPki,
} from '../support/sip-peers.js';

// UDP, TCP and TLS on [::1], both directions: requests in and responses back (RFC 3261 §18.2.2,
// RFC 3581), requests of ours out with a bracketed Via sent-by (RFC 5118 §4).
let pki: TestPki;
let stack: SipStack;
const ports = { udp: 0, tcp: 0, tls: 0 };
const seen: ServerRequest[] = [];

before(async () => {
  // IPv6 is a supported transport: without ::1 the suite fails here instead of skipping it silently.
  assert.ok(await hasIpv6Loopback(), 'this machine has no IPv6 loopback (::1): the IPv6 transport tests cannot run');
  pki = makePki();
  stack = new SipStack({
    listen: ['udp:[::1]:0', 'tcp:[::1]:0', 'tls:[::1]:0'],
    maxMessageBytes: 65536,
    logger,
    tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca },
    timers: { T1: 20, T2: 80, T4: 100 },
  });
  stack.onRequest((req) => {
    seen.push(req);
    req.respond(200);
  });
  await stack.start();
  for (const b of stack.boundAddresses()) ports[b.transport] = b.port;
});

after(async () => {
  await stack?.stop();
});

test('listen entries bind to ::1 on every transport', () => {
  assert.deepEqual(
    stack.boundAddresses().map((b) => [b.transport, b.address]),
    [
      ['udp', '::1'],
      ['tcp', '::1'],
      ['tls', '::1'],
    ],
  );
});

test('UDP over IPv6: the response reaches the source; received/rport are added as RFC 3581 asks', async () => {
  const peer = await UdpPeer.open('::1');
  try {
    peer.send(sipRequest('OPTIONS', { callId: 'v6-udp-1', sentBy: `[::1]:${peer.port}`, uri: 'sip:srs@[::1]' }), ports.udp);
    const r = asResponse(await peer.inbox.next(isResponseWith(200, 'v6-udp-1')));
    const via = parseVia(r.headers.get('Via') ?? '');
    assert.equal(via?.host, '::1');
    assert.equal(via?.params.get('rport'), String(peer.port));
    peer.send(sipRequest('OPTIONS', { callId: 'v6-udp-2', sentBy: 'src.invalid:5060' }), ports.udp);
    const named = asResponse(await peer.inbox.next(isResponseWith(200, 'v6-udp-2')));
    assert.equal(parseVia(named.headers.get('Via') ?? '')?.params.get('received'), '::1');
    assert.equal(seen.find((s) => s.message.headers.get('Call-ID') === 'v6-udp-1')?.source.address, '::1');
  } finally {
    peer.close();
  }
});

test('TCP and TLS over IPv6 answer on the same connection', async () => {
  const tcp = await StreamPeer.tcp(ports.tcp, '::1');
  const tls = await StreamPeer.tls(ports.tls, '::1', { ca: pki.ca });
  try {
    tcp.send(sipRequest('OPTIONS', { callId: 'v6-tcp', transport: 'TCP', sentBy: `[::1]:${tcp.localPort}` }));
    tls.send(sipRequest('OPTIONS', { callId: 'v6-tls', transport: 'TLS', sentBy: `[::1]:${tls.localPort}` }));
    await tcp.inbox.next(isResponseWith(200, 'v6-tcp'));
    await tls.inbox.next(isResponseWith(200, 'v6-tls'));
    assert.equal(seen.find((s) => s.message.headers.get('Call-ID') === 'v6-tls')?.source.transport, 'tls');
  } finally {
    tcp.destroy();
    tls.destroy();
  }
});

test('request() to IPv6 peers: UDP, TCP (reusing the SRC connection) and a new TLS connection; Via sent-by in brackets', async () => {
  const udp = await UdpPeer.open('::1');
  const tcp = await StreamPeer.tcp(ports.tcp, '::1');
  const tlsServer = await StreamServerPeer.tls('::1', pki.server);
  try {
    const viaOf = (m: { headers: { get(n: string): string | undefined } }): string => parseVia(m.headers.get('Via') ?? '')?.sentBy ?? '';

    const overUdp = stack.request({ method: 'BYE', uri: 'sip:src@[::1]', destination: { transport: 'udp', address: '::1', port: udp.port }, headers: dialogHeaders('v6-out-udp', 'BYE') });
    const u = await udp.inbox.next(isRequestOf('BYE'));
    assert.equal(viaOf(u.message), `[::1]:${ports.udp}`);
    udp.reply(u, 200);
    assert.equal((await overUdp).status, 200);

    tcp.send(sipRequest('OPTIONS', { callId: 'v6-out-tcp', transport: 'TCP' }));
    await tcp.inbox.next(isResponseWith(200, 'v6-out-tcp'));
    const overTcp = stack.request({ method: 'BYE', uri: 'sip:src@[::1]', destination: { transport: 'tcp', address: '::1', port: tcp.localPort }, headers: dialogHeaders('v6-out-tcp', 'BYE') });
    const t = await tcp.inbox.next(isRequestOf('BYE'));
    assert.equal(viaOf(t.message), `[::1]:${ports.tcp}`);
    tcp.reply(t, 200);
    assert.equal((await overTcp).status, 200);

    const overTls = stack.request({ method: 'BYE', uri: 'sip:src@[::1]', destination: { transport: 'tls', address: '::1', port: tlsServer.port }, headers: dialogHeaders('v6-out-tls', 'BYE') });
    const { conn, received } = await tlsServer.next(isRequestOf('BYE'));
    assert.equal(viaOf(received.message), `[::1]:${ports.tls}`);
    conn.reply(received, 200);
    assert.equal((await overTls).status, 200);
  } finally {
    udp.close();
    tcp.destroy();
    await tlsServer.close();
  }
});
