import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { SipRequestError, SipStack, parseCSeq, parseVia, type SipRequest } from '../../recorder/sip/index.js';
import {
  StreamPeer,
  StreamServerPeer,
  UdpPeer,
  asRequest,
  asResponse,
  dialogHeaders,
  isRequestOf,
  isResponseWith,
  logger,
  responseTo,
  sipRequest,
  sleep,
} from '../support/sip-peers.js';

// RFC 3261 §17.1.2 non-INVITE client transactions (requests the recorder sends) over real sockets.
// T1 = 20 ms: Timer E 20, 40, 80 (= T2) ms; Timer F 64*T1 = 1280 ms; Timer K = T4 = 100 ms.
const T1 = 20;
const T2 = 80;
const T4 = 100;
let stack: SipStack;
let udpPort = 0;
let tcpPort = 0;

before(async () => {
  stack = new SipStack({
    listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'],
    maxMessageBytes: 65536,
    logger,
    serverName: 'sipvault-test',
    timers: { T1, T2, T4 },
  });
  stack.onRequest((req) => req.respond(200));
  await stack.start();
  for (const b of stack.boundAddresses()) {
    if (b.transport === 'udp') udpPort = b.port;
    if (b.transport === 'tcp') tcpPort = b.port;
  }
});

after(async () => {
  await stack.stop();
});

const bye = (callId: string, destination: { transport: 'udp' | 'tcp' | 'tls'; address: string; port: number }) =>
  stack.request({ method: 'BYE', uri: 'sip:src@127.0.0.1', destination, headers: dialogHeaders(callId, 'BYE', 2) });

/** Waits (up to 2 s) for client transactions to end (Timer K) and closed connections to be noticed. */
async function settled(what: 'clientTransactions' | 'connections' = 'clientTransactions'): Promise<void> {
  const deadline = Date.now() + 2000;
  while (stack.stats()[what] > 0 && Date.now() < deadline) await sleep(10);
}

test('UDP: the stack writes Via, Max-Forwards, User-Agent and Content-Length; retransmits with Timer E; ignores 1xx; resolves on the final response', async () => {
  const peer = await UdpPeer.open();
  try {
    const started = Date.now();
    const pending = bye('uac-udp-1', { transport: 'udp', address: '127.0.0.1', port: peer.port });
    const first = await peer.inbox.next(isRequestOf('BYE'));
    const req = asRequest(first);
    assert.equal(req.uri, 'sip:src@127.0.0.1');
    assert.equal(first.from.port, udpPort, 'sent from the listening socket (symmetric)');
    const via = parseVia(req.headers.get('Via') ?? '');
    assert.equal(via?.transport, 'UDP');
    assert.equal(via?.sentBy, `127.0.0.1:${udpPort}`);
    assert.match(via?.params.get('branch') ?? '', /^z9hG4bK[0-9a-f]{20}$/);
    assert.equal(via?.params.get('rport'), '');
    assert.equal(req.headers.getAll('Via').length, 1);
    assert.equal(req.headers.get('Max-Forwards'), '70');
    assert.equal(req.headers.get('User-Agent'), 'sipvault-test');
    assert.equal(req.headers.get('Content-Length'), '0');
    assert.equal(req.headers.get('Call-ID'), 'uac-udp-1');
    assert.deepEqual(parseCSeq(req.headers.get('CSeq') ?? ''), { seq: 2, method: 'BYE' });

    // Unanswered: Timer E doubles from T1 up to T2 (§17.1.2.2).
    const copies = await peer.inbox.collect(330, isRequestOf('BYE'));
    assert.ok(copies.length >= 4 && copies.length <= 7, `${copies.length} retransmissions in 330 ms`);
    for (const c of copies) assert.equal(asRequest(c).headers.get('Via'), req.headers.get('Via'), 'a retransmission is the same request');

    // 1xx moves to Proceeding (Timer E now T2) and is not the answer.
    peer.reply(first, 100);
    await sleep(3 * T2);
    peer.reply(first, 200, [['Server', 'peer']]);
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Server'), 'peer');
    assert.ok(Date.now() - started < 1280, 'resolved before Timer F');
    peer.inbox.take();
    assert.equal((await peer.inbox.collect(3 * T2, isRequestOf('BYE'))).length, 0, 'no retransmission after the final response');
    await settled();
    assert.equal(stack.stats().clientTransactions, 0, 'Timer K ended the transaction');
  } finally {
    peer.close();
  }
});

