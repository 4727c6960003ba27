// The same SIPREC call placed by SIPp (Debian's sip-tester), over UDP and over TCP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAppliance, PortalClient, REPO, freePort, type Appliance } from '../support/appliance.js';
import { parseWav } from '../support/audio.js';
import { checkStereoTones, recordedCall } from '../support/recording-checks.js';

const CALL_MS = 3000;
const hasSipp = spawnSync('sipp', ['-v'], { encoding: 'utf8' }).error === undefined;

let app: Appliance;
before(async () => {
  assert.ok(hasSipp, 'SIPp is not installed: run `npm test` as root (it installs sip-tester) or apt-get install sip-tester');
  app = await startAppliance();
});
after(async () => {
  await app?.stop();
});

function scenario(dir: string): string {
  const rtp = `${process.execPath} ${join(REPO, 'dist/test/support/send-rtp.js')}`;
  const xml = readFileSync(join(REPO, 'test/sipp/siprec-src.xml'), 'utf8')
    .replaceAll('RTP_COMMAND', rtp)
    .replaceAll('CALL_MS', String(CALL_MS))
    .replaceAll('CALL_PAUSE_MS', String(CALL_MS + 200));
  const path = join(dir, 'siprec-src.xml');
  writeFileSync(path, xml);
  return path;
}

async function runSipp(transport: 'u1' | 't1'): Promise<string> {
  const localPort = await freePort();
  const callIdFile = join(app.dataDir, `sipp-${transport}.log`);
  const args = [
    `127.0.0.1:${app.sipPort}`, '-sf', scenario(app.dataDir), '-m', '1', '-t', transport,
    '-i', '127.0.0.1', '-p', String(localPort), '-mi', '127.0.0.1',
    '-timeout', '30', '-timeout_error', '-nostdin', '-message_file', callIdFile, '-trace_msg',
  ];
  const proc = spawn('sipp', args, { cwd: app.dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  const log = readFileSync(callIdFile, 'utf8');
  assert.equal(code, 0, `sipp failed (exit ${code}):\n${out.slice(-2000)}\n${log.slice(-3000)}`);
  const callId = /^Call-ID: (.+)$/m.exec(log)?.[1]?.trim();
  assert.ok(callId, 'Call-ID found in the SIPp message log');
  return callId;
}

for (const [transport, name] of [['u1', 'UDP'], ['t1', 'TCP']] as const) {
  test(`SIPp places a SIPREC call over ${name} and it is recorded`, async () => {
    const callId = await runSipp(transport);
    const portal = await PortalClient.login(app.portalUrl);
    const interaction = await recordedCall(portal, '+15557000', callId);
    assert.equal(interaction.calledParty, '+15558000');
    const res = await portal.fetch(`/api/v1/interactions/${interaction.id}/media?format=wav`);
    assert.equal(res.status, 200);
    // SIPp's pause starts with the RTP sender, so the session lasts the call plus a little.
    checkStereoTones(parseWav(Buffer.from(await res.arrayBuffer())), (CALL_MS + 200) / 1000, 440, 1000);
  });
}
