// Mid-call SIPREC flows placed by SIPp (Debian's sip-tester 3.6.1), each over UDP and over TCP,
// against one appliance; every recording is checked afterwards through the portal API.
// Scenarios: test/sipp/midcall-*.xml. The RTP is real-time, sent by dist/test/support/send-rtp.js
// processes that the scenarios start (440 Hz caller on the left, 1000 Hz callee on the right).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startAppliance, PortalClient, waitFor, type Appliance } from '../support/appliance.js';
import { dominantFrequency, parseWav, rms, type Wav } from '../support/audio.js';
import type { ApiInteraction } from '../support/recording-checks.js';
import { answeredPorts, findMessage, hasSipp, runSipp, type SippMessage, type SippRun } from '../support/sipp.js';

type Detail = ApiInteraction & {
  events: Array<{ kind: string; offsetMs: number }>;
  participants: Array<{ participantId: string; aor: string | null }>;
  files: Array<{ format: string; durationMs: number }>;
  releaseCause: string | null;
};

/** How long a fresh node process may take before its first RTP packet leaves. */
const SENDER_START_SEC = 0.4;

let app: Appliance;
let portal: PortalClient;
before(async () => {
  assert.ok(hasSipp, 'SIPp is not installed: run `npm test` as root (it installs sip-tester) or apt-get install sip-tester');
  app = await startAppliance();
  portal = await PortalClient.login(app.portalUrl);
});
after(async () => {
  await app?.stop();
});

let runs = 0;
async function sipp(scenario: string, transport: 'u1' | 't1', extraArgs: string[] = []): Promise<SippRun> {
  const run = await runSipp({
    scenario,
    transport,
    extraArgs,
    host: '127.0.0.1',
    port: app.sipPort,
    workDir: join(app.dataDir, 'sipp'),
    name: `${scenario.replace(/\.xml$/, '')}-${transport}-${++runs}`,
  });
  assert.equal(run.exitCode, 0, run.describe());
  assert.ok(run.callId, `Call-ID in the SIPp trace\n${run.describe()}`);
  return run;
}

async function interactions(callId: string): Promise<Detail[]> {
  return (await portal.json<{ items: Detail[] }>(`/api/v1/interactions?callId=${encodeURIComponent(callId)}`)).items;
}

async function recorded(callId: string): Promise<Detail> {
  return waitFor(`interaction ${callId} available`, async () => {
    const it = (await interactions(callId))[0];
    return it?.status === 'available' ? it : null;
  });
}

async function wavOf(id: string): Promise<Wav> {
  const res = await portal.fetch(`/api/v1/interactions/${id}/media?format=wav`);
  assert.equal(res.status, 200);
  return parseWav(Buffer.from(await res.arrayBuffer()));
}

// --- reading the SIPp trace ---------------------------------------------------------------------

const sent = (method: string, cseq: string) => (m: SippMessage) => m.direction === 'sent' && m.method === method && m.cseq === cseq;
const answer = (status: number, cseq: string) => (m: SippMessage) => m.direction === 'received' && m.status === status && m.cseq === cseq;

/** Seconds from the (first) INVITE SIPp sent: the recording starts when the recorder gets it. */
function offset(run: SippRun, m: SippMessage): number {
  return (m.at - findMessage(run, 'INVITE', sent('INVITE', '1 INVITE')).at) / 1000;
}

// --- checks on the recording --------------------------------------------------------------------

/**
 * One continuous recording: a single WAV (stereo, 8 kHz) as long as the session (INVITE to BYE as
 * SIPp sent them) within 0.3 s, and in every talking segment [from, to] (seconds from the INVITE)
 * the caller's 440 Hz on the left and the callee's 1000 Hz on the right.
 */
