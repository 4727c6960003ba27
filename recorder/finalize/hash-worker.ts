// Runs in a worker thread of the HashPool: makes a file durable and hashes it, away from the
// recorder's event loop. Blocking calls are the point here: an fsync or a read only holds this
// thread, never the RTP path, and a single reused buffer keeps hundreds of megabytes of reads
// from turning into garbage for any heap to collect.
import { parentPort } from 'node:worker_threads';
import { closeSync, fstatSync, fsyncSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { getPriority, setPriority } from 'node:os';
import type { HashRequest, HashReply } from './hash-pool.js';

// Below the recorder's own priority, as ffmpeg is: on a busy core the scheduler prefers RTP.
// Set per job, because a renice of the whole process (the bench's --priority) also reaches us;
// only ever lowered (a recorder started at nice 15 keeps its threads there). Linux keeps a nice
// value per thread, so this leaves the event loop's alone.
const HASH_NICE = 10;
const buffer = Buffer.allocUnsafe(1 << 20);

function digest(req: HashRequest): HashReply {
  const fd = openSync(req.path, req.sync ? 'r+' : 'r');
  try {
    if (req.sync) fsyncSync(fd);
    const hash = createHash('sha256');
    let bytes = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, bytes);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      bytes += n;
    }
    // The size read is the size hashed; fstat only confirms nobody appended meanwhile.
    if (fstatSync(fd).size !== bytes) throw new Error(`${req.path} changed while it was hashed`);
    return { id: req.id, sha256: hash.digest('hex'), bytes };
  } finally {
    closeSync(fd);
  }
}

parentPort!.on('message', (req: HashRequest) => {
  try {
    const now = getPriority(0);
    if (now < HASH_NICE) setPriority(0, HASH_NICE);
  } catch {
    // Not allowed (or not Linux): hashing still works, only without the lower priority.
  }
  let reply: HashReply;
  try {
    reply = digest(req);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    reply = { id: req.id, error: { message: e.message, ...(e.code ? { code: e.code } : {}), ...(e.path ? { path: e.path } : {}) } };
  }
  parentPort!.postMessage(reply);
});
