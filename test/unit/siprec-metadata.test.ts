import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMetadata, MetadataError, MAX_METADATA_BYTES } from '../../recorder/siprec/metadata.js';
import { assignFromHeaders, assignFromMetadata, userPart } from '../../recorder/siprec/party-assignment.js';
import { rfcMetadata } from '../support/siprec-call.js';

const xml = (s: string) => Buffer.from(s);
const ml = (...labels: Array<string | null>) => labels.map((label) => ({ label, audio: true }));

test('RFC 7865 metadata: participants, streams and send associations', () => {
  const meta = parseMetadata(xml(rfcMetadata({ aor: 'sip:+1555@a', name: 'A', freq: 0 }, { aor: 'sip:+1666@b', name: 'B', freq: 0 }, '2', '1')));
  assert.equal(meta.participants.length, 2);
  assert.equal(meta.participants[0]!.aor, 'sip:+1555@a');
  assert.equal(meta.participants[0]!.name, 'A');
  assert.deepEqual(meta.participants[0]!.sends, ['c3RyZWFtLWE=']);
  assert.deepEqual(meta.streams.map((s) => s.label), ['2', '1']);
  const a = assignFromMetadata(meta, ml('1', '2'));
  assert.equal(a.callingParty, '+1555');
  assert.equal(a.calledParty, '+1666');
  assert.equal(a.rule, 'first participant');
  // m-line label 1 carries B (callee) -> RIGHT; label 2 carries A (caller) -> LEFT
  assert.deepEqual(a.streams.map((s) => s.channel), [1, 0]);
});

test('legacy AudioCodes/Oracle dialect: no :1 namespace, id= attributes, send inside participant, prefixed elements, scheme-less AoR', () => {
  const doc = `<?xml version="1.0"?>
<ns0:recording xmlns:ns0="urn:ietf:params:xml:ns:recording" xmlns:apkt="http://acmepacket.com/siprec/extensiondata">
  <ns0:DataMode>complete</ns0:DataMode>
  <ns0:session id="sess1"><ns0:associate-time>2026-01-01T00:00:00Z</ns0:associate-time></ns0:session>
  <ns0:participant id="+15550001" session="sess1">
    <ns0:nameID aor="+15550001@10.0.0.1"><ns0:name>Agent</ns0:name></ns0:nameID>
    <ns0:send>st2</ns0:send>
    <ns0:extensiondata><apkt:callingParty>false</apkt:callingParty></ns0:extensiondata>
  </ns0:participant>
  <ns0:participant id="+15550002" session="sess1">
    <ns0:nameID aor="+15550002@10.0.0.1"/>
    <ns0:send>st1</ns0:send>
    <ns0:extensiondata><apkt:callingParty>true</apkt:callingParty></ns0:extensiondata>
  </ns0:participant>
  <ns0:stream id="st1" session="sess1"><ns0:label>16777227</ns0:label><ns0:mode>separate</ns0:mode></ns0:stream>
  <ns0:stream id="st2" session="sess1"><ns0:label>16777228</ns0:label></ns0:stream>
</ns0:recording>`;
  const meta = parseMetadata(xml(doc));
  assert.equal(meta.dataMode, 'complete'); // element names are case-folded
  assert.equal(meta.sessionId, 'sess1');
  const a = assignFromMetadata(meta, ml('16777227', '16777228'));
  assert.equal(a.rule, 'metadata callingParty flag');
  assert.equal(a.callingParty, '+15550002');
  assert.equal(a.calledParty, '+15550001');
  assert.deepEqual(a.streams.map((s) => s.channel), [0, 1]);
});

test('BroadWorks dialect: calling number decides the caller even when listed second', () => {
  const doc = `<recording_metadata xmlns="urn:ietf:params:xml:ns:siprec">
  <dataMode>complete</dataMode>
  <session id="s"/>
  <participant id="p1"><aor>sip:2001@bw.example</aor><send><id>m1</id></send></participant>
  <participant id="p2"><aor>sip:+15559990@bw.example</aor><send><id>m2</id></send></participant>
  <stream id="m1"><label>1</label></stream><stream id="m2"><label>2</label></stream>
  <extensiondata><broadWorksRecordingMetadata><callingPartyNumber>+15559990</callingPartyNumber><calledPartyNumber>2001</calledPartyNumber></broadWorksRecordingMetadata></extensiondata>
</recording_metadata>`;
  const a = assignFromMetadata(parseMetadata(xml(doc)), ml('1', '2'));
  assert.equal(a.rule, 'metadata calling/called numbers');
  assert.equal(a.callingParty, '+15559990');
  assert.equal(a.calledParty, '2001');
  assert.deepEqual(a.streams.map((s) => s.channel), [1, 0]);
});

test('malformed and oversized metadata are rejected with a clear error', () => {
  assert.throws(() => parseMetadata(xml('<recording><participant></recording>')), MetadataError);
  assert.throws(() => parseMetadata(xml('<other/>')), /no <recording> root/);
  assert.throws(() => parseMetadata(Buffer.alloc(MAX_METADATA_BYTES + 1, 0x20)), /exceeds/);
});

test('no metadata: label order decides channels; plain forks take parties from headers', () => {
  const a = assignFromMetadata(null, ml('1', '2', '3'));
  assert.deepEqual(a.streams.map((s) => s.channel), [0, 1, 1]);
  const h = assignFromHeaders({ uri: 'sip:+4930123@pbx;user=phone', name: null }, { uri: 'tel:+4940999', name: null }, ml('a', null));
  assert.equal(h.callingParty, '+4930123');
  assert.equal(h.calledParty, '+4940999');
  assert.deepEqual(h.streams.map((s) => s.label), ['a', '2']);
  assert.deepEqual(h.streams.map((s) => s.mixed), [false, false]);
  // One m-line carries both parties: mixed, written to both channels.
  const one = assignFromHeaders({ uri: 'sip:1@x', name: null }, { uri: 'sip:2@x', name: null }, ml('1'));
  assert.equal(one.streams[0]!.mixed, true);
  // Cisco recording-participant headers win over From/To.
  const cisco = assignFromHeaders({ uri: 'sip:cube@x', name: null }, { uri: 'sip:srs@x', name: null }, ml('1', '2'), [
    { uri: 'sip:+1408555@cucm', name: 'Near' },
    { uri: 'sip:+1919555@pstn', name: null },
  ]);
  assert.equal(cisco.callingParty, '+1408555');
  assert.equal(cisco.calledParty, '+1919555');
  assert.equal(cisco.rule, 'Cisco recording participant headers');
});

test('userPart strips scheme, display name, host and params', () => {
  assert.equal(userPart('"Bob" <sip:+1555@host;user=phone>'), '+1555');
  assert.equal(userPart('+1555@host'), '+1555');
  assert.equal(userPart('sips:alice@example.com'), 'alice');
  assert.equal(userPart(null), null);
});