async function checkContinuous(run: SippRun, it: Detail, segments: Array<[number, number]>): Promise<Wav> {
  assert.equal(it.files.filter((f) => f.format === 'wav').length, 1, 'one WAV recording');
  const wav = await wavOf(it.id);
  assert.equal(wav.channels, 2);
  assert.equal(wav.sampleRate, 8000);
  const session = offset(run, findMessage(run, 'BYE', (m) => m.direction === 'sent' && m.method === 'BYE'));
  assert.ok(Math.abs(wav.durationSec - session) <= 0.3, `WAV ${wav.durationSec}s vs session ${session.toFixed(3)}s`);
  assert.ok(Math.abs(wav.durationSec - it.durationMs / 1000) <= 0.3, `WAV ${wav.durationSec}s vs durationMs ${it.durationMs}`);
  for (const [from, to] of segments) {
    // SIPp's RTP player starts a little after the ACK, later still on a loaded machine: the window
    // analysed begins where both sides are heard in the segment (never before it starts).
    const onset = firstLoud(wav, from, to);
    assert.ok(onset !== null && to - onset >= 0.2, `talking segment ${from.toFixed(2)}..${to.toFixed(2)}s: both sides heard for at least 0.2 s (from ${onset?.toFixed(2)}s)`);
    const start = onset + 0.02;
    const end = Math.min(to, start + 0.5);
    const window = (ch: number) => wav.samples[ch]!.subarray(Math.round(start * 8000), Math.round(end * 8000));
    const at = `${start.toFixed(2)}..${end.toFixed(2)}s`;
    assert.equal(dominantFrequency(window(0), 8000), 440, `caller tone on the left at ${at}`);
    assert.equal(dominantFrequency(window(1), 8000), 1000, `callee tone on the right at ${at}`);
    assert.ok(rms(window(0)) > 1000 && rms(window(1)) > 1000, `both channels carry audio at ${at}`);
  }
  return wav;
}

/** Seconds at which both channels are first loud within [from, to), or null. */
function firstLoud(wav: Wav, from: number, to: number): number | null {
  const [left, right] = [wav.samples[0]!, wav.samples[1]!];
  for (let i = Math.round(from * 8000); i < Math.min(Math.round(to * 8000), left.length); i++) {
    if (Math.abs(left[i]!) > 1000 && Math.abs(right[i]!) > 1000) return i / 8000;
  }
  return null;
}

/** Every RTP packet sent is counted on its stream, none lost (loopback). */
function checkPacketCounts(it: Detail, perStream: number): void {
  for (const s of it.streams) {
    assert.ok(Math.abs(s.packets - perStream) <= 3, `stream ${s.label}: ${s.packets} packets counted, ${perStream} sent`);
    assert.equal(s.lost, 0, `stream ${s.label}: lost`);
  }
}

// --- the scenarios ------------------------------------------------------------------------------

const TRANSPORTS = [['u1', 'UDP'], ['t1', 'TCP']] as const;

