import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { buildConfig, ConfigError, mp3Workers } from '../../config/loader.js';
import { makeAllowList } from '../../config/cidr.js';

test('built-in defaults are complete and resolve paths under dataDir', () => {
  const c = buildConfig({}, 'defaults', '/srv/x');
  assert.equal(c.dataDir, '/srv/x/var');
  assert.deepEqual(c.sip.listen, ['udp:0.0.0.0:5060', 'tcp:0.0.0.0:5060']);
  assert.equal(c.media.relay, 'direct');
  assert.equal(c.storage.target.type, 'local');
  assert.equal(c.storage.target.type === 'local' && c.storage.target.path, '/srv/x/var/media');
  assert.equal(c.portal.listen, '0.0.0.0:8080');
});

test('every problem is reported with its key', () => {
  try {
    buildConfig({ sip: { listen: ['tls:0.0.0.0:5061'], maxSessions: 0 }, media: { rtpPorts: '5000-4000' }, bogus: 1 }, 'test');
    assert.fail('should throw');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    assert.match(text, /bogus: unknown key/);
    assert.match(text, /sip\.maxSessions: must be >= 1/);
  }
  assert.throws(() => buildConfig({ sip: { listen: ['tls:0.0.0.0:5061'] } }, 't'), /sip\.listen\[0\]: a tls: listener needs sip\.tls\.cert/);
  assert.throws(() => buildConfig({ media: { rtpPorts: '5000-4000' } }, 't'), /media\.rtpPorts/);
  assert.throws(() => buildConfig({ storage: { target: { type: 'ftp' } } }, 't'), /storage\.target\.type: must be one of local, s3/);
  assert.throws(() => buildConfig([1, 2], 't'), /must be a mapping/);
});

test('media.mp3: on by default, one ffmpeg per CPU, 32 kb/s; a bitrate LAME cannot make names its key', () => {
  const c = buildConfig({}, 'defaults');
  assert.deepEqual(c.media.mp3, { enabled: true, workers: null, bitrateKbps: 32 });
  assert.equal(mp3Workers(c), availableParallelism());
  assert.equal(mp3Workers(buildConfig({ media: { mp3: { workers: 3 } } }, 't')), 3);
  assert.throws(() => buildConfig({ media: { mp3: { bitrateKbps: 33 } } }, 't'), /media\.mp3\.bitrateKbps: must be one of 8, 16, 24, 32/);
  assert.throws(() => buildConfig({ media: { mp3: { workers: 0 } } }, 't'), /media\.mp3\.workers/);
  assert.throws(() => buildConfig({ media: { mp3: { preset: 'fast' } } }, 't'), /media\.mp3\.preset: unknown key/);
});

test('trusted sources: CIDR allow-list over IPv4, IPv6 and v4-mapped addresses; empty allows any', () => {
  const allow = makeAllowList(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
  assert.ok(allow('10.1.2.3'));
  assert.ok(allow('::ffff:10.9.9.9'));
  assert.ok(allow('2001:db8::1'));
  assert.ok(allow('192.0.2.7'));
  assert.ok(!allow('192.0.2.8'));
  assert.ok(!allow('11.0.0.1'));
  assert.ok(makeAllowList([])('203.0.113.5'));
});

test('media.rtpengine: ng on loopback 22222 by default, 1 s command timeout, 5 s ping; bad values name their key', () => {
  const c = buildConfig({ media: { relay: 'rtpengine' } }, 't');
  assert.deepEqual(c.media.rtpengine, { ng: '127.0.0.1:22222', timeoutMs: 1000, pingSeconds: 5 });
  assert.throws(() => buildConfig({ media: { rtpengine: { ng: 'no-port' } } }, 't'), /media\.rtpengine\.ng/);
  assert.throws(() => buildConfig({ media: { rtpengine: { timeoutMs: 5 } } }, 't'), /media\.rtpengine\.timeoutMs: must be >= 100/);
  assert.throws(() => buildConfig({ media: { rtpengine: { pingSeconds: 0 } } }, 't'), /media\.rtpengine\.pingSeconds/);
});

test('media.noRtpSeconds: 10 by default; a whole number of seconds from 1, errors name the key', () => {
  assert.equal(buildConfig({}, 't').media.noRtpSeconds, 10);
  assert.equal(buildConfig({ media: { noRtpSeconds: 1 } }, 't').media.noRtpSeconds, 1);
  assert.throws(() => buildConfig({ media: { noRtpSeconds: 0 } }, 't'), /media\.noRtpSeconds: must be >= 1/);
  assert.throws(() => buildConfig({ media: { noRtpSeconds: 2.5 } }, 't'), /media\.noRtpSeconds: must be integer/);
  assert.throws(() => buildConfig({ media: { noRtpSeconds: 'ten' } }, 't'), /media\.noRtpSeconds/);
});
