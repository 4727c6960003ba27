// Admission at the SIPREC layer: sip.trustedSources and sip.maxSessions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeAllowList } from '../../config/cidr.js';
import { buildRequest, header, rand } from '../support/sip-client.js';
import { siprecSdp } from '../support/siprec-call.js';
import { startSiprecHarness, type SiprecHarness } from '../support/siprec-harness.js';

function invite(h: SiprecHarness, callId = rand()) {
  h.client.send(
    buildRequest(h.client, { method: 'INVITE', uri: `sip:srs@127.0.0.1:${h.port}`, callId, fromTag: rand(4), cseq: 1, extraHeaders: ['Require: siprec'], contentType: 'application/sdp', body: siprecSdp('PCMU', [30000, 30002]) }),
  );
  return h.client.waitFor((r) => r.status >= 200 && header(r, 'call-id') === callId);
}

test('a source outside sip.trustedSources gets 403 with a reason, for every method, and opens nothing', async (t) => {
  const h = await startSiprecHarness({ isTrusted: makeAllowList(['10.0.0.0/8']) });
  t.after(() => h.stop());
  const res = await invite(h);
  assert.equal(res.status, 403);
  assert.match(res.reason, /trustedSources/);
  const callId = rand();
  h.client.send(buildRequest(h.client, { method: 'OPTIONS', uri: `sip:srs@127.0.0.1:${h.port}`, callId, fromTag: rand(4), cseq: 1 }));
  assert.equal((await h.client.waitFor((r) => header(r, 'call-id') === callId)).status, 403);
  assert.equal(h.opened, 0);
});

test('sip.maxSessions: the session over the limit gets 503 with Retry-After, so the SBC fails over', async (t) => {
  const h = await startSiprecHarness({ maxSessions: 2 });
  t.after(() => h.stop());
  assert.equal((await invite(h)).status, 200);
  assert.equal((await invite(h)).status, 200);
  const third = await invite(h);
  assert.equal(third.status, 503);
  assert.ok(Number(header(third, 'retry-after')) > 0);
  assert.equal(h.opened, 2);
});
