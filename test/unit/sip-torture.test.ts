import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import {
  SipStack,
  isRequest,
  parseContentType,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  type ParseResult,
  type ServerRequest,
  type SipRequest,
  type SipResponse,
} from '../../recorder/sip/index.js';
import { StreamPeer, UdpPeer, asResponse, isResponseWith, logger, sipRequest, type Received } from '../support/sip-peers.js';

// RFC 4475 (and RFC 5118) torture messages, written for sipvault in test/fixtures/sip, fed to a
// started stack over real sockets. Valid messages reach the TU (here: answer 200 to anything),
// invalid ones get the stack's 400/505, unanswerable ones are dropped. 416/420/483 and the like
// are TU decisions: for those the test checks the TU gets the parsed values it needs.
const FIXTURES = new URL('../../../test/fixtures/sip/', import.meta.url);

type Check = (req: SipRequest) => void;
type Expectation =
  /** Reaches the handler (which answers 200); `tcp`: also sent over TCP. */
  | { outcome: 'handled'; check?: Check; tcp?: boolean }
  /** The stack answers `status`; `tcp`: also over TCP, where `closes` says framing was lost. */
  | { outcome: 'rejected'; status: number; reason?: RegExp; tcp?: { closes: boolean } }
  /** Nothing answers (responses without a client transaction, requests without From/To/Call-ID). */
  | { outcome: 'dropped'; parse?: (result: ParseResult) => void };

const header = (req: SipRequest, name: string): string => req.headers.get(name) ?? '';
const uriOf = (value: string): ReturnType<typeof parseUri> => parseUri(parseNameAddr(value).uri);
const okResponse = (r: ParseResult): SipResponse => {
  assert.ok(r.ok, `expected to parse: ${r.ok ? '' : r.error}`);
  assert.ok(!isRequest(r.message));
  return r.message;
};

