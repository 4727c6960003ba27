// Bad and unusual SIP input against the running recorder: every case gets a clear answer and
// the recorder keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { startAppliance, type Appliance } from '../support/appliance.js';
import { buildRequest, header, rand, SipTestClient } from '../support/sip-client.js';
import { siprecSdp } from '../support/siprec-call.js';

let app: Appliance;
let client: SipTestClient;
before(async () => {
  app = await startAppliance();
  client = await SipTestClient.open('udp', '127.0.0.1', app.sipPort);
});
after(async () => {
  client?.close();
  await app?.stop();
});

const uri = () => `sip:srs@127.0.0.1:${app.sipPort}`;
const byCallId = (callId: string, min = 200) => (r: { status: number; headers: Map<string, string[]> }) => r.status >= min && r.headers.get('call-id')?.[0] === callId;

async function optionsStillAnswered(): Promise<void> {
  const callId = rand();
  client.send(buildRequest(client, { method: 'OPTIONS', uri: uri(), callId, fromTag: rand(4), cseq: 1 }));
  const res = await client.waitFor(byCallId(callId));
  assert.equal(res.status, 200);
  assert.match(header(res, 'allow') ?? '', /INVITE/);
  assert.match(header(res, 'accept') ?? '', /application\/rs-metadata\+xml/);
}

test('OPTIONS keep-alive gets 200 with Allow, Accept and Supported', async () => {
  await optionsStillAnswered();
});

test('a request with a CSeq method that does not match gets 400 naming the problem, and the recorder keeps serving', async () => {
  const callId = rand();
  const msg = buildRequest(client, { method: 'OPTIONS', uri: uri(), callId, fromTag: rand(4), cseq: 1 }).replace('CSeq: 1 OPTIONS', 'CSeq: 1 INVITE');
  client.send(msg);
  const res = await client.waitFor(byCallId(callId, 100));
  assert.equal(res.status, 400);
  assert.match(res.reason, /cseq/i);
  await optionsStillAnswered();
});

test('garbage datagrams are survived', async () => {
  const raw = createSocket('udp4');
  for (let i = 0; i < 50; i++) raw.send(Buffer.from(`\x00\xffNOT SIP ${rand(16)}\r\n\r\n`, 'latin1'), app.sipPort, '127.0.0.1');
  raw.send(Buffer.from('INVITE sip:x SIP/2.0\r\nVia: broken\r\n\r\n'), app.sipPort, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 100));
  raw.close();
  await optionsStillAnswered();
});

test('an INVITE without SDP gets 488', async () => {
  const callId = rand();
  client.send(buildRequest(client, { method: 'INVITE', uri: uri(), callId, fromTag: rand(4), cseq: 1, extraHeaders: [`Contact: <sip:src@127.0.0.1:${client.localPort}>;+sip.src`] }));
  const res = await client.waitFor(byCallId(callId));
  assert.equal(res.status, 488);
  assert.match(res.reason, /SDP/);
});

test('an INVITE requiring an extension we do not support gets 420 with Unsupported', async () => {
  const callId = rand();
  client.send(
    buildRequest(client, {
      method: 'INVITE', uri: uri(), callId, fromTag: rand(4), cseq: 1,
      extraHeaders: ['Require: siprec, 100rel'], contentType: 'application/sdp', body: siprecSdp('PCMU', [20000, 20002]),
    }),
  );
  const res = await client.waitFor(byCallId(callId));
  assert.equal(res.status, 420);
  assert.equal(header(res, 'unsupported'), '100rel');
});

test('a plain SIP-trunk fork (application/sdp only) from a trusted source is recorded and answered like SIPREC', async () => {
  const callId = rand();
  const fromTag = rand(4);
  client.send(buildRequest(client, { method: 'INVITE', uri: uri(), callId, fromTag, cseq: 1, contentType: 'application/sdp', body: siprecSdp('PCMA', [20000, 20002]) }));
  const res = await client.waitFor(byCallId(callId));
  assert.equal(res.status, 200);
  assert.equal([...res.body.matchAll(/^m=audio [1-9]\d* RTP\/AVP 8 101$/gm)].length, 2);
  const toTag = /tag=([^;\s]+)/.exec(header(res, 'to') ?? '')![1]!;
  client.send(buildRequest(client, { method: 'ACK', uri: uri(), callId, fromTag, toTag, cseq: 1 }));
  client.send(buildRequest(client, { method: 'BYE', uri: uri(), callId, fromTag, toTag, cseq: 2 }));
  const bye = await client.waitFor((r) => byCallId(callId)(r) && header(r, 'cseq') === '2 BYE');
  assert.equal(bye.status, 200);
});

