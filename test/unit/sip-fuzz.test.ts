import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { SipStack } from '../../recorder/sip/index.js';
import { StreamPeer, UdpPeer, isResponseWith, logger, sipRequest, sleep } from '../support/sip-peers.js';

// Random mutations of valid messages over real UDP and TCP sockets, and a garbage flood: the stack
// must keep answering, and its transactions, connections and buffers must drain afterwards.
// Short timers (64*T1 = 640 ms) so that "afterwards" is soon.
const PER_TRANSPORT = 5000;
const MAX_MESSAGE = 32 * 1024;
let stack: SipStack;
let udpPort = 0;
let tcpPort = 0;
let handled = 0;

before(async () => {
  stack = new SipStack({
    listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'],
    maxMessageBytes: MAX_MESSAGE,
    tcpIdleMs: 1000,
    logger,
    timers: { T1: 10, T2: 40, T4: 50 },
  });
  stack.onRequest((req) => {
    handled++;
    if (req.message.method !== 'ACK') req.respond(200);
  });
  await stack.start();
  for (const b of stack.boundAddresses()) {
    if (b.transport === 'udp') udpPort = b.port;
    if (b.transport === 'tcp') tcpPort = b.port;
  }
});

after(async () => {
  await stack.stop();
});

/** Deterministic PRNG (a failing run can be replayed from its seed). */
function prng(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
}

const SDP = ['v=0', 'o=SBC 1 1 IN IP4 127.0.0.1', 's=SIPREC', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=label:1', 'a=sendonly', 'm=audio 40002 RTP/AVP 0', 'a=label:2', 'a=sendonly', ''].join('\r\n');
const METADATA =
  '<?xml version="1.0" encoding="UTF-8"?>\r\n<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode>' +
  '<session session_id="dXNlcjE="><sipSessionID>abc;remote=def</sipSessionID></session>' +
  '<participant participant_id="cDE="><nameID aor="sip:alice@example.com"/></participant>' +
  '<stream stream_id="czE=" session_id="dXNlcjE="><label>1</label></stream></recording>\r\n';
const MULTIPART = ['--fuzzb', 'Content-Type: application/sdp', '', SDP, '--fuzzb', 'Content-Type: application/rs-metadata+xml', 'Content-Disposition: recording-session', '', METADATA, '--fuzzb--', ''].join('\r\n');

/** One of the seed messages with a fresh branch and Call-ID, so valid ones are new transactions. */
function seed(rand: (n: number) => number, transport: 'UDP' | 'TCP'): Buffer {
  const id = `${rand(1e9).toString(36)}${rand(1e9).toString(36)}`;
  const common = { callId: `fuzz-${id}`, branch: `z9hG4bK${id}`, transport, sentBy: '127.0.0.1:5999' };
  switch (rand(3)) {
    case 0:
      return Buffer.from(
        sipRequest('INVITE', {
          ...common,
          extra: ['Contact: <sip:src@127.0.0.1:5999>;+sip.src', 'Require: siprec', 'Content-Type: multipart/mixed;boundary=fuzzb'],
          body: MULTIPART,
        }),
      );
    case 1:
      return Buffer.from(sipRequest('OPTIONS', { ...common, extra: ['Accept: application/sdp'] }));
    default:
      return Buffer.from(sipRequest('BYE', { ...common, extra: ['Reason: SIP;cause=200;text="fuzz"'] }));
  }
}

/** Byte flips, truncations, duplications, header shuffles, huge values, junk, framing damage. */
function mutate(buf: Buffer, rand: (n: number) => number): Buffer {
  const at = (): number => rand(buf.length + 1);
  switch (rand(10)) {
    case 0: {
      const out = Buffer.from(buf);
      for (let k = 1 + rand(8); k > 0; k--) out[rand(out.length)] = rand(256);
      return out;
    }
    case 1:
      return buf.subarray(0, at());
    case 2: {
      const from = at();
      const slice = buf.subarray(from, from + 1 + rand(200));
      const to = at();
      return Buffer.concat([buf.subarray(0, to), slice, buf.subarray(to)]);
    }
    case 3: {
      const text = buf.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const lines = text.slice(0, end < 0 ? text.length : end).split('\r\n');
      const head = lines.slice(1);
      for (let i = head.length - 1; i > 0; i--) {
        const j = rand(i + 1);
        [head[i], head[j]] = [head[j] as string, head[i] as string];
      }
      if (rand(3) === 0) head.splice(rand(head.length), 1);
      return Buffer.from([lines[0], ...head].join('\r\n') + (end < 0 ? '' : text.slice(end)), 'latin1');
    }
    case 4: {
      // A huge value, sometimes over maxMessageBytes.
      const text = buf.toString('latin1');
      const huge = 'X'.repeat(1000 + rand(40_000));
      const where = rand(3);
      const out = where === 0 ? text.replace('\r\n', `\r\nX-Huge: ${huge}\r\n`) : where === 1 ? text.replace(/Call-ID: /, `Call-ID: ${huge}`) : text.replace(/^(\S+) /, `$1${huge} `);
      return Buffer.from(out, 'latin1');
    }
    case 5: {
      const pos = at();
      const junk = Buffer.from(Array.from({ length: 1 + rand(64) }, () => rand(256)));
      return Buffer.concat([buf.subarray(0, pos), junk, buf.subarray(pos)]);
    }
    case 6: {
      const pos = at();
      return Buffer.concat([buf.subarray(0, pos), buf.subarray(pos + 1 + rand(60))]);
    }
    case 7: {
      const values = ['-1', '99999999999', '0', String(rand(5000)), '12, 14', '', ' 7 ', '0x10'];
      const text = buf.toString('latin1').replace(/Content-Length: \d+/, `Content-Length: ${values[rand(values.length)]}`);
      return Buffer.from(rand(2) ? text : text.replace('Max-Forwards', 'Content-Length: 3\r\nMax-Forwards'), 'latin1');
    }
    case 8: {
      // Bare LF, folds in odd places, CRLF runs.
      const text = buf.toString('latin1');
      const variants = [text.replace(/\r\n/g, '\n'), text.replace(/: /g, ':\r\n  '), text.replace(/;/g, '\r\n ;'), `\r\n\r\n\r\n${text}`, text.replace('\r\n\r\n', '\r\n \r\n\r\n')];
      return Buffer.from(variants[rand(variants.length)] as string, 'latin1');
    }
    default:
      return buf; // valid: real transactions among the noise
  }
}

async function drained(ms: number): Promise<ReturnType<SipStack['stats']>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = stack.stats();
    if ((s.transactions === 0 && s.pendingAcks === 0 && s.connections === 0 && s.bufferedBytes === 0 && s.clientTransactions === 0) || Date.now() > deadline) return s;
    await sleep(25);
  }
}

