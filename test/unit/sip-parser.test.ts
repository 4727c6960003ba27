import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SipHeaders,
  buildResponse,
  getParam,
  isRequest,
  parseContentType,
  parseCSeq,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  serializeRequest,
  serializeResponse,
  tryParseNameAddr,
  type SipRequest,
} from '../../recorder/sip/index.js';

const CRLF = '\r\n';

function invite(extra: string[] = [], body = '', eol = CRLF): Buffer {
  const head = [
    'INVITE sip:srs@192.0.2.10:5060 SIP/2.0',
    'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKparse1',
    'Max-Forwards: 70',
    'From: "SRC" <sip:src@198.51.100.7>;tag=from1',
    'To: <sip:srs@192.0.2.10>',
    'Call-ID: parse-call-1@198.51.100.7',
    'CSeq: 1 INVITE',
    'Contact: <sip:src@198.51.100.7:5060>;+sip.src',
    ...extra,
  ];
  return Buffer.concat([Buffer.from(head.join(eol) + eol + eol), Buffer.from(body, 'latin1')]);
}

function parseOk(data: Buffer, datagram = true): SipRequest {
  const result = parseMessage(data, { datagram });
  assert.ok(result.ok, result.ok ? '' : `parse failed: ${result.error}`);
  assert.ok(isRequest(result.message));
  return result.message;
}

function parseErr(data: Buffer, datagram = true): { error: string; status: number; method?: string; headers?: SipHeaders } {
  const result = parseMessage(data, { datagram });
  assert.equal(result.ok, false, 'expected a parse failure');
  if (result.ok) throw new Error('unreachable');
  return { error: result.error, status: result.status, method: result.partial?.method, headers: result.partial?.headers };
}

test('parses a long-form INVITE: start line, headers and exact body', () => {
  const body = 'v=0\r\no=- 1 1 IN IP4 198.51.100.7\r\n';
  const msg = parseOk(invite(['Content-Type: application/sdp', `Content-Length: ${body.length}`], body));
  assert.equal(msg.method, 'INVITE');
  assert.equal(msg.uri, 'sip:srs@192.0.2.10:5060');
  assert.equal(msg.version, 'SIP/2.0');
  assert.equal(msg.headers.get('call-id'), 'parse-call-1@198.51.100.7');
  assert.equal(msg.headers.get('CSEQ'), '1 INVITE');
  assert.equal(msg.body.toString('latin1'), body);
});