const EXPECTED: Record<string, Expectation> = {
  // ---- RFC 4475 §3.1.1 valid messages ----
  wsinv: {
    outcome: 'handled',
    tcp: true,
    check: (req) => {
      assert.equal(header(req, 'Call-ID'), 'wsinv.ndaksdj@192.0.2.21');
      assert.equal(parseNameAddr(header(req, 'To')).params.get('tag'), '7729aa0c1n');
      const from = parseNameAddr(header(req, 'From'));
      assert.equal(from.displayName, 'A. Caller \\"');
      assert.equal(from.params.get('tag'), '55fq2x9');
      assert.equal(header(req, 'Max-Forwards'), '0068');
      assert.equal(header(req, 'Subject'), '');
      assert.equal(header(req, 'NewFangledHeader'), 'newfangled value continued newfangled value');
      assert.deepEqual(
        req.headers.getAll('Via').map((v) => [parseVia(v)?.transport, parseVia(v)?.host, parseVia(v)?.params.get('branch')]),
        [
          ['UDP', '192.0.2.22', 'z9hG4bKws1nv'],
          ['TCP', 'spindle.example.net', 'z9hG4bK3kfj8'],
          ['UDP', '192.168.255.11', 'z9hG4bK40518'],
        ],
      );
      const contact = parseNameAddr(header(req, 'Contact'));
      assert.equal(contact.displayName, 'Quoted string ""');
      assert.deepEqual([...contact.params], [
        ['newparam', 'newvalue'],
        ['secondparam', ''],
        ['q', '0.33'],
      ]);
      assert.equal(req.body.length, Number(header(req, 'Content-Length')));
    },
  },
  intmeth: {
    outcome: 'handled',
    check: (req) => {
      assert.equal(req.method, "!odd-Method9876543210_*+`.%surely'~");
      const uri = parseUri(req.uri);
      assert.equal(uri?.user, "2_strange.URI~(no-doubt!)&isn't+it$/odd?,/;;*");
      assert.equal(uri?.password, "&it+has=2,weird!*pa$$wo~rd_too.(isn't-it)");
      assert.equal(uri?.host, 'srs.example.net');
      assert.equal(parseNameAddr(header(req, 'To')).displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
      const from = parseNameAddr(header(req, 'From'));
      assert.equal(from.displayName, "token1~` token2'+_ token3*%!.-");
      assert.equal(from.params.get("fromparam''~+*_!.-%"), 'работает');
      assert.equal(header(req, "extensionHeader-!.%*+_`'~"), '\ufeff大停電');
    },
  },
  esc01: {
    outcome: 'handled',
    check: (req) => {
      assert.equal(parseUri(req.uri)?.user, 'sips%3Arec%40srs.example.net');
      assert.equal(parseUri(req.uri)?.host, 'srs.example.net');
      assert.equal(parseNameAddr(header(req, 'From')).uri, 'sip:I%20have%20spaces@src.example.com');
      assert.equal(uriOf(header(req, 'Contact'))?.params.get('n%61me'), 'v%61lue%25%34%31');
    },
  },
  escnull: { outcome: 'handled', check: (req) => assert.deepEqual(req.headers.getAll('Contact').map((c) => uriOf(c)?.user), ['%00', '%00%00']) },
  esc02: {
    outcome: 'handled',
    check: (req) => {
      // An unknown method (not REGISTER): the TU would answer 501.
      assert.equal(req.method, 'RE%47IST%45R');
      assert.equal(req.headers.getAll('Contact').length, 2);
      assert.equal(header(req, 'C%6Fntact'), '<sip:alias2@host8.example.com>');
      assert.equal(parseNameAddr(header(req, 'To')).displayName, '%Z%45');
    },
  },
  lwsdisp: { outcome: 'handled', check: (req) => assert.equal(parseNameAddr(header(req, 'From')).displayName, 'caller') },
  longreq: {
    outcome: 'handled',
    tcp: true,
    check: (req) => {
      assert.equal(req.headers.getAll('Via').length, 41);
      assert.equal(req.headers.getAll('Record-Route').length, 40);
      assert.equal(header(req, 'X-Long-Header').length, 4096);
      assert.ok((parseNameAddr(header(req, 'To')).displayName ?? '').length > 800);
      assert.equal(req.body.length, Number(header(req, 'Content-Length')));
    },
  },
  // §3.1.1.8: bytes past Content-Length in a datagram are ignored: the INVITE never reaches the TU.
  dblreq: { outcome: 'handled', check: (req) => assert.equal(req.method, 'REGISTER') },
  semiuri: {
    outcome: 'handled',
    check: (req) => {
      assert.equal(parseUri(req.uri)?.user, 'rec;par=u%40src.example.com');
      assert.equal(parseUri(req.uri)?.host, 'srs.example.net');
    },
  },
  transports: {
    outcome: 'handled',
    check: (req) => assert.deepEqual(req.headers.getAll('Via').map((v) => parseVia(v)?.transport), ['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']),
  },
  mpart01: {
    outcome: 'handled',
    tcp: true,
    check: (req) => {
      const type = parseContentType(header(req, 'Content-Type'));
      assert.equal(type?.type, 'multipart/signed');
      assert.equal(type?.params.get('boundary'), '----sv7b3d2a8e');
      const raw = fixture('rfc4475/mpart01.sip');
      assert.deepEqual(req.body, raw.subarray(raw.length - req.body.length), 'binary body kept byte for byte');
      assert.ok(req.body.includes(Buffer.from([0x00])) && req.body.includes(Buffer.from([0xff])));
    },
  },
  unreason: { outcome: 'dropped', parse: (r) => assert.equal(okResponse(r).reason, '= 3**2 * 11 и ещё 0 — ответ «OK» не нужен') },
  noreason: { outcome: 'dropped', parse: (r) => assert.deepEqual([okResponse(r).status, okResponse(r).reason], [100, '']) },

  // ---- §3.1.2 invalid messages ----
  badinv01: { outcome: 'rejected', status: 400, reason: /Malformed (From|Via|Contact)/, tcp: { closes: false } },
  clerr: { outcome: 'rejected', status: 400, reason: /Content-Length larger/ },
  ncl: { outcome: 'rejected', status: 400, reason: /Content-Length/, tcp: { closes: true } },
  scalar02: { outcome: 'rejected', status: 400, reason: /Malformed (CSeq|Max-Forwards)/ },
  scalarlg: { outcome: 'dropped' },
  quotbal: { outcome: 'rejected', status: 400, reason: /Malformed To/ },
  ltgtruri: { outcome: 'rejected', status: 400, reason: /Request-URI/ },
  lwsruri: { outcome: 'rejected', status: 400, reason: /Request-URI/ },
  // §3.1.2.9/10: "An element that is liberal in what it accepts may ignore these extra SP".
  lwsstart: { outcome: 'handled', check: (req) => assert.equal(req.uri, 'sip:rec@srs.example.net') },
  trws: { outcome: 'handled', check: (req) => assert.equal(req.uri, 'sip:rec@srs.example.net') },
  escruri: { outcome: 'rejected', status: 400, reason: /Request-URI must not contain headers/ },
  // §3.1.2.12: the Date header is not used here: liberal acceptance, value kept for the TU.
  baddate: { outcome: 'handled', check: (req) => assert.equal(header(req, 'Date'), 'Fri, 01 Jan 2010 16:00:00 EST') },
  regbadct: { outcome: 'rejected', status: 400, reason: /Malformed Contact/ },
  // §3.1.2.14: "Elements attempting to be liberal may ignore the spaces."
  badaspec: {
    outcome: 'handled',
    check: (req) => {
      const to = parseNameAddr(header(req, 'To'));
      assert.equal(to.uri, 'sip:t.watson@srs.example.net');
      assert.equal(to.displayName, 'Watson, Thomas');
    },
  },
  baddn: { outcome: 'rejected', status: 400, reason: /Malformed (From|To)/ },
  badvers: { outcome: 'rejected', status: 505 },
  mismatch01: { outcome: 'rejected', status: 400, reason: /CSeq method mismatch/ },
  // §3.1.2.18 prefers 501 but accepts 400; the stack cannot know which methods the TU implements.
  mismatch02: { outcome: 'rejected', status: 400, reason: /CSeq method mismatch/ },
  bigcode: { outcome: 'dropped', parse: (r) => assert.equal(r.ok, false) },

  // ---- §3.2 transaction layer, §3.3 application layer ----
  badbranch: { outcome: 'handled', check: (req) => assert.equal(parseVia(header(req, 'Via'))?.params.get('branch'), 'z9hG4bK') },
  // No From, To or Call-ID: a response could not be built (§8.2.6.2), so it is dropped.
  insuf: { outcome: 'dropped' },
  // 416 is the TU's: it gets the scheme.
  unkscm: { outcome: 'handled', check: (req) => assert.equal(parseUri(req.uri)?.scheme, 'nobodyknowsthisscheme') },
  novelsc: { outcome: 'handled', check: (req) => assert.equal(parseUri(req.uri)?.scheme, 'soap.beep') },
  unksm2: {
    outcome: 'handled',
    check: (req) => {
      assert.equal(parseNameAddr(header(req, 'To')).uri, 'isbn:2983792873');
      assert.equal(parseNameAddr(header(req, 'From')).uri, 'http://www.example.com');
      assert.equal(parseNameAddr(header(req, 'Contact')).uri, 'name:John_Smith');
    },
  },
  // 420 with Unsupported is the TU's: it gets the option tags.
  bext01: {
    outcome: 'handled',
    check: (req) => {
      assert.deepEqual(req.headers.getAll('Require'), ['nothingSupportsThis', 'nothingSupportsThisEither']);
      assert.deepEqual(req.headers.getAll('Proxy-Require'), ['noProxiesSupportThis', 'norDoAnyProxiesSupportThis']);
    },
  },
  invut: { outcome: 'handled', check: (req) => assert.equal(parseContentType(header(req, 'Content-Type'))?.type, 'application/unknownformat') },
  regaut01: { outcome: 'handled', check: (req) => assert.equal(header(req, 'Authorization'), 'NoOneKnowsThisScheme opaque-data=here') },
  multi01: { outcome: 'rejected', status: 400, reason: /Conflicting/ },
  mcl01: { outcome: 'rejected', status: 400, reason: /Content-Length/, tcp: { closes: true } },
  bcast: { outcome: 'dropped', parse: (r) => assert.equal(okResponse(r).headers.getAll('Via').length, 2) },
  // 483 is the TU's (a UAS answers OPTIONS even at Max-Forwards 0): it gets the value.
  zeromf: { outcome: 'handled', check: (req) => assert.equal(header(req, 'Max-Forwards'), '0') },
  cparam01: {
    outcome: 'handled',
    check: (req) => {
      const contact = parseNameAddr(header(req, 'Contact'));
      assert.equal(contact.params.has('unknownparam'), true, 'a header parameter when there are no <>');
      assert.equal(parseUri(contact.uri)?.params.size, 0);
    },
  },
  cparam02: {
    outcome: 'handled',
    check: (req) => {
      const contact = parseNameAddr(header(req, 'Contact'));
      assert.equal(contact.params.size, 0);
      assert.equal(parseUri(contact.uri)?.params.has('unknownparam'), true, 'a URI parameter inside <>');
    },
  },
  regescrt: { outcome: 'handled', check: (req) => assert.equal(uriOf(header(req, 'Contact'))?.headers.get('Route'), '%3Csip:sip.example.net%3E') },
  sdp01: { outcome: 'handled', check: (req) => assert.equal(header(req, 'Accept'), 'text/nobodyKnowsThis') },
  inv2543: { outcome: 'handled', check: (req) => assert.equal(parseVia(header(req, 'Via'))?.params.has('branch'), false) },

  // ---- RFC 5118 IPv6 ----
  'ipv6-valid': { outcome: 'handled', check: (req) => assert.equal(parseUri(req.uri)?.host, '2001:db8::10') },
  'ipv6-nobrackets': { outcome: 'rejected', status: 400, reason: /Request-URI/ },
  'ipv6-port': { outcome: 'handled', check: (req) => assert.deepEqual([parseUri(req.uri)?.host, parseUri(req.uri)?.port], ['2001:db8::10', 5070]) },
  'ipv6-received': { outcome: 'handled', check: (req) => assert.equal(parseVia(header(req, 'Via'))?.params.get('received'), '[2001:db8::9:255]') },
};

function fixture(rel: string): Buffer {
  return readFileSync(new URL(rel, FIXTURES));
}

const files = ['rfc4475', 'rfc5118'].flatMap((dir) =>
  readdirSync(new URL(`${dir}/`, FIXTURES))
    .filter((f) => f.endsWith('.sip'))
    .sort()
    .map((f) => ({ name: f.slice(0, -4), path: `${dir}/${f}` })),
);

/** The Call-ID (or, without one, the CSeq) that identifies a fixture's responses. */
function identity(data: Buffer): (r: Received) => boolean {
  const result = parseMessage(data);
  const headers = result.ok ? result.message.headers : result.partial?.headers;
  const callId = headers?.get('Call-ID');
  const cseq = headers?.get('CSeq');
  return (r) => (callId !== undefined ? r.message.headers.get('Call-ID') === callId : r.message.headers.get('CSeq') === cseq);
}

let stack: SipStack;
// The TCP runs reuse the fixtures' branches: a stack of their own keeps them from matching the
// UDP runs' transactions (§17.2.3 matching ignores the transport).
let tcpStack: SipStack;
let peer: UdpPeer;
let udpPort = 0;
let tcpPort = 0;
const seen: ServerRequest[] = [];

before(async () => {
  const timers = { T1: 10, T2: 40, T4: 50 };
  stack = new SipStack({ listen: ['udp:127.0.0.1:0'], maxMessageBytes: 65536, logger, timers });
  tcpStack = new SipStack({ listen: ['tcp:127.0.0.1:0'], maxMessageBytes: 65536, logger, timers });
  for (const s of [stack, tcpStack]) {
    s.onRequest((req) => {
      seen.push(req);
      if (req.message.method !== 'ACK') req.respond(200);
    });
    await s.start();
  }
  udpPort = stack.boundAddresses()[0]?.port ?? 0;
  tcpPort = tcpStack.boundAddresses()[0]?.port ?? 0;
  peer = await UdpPeer.open();
});

after(async () => {
  peer.close();
  await stack.stop();
  await tcpStack.stop();
});

const seenFor = (mine: (r: Received) => boolean): ServerRequest[] => seen.filter((s) => mine({ message: s.message, raw: Buffer.alloc(0), from: { address: '', port: 0 } }));

test('every fixture has an expectation and every expectation a fixture', () => {
  assert.deepEqual(files.map((f) => f.name).sort(), Object.keys(EXPECTED).sort());
  assert.ok(files.length >= 50);
});

for (const { name, path } of files) {
  const expected = EXPECTED[name];
  if (!expected) continue;
  test(`UDP ${path}: ${expected.outcome}${expected.outcome === 'rejected' ? ` ${expected.status}` : ''}`, async () => {
    const data = fixture(path);
    const mine = identity(data);
    const before = seenFor(mine).length;
    peer.send(data, udpPort);
    switch (expected.outcome) {
      case 'handled': {
        const final = asResponse(await peer.inbox.next((r) => mine(r) && !isRequest(r.message) && r.message.status >= 200));
        assert.equal(final.status, 200, `stack answered ${final.status} ${final.reason}`);
        const reached = seenFor(mine).slice(before);
        assert.equal(reached.length, 1, 'reached the TU exactly once');
        expected.check?.((reached[0] as ServerRequest).message);
        break;
      }
      case 'rejected': {
        const r = asResponse(await peer.inbox.next((m) => mine(m) && !isRequest(m.message) && m.message.status >= 200));
        assert.equal(r.status, expected.status, `got ${r.status} ${r.reason}`);
        if (expected.reason) assert.match(r.reason, expected.reason);
        assert.equal(seenFor(mine).length, before, 'an invalid message reached the TU');
        break;
      }
      case 'dropped': {
        expected.parse?.(parseMessage(data));
        assert.equal((await peer.inbox.collect(100, mine)).length, 0, 'something answered');
        assert.equal(seenFor(mine).length, before, 'reached the TU');
        break;
      }
    }
  });
}

for (const { name, path } of files) {
  const expected = EXPECTED[name];
  if (!expected || expected.outcome === 'dropped' || !expected.tcp) continue;
  test(`TCP ${path}: framed and ${expected.outcome}`, async () => {
    const data = fixture(path);
    const mine = identity(data);
    const conn = await StreamPeer.tcp(tcpPort);
    try {
      // Byte by byte for the first part: the framer must not care how the stream is cut.
      for (let i = 0; i < 64; i++) conn.send(data.subarray(i, i + 1));
      conn.send(data.subarray(64));
      const r = asResponse(await conn.inbox.next((m) => mine(m) && !isRequest(m.message) && m.message.status >= 200));
      if (expected.outcome === 'handled') assert.equal(r.status, 200);
      else {
        const closes = expected.tcp?.closes ?? false;
        assert.equal(r.status, expected.status);
        assert.equal(await conn.closedWithin(500), closes, closes ? 'framing lost: connection must close' : 'connection must stay');
      }
    } finally {
      conn.destroy();
    }
  });
}

test('dblreq: the INVITE after Content-Length never reaches the TU', () => {
  assert.equal(seen.filter((s) => (s.message.headers.get('Call-ID') ?? '').startsWith('dblreq.inv')).length, 0);
});

test('after the whole set the stack still answers and its tables drain', async () => {
  peer.send(sipRequest('OPTIONS', { callId: 'torture-after', sentBy: `127.0.0.1:${peer.port}` }), udpPort);
  await peer.inbox.next(isResponseWith(200, 'torture-after'));
  const deadline = Date.now() + 3000;
  while ((stack.stats().transactions > 0 || stack.stats().pendingAcks > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual({ ...stack.stats(), connections: 0 }, { transactions: 0, clientTransactions: 0, connections: 0, bufferedBytes: 0, pendingAcks: 0 });
});
