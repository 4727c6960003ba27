// Capacity floors on a real, small filesystem: a 32 MB tmpfs mounted as the dataDir (tests run as
// root). Filling it crosses the major floor (alarm, calls still taken), then the critical floor
// (alarm critical, new INVITEs get 503 while the call in progress is recorded to its end);
// hysteresis holds the level near a floor; freeing space clears the alarm and calls come back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, statfsSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppliance, PortalClient, waitFor, type Appliance } from '../support/appliance.js';
import { SrcCall } from '../support/src-call.js';
import { rand } from '../support/sip-client.js';
import { multipart, rfcMetadata, siprecSdp } from '../support/siprec-call.js';
import { parseWav } from '../support/audio.js';
import type { ApiAlarm } from '../support/storage-checks.js';

const invite = (port: number, n: number) => {
  const boundary = `b${rand(4)}`;
  return SrcCall.invite({
    transport: 'udp',
    host: '127.0.0.1',
    port,
    headers: ['Require: siprec'],
    contentType: `multipart/mixed;boundary=${boundary}`,
    body: multipart(boundary, siprecSdp('PCMU', [41000, 41002]), rfcMetadata({ aor: `sip:+1555600${n}@x.test`, name: 'A', freq: 440 }, { aor: `sip:+1555610${n}@x.test`, name: 'B', freq: 1000 }, '1', '2')),
  });
};

/** Grows or shrinks a filler file so that `pct` percent of the filesystem at `dir` is free. */
function setFreePercent(dir: string, pct: number): void {
  const filler = join(dir, 'filler');
  const s = statfsSync(dir);
  const total = s.blocks * s.bsize;
  const free = s.bavail * s.bsize;
  let current = 0;
  try {
    current = statSync(filler).size;
  } catch {
    // none yet
  }
  const size = Math.max(0, current + free - Math.round((pct / 100) * total));
  // Grown by appending and shrunk by truncating: rewriting it would free everything for a moment,
  // and the monitor polling meanwhile would see an empty disk and leave its level.
  if (size >= current) appendFileSync(filler, Buffer.alloc(size - current, 1));
  else truncateSync(filler, size);
}

async function resourceAlarm(portal: PortalClient): Promise<ApiAlarm | undefined> {
  const alarms = await portal.json<{ items: ApiAlarm[] }>('/api/v1/alarms');
  return alarms.items.find((a) => a.name === 'RecordingResourceUnavailable' && a.source === 'sipvault/Recorder' && a.state === 'active');
}

const severityIs = (portal: PortalClient, severity: string) => async () => {
  const a = await resourceAlarm(portal);
  return a?.severity === severity ? a : null;
};

test('the data filesystem crossing the floors: major, then critical with 503, held by hysteresis, cleared when freed', async () => {
  const mnt = mkdtempSync(join(tmpdir(), 'sipvault-capacity-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mnt]);
  let app: Appliance | null = null;
  try {
    app = await startAppliance({
      dataDir: mnt,
      storage: { capacity: { majorFreePercent: 50, criticalFreePercent: 30, majorFreeMB: 0, criticalFreeMB: 0, hysteresisPercent: 5, checkIntervalSeconds: 0.2 } },
    });
    const portal = await PortalClient.login(app.portalUrl);
    assert.equal(await resourceAlarm(portal), undefined, 'an empty filesystem raises nothing');

    setFreePercent(mnt, 40);
    const major = await waitFor('RecordingResourceUnavailable major', severityIs(portal, 'major'), 10_000);
    assert.match(major.text, /^Data filesystem low: [\d.]+ MB \([\d.]+%\) free of [\d.]+ MB$/);

    // Major: calls are still taken. One starts now and goes on while the disk crosses critical.
    const inProgress = await invite(app.sipPort, 1);
    assert.equal(inProgress.final.status, 200, 'calls are taken below the major floor');
    const sending = inProgress.tones([{ mline: 0, freq: 440 }, { mline: 1, freq: 1000 }], 3000);
    setFreePercent(mnt, 20);
    const critical = await waitFor('RecordingResourceUnavailable critical', severityIs(portal, 'critical'), 10_000);
    assert.match(critical.text, /critically low: .*; new sessions refused$/);
    const refused = await invite(app.sipPort, 2);
    assert.equal(refused.final.status, 503, 'a new INVITE is refused at the critical floor');
    assert.match(refused.final.reason, /Storage Full/);
    refused.close();
    await sending;
    const bye = await inProgress.bye();
    assert.equal(bye.status, 200, 'the call in progress finished normally');
    inProgress.close();
    const it = await waitFor('the recording of the call in progress', async () => {
      const page = await portal.json<{ items: Array<{ id: string; status: string; releaseCause: string }> }>(`/api/v1/interactions?callId=${encodeURIComponent(inProgress.callId)}`);
      return page.items[0]?.status === 'available' ? page.items[0] : null;
    });
    assert.equal(it.releaseCause, 'Normal');
    const wav = parseWav(Buffer.from(await (await portal.fetch(`/api/v1/interactions/${it.id}/media?format=wav`)).arrayBuffer()));
    assert.ok(wav.durationSec > 2.5, `recorded to its end across the critical floor: ${wav.durationSec}s`);

    // Just above the critical floor but inside the hysteresis margin: still critical.
    setFreePercent(mnt, 32);
    await new Promise((r) => setTimeout(r, 1000));
    const held = await resourceAlarm(portal);
    assert.equal(held?.severity, 'critical', `held by hysteresis (30% floor + 5%): ${JSON.stringify(held)}`);
    const stillRefused = await invite(app.sipPort, 3);
    assert.equal(stillRefused.final.status, 503);
    stillRefused.close();

    // Past the margin: back to major, calls taken again.
    setFreePercent(mnt, 40);
    await waitFor('back to major', severityIs(portal, 'major'), 10_000);
    const taken = await invite(app.sipPort, 4);
    assert.equal(taken.final.status, 200, 'calls are taken again below critical');
    await taken.bye();
    taken.close();

    // Freed: cleared.
    unlinkSync(join(mnt, 'filler'));
    await waitFor('alarm cleared', async () => !(await resourceAlarm(portal)), 10_000);
    const alarms = await portal.json<{ items: ApiAlarm[] }>('/api/v1/alarms');
    assert.ok(alarms.items.some((a) => a.name === 'RecordingResourceUnavailable' && a.state === 'cleared'), 'listed as cleared');
  } finally {
    await app?.stop();
    execFileSync('umount', ['-l', mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});
