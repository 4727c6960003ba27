// A SIPREC call over TLS (RFC 3261 §26 transport security between SBC and recorder), recorded
// like any other; and a TLS listener without its certificate is a start error naming the key.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startAppliance, freePort, PortalClient, waitFor, BIN, type Appliance } from '../support/appliance.js';
import { SrcCall } from '../support/src-call.js';
import { rand } from '../support/sip-client.js';
import { multipart, rfcMetadata, siprecSdp } from '../support/siprec-call.js';
import { parseWav } from '../support/audio.js';
import { checkStereoTones, type ApiInteraction } from '../support/recording-checks.js';
import { makePki } from '../support/sip-peers.js';

let app: Appliance | undefined;
after(async () => {
  await app?.stop();
});

test('a SIPREC call over TLS is recorded', async () => {
  const pki = makePki();
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-tls-'));
  try {
    writeFileSync(join(dir, 'srs.pem'), pki.server.cert);
    writeFileSync(join(dir, 'srs.key'), pki.server.key);
    const tlsPort = await freePort();
    const udp = await freePort();
    app = await startAppliance({
      sip: {
        listen: [`udp:127.0.0.1:${udp}`, `tls:127.0.0.1:${tlsPort}`],
        tls: { cert: join(dir, 'srs.pem'), key: join(dir, 'srs.key') },
      },
    });
    const boundary = `b${rand(4)}`;
    const call = await SrcCall.invite({
      transport: 'tls',
      ca: pki.ca,
      host: '127.0.0.1',
      port: tlsPort,
      headers: ['Require: siprec'],
      contentType: `multipart/mixed;boundary=${boundary}`,
      body: multipart(
        boundary,
        siprecSdp('PCMU', [40000, 40002]),
        rfcMetadata({ aor: 'sip:+15559001@tls.test', name: 'A', freq: 440 }, { aor: 'sip:+15559002@tls.test', name: 'B', freq: 1000 }, '1', '2'),
      ),
    });
    try {
      assert.equal(call.final.status, 200);
      assert.match(call.final.headers.get('contact')?.[0] ?? '', /transport=tls/);
      await call.tones([{ mline: 0, freq: 440 }, { mline: 1, freq: 1000 }], 1500);
      assert.equal((await call.bye()).status, 200);
    } finally {
      call.close();
    }
    const portal = await PortalClient.login(app.portalUrl);
    const it = await waitFor('the TLS call', async () => {
      const page = await portal.json<{ items: ApiInteraction[] }>(`/api/v1/interactions?callId=${encodeURIComponent(call.callId)}`);
      return page.items[0]?.status === 'available' ? page.items[0] : null;
    });
    assert.match((it as ApiInteraction & { src: string }).src, /^tls:127\.0\.0\.1:/);
    const wav = parseWav(Buffer.from(await (await portal.fetch(`/api/v1/interactions/${it.id}/media?format=wav`)).arrayBuffer()));
    checkStereoTones(wav, 1.5, 440, 1000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tls: listener whose certificate file is missing stops the recorder with the key named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-tls-bad-'));
  try {
    const cfg = join(dir, 'c.yaml');
    writeFileSync(cfg, stringify({ dataDir: join(dir, 'var'), sip: { listen: ['tls:127.0.0.1:0'], tls: { cert: join(dir, 'missing.pem'), key: join(dir, 'missing.key') } } }));
    const r = spawnSync(process.execPath, [BIN, 'recorder', '--config', cfg], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1);
    assert.match(r.stdout + r.stderr, /sip\.tls\.cert: cannot read .*missing\.pem: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
