// Shared checks on recordings fetched through the portal API.
import assert from 'node:assert/strict';
import { dominantFrequency, parseWav, rms, type Wav } from './audio.js';
import { waitFor, type PortalClient } from './appliance.js';

export interface ApiInteraction {
  id: string;
  callId: string;
  status: string;
  callingParty: string;
  calledParty: string;
  durationMs: number;
  streams: Array<{ label: string; codec: string; packets: number; lost: number; channel: number; participantId: string | null }>;
}

/** Polls the interaction list (filtered by party) until the call is `available`. */
export function recordedCall(portal: PortalClient, party: string, callId: string, timeoutMs = 10_000): Promise<ApiInteraction> {
  return waitFor(
    `interaction ${callId} available`,
    async () => {
      const page = await portal.json<{ items: ApiInteraction[] }>(`/api/v1/interactions?party=${encodeURIComponent(party)}`);
      const hit = page.items.find((i) => i.callId === callId);
      return hit?.status === 'available' ? hit : null;
    },
    timeoutMs,
  );
}

/** 2 channels, 8 kHz, 16-bit, duration within 0.2 s, and each channel's dominant tone. */
export function checkStereoTones(wav: Wav, expectedSec: number, leftHz: number, rightHz: number): void {
  assert.equal(wav.format, 1, 'PCM');
  assert.equal(wav.channels, 2);
  assert.equal(wav.sampleRate, 8000);
  assert.equal(wav.bitsPerSample, 16);
  assert.ok(Math.abs(wav.durationSec - expectedSec) <= 0.2, `duration ${wav.durationSec}s should be within 0.2s of ${expectedSec}s`);
  // Analyse the middle second, away from the edges where one leg may start a packet later.
  const mid = Math.floor(wav.samples[0]!.length / 2);
  const window = (ch: number) => wav.samples[ch]!.subarray(mid - 4000, mid + 4000);
  assert.equal(dominantFrequency(window(0), 8000), leftHz, 'left channel = calling party');
  assert.equal(dominantFrequency(window(1), 8000), rightHz, 'right channel = called party');
  assert.ok(rms(window(0)) > 1000 && rms(window(1)) > 1000, 'both channels carry audio');
}

/** Waits until the call with SIP Call-ID `callId` is `available`, then fetches its WAV. */
export async function storedRecording<T extends { id: string; status: string }>(portal: PortalClient, callId: string, timeoutMs = 20_000): Promise<{ it: T; wav: Wav }> {
  const it = await waitFor(
    `interaction ${callId}`,
    async () => {
      const page = await portal.json<{ items: T[] }>(`/api/v1/interactions?callId=${encodeURIComponent(callId)}`);
      return page.items[0]?.status === 'available' ? page.items[0] : null;
    },
    timeoutMs,
  );
  const wav = parseWav(Buffer.from(await (await portal.fetch(`/api/v1/interactions/${it.id}/media?format=wav`)).arrayBuffer()));
  return { it, wav };
}