test('UDP: Timer F (64*T1) rejects with a timeout when nothing answers', async () => {
  const peer = await UdpPeer.open();
  try {
    const started = Date.now();
    await assert.rejects(bye('uac-timeout', { transport: 'udp', address: '127.0.0.1', port: peer.port }), (err: Error) => {
      assert.ok(err instanceof SipRequestError);
      assert.equal(err.kind, 'timeout');
      assert.match(err.message, /timeout/);
      assert.match(err.message, /Timer F/);
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 64 * T1 - 20 && elapsed < 64 * T1 + 700, `timed out after ${elapsed} ms`);
    assert.equal(stack.stats().clientTransactions, 0);
  } finally {
    peer.close();
  }
});

test('responses are matched by branch + CSeq method and our sent-by (§17.1.3, §18.1.2); others are dropped; a retransmitted final is absorbed', async () => {
  const peer = await UdpPeer.open();
  try {
    const pending = bye('uac-match', { transport: 'udp', address: '127.0.0.1', port: peer.port });
    const first = await peer.inbox.next(isRequestOf('BYE'));
    const good = responseTo(first.message, 200).toString();
    const via = first.message.headers.get('Via') ?? '';
    const branch = parseVia(via)?.params.get('branch') ?? '';
    let resolved = false;
    void pending.then(() => (resolved = true));
    // Wrong branch, wrong CSeq method, foreign sent-by, an extra Via: none of them is the answer.
    peer.send(good.replace(branch, `${branch}x`).replace('200 OK', '481 No'), udpPort);
    peer.send(good.replace(/CSeq: 2 BYE/, 'CSeq: 2 OPTIONS').replace('200 OK', '482 No'), udpPort);
    peer.send(good.replace(`127.0.0.1:${udpPort}`, `192.0.2.1:${udpPort}`).replace('200 OK', '483 No'), udpPort);
    peer.send(good.replace(/(Via: [^\r]*\r\n)/, '$1Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKextra\r\n').replace('200 OK', '484 No'), udpPort);
    await sleep(60);
    assert.equal(resolved, false, 'a mismatching response completed the transaction');
    peer.send(good.replace('200 OK', '486 Busy Here'), udpPort);
    assert.equal((await pending).status, 486);
    peer.send(good, udpPort); // a retransmission of a (different) final: absorbed in Completed
    await sleep(30);
    await settled();
    assert.equal(stack.stats().clientTransactions, 0);
  } finally {
    peer.close();
  }
});

test('UDP on a wildcard bind: the Via sent-by is the address the kernel sends from', async () => {
  const wild = new SipStack({ listen: ['udp:0.0.0.0:0'], maxMessageBytes: 65536, logger, timers: { T1, T2, T4 } });
  await wild.start();
  const peer = await UdpPeer.open();
  try {
    const port = wild.boundAddresses()[0]?.port ?? 0;
    const pending = wild.request({ method: 'OPTIONS', uri: 'sip:src@127.0.0.1', destination: { transport: 'udp', address: '127.0.0.1', port: peer.port }, headers: dialogHeaders('wild-1', 'OPTIONS') });
    const got = await peer.inbox.next(isRequestOf('OPTIONS'));
    assert.equal(parseVia(got.message.headers.get('Via') ?? '')?.sentBy, `127.0.0.1:${port}`);
    peer.reply(got, 200);
    assert.equal((await pending).status, 200);
  } finally {
    peer.close();
    await wild.stop();
  }
});

test("TCP: a request to an SRC's address:port reuses the SRC's own connection", async () => {
  const src = await StreamPeer.tcp(tcpPort);
  try {
    src.send(sipRequest('OPTIONS', { callId: 'reuse-1', transport: 'TCP', sentBy: `127.0.0.1:${src.localPort}` }));
    await src.inbox.next(isResponseWith(200, 'reuse-1'));
    const before = stack.stats().connections;
    const pending = bye('reuse-1', { transport: 'tcp', address: src.localAddress, port: src.localPort });
    const got = await src.inbox.next(isRequestOf('BYE'));
    const via = parseVia(got.message.headers.get('Via') ?? '');
    assert.equal(via?.transport, 'TCP');
    assert.equal(via?.sentBy, `127.0.0.1:${tcpPort}`, 'sent-by names the listening port, not the connection');
    src.reply(got, 200);
    assert.equal((await pending).status, 200);
    assert.equal(stack.stats().connections, before, 'no new connection was opened');
    await settled();
    assert.equal(stack.stats().clientTransactions, 0, 'Timer K is 0 on TCP');
  } finally {
    src.destroy();
  }
});

test('TCP: without a connection to the destination the stack opens one and reuses it for the next request', async () => {
  const server = await StreamServerPeer.tcp();
  try {
    const destination = { transport: 'tcp' as const, address: '127.0.0.1', port: server.port };
    await settled('connections');
    const before = stack.stats().connections;
    const one = bye('open-1', destination);
    const first = await server.next(isRequestOf('BYE'));
    assert.equal(stack.stats().connections, before + 1);
    first.conn.reply(first.received, 200);
    assert.equal((await one).status, 200);
    const two = stack.request({ method: 'OPTIONS', uri: 'sip:src@127.0.0.1', destination, headers: dialogHeaders('open-2', 'OPTIONS') });
    const second = await server.next(isRequestOf('OPTIONS'));
    assert.equal(second.conn, first.conn, 'the same connection carried the second request');
    second.conn.reply(second.received, 200);
    assert.equal((await two).status, 200);
    assert.equal(server.connections.length, 1);
  } finally {
    await server.close();
  }
});

test('TCP: connection refused and a connection lost before the answer reject as transport failures', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(bye('refused', { transport: 'tcp', address: '127.0.0.1', port }), (err: Error) => {
    assert.ok(err instanceof SipRequestError);
    assert.equal(err.kind, 'transport');
    assert.match(err.message, /transport failure/);
    return true;
  });

  const server = await StreamServerPeer.tcp();
  try {
    const pending = bye('lost', { transport: 'tcp', address: '127.0.0.1', port: server.port });
    const got = await server.next(isRequestOf('BYE'));
    const started = Date.now();
    got.conn.destroy();
    await assert.rejects(pending, (err: Error) => err instanceof SipRequestError && err.kind === 'transport' && /connection closed/.test(err.message));
    assert.ok(Date.now() - started < 500, 'failed at once, not at Timer F');
  } finally {
    await server.close();
  }
});

