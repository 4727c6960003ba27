// A few worker threads that fsync and SHA-256 finished recordings. At the end of a busy hour
// hundreds of calls end within seconds; hashing their WAVs on the event loop (a 5-minute stereo
// call is 9.6 MB, read twice: once to list it, once to verify the stored copy) held up the RTP
// of the calls still running. Here the jobs wait in order, at most `size` run at once, each in a
// thread of its own at a lower priority, and the event loop only posts and receives one message
// per file. Background jobs (checking a stored copy, an MP3) go only when no recording is waiting
// to be listed, so they never delay a call's `available`.
import { Worker } from 'node:worker_threads';

export interface HashRequest {
  id: number;
  path: string;
  /** fsync the file first: it must be durable before it counts as recorded. */
  sync: boolean;
}

export type HashReply = { id: number; sha256: string; bytes: number } | { id: number; error: { message: string; code?: string; path?: string } };

export interface FileDigest {
  sha256: string;
  bytes: number;
}

/** What the finalizer and the forwarder need; the pool below is the implementation. */
export interface DigestOptions {
  /** fsync the file first. */
  sync?: boolean;
  /** Taken only when no other job waits (nothing waits on it to list a recording). */
  background?: boolean;
}

export interface FileHasher {
  /** SHA-256 and size of the file, after an fsync when `sync` is set. */
  digest(path: string, opts?: DigestOptions): Promise<FileDigest>;
}

interface Job {
  req: HashRequest;
  resolve: (d: FileDigest) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

/** Worker threads by default: two, so one can wait on an fsync while the other hashes. */
export const DEFAULT_HASH_WORKERS = 2;

export class HashPoolClosed extends Error {
  override name = 'HashPoolClosed';
  constructor() {
    super('hash pool closed');
  }
}

export class HashPool implements FileHasher {
  private readonly queue: Job[] = [];
  private readonly background: Job[] = [];
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size = DEFAULT_HASH_WORKERS) {
    if (!(Number.isInteger(size) && size >= 1)) throw new Error(`hash pool needs at least one worker, got ${size}`);
  }

  /** Jobs waiting for a worker. */
  get queued(): number {
    return this.queue.length + this.background.length;
  }

  /** Jobs being hashed now (never more than `size`). */
  get running(): number {
    return this.slots.filter((s) => s.job).length;
  }

  digest(path: string, opts: DigestOptions = {}): Promise<FileDigest> {
    if (this.closed) return Promise.reject(new HashPoolClosed());
    return new Promise((resolve, reject) => {
      (opts.background ? this.background : this.queue).push({ req: { id: this.nextId++, path, sync: opts.sync === true }, resolve, reject });
      this.pump();
    });
  }

  /** Stops the workers; jobs still queued or running reject (their files stay where they are). */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.queue.splice(0), ...this.background.splice(0)]) job.reject(new HashPoolClosed());
    const slots = this.slots.splice(0);
    for (const s of slots) s.job?.reject(new HashPoolClosed());
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0 || this.background.length > 0) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const job = (this.queue.length > 0 ? this.queue : this.background).shift()!;
      slot.job = job;
      // Held while working, so a caller awaiting the digest keeps the process alive.
      slot.worker.ref();
      slot.worker.postMessage(job.req);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./hash-worker.js', import.meta.url));
    const slot: Slot = { worker, job: null };
    worker.on('message', (reply: HashReply) => {
      const job = slot.job;
      if (!job || job.req.id !== reply.id) return;
      slot.job = null;
      worker.unref();
      if ('error' in reply) job.reject(Object.assign(new Error(reply.error.message), reply.error));
      else job.resolve({ sha256: reply.sha256, bytes: reply.bytes });
      this.pump();
    });
    // A worker that dies takes only its own job with it; the next job gets a fresh one.
    const gone = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      this.slots.splice(i, 1);
      slot.job?.reject(err);
      slot.job = null;
      if (!this.closed) this.pump();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`hash worker exited with code ${code}`)));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }
}
