// The same SIPREC call placed by SIPp (Debian's sip-tester), over UDP and over TCP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startAppliance, PortalClient, type Appliance } from '../support/appliance.js';
import { parseWav } from '../support/audio.js';
import { checkStereoTones, recordedCall } from '../support/recording-checks.js';
import { hasSipp, runSipp } from '../support/sipp.js';

const CALL_MS = 3000;

let app: Appliance;
before(async () => {
  assert.ok(hasSipp, 'SIPp is not installed: run `npm test` as root (it installs sip-tester) or apt-get install sip-tester');
  app = await startAppliance();
});
after(async () => {
  await app?.stop();
});

for (const [transport, name] of [['u1', 'UDP'], ['t1', 'TCP']] as const) {
  test(`SIPp places a SIPREC call over ${name} and it is recorded`, async () => {
    const run = await runSipp({
      scenario: 'siprec-src.xml',
      transport,
      host: '127.0.0.1',
      port: app.sipPort,
      workDir: join(app.dataDir, 'sipp'),
      name: `siprec-src-${transport}`,
      replacements: { CALL_MS: String(CALL_MS), CALL_PAUSE_MS: String(CALL_MS + 200) },
    });
    assert.equal(run.exitCode, 0, run.describe());
    assert.ok(run.callId, 'Call-ID found in the SIPp message log');
    const portal = await PortalClient.login(app.portalUrl);
    const interaction = await recordedCall(portal, '+15557000', run.callId);
    assert.equal(interaction.calledParty, '+15558000');
    const res = await portal.fetch(`/api/v1/interactions/${interaction.id}/media?format=wav`);
    assert.equal(res.status, 200);
    // SIPp's pause starts with the RTP sender, so the session lasts the call plus a little.
    checkStereoTones(parseWav(Buffer.from(await res.arrayBuffer())), (CALL_MS + 200) / 1000, 440, 1000);
  });
}
