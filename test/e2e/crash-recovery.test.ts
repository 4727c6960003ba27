// A recorder killed mid-call (kill -9: no handler runs, nothing is flushed or closed) must not
// lose the call. The `sipvault start` supervisor restarts it; before it takes SIP traffic, the
// new recorder repairs the spool WAV and stores it as a partial recording holding the audio up
// to the kill.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startAppliance, PortalClient, waitFor } from '../support/appliance.js';
import { SrcCall } from '../support/src-call.js';
import { rand } from '../support/sip-client.js';
import { multipart, rfcMetadata, siprecSdp } from '../support/siprec-call.js';
import { dominantFrequency, parseWav, rms } from '../support/audio.js';
import { recorderPidOf } from '../support/processes.js';

interface ApiInteraction {
  id: string;
  status: string;
  partial: boolean;
  releaseCause: string | null;
  startTime: string;
  endTime: string | null;
  durationMs: number | null;
  files: Array<{ format: string; durationMs: number }>;
}

test('kill -9 of the recorder mid-call: its successor stores the audio up to the kill as a partial recording', async () => {
  const app = await startAppliance();
  try {
    const supervisor = app.process.pid!;
    const victim = recorderPidOf(supervisor);
    assert.ok(victim, 'the supervisor runs a recorder');
    const boundary = `b${rand(4)}`;
    const invitedAt = Date.now();
    const call = await SrcCall.invite({
      transport: 'udp',
      host: '127.0.0.1',
      port: app.sipPort,
      headers: ['Require: siprec'],
      contentType: `multipart/mixed;boundary=${boundary}`,
      body: multipart(
        boundary,
        siprecSdp('PCMU', [41000, 41002]),
        rfcMetadata({ aor: 'sip:+15559100@x.test', name: 'A', freq: 440 }, { aor: 'sip:+15559200@x.test', name: 'B', freq: 1000 }, '1', '2'),
      ),
    });
    let killedAt = 0;
    try {
      assert.equal(call.final.status, 200);
      // 3 s of tones; the recorder dies after 2 s, and the SRC, not knowing, sends 1 s more.
      const sending = call.tones([{ mline: 0, freq: 440 }, { mline: 1, freq: 1000 }], 3000);
      await new Promise((r) => setTimeout(r, 2000));
      process.kill(victim, 'SIGKILL');
      killedAt = Date.now();
      await sending;
    } finally {
      call.close();
    }

    const portal = await PortalClient.login(app.portalUrl);
    const it = await waitFor(
      'the recovered recording',
      async () => {
        const page = await portal.json<{ items: ApiInteraction[] }>(`/api/v1/interactions?callId=${encodeURIComponent(call.callId)}`);
        return page.items[0]?.status === 'available' ? page.items[0] : null;
      },
      20_000,
    );
    const successor = recorderPidOf(supervisor);
    assert.ok(successor && successor !== victim, 'a new recorder process did the recovery');
    assert.equal(it.partial, true);
    assert.equal(it.releaseCause, 'Failure');

    const res = await portal.fetch(`/api/v1/interactions/${it.id}/media?format=wav`);
    assert.equal(res.status, 200);
    const wav = parseWav(Buffer.from(await res.arrayBuffer()));
    assert.equal(wav.channels, 2);
    assert.equal(wav.sampleRate, 8000);
    // Everything up to the kill, less what was still in memory (jitter window + one batch period).
    const upToKill = (killedAt - invitedAt) / 1000;
    assert.ok(wav.durationSec <= upToKill && wav.durationSec >= upToKill - 1, `WAV ${wav.durationSec}s, recorder killed ${upToKill}s into the call`);
    // endTime = start + the audio on disk.
    assert.equal(it.durationMs, Math.round(wav.durationSec * 1000));
    assert.equal(Date.parse(it.endTime!) - Date.parse(it.startTime), it.durationMs);
    // Real audio on both channels right up to the end of the file, not a zero-filled tail.
    for (const [ch, freq] of [[0, 440], [1, 1000]] as const) {
      const tail = wav.samples[ch]!.subarray(wav.samples[ch]!.length - 2000);
      assert.equal(dominantFrequency(tail, 8000), freq, `channel ${ch} tone in the last 250 ms`);
      assert.ok(rms(tail) > 1000, `channel ${ch} carries audio at its end`);
    }

    // The MP3 follows, and nothing is left in the spool.
    await waitFor('the MP3 of the recovered recording', async () => {
      const detail = await portal.json<ApiInteraction>(`/api/v1/interactions/${it.id}`);
      return detail.files.some((f) => f.format === 'mp3') ? detail : null;
    });
    assert.deepEqual(readdirSync(join(app.dataDir, 'spool')).filter((f) => f.endsWith('.wav')), []);
    assert.deepEqual(readdirSync(join(app.dataDir, 'spool', 'mp3-queue')), []);
  } finally {
    await app.stop();
  }
});