test('compact header forms map to their long names', () => {
  const data = Buffer.from(
    [
      'OPTIONS sip:srs@192.0.2.10 SIP/2.0',
      'v: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKc1',
      'f: <sip:a@198.51.100.7>;tag=1',
      't: <sip:b@192.0.2.10>',
      'i: compact-1',
      'CSeq: 5 OPTIONS',
      'm: <sip:a@198.51.100.7>',
      'e: gzip',
      's: hello',
      'k: timer',
      'o: refer',
      'u: talk',
      'r: <sip:c@d>',
      'b: <sip:e@f>',
      'x: 1800;refresher=uac',
      'c: text/plain',
      'l: 2',
      '',
      'hi',
    ].join(CRLF),
  );
  const msg = parseOk(data);
  const expected: Record<string, string> = {
    Via: 'SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKc1',
    From: '<sip:a@198.51.100.7>;tag=1',
    To: '<sip:b@192.0.2.10>',
    'Call-ID': 'compact-1',
    Contact: '<sip:a@198.51.100.7>',
    'Content-Encoding': 'gzip',
    Subject: 'hello',
    Supported: 'timer',
    Event: 'refer',
    'Allow-Events': 'talk',
    'Refer-To': '<sip:c@d>',
    'Referred-By': '<sip:e@f>',
    'Session-Expires': '1800;refresher=uac',
    'Content-Type': 'text/plain',
    'Content-Length': '2',
  };
  for (const [name, value] of Object.entries(expected)) assert.equal(msg.headers.get(name), value, name);
  // Stored under the canonical long form, iteration keeps message order.
  const names = [...msg.headers].map(([n]) => n);
  assert.deepEqual(names.slice(0, 6), ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact']);
  assert.equal(msg.headers.get('i'), 'compact-1');
  assert.equal(msg.body.toString(), 'hi');
});

test('header names are case-insensitive and folded lines are joined', () => {
  const data = Buffer.from(
    [
      'OPTIONS sip:srs@192.0.2.10 SIP/2.0',
      'vIa: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKfold',
      'FROM: <sip:a@198.51.100.7>;tag=1',
      'to: <sip:b@192.0.2.10>',
      'call-ID: fold-1',
      'cseq: 1 OPTIONS',
      'Subject: first part',
      '  second part',
      '\tthird part',
      'Supported: timer,',
      ' replaces',
      'Content-Length: 0',
      '',
      '',
    ].join(CRLF),
  );
  const msg = parseOk(data);
  assert.equal(msg.headers.get('subject'), 'first part second part third part');
  assert.deepEqual(msg.headers.getAll('Supported'), ['timer', 'replaces']);
  assert.equal(msg.headers.get('Call-Id'), 'fold-1');
});

test('multi-value headers split on commas outside quotes and angle brackets only', () => {
  const msg = parseOk(
    invite([
      'Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa, SIP/2.0/TCP 10.0.0.2;branch=z9hG4bKb',
      'Contact: "Doe, Jane" <sip:jane@10.0.0.3;x=1,2>;q=0.5, <sip:bob@10.0.0.4>',
      'Supported: timer, replaces,100rel',
      'Subject: one, two',
      'Content-Length: 0',
    ]),
  );
  assert.deepEqual(msg.headers.getAll('Via'), [
    'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKparse1',
    'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa',
    'SIP/2.0/TCP 10.0.0.2;branch=z9hG4bKb',
  ]);
  const contacts = msg.headers.getAll('Contact');
  assert.equal(contacts.length, 3);
  assert.equal(contacts[1], '"Doe, Jane" <sip:jane@10.0.0.3;x=1,2>;q=0.5');
  assert.equal(parseNameAddr(contacts[1] ?? '').displayName, 'Doe, Jane');
  assert.deepEqual(msg.headers.getAll('Supported'), ['timer', 'replaces', '100rel']);
  // Subject is not a list header: its comma is content.
  assert.deepEqual(msg.headers.getAll('Subject'), ['one, two']);
  assert.equal(msg.headers.get('Via'), 'SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKparse1');
});

test('bare-LF headers and a bare-LF body: the body is kept byte for byte', () => {
  const body = 'v=0\no=- 1 1 IN IP4 198.51.100.7\ns=-\n\nstill body\n';
  const raw = invite(['Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(body)}`], body, '\n');
  const msg = parseOk(raw);
  assert.ok(msg.body.equals(Buffer.from(body)), 'body bytes changed');
  assert.equal(msg.headers.get('Content-Type'), 'application/sdp');
  // The body is a slice of the received buffer, not a copy.
  assert.equal(msg.body.buffer, raw.buffer);
  // Mixed line ends (CRLF headers, LF blank line) still find the body.
  const mixed = Buffer.from(`${invite(['Content-Length: 3']).toString().slice(0, -2)}\nabc`);
  assert.equal(parseOk(mixed).body.toString(), 'abc');
});

test('Content-Length: missing on a datagram means "to the end"', () => {
  const msg = parseOk(invite([], 'abc\r\ndef'));
  assert.equal(msg.body.toString(), 'abc\r\ndef');
});

test('Content-Length smaller than the datagram: trailing bytes ignored, noted', () => {
  const result = parseMessage(invite(['Content-Length: 4'], 'abcdEXTRA'));
  assert.ok(result.ok);
  assert.equal(result.message.body.toString(), 'abcd');
  assert.ok(result.notes?.some((n) => n.includes('Content-Length')));
});

test('Content-Length larger than the datagram is a 400 with the headers kept', () => {
  const err = parseErr(invite(['Content-Length: 500'], 'short'));
  assert.equal(err.status, 400);
  assert.match(err.error, /Content-Length/);
  assert.equal(err.method, 'INVITE');
  assert.equal(err.headers?.get('Call-ID'), 'parse-call-1@198.51.100.7');
});

test('malformed and conflicting Content-Length are rejected', () => {
  assert.equal(parseErr(invite(['Content-Length: abc'])).error, 'Malformed Content-Length');
  assert.equal(parseErr(invite(['Content-Length: -1'])).error, 'Malformed Content-Length');
  assert.match(parseErr(invite(['Content-Length: 0', 'l: 3'], 'abc')).error, /Conflicting Content-Length/);
});

test('a stream frame must match its Content-Length exactly', () => {
  assert.equal(parseOk(invite(['Content-Length: 3'], 'abc'), false).body.toString(), 'abc');
  assert.match(parseErr(invite(['Content-Length: 2'], 'abc'), false).error, /Content-Length/);
});

test('required headers, CSeq and start line are validated', () => {
  const mismatch = parseErr(Buffer.from(invite().toString().replace('CSeq: 1 INVITE', 'CSeq: 1 OPTIONS')));
  assert.equal(mismatch.error, 'CSeq method mismatch');
  assert.equal(mismatch.method, 'INVITE');
  assert.equal(parseErr(Buffer.from(invite().toString().replace('CSeq: 1 INVITE', 'CSeq: x INVITE'))).error, 'Malformed CSeq header');
  assert.equal(parseErr(Buffer.from(invite().toString().replace(/Call-ID:[^\r]*\r\n/, ''))).error, 'Missing Call-ID header');
  assert.equal(parseErr(Buffer.from(invite().toString().replace(/Via:[^\r]*\r\n/, ''))).error, 'Missing Via header');
  assert.equal(parseErr(Buffer.from(invite().toString().replace('From: "SRC" <sip:src@198.51.100.7>', 'From: <sip:src@'))).error, 'Malformed From header');
  const badStart = parseErr(Buffer.from(invite().toString().replace('INVITE sip:srs@192.0.2.10:5060 SIP/2.0', 'INVITE  SIP/2.0')));
  assert.equal(badStart.error, 'Bad start line');
  // The method is kept whenever it is a token: with the headers present the stack can answer 400.
  assert.equal(badStart.method, 'INVITE');
  const version = parseErr(Buffer.from(invite().toString().replace('5060 SIP/2.0', '5060 SIP/7.0')));
  assert.equal(version.status, 505);
  // A line that is not "name: value" is skipped (and noted), not fatal.
  const junkLine = parseMessage(Buffer.from(invite().toString().replace('Max-Forwards: 70', 'no colon here')));
  assert.ok(junkLine.ok);
  assert.ok(junkLine.notes?.some((n) => n.includes('no colon here')));
  assert.equal(junkLine.message.headers.has('Max-Forwards'), false);
  assert.equal(parseErr(Buffer.from('INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n')).error, 'Missing From header');
  assert.equal(parseErr(Buffer.alloc(0)).error, 'Empty message');
});

test('leading CRLFs before the start line are skipped (RFC 3261 §7.5)', () => {
  assert.equal(parseOk(Buffer.concat([Buffer.from('\r\n\r\n'), invite(['Content-Length: 0'])])).method, 'INVITE');
});

test('parses responses', () => {
  const data = Buffer.from(
    ['SIP/2.0 183 Session Progress', 'Via: SIP/2.0/UDP h;branch=z9hG4bK1', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', 'Call-ID: r1', 'CSeq: 1 INVITE', 'Content-Length: 0', '', ''].join(CRLF),
  );
  const result = parseMessage(data);
  assert.ok(result.ok && !isRequest(result.message));
  assert.equal(result.message.status, 183);
  assert.equal(result.message.reason, 'Session Progress');
});

test('parseNameAddr: quoted names with escapes, tokens, bare addr-spec, wildcard', () => {
  const quoted = parseNameAddr('"Quoted \\" name" <sip:a@b;x=y>;tag=1;+sip.src');
  assert.equal(quoted.displayName, 'Quoted " name');
  assert.equal(quoted.uri, 'sip:a@b;x=y');
  assert.equal(quoted.params.get('tag'), '1');
  assert.equal(quoted.params.get('+sip.src'), '');
  assert.equal(quoted.params.has('x'), false, 'URI params are not header params');

  const bare = parseNameAddr('sip:a@b;tag=1');
  assert.equal(bare.displayName, null);
  assert.equal(bare.uri, 'sip:a@b');
  assert.equal(bare.params.get('tag'), '1');

  const token = parseNameAddr('Bob Smith <sips:bob@example.com>;TAG="q"');
  assert.equal(token.displayName, 'Bob Smith');
  assert.equal(token.params.get('tag'), 'q');

  assert.equal(parseNameAddr('*').uri, '*');
  assert.equal(parseNameAddr('<sip:broken').uri, '');
  assert.equal(tryParseNameAddr('<sip:broken'), null);
  assert.equal(tryParseNameAddr('"unterminated <sip:a@b>'), null);
  assert.equal(getParam('"x;tag=no" <sip:a@b;tag=no>;tag=yes', 'tag'), 'yes');
});

test('parseVia, parseCSeq, parseContentType, parseUri', () => {
  const via = parseVia('SIP / 2.0 / tcp [2001:db8::1]:5070 ;branch=z9hG4bKv;rport;received=10.0.0.1');
  assert.ok(via);
  assert.equal(via.transport, 'TCP');
  assert.equal(via.host, '2001:db8::1');
  assert.equal(via.port, 5070);
  assert.equal(via.sentBy, '[2001:db8::1]:5070');
  assert.equal(via.params.get('branch'), 'z9hG4bKv');
  assert.equal(via.params.get('rport'), '');
  assert.equal(parseVia('SIP/2.0/UDP'), null);
  assert.equal(parseVia('SIP/2.0/UDP host:99999'), null);

  assert.deepEqual(parseCSeq(' 42  INVITE '), { seq: 42, method: 'INVITE' });
  assert.equal(parseCSeq('4294967296 INVITE'), null);
  assert.equal(parseCSeq('INVITE'), null);

  const ct = parseContentType('Multipart/Mixed ; Boundary="unique boundary 1";Charset=UTF-8');
  assert.ok(ct);
  assert.equal(ct.type, 'multipart/mixed');
  assert.equal(ct.params.get('boundary'), 'unique boundary 1');
  assert.equal(ct.params.get('charset'), 'UTF-8');
  assert.equal(parseContentType('nonsense'), null);

  const uri = parseUri('sip:alice:pw@[::1]:5080;transport=tcp;+sip.src?subject=x');
  assert.ok(uri);
  assert.equal(uri.user, 'alice');
  assert.equal(uri.password, 'pw');
  assert.equal(uri.host, '::1');
  assert.equal(uri.port, 5080);
  assert.equal(uri.params.get('transport'), 'tcp');
  assert.equal(uri.params.has('+sip.src'), true);
  assert.equal(uri.headers.get('subject'), 'x');
  assert.equal(parseUri('tel:+15551234;phone-context=x')?.user, '+15551234');
  assert.equal(parseUri('no-scheme'), null);
});

test('SipHeaders: set, append, remove, setLine, order', () => {
  const h = new SipHeaders([
    ['v', 'SIP/2.0/UDP a;branch=z9hG4bK1'],
    ['X-Custom', '1'],
    ['Via', 'SIP/2.0/UDP b;branch=z9hG4bK2'],
  ]);
  assert.deepEqual([...h].map(([n]) => n), ['Via', 'X-Custom', 'Via']);
  h.set('via', 'SIP/2.0/UDP c;branch=z9hG4bK3');
  assert.deepEqual([...h], [
    ['Via', 'SIP/2.0/UDP c;branch=z9hG4bK3'],
    ['X-Custom', '1'],
  ]);
  h.append('call-id', 'x').append('cseq', '1 BYE').append('www-authenticate', 'Digest a="b,c"');
  assert.deepEqual([...h].map(([n]) => n).slice(2), ['Call-ID', 'CSeq', 'WWW-Authenticate']);
  assert.deepEqual(h.getAll('WWW-Authenticate'), ['Digest a="b,c"']);
  assert.equal(h.remove('x-custom'), true);
  assert.equal(h.has('X-Custom'), false);
  assert.equal(h.remove('x-custom'), false);
  assert.equal(h.setLine('Via', 0, 'SIP/2.0/UDP d'), true);
  assert.equal(h.get('v'), 'SIP/2.0/UDP d');
});

test('serializer computes Content-Length from bytes and round-trips', () => {
  const body = Buffer.from('héllo\n', 'utf8'); // 7 bytes, 6 characters
  const req: SipRequest = {
    method: 'MESSAGE',
    uri: 'sip:b@192.0.2.1',
    version: 'SIP/2.0',
    headers: new SipHeaders([
      ['Via', 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKs1'],
      ['From', '<sip:a@10.0.0.1>;tag=a'],
      ['To', '<sip:b@192.0.2.1>'],
      ['Call-ID', 'ser-1'],
      ['CSeq', '1 MESSAGE'],
      ['Content-Length', '999'],
      ['Subject', 'evil\r\nInjected: yes'],
    ]),
    body,
  };
  const wire = serializeRequest(req);
  const text = wire.toString('utf8');
  assert.match(text, /\r\nContent-Length: 7\r\n\r\n/);
  assert.doesNotMatch(text, /999/);
  assert.doesNotMatch(text, /\r\nInjected/);
  const back = parseOk(wire, false);
  assert.ok(back.body.equals(body));
  assert.equal(back.headers.get('Call-ID'), 'ser-1');
});

test('buildResponse copies Vias in order, adds the To tag except on 100', () => {
  const req = parseOk(invite(['Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bKx', 'Timestamp: 54', 'Content-Length: 0']));
  const trying = buildResponse(req, 100, { toTag: 'tt' });
  assert.equal(trying.headers.get('To'), '<sip:srs@192.0.2.10>');
  assert.equal(trying.headers.get('Timestamp'), '54');
  const ok = buildResponse(req, 200, { toTag: 'tt', headers: [['Contact', '<sip:srs@192.0.2.10>'], ['Call-ID', 'overridden?']], body: Buffer.from('x'), contentType: 'text/plain' });
  assert.deepEqual(ok.headers.getAll('Via'), req.headers.getAll('Via'));
  assert.equal(ok.headers.get('To'), '<sip:srs@192.0.2.10>;tag=tt');
  assert.deepEqual(ok.headers.getAll('Call-ID'), ['parse-call-1@198.51.100.7']);
  assert.equal(ok.reason, 'OK');
  assert.equal(ok.headers.get('Content-Type'), 'text/plain');
  const wire = serializeResponse(ok).toString();
  assert.match(wire, /^SIP\/2\.0 200 OK\r\n/);
  assert.match(wire, /Content-Length: 1\r\n\r\nx$/);
});

test('random mutations never make the parser throw or hang', () => {
  const seedMsg = invite(['Content-Type: application/sdp', 'Content-Length: 10'], '0123456789');
  let state = 12345;
  const rand = (n: number): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
  const started = Date.now();
  for (let i = 0; i < 20000; i++) {
    const buf = Buffer.from(seedMsg);
    const edits = 1 + rand(8);
    for (let e = 0; e < edits; e++) buf[rand(buf.length)] = rand(256);
    const cut = rand(4) === 0 ? buf.subarray(0, rand(buf.length)) : buf;
    const result = parseMessage(cut, { datagram: rand(2) === 0 });
    assert.equal(typeof result.ok, 'boolean');
  }
  assert.ok(Date.now() - started < 10000);
});

test('RFC 4475 style whitespace torture: folds everywhere, odd case, LWS in Via and params', () => {
  const text = [
    'INVITE sip:rec@srs.example.net;unknownparam SIP/2.0',
    'TO :',
    ' sip:rec@srs.example.net ;   tag    = 8321234356',
    'from   : "A. Caller \\\\\\""       <sip:caller@src.example.com>',
    '  ;',
    '  tag = 98asjd8',
    'MaX-fOrWaRdS: 0068',
    'Call-ID',
    '    : torture-1@192.0.2.4',
    'Content-Length   : 3',
    'cseq: 0009',
    '  INVITE',
    'Via  : SIP  /   2.0',
    ' /UDP',
    '    192.0.2.2;branch=z9hG4bKtort1',
    's :',
    'NewFangledHeader:   newfangled value',
    ' continued newfangled value',
    'UnknownHeaderWithUnusualValue: ;;,,;;,;',
    'v:  SIP  / 2.0  / TCP     spindle.example.com   ;',
    '  branch  =   z9hG4bK9ikj8  ,',
    ' SIP  /    2.0   / UDP  192.168.255.111   ; branch=',
    ' z9hG4bK30239',
    'm:"Quoted string \\"\\"" <sip:caller@src.example.com> ; newparam =',
    '      newvalue ;',
    '  secondparam ; q = 0.33',
    '',
    'abc',
  ].join('\r\n');
  const msg = parseOk(Buffer.from(text));
  assert.equal(msg.headers.get('Call-ID'), 'torture-1@192.0.2.4');
  assert.equal(parseCSeq(msg.headers.get('CSeq') ?? '')?.seq, 9);
  assert.equal(parseNameAddr(msg.headers.get('To') ?? '').params.get('tag'), '8321234356');
  const from = parseNameAddr(msg.headers.get('From') ?? '');
  assert.equal(from.displayName, 'A. Caller \\"');
  assert.equal(from.params.get('tag'), '98asjd8');
  assert.equal(msg.headers.get('Subject'), '');
  assert.equal(msg.headers.get('NewFangledHeader'), 'newfangled value continued newfangled value');
  const vias = msg.headers.getAll('Via').map((v) => parseVia(v));
  assert.deepEqual(
    vias.map((v) => [v?.transport, v?.host, v?.params.get('branch')]),
    [
      ['UDP', '192.0.2.2', 'z9hG4bKtort1'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ],
  );
  const contact = parseNameAddr(msg.headers.get('Contact') ?? '');
  assert.equal(contact.displayName, 'Quoted string ""');
  assert.equal(contact.params.get('newparam'), 'newvalue');
  assert.equal(contact.params.get('q'), '0.33');
  assert.equal(msg.body.toString(), 'abc');
});

test('RFC 2543 style request without branch or tags, and a display name glued to <', () => {
  const text = [
    'OPTIONS sip:rec@srs.example.net SIP/2.0',
    'Via: SIP/2.0/UDP 192.0.2.15',
    'To: sip:rec@srs.example.net',
    'From: caller<sip:caller@src.example.com>',
    'Call-ID: old-style-1',
    'CSeq: 8 OPTIONS',
    '',
    '',
  ].join('\r\n');
  const msg = parseOk(Buffer.from(text));
  assert.equal(parseNameAddr(msg.headers.get('From') ?? '').displayName, 'caller');
  assert.equal(parseVia(msg.headers.get('Via') ?? '')?.params.has('branch'), false);
});

test('RFC 4475 validation: empty parameters, ambiguous display names, Max-Forwards range, headers in the Request-URI', () => {
  const replace = (from: string, to: string): Buffer => Buffer.from(invite().toString().replace(from, to));
  assert.equal(parseErr(replace(';branch=z9hG4bKparse1', ';;branch=z9hG4bKparse1')).error, 'Malformed Via header');
  assert.equal(parseErr(replace(';branch=z9hG4bKparse1', ';branch=z9hG4bKparse1,')).error, 'Malformed Via header');
  assert.equal(parseErr(replace(';tag=from1', ';tag=from1;')).error, 'Malformed From header');
  assert.equal(parseErr(replace('"SRC" <sip:src', 'Src, Main <sip:src')).error, 'Malformed From header');
  assert.equal(parseErr(replace('Max-Forwards: 70', 'Max-Forwards: 256')).error, 'Malformed Max-Forwards header');
  assert.equal(parseErr(replace('Contact: <sip:src@198.51.100.7:5060>;+sip.src', 'Contact: sip:src@198.51.100.7?Route=x')).error, 'Malformed Contact header');
  const uriHeaders = parseErr(replace('sip:srs@192.0.2.10:5060 SIP', 'sip:srs@192.0.2.10:5060?Subject=x SIP'));
  assert.deepEqual([uriHeaders.error, uriHeaders.method], ['Request-URI must not contain headers', 'INVITE']);
  assert.equal(parseErr(replace('sip:srs@192.0.2.10:5060 SIP', 'sip:2001:db8::10 SIP')).error, 'Malformed Request-URI');
  assert.equal(parseErr(replace('sip:srs@192.0.2.10:5060 SIP', 'sip:srs@192.0.2.10; lr SIP')).error, 'Malformed Request-URI');
  // Field leniency stays: unquoted UTF-8 and parenthesised display names, NBSP kept, RFC 2543 peers.
  const lenient = parseOk(replace('"SRC" <sip:src', 'Müller (Sales) <sip:src'));
  assert.equal(parseNameAddr(lenient.headers.get('From') ?? '').displayName, 'Müller (Sales)');
  assert.equal(parseOk(invite(['Subject: \u00a0spaced\u00a0'])).headers.get('Subject'), '\u00a0spaced\u00a0');
  assert.equal(parseOk(replace('Max-Forwards: 70', 'Max-Forwards: 255')).headers.get('Max-Forwards'), '255');
  assert.equal(parseOk(replace(';+sip.src', ';+sip.src;')).headers.get('Contact'), '<sip:src@198.51.100.7:5060>;+sip.src;', 'a stray ; in Contact is the TU business');
});

test('parseUri: the userinfo ends at the first @, so ; ? / in the user part are not parameters or headers', () => {
  const semi = parseUri('sip:rec;par=u%40ex.net@srs.example.net;transport=tcp?Subject=hi');
  assert.deepEqual([semi?.user, semi?.host, semi?.params.get('transport'), semi?.headers.get('Subject')], ['rec;par=u%40ex.net', 'srs.example.net', 'tcp', 'hi']);
  const odd = parseUri("sip:a?b/c;d:pa$$@[2001:db8::1]:5070;lr");
  assert.deepEqual([odd?.user, odd?.password, odd?.host, odd?.port, odd?.params.has('lr')], ['a?b/c;d', 'pa$$', '2001:db8::1', 5070, true]);
  assert.deepEqual([parseUri('sip:srs.example.net?Route=%3Csip:x%3E')?.headers.get('Route'), parseUri('sip:srs.example.net')?.user], ['%3Csip:x%3E', null]);
  assert.equal(parseUri('tel:+1-201-555-0123;phone-context=example.com')?.user, '+1-201-555-0123');
});