describe('SIPp mid-call scenarios', { concurrency: 3 }, () => {
  for (const [transport, name] of TRANSPORTS) {
    test(`re-INVITE moving the SRC ports mid-call keeps one continuous recording (${name})`, async () => {
      const run = await sipp('midcall-reinvite-ports.xml', transport);
      const ok1 = findMessage(run, '200 to the INVITE', answer(200, '1 INVITE'));
      const ok2 = findMessage(run, '200 to the re-INVITE', answer(200, '2 INVITE'));
      assert.deepEqual(answeredPorts(ok2.body), answeredPorts(ok1.body), 'the recorder keeps its ports for the moved streams');
      assert.equal(run.rtp.pids().length, 2, 'the second half was sent by a new RTP sender (new source ports, new SSRCs)');
      const ack1 = offset(run, findMessage(run, 'ACK', sent('ACK', '1 ACK')));
      const reinvite = offset(run, findMessage(run, 're-INVITE', sent('INVITE', '2 INVITE')));
      const ack2 = offset(run, findMessage(run, 'second ACK', sent('ACK', '2 ACK')));
      const it = await recorded(run.callId);
      assert.equal(it.streams.length, 2, 'the same two streams, no new ones');
      await checkContinuous(run, it, [
        [ack1 + SENDER_START_SEC, Math.min(reinvite, ack1 + 1.5)],
        [ack2 + SENDER_START_SEC, ack2 + 1.5],
      ]);
      // A new sender (new SSRC, new sequence numbers) adds to the stream's counts, with no phantom loss.
      checkPacketCounts(it, 150);
    });

    test(`pause (a=inactive) and resume by re-INVITE: events, silence while paused (${name})`, async () => {
      const run = await sipp('midcall-pause-resume.xml', transport);
      const paused = findMessage(run, '200 to the pause', answer(200, '2 INVITE'));
      assert.equal([...paused.body.matchAll(/^a=inactive/gm)].length, 2, 'both m-lines answered inactive');
      const ack1 = offset(run, findMessage(run, 'ACK', sent('ACK', '1 ACK')));
      const pauseAt = offset(run, findMessage(run, 'pause re-INVITE', sent('INVITE', '2 INVITE')));
      const resumeAt = offset(run, findMessage(run, 'resume re-INVITE', sent('INVITE', '3 INVITE')));
      const ack3 = offset(run, findMessage(run, 'ACK of the resume', sent('ACK', '3 ACK')));
      const it = await recorded(run.callId);
      const marks = it.events.filter((e) => e.kind === 'pause' || e.kind === 'resume');
      assert.deepEqual(marks.map((e) => e.kind), ['pause', 'resume']);
      assert.ok(Math.abs(marks[0]!.offsetMs / 1000 - pauseAt) < 0.3, `pause at ${marks[0]!.offsetMs} ms, re-INVITE sent at ${pauseAt.toFixed(3)} s`);
      assert.ok(Math.abs(marks[1]!.offsetMs / 1000 - resumeAt) < 0.3, `resume at ${marks[1]!.offsetMs} ms, re-INVITE sent at ${resumeAt.toFixed(3)} s`);
      const wav = await checkContinuous(run, it, [
        [ack1 + SENDER_START_SEC, pauseAt],
        [ack3 + SENDER_START_SEC, ack3 + 1],
      ]);
      const quiet = (ch: number) => wav.samples[ch]!.subarray(Math.round((pauseAt + 0.3) * 8000), Math.round((resumeAt - 0.05) * 8000));
      assert.ok(quiet(0).length >= 4000, 'a paused stretch to look at');
      assert.equal(rms(quiet(0)), 0, 'left channel silent while paused');
      assert.equal(rms(quiet(1)), 0, 'right channel silent while paused');
      checkPacketCounts(it, 30 + 50);
    });

    test(`metadata-only UPDATE mid-call: 200 without body, metadata versions kept (${name})`, async () => {
      const run = await sipp('midcall-metadata-update.xml', transport);
      const ok = findMessage(run, '200 to the UPDATE', answer(200, '2 UPDATE'));
      assert.equal(ok.headers.get('content-length'), '0');
      assert.equal(ok.headers.get('content-type'), undefined);
      assert.equal(ok.body, '');
      const ack = offset(run, findMessage(run, 'ACK', sent('ACK', '1 ACK')));
      const it = await recorded(run.callId);
      assert.ok(it.participants.some((p) => p.aor === 'sip:+15559000@sipp.example'), 'the partial update added the third participant');
      assert.ok(it.events.some((e) => e.kind === 'metadata'), 'metadata event');
      const versions = await portal.json<{ items: Array<{ method: string; dataMode: string | null }> }>(`/api/v1/interactions/${it.id}/metadata`);
      assert.deepEqual(versions.items.map((v) => [v.method, v.dataMode]), [['INVITE', 'complete'], ['UPDATE', 'partial']]);
      await checkContinuous(run, it, [[ack + SENDER_START_SEC, ack + 1.6]]);
      checkPacketCounts(it, 80);
    });

    test(`INVITE immediately CANCELled: 487 and a failed interaction, or answered and recorded (${name})`, async (t) => {
      const run = await sipp('midcall-cancel.xml', transport);
      findMessage(run, '200 to the CANCEL', answer(200, '1 CANCEL'));
      const finals = new Set(run.messages.filter((m) => m.direction === 'received' && m.cseq === '1 INVITE' && m.status! >= 200).map((m) => m.status));
      assert.equal(finals.size, 1, `one final response to the INVITE\n${run.describe()}`);
      const outcome = [...finals][0];
      t.diagnostic(`outcome over ${name}: ${outcome === 487 ? '487 after CANCEL' : '200 before the CANCEL was read, then ACK + BYE'}`);
      if (outcome === 487) {
        const ack = findMessage(run, 'ACK of the 487', sent('ACK', '1 ACK'));
        const invite = findMessage(run, 'INVITE', sent('INVITE', '1 INVITE'));
        assert.equal(ack.headers.get('via'), invite.headers.get('via'), 'the ACK of a non-2xx is in the INVITE transaction');
        assert.ok(!run.messages.some((m) => m.method === 'BYE'), 'no BYE for a cancelled session');
        const items = await waitFor('the cancelled interaction to be closed', async () => {
          const list = await interactions(run.callId);
          return list.length > 0 && list.every((i) => i.status !== 'recording' && i.status !== 'pending') ? list : null;
        });
        for (const i of items) {
          assert.equal(i.status, 'failed', 'a cancelled session is never available');
          assert.equal(i.releaseCause, 'Abandoned');
        }
      } else {
        assert.equal(outcome, 200, run.describe());
        const ack = offset(run, findMessage(run, 'ACK', sent('ACK', '1 ACK')));
        findMessage(run, '200 to the BYE', answer(200, '2 BYE'));
        const it = await recorded(run.callId);
        assert.equal((await interactions(run.callId)).length, 1);
        await checkContinuous(run, it, [[ack + SENDER_START_SEC, ack + 1]]);
        checkPacketCounts(it, 50);
      }
    });

    test(`retransmitted INVITE (same branch) makes one recording session (${name})`, async () => {
      // -nr: see the scenario's _unexp.main (no UDP retransmission detection by SIPp).
      const run = await sipp('midcall-invite-retransmit.xml', transport, ['-nr']);
      const invites = run.messages.filter(sent('INVITE', '1 INVITE'));
      assert.equal(invites.length, 2, 'the INVITE went out twice');
      assert.equal(invites[0]!.text, invites[1]!.text, 'byte for byte the same request');
      assert.ok(run.messages.filter(answer(200, '1 INVITE')).length >= 1);
      const ack = offset(run, findMessage(run, 'ACK', sent('ACK', '1 ACK')));
      const it = await recorded(run.callId);
      assert.equal((await interactions(run.callId)).length, 1, 'exactly one interaction for the Call-ID');
      assert.equal(it.streams.length, 2);
      await checkContinuous(run, it, [[ack + SENDER_START_SEC, ack + 1.5]]);
      checkPacketCounts(it, 75);
    });

    test(`session timer: Session-Expires granted, UPDATE and re-INVITE refreshes are events (${name})`, async () => {
      const run = await sipp('midcall-session-refresh.xml', transport);
      const ok1 = findMessage(run, '200 to the INVITE', answer(200, '1 INVITE'));
      assert.equal(ok1.headers.get('session-expires'), '90;refresher=uac');
      assert.match(ok1.headers.get('require') ?? '', /\btimer\b/);
      const okUpdate = findMessage(run, '200 to the UPDATE', answer(200, '2 UPDATE'));
      assert.equal(okUpdate.headers.get('session-expires'), '90;refresher=uac');
      assert.equal(okUpdate.body, '', 'a refresh UPDATE without offer gets no SDP');
      const okReinvite = findMessage(run, '200 to the re-INVITE', answer(200, '3 INVITE'));
      assert.equal(okReinvite.headers.get('session-expires'), '90;refresher=uac');
      assert.deepEqual(answeredPorts(okReinvite.body), answeredPorts(ok1.body), 'the refresh changes nothing in the media');
      const ack1 = offset(run, findMessage(run, 'ACK', sent('ACK', '1 ACK')));
      const update = offset(run, findMessage(run, 'UPDATE', sent('UPDATE', '2 UPDATE')));
      const updated = offset(run, okUpdate);
      const reinvite = offset(run, findMessage(run, 're-INVITE', sent('INVITE', '3 INVITE')));
      const ack3 = offset(run, findMessage(run, 'ACK of the re-INVITE', sent('ACK', '3 ACK')));
      const it = await recorded(run.callId);
      const refreshes = it.events.filter((e) => e.kind === 'refresh');
      assert.equal(refreshes.length, 2, 'two refresh events');
      assert.ok(Math.abs(refreshes[0]!.offsetMs / 1000 - update) < 0.3, `first refresh at ${refreshes[0]!.offsetMs} ms, UPDATE at ${update.toFixed(3)} s`);
      assert.ok(Math.abs(refreshes[1]!.offsetMs / 1000 - reinvite) < 0.3, `second refresh at ${refreshes[1]!.offsetMs} ms, re-INVITE at ${reinvite.toFixed(3)} s`);
      await checkContinuous(run, it, [
        // The sender may start after the UPDATE on a loaded machine: the first segment runs to the re-INVITE.
        [ack1 + SENDER_START_SEC, reinvite],
        [updated + 0.05, reinvite],
        [ack3 + 0.05, ack1 + 2.4],
      ]);
      checkPacketCounts(it, 120);
    });
  }
});
