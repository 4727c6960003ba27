// Resource trouble mid-call: the spool filesystem fills up. The recorder must keep the audio it
// wrote, hang up on the SRC with a BYE (so the SBC knows), raise RecordingResourceUnavailable,
// and refuse new calls with 503 while the disk stays full. The full disk is a real one: a 64 KB
// tmpfs mounted over the spool directory (tests run as root, as `npm test` documents).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startAppliance, PortalClient, waitFor } from '../support/appliance.js';
import { SrcCall } from '../support/src-call.js';
import { rand } from '../support/sip-client.js';
import { multipart, rfcMetadata, siprecSdp } from '../support/siprec-call.js';
import { dominantFrequency, parseWav } from '../support/audio.js';

const invite = (port: number) => {
  const boundary = `b${rand(4)}`;
  return SrcCall.invite({
    transport: 'tcp',
    host: '127.0.0.1',
    port,
    headers: ['Require: siprec'],
    contentType: `multipart/mixed;boundary=${boundary}`,
    body: multipart(boundary, siprecSdp('PCMU', [41000, 41002]), rfcMetadata({ aor: 'sip:+15557101@x.test', name: 'A', freq: 440 }, { aor: 'sip:+15557102@x.test', name: 'B', freq: 1000 }, '1', '2')),
  });
};

test('a full spool: our BYE, the audio so far kept, RecordingResourceUnavailable raised, new calls 503', async () => {
  // The capacity floors would refuse the call before the disk fills (see storage-capacity.test.ts);
  // here the disk fills under a call in progress, so they are off.
  const app = await startAppliance({ storage: { capacity: { majorFreePercent: 0, criticalFreePercent: 0, majorFreeMB: 0, criticalFreeMB: 0 } } });
  const spool = join(app.dataDir, 'spool');
  let mounted = false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', spool]);
    mounted = true;
    const call = await invite(app.sipPort);
    try {
      assert.equal(call.final.status, 200);
      const sending = call.tones([{ mline: 0, freq: 440 }, { mline: 1, freq: 1000 }], 5000);
      // 64 KB hold about 2 s of 8 kHz stereo PCM: then the recorder gives up on this call.
      const bye = await waitFor('the recorder BYE', async () => call.client.requests.find((r) => r.method === 'BYE') ?? null, 6000);
      assert.equal(bye.headers.get('call-id')?.[0], call.callId);
      await sending;
    } finally {
      call.close();
    }
    const portal = await PortalClient.login(app.portalUrl);
    const alarms = await portal.json<{ items: Array<{ name: string; source: string; state: string; severity: string; text: string }> }>('/api/v1/alarms');
    const alarm = alarms.items.find((a) => a.name === 'RecordingResourceUnavailable' && a.state === 'active');
    assert.ok(alarm, `alarm raised: ${JSON.stringify(alarms.items)}`);
    assert.equal(alarm.source, 'sipvault/Recorder');
    assert.match(alarm.text, /ENOSPC/);

    const it = await waitFor('the partial recording', async () => {
      const page = await portal.json<{ items: Array<{ id: string; status: string; releaseCause: string; durationMs: number }> }>(`/api/v1/interactions?callId=${encodeURIComponent(call.callId)}`);
      return page.items[0]?.status === 'available' ? page.items[0] : null;
    });
    assert.equal(it.releaseCause, 'Failure');
    const wav = parseWav(Buffer.from(await (await portal.fetch(`/api/v1/interactions/${it.id}/media?format=wav`)).arrayBuffer()));
    assert.ok(wav.durationSec > 1 && wav.durationSec < 2.2, `the audio that fit: ${wav.durationSec}s`);
    const tail = wav.samples[0]!.subarray(wav.samples[0]!.length - 4000);
    assert.equal(dominantFrequency(tail, 8000), 440, 'the kept audio is real audio up to the end');

    // Storing the partial file moved it off the spool; fill the spool again: new calls are refused.
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(spool, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
    } catch {
      // dd stops with ENOSPC: that is the point
    }
    const refused = await invite(app.sipPort);
    assert.equal(refused.final.status, 503, 'no new call while nothing can be written');
    refused.close();
  } finally {
    if (mounted) execFileSync('umount', ['-l', spool]);
    await app.stop();
  }
});