async function answersOptions(transport: 'udp' | 'tcp', callId: string): Promise<number> {
  const started = Date.now();
  if (transport === 'udp') {
    const peer = await UdpPeer.open();
    // Retransmitted like a real UAC (Timer E): right after a flood the kernel buffer may still be
    // full of garbage and drop one datagram; the stack must answer, not the first try succeed.
    const options = sipRequest('OPTIONS', { callId, sentBy: `127.0.0.1:${peer.port}` });
    const resend = setInterval(() => peer.send(options, udpPort), 100);
    try {
      peer.send(options, udpPort);
      await peer.inbox.next(isResponseWith(200, callId), 1000);
    } finally {
      clearInterval(resend);
      peer.close();
    }
  } else {
    const conn = await StreamPeer.tcp(tcpPort);
    try {
      conn.send(sipRequest('OPTIONS', { callId, transport: 'TCP' }));
      await conn.inbox.next(isResponseWith(200, callId), 1000);
    } finally {
      conn.destroy();
    }
  }
  return Date.now() - started;
}

test(`UDP: ${PER_TRANSPORT} mutated datagrams; the stack keeps answering and drains`, async () => {
  const rand = prng(0x5eed01);
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.on('message', () => undefined); // responses are not the point here
  const handledBefore = handled;
  try {
    for (let i = 0; i < PER_TRANSPORT; i++) {
      const data = mutate(seed(rand, 'UDP'), rand);
      if (data.length > 0 && data.length <= 65_000) socket.send(data, udpPort, '127.0.0.1');
      if (i % 50 === 49) await sleep(1); // let the stack read: the kernel buffer is finite
    }
    await sleep(100);
    assert.ok((await answersOptions('udp', 'after-udp-fuzz')) < 1000);
    assert.ok(handled - handledBefore > PER_TRANSPORT / 20, `only ${handled - handledBefore} messages reached the TU`);
  } finally {
    socket.close();
  }
  const stats = await drained(3000);
  assert.deepEqual(stats, { transactions: 0, clientTransactions: 0, connections: 0, bufferedBytes: 0, pendingAcks: 0 });
});

