// One recording per SRC dialect: the answer each SRC depends on, and a recording with the right
// parties, deciding rule, correlation id and channel order.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAppliance, PortalClient, waitFor, type Appliance } from '../support/appliance.js';
import { SrcCall } from '../support/src-call.js';
import { header } from '../support/sip-client.js';
import { dominantFrequency, parseWav, rms } from '../support/audio.js';
import { DIALECTS, dialectBody } from '../fixtures/siprec/dialects.js';
import type { ApiInteraction } from '../support/recording-checks.js';

let app: Appliance;
let portal: PortalClient;
before(async () => {
  app = await startAppliance();
  portal = await PortalClient.login(app.portalUrl);
});
after(async () => {
  await app?.stop();
});

type Detail = ApiInteraction & { releaseCause: string | null; partyRule: string; correlationIds: Record<string, string>; events: Array<{ kind: string }> };

describe('SIPREC dialects', { concurrency: 4 }, () => {
  for (const d of DIALECTS) {
    test(d.name, async () => {
      const call = await SrcCall.invite({
        transport: 'tcp',
        host: '127.0.0.1',
        port: app.sipPort,
        headers: d.headers,
        ...(d.contactParams !== undefined ? { contactParams: d.contactParams } : {}),
        ...(d.contactUriParams !== undefined ? { contactUriParams: d.contactUriParams } : {}),
        contentType: `multipart/mixed;boundary=${d.boundary}`,
        body: dialectBody(d),
      });
      try {
        const res = call.final;
        assert.equal(res.status, 200, `${res.status} ${res.reason}`);
        // The answer every observed SRC accepts: one application/sdp body, m-lines mirrored.
        assert.equal(header(res, 'content-type'), 'application/sdp');
        assert.doesNotMatch(res.body, /--/);
        const mlines = [...res.body.matchAll(/^m=(\w+) (\d+) RTP\/AVP ([\d ]+)$/gm)];
        assert.equal(mlines.length, d.mlines.length);
        mlines.forEach((m, i) => {
          const offered = d.mlines[i]!;
          assert.equal(m[1], offered.media ?? 'audio', `m-line ${i} media`);
          if (d.expect.declined.includes(i)) assert.equal(m[2], '0', `m-line ${i} declined`);
          else {
            assert.notEqual(m[2], '0', `m-line ${i} accepted`);
            assert.equal(m[3], offered.telephoneEvent ? '0 101' : '0', `m-line ${i}: one codec (+ telephone-event)`);
          }
        });
        assert.deepEqual([...res.body.matchAll(/^a=label:(\S+)/gm)].map((m) => m[1]), d.mlines.map((m) => m.label));
        assert.equal([...res.body.matchAll(/^a=recvonly/gm)].length, d.mlines.length);
        assert.doesNotMatch(res.body, new RegExp(`^o=${d.origin.split(' ')[0]}`, 'm'), 'our own o= line');

        if (d.update) {
          const upd = await call.send('UPDATE', { contentType: 'application/rs-metadata+xml', body: d.update });
          assert.equal(upd.status, 200);
          assert.equal(upd.body, '', 'a metadata-only UPDATE is answered without a body');
        }
        await call.tones(d.mlines.map((m, i) => ({ mline: i, freq: m.freq })).filter((l) => l.freq > 0), 2000);
        assert.equal((await call.bye()).status, 200);
      } finally {
        call.close();
      }

      let last: unknown = null;
      const hit = await waitFor(
        `interaction of ${d.name}`,
        async () => {
          const page = await portal.json<{ items: Detail[] }>(`/api/v1/interactions?callId=${encodeURIComponent(call.callId)}`);
          last = page.items[0] ? { status: page.items[0].status, releaseCause: page.items[0].releaseCause, streams: page.items[0].streams } : 'no interaction';
          return page.items[0]?.status === 'available' ? page.items[0] : null;
        },
        20_000,
        () => last,
      );
      assert.equal(hit.callingParty, d.expect.callingParty);
      assert.equal(hit.calledParty, d.expect.calledParty);
      assert.equal(hit.partyRule, d.expect.rule);
      if (d.expect.correlationId) {
        const byCorr = await portal.json<{ items: Detail[] }>(`/api/v1/interactions?correlationId=${encodeURIComponent(d.expect.correlationId)}`);
        assert.deepEqual(byCorr.items.map((i) => i.id), [hit.id], 'findable by its correlation id');
      }
      const versions = await portal.json<{ items: Array<{ method: string; xml: string }> }>(`/api/v1/interactions/${hit.id}/metadata`);
      assert.deepEqual(versions.items.map((v) => v.method), d.update ? ['INVITE', 'UPDATE'] : ['INVITE']);
      assert.equal(versions.items[0]!.xml, d.metadata.replaceAll('\r\n', d.lineEnding ?? '\r\n'), 'raw metadata kept verbatim');

      const wav = parseWav(Buffer.from(await (await portal.fetch(`/api/v1/interactions/${hit.id}/media?format=wav`)).arrayBuffer()));
      assert.equal(wav.channels, 2);
      const mid = Math.floor(wav.samples[0]!.length / 2);
      const win = (c: number) => wav.samples[c]!.subarray(mid - 4000, mid + 4000);
      assert.ok(rms(win(0)) > 1000 && rms(win(1)) > 1000, 'both channels carry audio');
      assert.equal(dominantFrequency(win(0), 8000), d.expect.leftHz, 'LEFT = calling party');
      assert.equal(dominantFrequency(win(1), 8000), d.expect.rightHz, 'RIGHT = called party');
    });
  }
});
