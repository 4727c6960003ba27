// Capacity floors and their hysteresis (pure arithmetic), the storage config keys and how their
// errors name the key, and the HTTP Range arithmetic of playback from the spool or S3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfig } from '../../config/loader.js';
import { capacityLevel, type CapacityLevel, type CapacityLimits } from '../../storage/media/capacity-monitor.js';
import { byteRange } from '../../portal/api/media.js';

const MB = 1024 * 1024;
const limits: CapacityLimits = { majorFreePercent: 10, criticalFreePercent: 5, majorFreeMB: 0, criticalFreeMB: 0, hysteresisPercent: 2 };
const total = 1000 * MB;
const at = (freePct: number, current: CapacityLevel, l = limits) => capacityLevel({ totalBytes: total, freeBytes: (freePct / 100) * total }, l, current);

test('percent floors: ok, major, critical; leaving a level needs the hysteresis margin', () => {
  assert.equal(at(50, 'ok'), 'ok');
  assert.equal(at(10, 'ok'), 'ok', 'exactly at the floor is not below it');
  assert.equal(at(9.9, 'ok'), 'major');
  assert.equal(at(4.9, 'ok'), 'critical');
  assert.equal(at(4.9, 'major'), 'critical');
  // Going back up: critical until 5 + 2 %, major until 10 + 2 %.
  assert.equal(at(6, 'critical'), 'critical');
  assert.equal(at(7, 'critical'), 'major');
  assert.equal(at(11.9, 'major'), 'major');
  assert.equal(at(12, 'major'), 'ok');
  assert.equal(at(11, 'ok'), 'ok', 'the margin only holds a level, it does not raise one');
  assert.equal(at(13, 'critical'), 'ok', 'a big jump leaves both levels at once');
});

test('MB floors work alone or with percent floors (whichever is crossed first); 0 turns a limit off', () => {
  const mbOnly = { ...limits, majorFreePercent: 0, criticalFreePercent: 0, majorFreeMB: 200, criticalFreeMB: 100 };
  assert.equal(at(21, 'ok', mbOnly), 'ok');
  assert.equal(at(19.9, 'ok', mbOnly), 'major');
  assert.equal(at(9.9, 'ok', mbOnly), 'critical');
  assert.equal(at(11.9, 'critical', mbOnly), 'critical', 'held until 100 MB + 2 % of 1000 MB');
  assert.equal(at(12.1, 'critical', mbOnly), 'major');
  const both = { ...limits, majorFreeMB: 300, criticalFreeMB: 20 };
  assert.equal(at(25, 'ok', both), 'major', '250 MB free: above 10 % but under 300 MB');
  const off = { ...limits, majorFreePercent: 0, criticalFreePercent: 0 };
  assert.equal(at(0, 'ok', off), 'ok', 'every limit off: never raised');
});

test('storage config: defaults, and errors that name the key', () => {
  const c = buildConfig({}, 'defaults');
  assert.deepEqual(c.storage.capacity, { majorFreePercent: 10, criticalFreePercent: 5, majorFreeMB: 2048, criticalFreeMB: 1024, hysteresisPercent: 2, checkIntervalSeconds: 10 });
  assert.deepEqual(c.storage.upload, { retryInitialSeconds: 2, retryMaxSeconds: 60, probeIntervalSeconds: 60 });
  assert.throws(() => buildConfig({ storage: { capacity: { criticalFreePercent: 20 } } }, 't'), /storage\.capacity\.criticalFreePercent: 20 must not be above storage\.capacity\.majorFreePercent \(10\)/);
  assert.throws(() => buildConfig({ storage: { capacity: { majorFreeMB: 10 } } }, 't'), /storage\.capacity\.criticalFreeMB: 1024 must not be above storage\.capacity\.majorFreeMB \(10\)/);
  assert.throws(() => buildConfig({ storage: { capacity: { majorFreePercent: 101 } } }, 't'), /storage\.capacity\.majorFreePercent: must be <= 100/);
  assert.throws(() => buildConfig({ storage: { capacity: { checkIntervalSeconds: 0 } } }, 't'), /storage\.capacity\.checkIntervalSeconds: must be >= 0\.1/);
  assert.throws(() => buildConfig({ storage: { capacity: { floor: 1 } } }, 't'), /storage\.capacity\.floor: unknown key/);
  assert.throws(() => buildConfig({ storage: { upload: { retryInitialSeconds: 90 } } }, 't'), /storage\.upload\.retryInitialSeconds: 90 must not be above storage\.upload\.retryMaxSeconds \(60\)/);
  assert.throws(
    () => buildConfig({ storage: { target: { type: 's3', name: 'S3', endPoint: 'minio', port: 9000, accessKey: 'k', bucket: 'rec' } } }, 't'),
    /storage\.target: must have required property 'secretKey'/,
  );
  const s3 = buildConfig({ storage: { target: { type: 's3', name: 'S3', endPoint: 'minio', port: 9000, accessKey: 'k', secretKey: 's', bucket: 'rec' } } }, 't');
  assert.equal(s3.storage.target.type, 's3');
});

test('byteRange: one range of a file, clamped; suffix ranges; past the end is unsatisfiable', () => {
  assert.equal(byteRange(undefined, 1000), null);
  assert.equal(byteRange('items=0-10', 1000), null);
  assert.deepEqual(byteRange('bytes=0-99', 1000), { start: 0, end: 99 });
  assert.deepEqual(byteRange('bytes=900-', 1000), { start: 900, end: 999 });
  assert.deepEqual(byteRange('bytes=900-5000', 1000), { start: 900, end: 999 });
  assert.deepEqual(byteRange('bytes=-100', 1000), { start: 900, end: 999 });
  assert.deepEqual(byteRange('bytes=-5000', 1000), { start: 0, end: 999 });
  assert.deepEqual(byteRange('bytes=0-9, 20-29', 1000), { start: 0, end: 9 }, 'several ranges: the first');
  assert.equal(byteRange('bytes=1000-', 1000), 'unsatisfiable');
  assert.equal(byteRange('bytes=50-10', 1000), 'unsatisfiable');
  assert.equal(byteRange('bytes=-0', 1000), 'unsatisfiable');
});
