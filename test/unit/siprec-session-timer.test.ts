// RFC 4028 §10 on the UAS side: a session the SRC stops refreshing is ended with our BYE at
// expiry - min(32, S/3). The real SIP stack and SIPREC server run on loopback; only the clock is
// simulated (S is at least 90 s), and only after set-up, so the wire exchange stays real.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRequest, header, rand, type SipResponseText } from '../support/sip-client.js';
import { startSiprecHarness } from '../support/siprec-harness.js';
import { siprecSdp } from '../support/siprec-call.js';

/** Polls with setImmediate (not setTimeout, which is simulated here) for a bounded real time. */
async function until<T>(what: string, probe: () => T | undefined, ms = 3000): Promise<T> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`no ${what} within ${ms} ms`);
}

test('an unrefreshed session is ended with our BYE at S - min(32, S/3); a refresh re-arms the timer', async (t) => {
  const h = await startSiprecHarness();
  const { client, port, closed } = h;
  t.after(async () => {
    t.mock.timers.reset();
    await h.stop();
  });
  const uri = `sip:srs@127.0.0.1:${port}`;
  const callId = rand();
  const fromTag = rand(4);
  const response = (cseq: string) => () => client.received.find((r: SipResponseText) => r.status >= 200 && header(r, 'cseq') === cseq);

  client.send(buildRequest(client, { method: 'INVITE', uri, callId, fromTag, cseq: 1, extraHeaders: [`Contact: <sip:sbc@127.0.0.1:${client.localPort};transport=udp>;+sip.src`, 'Session-Expires: 90', 'Supported: timer', 'Require: siprec'], contentType: 'application/sdp', body: siprecSdp('PCMU', [30000, 30002]) }));
  const ok = await until('200 to the INVITE', response('1 INVITE'));
  assert.equal(ok.status, 200);
  assert.equal(header(ok, 'session-expires'), '90;refresher=uac');
  const toTag = /tag=([^;\s]+)/.exec(header(ok, 'to') ?? '')![1]!;
  client.send(buildRequest(client, { method: 'ACK', uri, callId, fromTag, toTag, cseq: 1 }));

  t.mock.timers.enable({ apis: ['setTimeout'] });
  // A refresh (UPDATE without body) re-arms the timer under the simulated clock.
  client.send(buildRequest(client, { method: 'UPDATE', uri, callId, fromTag, toTag, cseq: 2, extraHeaders: ['Session-Expires: 90', 'Supported: timer'] }));
  assert.equal((await until('200 to the refresh', response('2 UPDATE'))).status, 200);

  t.mock.timers.tick(59_000); // 90 - min(32, 30) = 60 s: not yet
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(client.requests.length, 0, 'no BYE before expiry - 30 s');
  assert.deepEqual(closed, []);

  t.mock.timers.tick(1_500);
  const bye = await until('our BYE', () => client.requests.find((r) => r.method === 'BYE'));
  assert.equal(bye.headers.get('call-id')?.[0], callId);
  assert.match(bye.headers.get('to')?.[0] ?? '', new RegExp(`tag=${fromTag}`), 'To carries the SRC tag');
  assert.match(bye.headers.get('from')?.[0] ?? '', new RegExp(`tag=${toTag}`), 'From carries our tag');
  assert.equal(bye.uri, `sip:sbc@127.0.0.1:${client.localPort};transport=udp`, 'sent to the SRC Contact (remote target)');
  await until('the session closed', () => (closed.length ? closed : undefined));
  assert.deepEqual(closed, [['rs-1', 'session-expired']]);
});