test(`TCP: ${PER_TRANSPORT} mutated messages over reconnecting streams; the stack keeps answering and drains`, async () => {
  const rand = prng(0x5eed02);
  const handledBefore = handled;
  let sent = 0;
  let connections = 0;
  const worker = async (): Promise<void> => {
    while (sent < PER_TRANSPORT) {
      const socket: Socket = connect({ port: tcpPort, host: '127.0.0.1', noDelay: true });
      connections++;
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      await new Promise<void>((resolve) => {
        socket.once('connect', resolve);
        socket.once('close', resolve);
      });
      // Up to 40 messages per connection; a damaged frame makes the stack close it sooner.
      for (let k = 0; k < 40 && sent < PER_TRANSPORT && !socket.destroyed && socket.writable; k++) {
        const data = mutate(seed(rand, 'TCP'), rand);
        sent++;
        if (!socket.write(data)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
        if (k % 8 === 7) await sleep(0);
      }
      socket.end();
      await Promise.race([closed, sleep(200)]);
      socket.destroy();
    }
  };
  await Promise.all(Array.from({ length: 12 }, worker));
  assert.ok(sent >= PER_TRANSPORT);
  assert.ok((await answersOptions('tcp', 'after-tcp-fuzz')) < 1000);
  assert.ok(handled - handledBefore > PER_TRANSPORT / 50, `only ${handled - handledBefore} messages reached the TU over ${connections} connections`);
  const stats = await drained(3000);
  assert.deepEqual(stats, { transactions: 0, clientTransactions: 0, connections: 0, bufferedBytes: 0, pendingAcks: 0 });
});

// A separate thread floods: the stack's event loop gets no help from the sender yielding.
const FLOOD = `
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const socket = dgram.createSocket('udp4');
let state = 0x9e3779b9;
const rand = (n) => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return (state >>> 0) % n; };
const shapes = [
  () => Buffer.from(Array.from({ length: 1 + rand(1400) }, () => rand(256))),
  () => Buffer.from('INVITE sip:x SIP/2.0\\r\\nVia: SIP/2.0/UDP 10.0.0.' + rand(255) + ';branch=z9hG4bK' + rand(1e9) + '\\r\\nCSeq: x INVITE\\r\\n\\r\\n'),
  () => Buffer.from('\\r\\n\\r\\n'),
  () => Buffer.from('SIP/2.0 200 OK\\r\\nVia: SIP/2.0/UDP 1.2.3.4;branch=z9hG4bK' + rand(1e9) + '\\r\\n\\r\\n'),
  () => Buffer.from('OPTIONS sip:' + 'a'.repeat(rand(2000)) + ' SIP/2.0\\r\\n\\r\\n'),
];
socket.bind(0, '127.0.0.1', async () => {
  let sent = 0;
  for (let i = 0; i < workerData.count; i++) {
    socket.send(shapes[rand(shapes.length)](), workerData.port, '127.0.0.1', () => undefined);
    sent++;
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setTimeout(r, 20));
  socket.close();
  parentPort.postMessage({ sent });
});
`;

test('a 20k-datagram garbage flood does not starve a valid INVITE and OPTIONS sent during it', async () => {
  const peer = await UdpPeer.open();
  const worker = new Worker(FLOOD, { eval: true, workerData: { port: udpPort, count: 20_000 } });
  let floodEnded = 0;
  const floodDone = new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { sent: number }) => {
      floodEnded = Date.now();
      resolve(m.sent);
    });
    worker.once('error', reject);
  });
  try {
    await sleep(20); // the flood is under way
    const started = Date.now();
    // Like a real UAC over UDP: the same request again every 100 ms until answered (Timer A/E),
    // because the kernel may drop a datagram when its buffer is full of garbage.
    const invite = sipRequest('INVITE', { callId: 'during-flood-invite', sentBy: `127.0.0.1:${peer.port}`, branch: 'z9hG4bKfloodinv' });
    const options = sipRequest('OPTIONS', { callId: 'during-flood-options', sentBy: `127.0.0.1:${peer.port}`, branch: 'z9hG4bKfloodopt' });
    const resend = setInterval(() => {
      peer.send(invite, udpPort);
      peer.send(options, udpPort);
    }, 100);
    peer.send(invite, udpPort);
    peer.send(options, udpPort);
    try {
      await peer.inbox.next(isResponseWith(200, 'during-flood-options'), 1000);
      await peer.inbox.next(isResponseWith(200, 'during-flood-invite'), 1000);
    } finally {
      clearInterval(resend);
    }
    const answeredAt = Date.now();
    const sent = await floodDone;
    assert.equal(sent, 20_000);
    assert.ok(answeredAt - started < 1000, `answered after ${answeredAt - started} ms`);
    assert.ok(floodEnded === 0 || answeredAt <= floodEnded + 200, 'answered only after the flood ended');
    peer.send(sipRequest('ACK', { callId: 'during-flood-invite', sentBy: `127.0.0.1:${peer.port}`, branch: 'z9hG4bKfloodack' }), udpPort);
  } finally {
    peer.close();
    await worker.terminate();
  }
  assert.ok((await answersOptions('udp', 'after-flood')) < 1000);
});
