import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { SipStack, isRequest, parseMessage, type ServerRequest, type SipResponse } from '../../recorder/sip/index.js';
import { TcpFramer, type FrameEvent } from '../../recorder/sip/transports/tcp-framer.js';

// SIP_TEST_LOG=debug shows the stack's logs while debugging a test.
const logger = pino({ level: process.env.SIP_TEST_LOG ?? 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function request(method: string, callId: string, opts: { body?: string; cseq?: number; eol?: string; length?: string } = {}): string {
  const eol = opts.eol ?? '\r\n';
  const body = opts.body ?? '';
  return [
    `${method} sip:srs@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-${callId}-${opts.cseq ?? 1}`,
    'Max-Forwards: 70',
    'From: <sip:src@127.0.0.1>;tag=a',
    'To: <sip:srs@127.0.0.1>',
    `Call-ID: ${callId}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${opts.length ?? Buffer.byteLength(body)}`,
    '',
    body,
  ].join(eol);
}

/** A TCP UAC: frames what the server sends with the same framer the stack uses. */
class TcpPeer {
  readonly responses: SipResponse[] = [];
  raw = Buffer.alloc(0);
  private readonly framer = new TcpFramer(1 << 20);
  readonly closed: Promise<void>;
  isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.raw = Buffer.concat([this.raw, chunk]);
      for (const ev of this.framer.push(chunk)) {
        if (ev.kind !== 'message') continue;
        const r = parseMessage(ev.data, { datagram: false });
        if (r.ok && !isRequest(r.message)) this.responses.push(r.message);
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
  }

  static async open(port: number): Promise<TcpPeer> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new TcpPeer(socket);
  }

  async waitFor(count: number, pred: (r: SipResponse) => boolean = () => true, ms = 2000): Promise<SipResponse[]> {
    const deadline = Date.now() + ms;
    while (this.responses.filter(pred).length < count) {
      if (Date.now() > deadline) throw new Error(`timed out: ${this.responses.filter(pred).length}/${count} responses`);
      await sleep(5);
    }
    return this.responses.filter(pred);
  }

  async closedWithin(ms: number): Promise<boolean> {
    return Promise.race([this.closed.then(() => true), sleep(ms).then(() => false)]);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const seen: ServerRequest[] = [];
let stack: SipStack;
let port = 0;
const peers: TcpPeer[] = [];
async function peer(): Promise<TcpPeer> {
  const p = await TcpPeer.open(port);
  peers.push(p);
  return p;
}

before(async () => {
  stack = new SipStack({ listen: ['tcp:127.0.0.1:0'], maxMessageBytes: 4096, logger, tcpIdleMs: 400 });
  stack.onRequest((req) => {
    seen.push(req);
    if (req.message.method === 'INVITE') req.respond(486);
    else if (req.message.method !== 'ACK') req.respond(200);
  });
  await stack.start();
  port = stack.boundAddresses()[0]?.port ?? 0;
});

after(async () => {
  for (const p of peers) p.destroy();
  await stack.stop();
});

const byCall = (callId: string) => (r: SipResponse) => r.headers.get('Call-ID') === callId;
const handled = (callId: string): ServerRequest[] => seen.filter((r) => r.message.headers.get('Call-ID') === callId);

test('framer: several messages in one chunk, keep-alives skipped, RFC 5626 ping reported', () => {
  const framer = new TcpFramer(4096);
  const a = request('OPTIONS', 'f-a');
  const b = request('MESSAGE', 'f-b', { body: 'hello' });
  const events = framer.push(Buffer.from(`\r\n${a}\r\n\r\n${b}`));
  assert.deepEqual(
    events.map((e) => e.kind),
    ['message', 'ping', 'message'],
  );
  const [first, , second] = events as Array<Extract<FrameEvent, { kind: 'message' }>>;
  assert.equal(first?.data.toString(), a);
  assert.equal(second?.data.toString(), b);
  assert.equal(framer.pending, 0);
});

test('framer: a message delivered one byte at a time is framed exactly once', () => {
  const framer = new TcpFramer(4096);
  const text = request('MESSAGE', 'drip', { body: 'x\ny\n', eol: '\n' });
  const out: FrameEvent[] = [];
  for (const byte of Buffer.from(text + text)) out.push(...framer.push(Buffer.from([byte])));
  assert.deepEqual(
    out.map((e) => (e.kind === 'message' ? e.data.toString() : e.kind)),
    [text, text],
  );
});

test('framer: a folded Content-Length (RFC 3261 §7.3.1) frames exactly as the parser reads it', () => {
  const framer = new TcpFramer(4096);
  const folded = request('MESSAGE', 'folded', { body: 'hello' }).replace('Content-Length: 5', 'Content-Length\r\n  :\r\n   5');
  const next = request('OPTIONS', 'after-fold');
  const events = framer.push(Buffer.from(folded + next));
  assert.deepEqual(
    events.map((e) => (e.kind === 'message' ? e.data.toString() : e.kind)),
    [folded, next],
  );
  const parsed = parseMessage(Buffer.from(folded), { datagram: false });
  assert.ok(parsed.ok && parsed.message.body.toString() === 'hello');
});

test('framer: overflow and malformed Content-Length end the stream', () => {
  const big = new TcpFramer(512);
  assert.equal(big.push(Buffer.from(request('MESSAGE', 'big', { length: '100000' })))[0]?.kind, 'overflow');
  assert.deepEqual(big.push(Buffer.from(request('OPTIONS', 'after'))), [], 'a dead framer yields nothing');
  const endless = new TcpFramer(512);
  assert.deepEqual(endless.push(Buffer.alloc(400, 0x41)), []);
  assert.equal(endless.push(Buffer.alloc(400, 0x41))[0]?.kind, 'overflow');
  const bad = new TcpFramer(4096);
  const ev = bad.push(Buffer.from(request('MESSAGE', 'bad', { length: 'lots' })));
  assert.equal(ev[0]?.kind, 'fatal-message');
});

test('two requests in one TCP segment get two responses on the same connection', async () => {
  const p = await peer();
  p.socket.write(request('OPTIONS', 'seg-1', { cseq: 1 }) + request('OPTIONS', 'seg-1', { cseq: 2 }));
  const responses = await p.waitFor(2, byCall('seg-1'));
  assert.deepEqual(
    responses.map((r) => [r.status, r.headers.get('CSeq')]),
    [
      [200, '1 OPTIONS'],
      [200, '2 OPTIONS'],
    ],
  );
  assert.equal(handled('seg-1').length, 2);
  assert.equal(handled('seg-1')[0]?.source.transport, 'tcp');
});

test('one INVITE split across three segments reaches the TU once with its bare-LF body intact', async () => {
  const p = await peer();
  const body = 'v=0\no=- 7 7 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 4000 RTP/AVP 0\n';
  const wire = Buffer.from(request('INVITE', 'split-1', { body }));
  const cuts = [40, wire.length - 30];
  p.socket.write(wire.subarray(0, cuts[0]));
  await sleep(30);
  p.socket.write(wire.subarray(cuts[0], cuts[1]));
  await sleep(30);
  assert.equal(handled('split-1').length, 0, 'dispatched before the body was complete');
  p.socket.write(wire.subarray(cuts[1]));
  const [trying, busy] = await p.waitFor(2, byCall('split-1'));
  assert.equal(trying?.status, 100);
  assert.equal(busy?.status, 486);
  const reqs = handled('split-1');
  assert.equal(reqs.length, 1);
  assert.ok(reqs[0]?.message.body.equals(Buffer.from(body)), 'body bytes changed');
});

test('CRLF keep-alives: a double CRLF gets a CRLF pong and the next request is served', async () => {
  const p = await peer();
  p.socket.write('\r\n\r\n');
  await sleep(50);
  assert.equal(p.raw.toString(), '\r\n');
  p.socket.write(`\r\n${request('OPTIONS', 'ka-1')}`);
  assert.equal((await p.waitFor(1, byCall('ka-1')))[0]?.status, 200);
});

test('a message over maxMessageBytes closes the connection without a response', async () => {
  const p = await peer();
  p.socket.write(request('MESSAGE', 'huge-1', { length: '10000' }));
  p.socket.write(Buffer.alloc(5000, 0x61));
  assert.equal(await p.closedWithin(1000), true, 'connection left open');
  assert.equal(p.responses.length, 0);
  assert.equal(handled('huge-1').length, 0);

  const q = await peer();
  q.socket.write(Buffer.alloc(5000, 0x41)); // no end of headers at all
  assert.equal(await q.closedWithin(1000), true);
});

test('a malformed Content-Length on TCP gets a 400 and the connection is closed', async () => {
  const p = await peer();
  p.socket.write(request('MESSAGE', 'badcl-1', { length: '12abc' }));
  const [r] = await p.waitFor(1, byCall('badcl-1'));
  assert.equal(r?.status, 400);
  assert.match(r?.reason ?? '', /Content-Length/);
  assert.equal(await p.closedWithin(1000), true);
});

test('unparseable bytes close the connection; new connections are still served', async () => {
  const p = await peer();
  p.socket.write(Buffer.from([0x00, 0x01, 0xfe, 0x20, 0x0a, 0x0a]));
  assert.equal(await p.closedWithin(1000), true);
  const q = await peer();
  q.socket.write(request('OPTIONS', 'after-garbage'));
  assert.equal((await q.waitFor(1, byCall('after-garbage')))[0]?.status, 200);
});

test('idle connections are closed after tcpIdleMs', async () => {
  const p = await peer();
  const started = Date.now();
  assert.equal(await p.closedWithin(2000), true, 'idle connection kept open');
  assert.ok(Date.now() - started >= 300, 'closed too early');
});