test('body, Content-Type and a caller Max-Forwards go out as given; Via and Content-Length are always the stack own', async () => {
  const peer = await UdpPeer.open();
  try {
    const body = Buffer.from('<?xml version="1.0"?><recording xmlns="urn:ietf:params:xml:ns:recording:1"/>');
    const pending = stack.request({
      method: 'INFO',
      uri: 'sip:src@127.0.0.1',
      destination: { transport: 'udp', address: '127.0.0.1', port: peer.port },
      headers: [...dialogHeaders('body-1', 'INFO', 7), ['Max-Forwards', '10'], ['Via', 'SIP/2.0/UDP evil;branch=z9hG4bKevil'], ['Content-Length', '999'], ['Route', '<sip:edge@127.0.0.1;lr>']],
      body,
      contentType: 'application/rs-metadata+xml',
    });
    const got = await peer.inbox.next(isRequestOf('INFO'));
    const req: SipRequest = asRequest(got);
    assert.equal(req.headers.getAll('Via').length, 1);
    assert.doesNotMatch(req.headers.get('Via') ?? '', /evil/);
    assert.equal(req.headers.get('Max-Forwards'), '10');
    assert.equal(req.headers.get('Route'), '<sip:edge@127.0.0.1;lr>');
    assert.equal(req.headers.get('Content-Type'), 'application/rs-metadata+xml');
    assert.equal(req.headers.get('Content-Length'), String(body.length));
    assert.deepEqual(req.body, body);
    peer.reply(got, 200);
    assert.equal(asResponse({ message: await pending, raw: Buffer.alloc(0), from: got.from }).status, 200);
  } finally {
    peer.close();
  }
});

