// End to end: after a call the appliance stores the WAV and then an MP3 made by ffmpeg; both are
// listed in the catalog with the SHA-256 of the bytes the API hands out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppliance, PortalClient, waitFor } from '../support/appliance.js';
import { placeSiprecCall } from '../support/siprec-call.js';
import { dominantFrequency, parseWav, rms } from '../support/audio.js';
import { recordedCall } from '../support/recording-checks.js';

interface ApiFile {
  format: 'wav' | 'mp3';
  bytes: number;
  sha256: string;
  sampleRate: number;
  channels: number;
  durationMs: number;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('every call gets an MP3 next to its WAV: stereo 32 kb/s, the same audio, listed with its SHA-256', async () => {
  const app = await startAppliance();
  const work = mkdtempSync(join(tmpdir(), 'sipvault-mp3-'));
  try {
    const call = await placeSiprecCall({
      transport: 'udp',
      host: '127.0.0.1',
      port: app.sipPort,
      caller: { aor: 'sip:+15558100@sbc.example.com', name: 'Mona', freq: 440 },
      callee: { aor: 'sip:+15558200@pbx.example.com', name: 'Pete', freq: 1000 },
      durationMs: 3000,
    });
    assert.equal(call.byeStatus, 200);
    const portal = await PortalClient.login(app.portalUrl);
    const { id } = await recordedCall(portal, '+15558100', call.callId);
    const it = await waitFor('the MP3 in the catalog', async () => {
      const detail = await portal.json<{ files: ApiFile[] }>(`/api/v1/interactions/${id}`);
      return detail.files.some((f) => f.format === 'mp3') ? detail : null;
    });
    assert.deepEqual(it.files.map((f) => f.format), ['mp3', 'wav']);

    const download = async (format: 'wav' | 'mp3') => {
      const res = await portal.fetch(`/api/v1/interactions/${id}/media?format=${format}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), format === 'mp3' ? 'audio/mpeg' : 'audio/wav');
      return Buffer.from(await res.arrayBuffer());
    };
    const wavBytes = await download('wav');
    const mp3Bytes = await download('mp3');
    for (const [format, bytes] of [['wav', wavBytes], ['mp3', mp3Bytes]] as const) {
      const listed = it.files.find((f) => f.format === format)!;
      assert.equal(listed.sha256, sha256(bytes), `${format}: catalog SHA-256 = SHA-256 of the download`);
      assert.equal(listed.bytes, bytes.length);
      assert.equal(listed.channels, 2);
    }

    const mp3Path = join(work, 'call.mp3');
    writeFileSync(mp3Path, mp3Bytes);
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,channels,bit_rate', '-of', 'json', mp3Path], { encoding: 'utf8' }),
    ) as { streams: Array<Record<string, unknown>> };
    assert.deepEqual(probe.streams[0], { codec_name: 'mp3', channels: 2, bit_rate: '32000' });

    // Decoded again it is the recording: same length within 0.3 s, caller LEFT, callee RIGHT.
    execFileSync('ffmpeg', ['-v', 'error', '-i', mp3Path, '-c:a', 'pcm_s16le', '-ar', '8000', join(work, 'decoded.wav')]);
    const decoded = parseWav(readFileSync(join(work, 'decoded.wav')));
    const wav = parseWav(wavBytes);
    assert.equal(decoded.channels, 2);
    assert.ok(Math.abs(decoded.durationSec - wav.durationSec) <= 0.3, `MP3 ${decoded.durationSec}s vs WAV ${wav.durationSec}s`);
    assert.ok(Math.abs(decoded.durationSec - 3) <= 0.3, `MP3 ${decoded.durationSec}s vs a 3 s call`);
    const mid = Math.floor(decoded.samples[0]!.length / 2);
    const window = (ch: number) => decoded.samples[ch]!.subarray(mid - 4000, mid + 4000);
    assert.equal(dominantFrequency(window(0), 8000), 440, 'left channel = calling party');
    assert.equal(dominantFrequency(window(1), 8000), 1000, 'right channel = called party');
    assert.ok(rms(window(0)) > 1000 && rms(window(1)) > 1000, 'both channels carry audio');
  } finally {
    rmSync(work, { recursive: true, force: true });
    await app.stop();
  }
});
