import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMultipart } from '../../recorder/siprec/multipart.js';
import { buildAnswer, parseSdp } from '../../recorder/siprec/sdp.js';
import { parseOffer, OfferError } from '../../recorder/siprec/offer.js';
import { isRecordingSession, recordingSessionMarkers } from '../../recorder/siprec/recognise.js';

const mp = (type: string, boundary: string) => ({ type, params: new Map([['boundary', boundary]]) });

test('multipart: parts in any order, bare LF line ends, unknown parts ignored, bodies are exact byte slices', () => {
  const sdp = 'v=0\no=x 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\nm=audio 4000 RTP/AVP 0\na=label:1\n';
  const body = Buffer.from(
    `--xyz\nContent-Type: application/rs-metadata+xml\n\n<recording xmlns="urn:ietf:params:xml:ns:recording:1"/>\n--xyz\nContent-Type: application/gtd\n\nIAM,\n--xyz\nContent-Type: application/sdp\nContent-Disposition: session;handling=required\n\n${sdp}\n--xyz--\n`,
  );
  const parts = parseMultipart(body, 'xyz');
  assert.deepEqual(parts.map((p) => p.contentType), ['application/rs-metadata+xml', 'application/gtd', 'application/sdp']);
  assert.equal(parts[2]!.body.toString(), sdp);
  const offer = parseOffer(mp('multipart/mixed', 'xyz'), body);
  assert.equal(offer.multipartWithSdp, true);
  assert.equal(offer.sdp!.media[0]!.port, 4000);
  assert.ok(offer.metadata);
});

test('offer errors map to SIP statuses', () => {
  assert.throws(() => parseOffer(mp('multipart/mixed', 'nope'), Buffer.from('--other\r\n\r\nx\r\n--other--')), (e: unknown) => e instanceof OfferError && e.status === 400);
  assert.throws(() => parseOffer({ type: 'text/plain', params: new Map() }, Buffer.from('hi')), (e: unknown) => e instanceof OfferError && e.status === 415);
  assert.throws(() => parseOffer({ type: 'application/sdp', params: new Map() }, Buffer.from('garbage')), (e: unknown) => e instanceof OfferError && e.status === 400);
  const badMeta = parseOffer(mp('multipart/mixed', 'b'), Buffer.from('--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 1 RTP/AVP 0\r\n--b\r\nContent-Type: application/rs-metadata\r\n\r\n<broken\r\n--b--\r\n'));
  assert.ok(badMeta.sdp);
  assert.match(badMeta.metadataError ?? '', /not well-formed/);
});

test('SDP: static payload types, media-level c=, direction; answer keeps order and labels', () => {
  const sdp = parseSdp('v=0\r\no=SBC 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 8 0 101\r\nc=IN IP4 10.1.1.1\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=label:abc\r\na=sendonly\r\nm=video 0 RTP/AVP 96\r\n');
  const m = sdp.media[0]!;
  assert.equal(m.connection, '10.1.1.1');
  assert.equal(m.direction, 'sendonly');
  assert.deepEqual(m.rtpmaps.map((r) => r.encoding).sort(), ['PCMA', 'PCMU', 'TELEPHONE-EVENT']);
  const answer = buildAnswer({
    address: '192.0.2.10', sessionId: '42', sessionVersion: 1,
    media: [
      { port: 30000, media: 'audio', proto: 'RTP/AVP', codec: m.rtpmaps.find((r) => r.payloadType === 8)!, telephoneEvent: m.rtpmaps.find((r) => r.payloadType === 101)!, label: 'abc', direction: 'recvonly' },
      { port: 0, media: 'video', proto: 'RTP/AVP', codec: null, telephoneEvent: null, label: null, direction: 'recvonly' },
    ],
  });
  assert.match(answer, /^o=sipvault 42 1 IN IP4 192\.0\.2\.10\r$/m);
  assert.match(answer, /^m=audio 30000 RTP\/AVP 8 101\r\na=rtpmap:8 PCMA\/8000\r\na=rtpmap:101 telephone-event\/8000\r\na=fmtp:101 0-15\r\na=label:abc\r\na=recvonly\r$/m);
  assert.match(answer, /^m=video 0 RTP\/AVP 0\r$/m);
});

test('recording-session recognition accepts every field variant', () => {
  const yes = (r: string[], c: string[], mp = false) => isRecordingSession(recordingSessionMarkers(r, c, mp));
  assert.ok(yes(['siprec'], []));
  assert.ok(yes([], ['<sip:sbc@1.2.3.4>;+sip.src']));
  assert.ok(yes([], ['<sip:sbc@1.2.3.4>;src']));
  assert.ok(yes([], ['<sip:sbc@1.2.3.4;+sip.src>']));
  assert.ok(yes([], [], true));
  assert.ok(!yes(['timer'], ['<sip:pbx@1.2.3.4;transport=tcp>;expires=60']));
  assert.ok(!yes([], ['<sip:srcuser@1.2.3.4>']));
});