test('invalid requests are refused before anything is sent', async () => {
  const destination = { transport: 'udp' as const, address: '127.0.0.1', port: 9 };
  const invalid = async (opts: Parameters<SipStack['request']>[0], pattern: RegExp): Promise<void> => {
    await assert.rejects(stack.request(opts), (err: Error) => err instanceof SipRequestError && err.kind === 'invalid' && pattern.test(err.message));
  };
  await invalid({ method: 'INVITE', uri: 'sip:a@b', destination, headers: dialogHeaders('i', 'INVITE') }, /INVITE client transaction/);
  await invalid({ method: 'BYE', uri: 'sip:a@b', destination, headers: dialogHeaders('i', 'BYE').filter(([n]) => n !== 'Call-ID') }, /call-id is required/);
  await invalid({ method: 'BYE', uri: 'sip:a@b', destination, headers: dialogHeaders('i', 'OPTIONS') }, /CSeq method OPTIONS does not match BYE/);
  await invalid({ method: 'BYE', uri: 'sip:a@b', destination: { ...destination, address: 'src.example.com' }, headers: dialogHeaders('i', 'BYE') }, /IP address/);
  await invalid({ method: 'BYE', uri: 'not a uri', destination, headers: dialogHeaders('i', 'BYE') }, /Request-URI/);
  await assert.rejects(
    stack.request({ method: 'BYE', uri: 'sip:a@b', destination: { transport: 'tls', address: '127.0.0.1', port: 5061 }, headers: dialogHeaders('i', 'BYE') }),
    (err: Error) => err instanceof SipRequestError && err.kind === 'transport' && /no tls listen entry/.test(err.message),
  );
  await settled();
  assert.equal(stack.stats().clientTransactions, 0);
});

test('stop() rejects pending client transactions and clears their timers', async () => {
  const own = new SipStack({ listen: ['udp:127.0.0.1:0'], maxMessageBytes: 65536, logger, timers: { T1, T2, T4 } });
  await own.start();
  const peer = await UdpPeer.open();
  try {
    const pending = own.request({ method: 'BYE', uri: 'sip:src@127.0.0.1', destination: { transport: 'udp', address: '127.0.0.1', port: peer.port }, headers: dialogHeaders('stop-1', 'BYE') });
    await peer.inbox.next(isRequestOf('BYE'));
    assert.equal(own.stats().clientTransactions, 1);
    await own.stop();
    await assert.rejects(pending, (err: Error) => err instanceof SipRequestError && err.kind === 'stopped');
    assert.equal(own.stats().clientTransactions, 0);
    peer.inbox.take();
    assert.equal((await peer.inbox.collect(5 * T1)).length, 0, 'no retransmission after stop()');
    await assert.rejects(
      own.request({ method: 'BYE', uri: 'sip:src@127.0.0.1', destination: { transport: 'udp', address: '127.0.0.1', port: peer.port }, headers: dialogHeaders('stop-2', 'BYE') }),
      (err: Error) => err instanceof SipRequestError && err.kind === 'stopped',
    );
  } finally {
    peer.close();
    await own.stop();
  }
});