test('a BYE for an unknown dialog gets 481', async () => {
  const callId = rand();
  client.send(buildRequest(client, { method: 'BYE', uri: uri(), callId, fromTag: rand(4), toTag: rand(4), cseq: 2 }));
  const res = await client.waitFor(byCallId(callId));
  assert.equal(res.status, 481);
});

test('an unsupported method gets 405 with Allow', async () => {
  const callId = rand();
  client.send(buildRequest(client, { method: 'SUBSCRIBE', uri: uri(), callId, fromTag: rand(4), cseq: 1 }));
  const res = await client.waitFor(byCallId(callId));
  assert.equal(res.status, 405);
  assert.match(header(res, 'allow') ?? '', /BYE/);
});

test('CANCEL before the final answer gives 200 for the CANCEL and 487 for the INVITE; the session is released', async () => {
  // INVITE and CANCEL in one TCP segment: the CANCEL is framed while the INVITE is still being set up.
  const tcp = await SipTestClient.open('tcp', '127.0.0.1', app.sipPort);
  try {
    const callId = rand();
    const fromTag = rand(4);
    const branch = `z9hG4bK${rand()}`;
    const body = siprecSdp('PCMU', [20000, 20002]);
    const invite = buildRequest(tcp, { method: 'INVITE', uri: uri(), callId, fromTag, cseq: 1, branch, contentType: 'application/sdp', body });
    const cancel = buildRequest(tcp, { method: 'CANCEL', uri: uri(), callId, fromTag, cseq: 1, branch });
    tcp.send(invite + cancel);
    const cancelRes = await tcp.waitFor((r) => byCallId(callId)(r) && header(r, 'cseq') === '1 CANCEL');
    assert.equal(cancelRes.status, 200);
    const inviteRes = await tcp.waitFor((r) => byCallId(callId)(r) && header(r, 'cseq') === '1 INVITE');
    assert.equal(inviteRes.status, 487);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!tcp.received.some((r) => byCallId(callId)(r) && r.status === 200 && header(r, 'cseq') === '1 INVITE'), 'no 200 after the 487');
  } finally {
    tcp.close();
  }
});

test('a CANCEL that crosses the 200 OK has no effect: 200 for the CANCEL, the call goes on and ends with BYE', async () => {
  const callId = rand();
  const fromTag = rand(4);
  const branch = `z9hG4bK${rand()}`;
  client.send(buildRequest(client, { method: 'INVITE', uri: uri(), callId, fromTag, cseq: 1, branch, contentType: 'application/sdp', body: siprecSdp('PCMU', [20000, 20002]) }));
  const ok = await client.waitFor((r) => byCallId(callId)(r) && header(r, 'cseq') === '1 INVITE');
  assert.equal(ok.status, 200);
  client.send(buildRequest(client, { method: 'CANCEL', uri: uri(), callId, fromTag, cseq: 1, branch }));
  const cancelRes = await client.waitFor((r) => byCallId(callId)(r) && header(r, 'cseq') === '1 CANCEL');
  assert.equal(cancelRes.status, 200);
  const toTag = /tag=([^;\s]+)/.exec(header(ok, 'to') ?? '')![1]!;
  client.send(buildRequest(client, { method: 'ACK', uri: uri(), callId, fromTag, toTag, cseq: 1 }));
  client.send(buildRequest(client, { method: 'BYE', uri: uri(), callId, fromTag, toTag, cseq: 2 }));
  const bye = await client.waitFor((r) => byCallId(callId)(r) && header(r, 'cseq') === '2 BYE');
  assert.equal(bye.status, 200);
});
