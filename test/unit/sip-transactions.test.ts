import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { pino } from 'pino';
import { SipStack, isRequest, parseMessage, parseNameAddr, parseVia, type ServerRequest, type SipResponse } from '../../recorder/sip/index.js';

// SIP_TEST_LOG=debug shows the stack's logs while debugging a test.
const logger = pino({ level: process.env.SIP_TEST_LOG ?? 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A minimal UAC over a real UDP socket: sends raw text, collects parsed responses. */
class UdpPeer {
  readonly socket: Socket = createSocket('udp4');
  private readonly inbox: SipResponse[] = [];
  private waiter: (() => void) | null = null;

  async open(): Promise<this> {
    this.socket.on('message', (data) => {
      const r = parseMessage(data);
      if (r.ok && !isRequest(r.message)) this.inbox.push(r.message);
      this.waiter?.();
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(text: string | Buffer, port: number): void {
    this.socket.send(typeof text === 'string' ? Buffer.from(text) : text, port, '127.0.0.1');
  }

  /** Next response matching `pred` (consumed), or throws after `ms`. */
  async next(pred: (r: SipResponse) => boolean = () => true, ms = 2000): Promise<SipResponse> {
    const deadline = Date.now() + ms;
    for (;;) {
      const at = this.inbox.findIndex(pred);
      if (at >= 0) return this.inbox.splice(at, 1)[0] as SipResponse;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a response');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Everything received matching `pred` during the next `ms` (consumed). */
  async collect(ms: number, pred: (r: SipResponse) => boolean = () => true): Promise<SipResponse[]> {
    await sleep(ms);
    return this.take(pred);
  }

  take(pred: (r: SipResponse) => boolean = () => true): SipResponse[] {
    const out = this.inbox.filter(pred);
    for (const r of out) this.inbox.splice(this.inbox.indexOf(r), 1);
    return out;
  }

  close(): void {
    this.socket.close();
  }
}

let seq = 0;
interface ReqOpts {
  branch?: string;
  callId?: string;
  cseq?: number;
  cseqMethod?: string;
  action?: string;
  toTag?: string;
  via?: string;
  extra?: string[];
  body?: string;
  port: number;
}
function request(method: string, o: ReqOpts): string {
  const body = o.body ?? '';
  return [
    `${method} sip:srs@127.0.0.1 SIP/2.0`,
    o.via ?? `Via: SIP/2.0/UDP 127.0.0.1:${o.port};branch=${o.branch ?? `z9hG4bK${++seq}`}`,
    'Max-Forwards: 70',
    'From: <sip:src@127.0.0.1>;tag=src1',
    `To: <sip:srs@127.0.0.1>${o.toTag ? `;tag=${o.toTag}` : ''}`,
    `Call-ID: ${o.callId ?? `call-${++seq}`}`,
    `CSeq: ${o.cseq ?? 1} ${o.cseqMethod ?? method}`,
    ...(o.action ? [`X-Test-Action: ${o.action}`] : []),
    ...(o.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

const cseqMethod = (r: SipResponse): string => r.headers.get('CSeq')?.split(' ')[1] ?? '';
const is = (status: number, method?: string) => (r: SipResponse) => r.status === status && (method === undefined || cseqMethod(r) === method);
const forCall = (callId: string, status?: number) => (r: SipResponse) => r.headers.get('Call-ID') === callId && (status === undefined || r.status === status);

// One fast-timer stack (T1 = 40 ms) for the state machines, both transports.
const seen: ServerRequest[] = [];
const events: string[] = [];
let stack: SipStack;
let udpPort = 0;
let tcpPort = 0;
let peer: UdpPeer;

before(async () => {
  stack = new SipStack({
    listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'],
    maxMessageBytes: 65536,
    logger,
    timers: { T1: 40, T2: 160, T4: 200 },
  });
  stack.onRequest((req) => {
    seen.push(req);
    const action = req.message.headers.get('X-Test-Action') ?? '486';
    const callId = req.message.headers.get('Call-ID') ?? '';
    if (req.message.method === 'ACK') return;
    if (req.message.method !== 'INVITE') return req.respond(200);
    req.onCancel(() => events.push(`cancel:${callId}`));
    req.onAckTimeout(() => events.push(`ack-timeout:${callId}`));
    if (action === 'throw') throw new Error('handler failure');
    if (action === '200') req.respond(200, { body: Buffer.from('v=0\r\n'), contentType: 'application/sdp' });
    else if (action === 'ring') req.respond(180);
    else if (action !== 'hold') req.respond(486);
  });
  await stack.start();
  for (const b of stack.boundAddresses()) {
    if (b.transport === 'udp') udpPort = b.port;
    else tcpPort = b.port;
  }
  peer = await new UdpPeer().open();
});

after(async () => {
  peer.close();
  await stack.stop();
});

const handled = (callId: string, method?: string): ServerRequest[] =>
  seen.filter((r) => r.message.headers.get('Call-ID') === callId && (method === undefined || r.message.method === method));

test('boundAddresses reports the real ports of port-0 entries', () => {
  const bound = stack.boundAddresses();
  assert.deepEqual(
    bound.map((b) => b.transport),
    ['udp', 'tcp'],
  );
  for (const b of bound) {
    assert.equal(b.address, '127.0.0.1');
    assert.ok(b.port > 0);
  }
});

test('INVITE: 100 Trying at once; a retransmission gets the latest response and is not passed on', async () => {
  const callId = 'retrans-1';
  const invite = request('INVITE', { port: peer.port, callId, action: 'ring', branch: 'z9hG4bKretrans1' });
  peer.send(invite, udpPort);
  const trying = await peer.next(forCall(callId, 100));
  assert.equal(parseNameAddr(trying.headers.get('To') ?? '').params.has('tag'), false, '100 carries no To tag');
  const ringing = await peer.next(forCall(callId, 180));
  peer.send(invite, udpPort);
  const again = await peer.next(forCall(callId));
  assert.equal(again.status, 180, 'the latest provisional is re-sent');
  assert.equal(again.headers.get('To'), ringing.headers.get('To'), 'same To tag');
  assert.equal(handled(callId).length, 1);
});

test('INVITE non-2xx: retransmitted with Timer G until the ACK, which is absorbed', async () => {
  const callId = 'non2xx-1';
  const branch = 'z9hG4bKnon2xx1';
  peer.send(request('INVITE', { port: peer.port, callId, branch, action: '486' }), udpPort);
  const busy = await peer.next(forCall(callId, 486));
  // Timer G: T1, 2*T1, then T2 (40, 80, 160 ms here).
  const copies = await peer.collect(350, forCall(callId, 486));
  assert.ok(copies.length >= 2, `expected Timer G retransmissions, got ${copies.length}`);
  const toTag = parseNameAddr(busy.headers.get('To') ?? '').params.get('tag');
  assert.ok(toTag);
  peer.send(request('ACK', { port: peer.port, callId, branch, toTag }), udpPort);
  await sleep(50);
  peer.take(forCall(callId));
  assert.equal((await peer.collect(400, forCall(callId))).length, 0, 'retransmissions stopped after the ACK');
  assert.deepEqual(handled(callId).map((r) => r.message.method), ['INVITE'], 'the ACK never reached the TU');
});

test('INVITE 2xx over UDP: retransmitted until the ACK, then stopped; the ACK reaches the TU once', async () => {
  const callId = '2xx-1';
  peer.send(request('INVITE', { port: peer.port, callId, action: '200' }), udpPort);
  const ok = await peer.next(forCall(callId, 200));
  assert.equal(ok.body.toString(), 'v=0\r\n');
  assert.equal(ok.headers.get('Content-Type'), 'application/sdp');
  assert.equal(ok.headers.get('Server'), 'sipvault');
  const copies = await peer.collect(330, forCall(callId, 200));
  assert.ok(copies.length >= 2, `expected 2xx retransmissions, got ${copies.length}`);
  const toTag = parseNameAddr(ok.headers.get('To') ?? '').params.get('tag');
  const ack = request('ACK', { port: peer.port, callId, toTag });
  peer.send(ack, udpPort);
  await sleep(50);
  peer.take(forCall(callId));
  assert.equal((await peer.collect(500, forCall(callId))).length, 0, 'no 2xx after the ACK');
  peer.send(ack, udpPort); // an ACK retransmission is absorbed
  await sleep(50);
  const acks = handled(callId, 'ACK');
  assert.equal(acks.length, 1);
  assert.equal(acks[0]?.finalSent, true);
  acks[0]?.respond(200); // responding to an ACK is a no-op
  assert.equal((await peer.collect(100, forCall(callId))).length, 0);
  assert.equal(events.includes(`ack-timeout:${callId}`), false);
});

test('INVITE 2xx never ACKed: retransmissions end after 64*T1 and onAckTimeout fires', async () => {
  const callId = 'ackto-1';
  peer.send(request('INVITE', { port: peer.port, callId, action: '200' }), udpPort);
  await peer.next(forCall(callId, 200));
  await sleep(64 * 40 + 200);
  assert.ok(events.includes(`ack-timeout:${callId}`), 'ack-timeout not reported');
  peer.take(forCall(callId));
  assert.equal((await peer.collect(400, forCall(callId))).length, 0, 'retransmissions continue after the timeout');
});

test('CANCEL: 200 for the CANCEL, 487 for the INVITE, onCancel fired, TU never sees the CANCEL', async () => {
  const callId = 'cancel-1';
  const branch = 'z9hG4bKcancel1';
  peer.send(request('INVITE', { port: peer.port, callId, branch, action: 'hold' }), udpPort);
  await peer.next(forCall(callId, 100));
  peer.send(request('CANCEL', { port: peer.port, callId, branch }), udpPort);
  const cancelOk = await peer.next(is(200, 'CANCEL'));
  const terminated = await peer.next(is(487, 'INVITE'));
  assert.equal(terminated.reason, 'Request Terminated');
  assert.equal(
    parseNameAddr(cancelOk.headers.get('To') ?? '').params.get('tag'),
    parseNameAddr(terminated.headers.get('To') ?? '').params.get('tag'),
    'CANCEL response and 487 share the To tag (§9.2)',
  );
  await sleep(20);
  assert.ok(events.includes(`cancel:${callId}`));
  const invite = handled(callId, 'INVITE')[0];
  assert.equal(invite?.finalSent, true);
  invite?.respond(200); // too late: ignored
  peer.send(request('ACK', { port: peer.port, callId, branch }), udpPort);
  await sleep(50);
  peer.take(forCall(callId));
  assert.equal((await peer.collect(300, forCall(callId))).length, 0, 'no 200 after cancel, no 487 after ACK');
  assert.deepEqual(handled(callId).map((r) => r.message.method), ['INVITE']);
});

test('CANCEL without a matching transaction gets 481', async () => {
  peer.send(request('CANCEL', { port: peer.port, callId: 'cancel-none', branch: 'z9hG4bKnothing' }), udpPort);
  const r = await peer.next(forCall('cancel-none'));
  assert.equal(r.status, 481);
  assert.equal(r.reason, 'Call/Transaction Does Not Exist');
  assert.equal(handled('cancel-none').length, 0);
});

test('CANCEL after a 2xx: 200 for the CANCEL, no 487, no onCancel', async () => {
  const callId = 'cancel-late';
  const branch = 'z9hG4bKcancellate';
  peer.send(request('INVITE', { port: peer.port, callId, branch, action: '200' }), udpPort);
  const ok = await peer.next(forCall(callId, 200));
  peer.send(request('CANCEL', { port: peer.port, callId, branch }), udpPort);
  await peer.next(is(200, 'CANCEL'));
  peer.send(request('ACK', { port: peer.port, callId, toTag: parseNameAddr(ok.headers.get('To') ?? '').params.get('tag') }), udpPort);
  const later = await peer.collect(200, forCall(callId));
  assert.equal(later.filter((r) => r.status === 487).length, 0);
  assert.equal(events.includes(`cancel:${callId}`), false);
});

test('RFC 2543 peers (no magic cookie): retransmission and CANCEL still match (§17.2.3)', async () => {
  const callId = 'rfc2543-1';
  const via = `Via: SIP/2.0/UDP 127.0.0.1:${peer.port}`;
  const invite = request('INVITE', { port: peer.port, callId, via, action: 'hold' });
  peer.send(invite, udpPort);
  await peer.next(forCall(callId, 100));
  peer.send(invite, udpPort);
  await peer.next(forCall(callId, 100));
  assert.equal(handled(callId).length, 1);
  peer.send(request('CANCEL', { port: peer.port, callId, via }), udpPort);
  await peer.next(is(200, 'CANCEL'));
  await peer.next(is(487, 'INVITE'));
});

test('non-INVITE retransmission re-sends the same final response; the TU sees it once', async () => {
  const callId = 'options-retrans';
  const options = request('OPTIONS', { port: peer.port, callId, branch: 'z9hG4bKoptre' });
  peer.send(options, udpPort);
  const first = await peer.next(forCall(callId));
  peer.send(options, udpPort);
  const second = await peer.next(forCall(callId));
  assert.equal(first.status, 200);
  assert.equal(second.headers.get('To'), first.headers.get('To'));
  assert.equal(handled(callId).length, 1);
});

test('malformed requests with enough headers get 400 naming the problem; the stack keeps serving', async () => {
  peer.send(request('INVITE', { port: peer.port, callId: 'bad-cseq', cseqMethod: 'OPTIONS' }), udpPort);
  const mismatch = await peer.next(forCall('bad-cseq'));
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.reason, 'CSeq method mismatch');
  assert.ok(parseNameAddr(mismatch.headers.get('To') ?? '').params.get('tag'), '400 carries a To tag');

  const badLength = request('INVITE', { port: peer.port, callId: 'bad-cl' }).replace('Content-Length: 0', 'Content-Length: x1');
  peer.send(badLength, udpPort);
  const cl = await peer.next(forCall('bad-cl'));
  assert.equal(cl.status, 400);
  assert.match(cl.reason, /Content-Length/);

  const tooLong = request('MESSAGE', { port: peer.port, callId: 'long-cl', body: 'abc' }).replace('Content-Length: 3', 'Content-Length: 300');
  peer.send(tooLong, udpPort);
  assert.match((await peer.next(forCall('long-cl'))).reason, /Content-Length/);

  // Without Call-ID no response can be built: dropped silently.
  peer.send(request('OPTIONS', { port: peer.port, callId: 'x' }).replace('Call-ID: x\r\n', ''), udpPort);
  peer.send(Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a]), udpPort);
  assert.equal((await peer.collect(150)).filter((r) => r.status === 400 && !r.headers.has('Call-ID')).length, 0);

  assert.equal(handled('bad-cseq').length + handled('bad-cl').length + handled('long-cl').length, 0);
  peer.send(request('OPTIONS', { port: peer.port, callId: 'after-bad' }), udpPort);
  assert.equal((await peer.next(forCall('after-bad'))).status, 200);
});

test('a handler that throws produces a 500', async () => {
  peer.send(request('INVITE', { port: peer.port, callId: 'throws', action: 'throw' }), udpPort);
  assert.equal((await peer.next(forCall('throws', 500))).status, 500);
});

test('top Via gets received and rport (RFC 3261 §18.2.1, RFC 3581)', async () => {
  const callId = 'rport-1';
  peer.send(request('OPTIONS', { port: peer.port, callId, via: 'Via: SIP/2.0/UDP src.invalid:5999;branch=z9hG4bKrport;rport' }), udpPort);
  const r = await peer.next(forCall(callId));
  const via = parseVia(r.headers.get('Via') ?? '');
  assert.equal(via?.params.get('received'), '127.0.0.1');
  assert.equal(via?.params.get('rport'), String(peer.port));
});

test('2xx over TCP is not retransmitted', async () => {
  const socket = connect(tcpPort, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  socket.write(request('INVITE', { port: socket.localPort ?? 0, callId: 'tcp-2xx', action: '200' }).replace('SIP/2.0/UDP', 'SIP/2.0/TCP'));
  await sleep(400); // T1 = 40 ms: a UDP flow would have seen 3 retransmissions by now
  socket.destroy();
  assert.equal((received.match(/^SIP\/2\.0 200 OK/gm) ?? []).length, 1);
  assert.equal((received.match(/^SIP\/2\.0 100 Trying/gm) ?? []).length, 1);
});

test('2000 random mutations of an INVITE over UDP never crash the stack', async () => {
  const base = Buffer.from(
    request('INVITE', {
      port: peer.port,
      callId: 'fuzz',
      action: '486',
      extra: ['Content-Type: application/sdp'],
      body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
    }),
  );
  let state = 0x5eed;
  const rand = (n: number): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
  for (let i = 0; i < 2000; i++) {
    let buf = Buffer.from(base);
    switch (rand(4)) {
      case 0: // flip bytes
        for (let k = 1 + rand(6); k > 0; k--) buf[rand(buf.length)] = rand(256);
        break;
      case 1: // truncate
        buf = buf.subarray(0, rand(buf.length));
        break;
      case 2: // insert junk
        {
          const at = rand(buf.length);
          buf = Buffer.concat([buf.subarray(0, at), Buffer.from(Array.from({ length: 1 + rand(20) }, () => rand(256))), buf.subarray(at)]);
        }
        break;
      default: // delete a run
        {
          const at = rand(buf.length);
          buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1 + rand(30))]);
        }
    }
    peer.send(buf, udpPort);
    if (i % 50 === 49) await sleep(2); // let the receive buffer drain
  }
  await sleep(200);
  peer.take();
  let answered = false;
  for (let attempt = 0; attempt < 3 && !answered; attempt++) {
    peer.send(request('OPTIONS', { port: peer.port, callId: `after-fuzz-${attempt}` }), udpPort);
    answered = await peer.next(forCall(`after-fuzz-${attempt}`, 200), 1000).then(
      () => true,
      () => false,
    );
  }
  assert.ok(answered, 'stack stopped answering after the fuzz run');
});

test('default timers: 2xx retransmitted at T1 then 2*T1 (500 ms, 1 s) and stopped by the ACK', async () => {
  const slow = new SipStack({ listen: ['udp:127.0.0.1:0'], maxMessageBytes: 65536, logger });
  slow.onRequest((req) => {
    if (req.message.method === 'INVITE') req.respond(200);
  });
  await slow.start();
  const client = await new UdpPeer().open();
  try {
    const port = slow.boundAddresses()[0]?.port ?? 0;
    const callId = 'default-timers';
    peer.take();
    client.send(request('INVITE', { port: client.port, callId }), port);
    const times: number[] = [];
    const start = Date.now();
    await client.next(forCall(callId, 200));
    times.push(Date.now() - start);
    while (Date.now() - start < 1750) {
      await client.next(forCall(callId, 200), 1800 - (Date.now() - start)).then(
        () => times.push(Date.now() - start),
        () => undefined,
      );
    }
    assert.equal(times.length, 3, `copies at ${times.join(', ')} ms`);
    const [t0 = 0, t1 = 0, t2 = 0] = times;
    assert.ok(Math.abs(t1 - t0 - 500) < 150, `first gap ${t1 - t0}`);
    assert.ok(Math.abs(t2 - t1 - 1000) < 200, `second gap ${t2 - t1}`);
    client.send(request('ACK', { port: client.port, callId }), port);
    assert.equal((await client.collect(2100, forCall(callId, 200))).length, 0, 'the 3.5 s copy was not cancelled by the ACK');
  } finally {
    client.close();
    await slow.stop();
  }
});

test('listen entries: tls without certificates is refused clearly, bad entries name themselves, EADDRINUSE names the entry', async () => {
  assert.throws(() => new SipStack({ listen: ['tls:0.0.0.0:5061'], maxMessageBytes: 65536, logger }), /tls:0\.0\.0\.0:5061.*sip\.tls\.cert and sip\.tls\.key/);
  assert.throws(() => new SipStack({ listen: ['sctp:1.2.3.4:5060'], maxMessageBytes: 65536, logger }), /sctp:1\.2\.3\.4:5060/);
  const clash = new SipStack({ listen: ['udp:127.0.0.1:0', `tcp:127.0.0.1:${tcpPort}`], maxMessageBytes: 65536, logger });
  await assert.rejects(clash.start(), (err: Error) => err.message.includes(`tcp:127.0.0.1:${tcpPort}`) && /EADDRINUSE/.test(err.message));
  assert.deepEqual(clash.boundAddresses(), [], 'the entries bound before the failure were released');
  await clash.stop();
});

test('IPv6 entries in brackets bind udp6/tcp6 and answer', async () => {
  const v6 = new SipStack({ listen: ['udp:[::1]:0', 'tcp:[::1]:0'], maxMessageBytes: 65536, logger });
  v6.onRequest((req) => req.respond(200));
  // IPv6 is a supported transport: a machine without ::1 fails here rather than hiding a regression.
  await v6.start();
  const client = createSocket('udp6');
  try {
    const bound = v6.boundAddresses();
    assert.deepEqual(
      bound.map((b) => [b.transport, b.address]),
      [
        ['udp', '::1'],
        ['tcp', '::1'],
      ],
    );
    await new Promise<void>((resolve) => client.bind(0, '::1', resolve));
    const got = new Promise<SipResponse>((resolve) =>
      client.on('message', (data) => {
        const r = parseMessage(data);
        if (r.ok && !isRequest(r.message)) resolve(r.message);
      }),
    );
    const text = request('OPTIONS', { port: client.address().port, callId: 'v6-1', via: `Via: SIP/2.0/UDP [::1]:${client.address().port};branch=z9hG4bKv6` });
    client.send(Buffer.from(text), bound[0]?.port ?? 0, '::1');
    const r = await Promise.race([got, sleep(2000).then(() => null)]);
    assert.equal(r?.status, 200);
    assert.equal(parseVia(r?.headers.get('Via') ?? '')?.params.has('received'), false, 'sent-by already equals the source');
  } finally {
    client.close();
    await v6.stop();
  }
});
