// A bounded pool of ffmpeg processes. MP3 encoding is the only heavy work after a call; capping
// the processes (one per CPU by default) keeps a burst of call ends (a shift change, a restart's
// backlog) from starving the recorder's RTP receive, which must never drop a packet.
import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';

/** The pool was stopped before (or while) the job ran: not a failure of the job itself. */
export class FfmpegStopped extends Error {
  constructor() {
    super('ffmpeg pool stopped');
    this.name = 'FfmpegStopped';
  }
}

interface Job {
  args: string[];
  timeoutMs: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

// Background work: below the recorder's own priority, so the scheduler prefers RTP.
const FFMPEG_NICE = 10;
const STDERR_KEEP = 2000;

export class FfmpegPool {
  private readonly queue: Job[] = [];
  private readonly children = new Set<ChildProcess>();
  private stopped = false;

  constructor(
    readonly binary: string,
    readonly workers: number,
  ) {
    if (!(workers >= 1)) throw new Error(`ffmpeg pool needs at least one worker, got ${workers}`);
  }

  get running(): number {
    return this.children.size;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Runs `ffmpeg args` when a worker is free; rejects with ffmpeg's own message when it fails. */
  run(args: string[], timeoutMs: number): Promise<void> {
    if (this.stopped) return Promise.reject(new FfmpegStopped());
    return new Promise((resolve, reject) => {
      this.queue.push({ args, timeoutMs, resolve, reject });
      this.next();
    });
  }

  /** Drops queued jobs and terminates running ones; both reject with FfmpegStopped. */
  stop(): void {
    this.stopped = true;
    for (const job of this.queue.splice(0)) job.reject(new FfmpegStopped());
    for (const child of this.children) child.kill('SIGTERM');
  }

  private next(): void {
    while (!this.stopped && this.children.size < this.workers && this.queue.length > 0) {
      this.start(this.queue.shift()!);
    }
  }

  private start(job: Job): void {
    const child = spawn(this.binary, job.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.children.add(child);
    if (child.pid !== undefined) {
      try {
        setPriority(child.pid, FFMPEG_NICE);
      } catch {
        // lowering is always allowed; the process may already have exited
      }
    }
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      stderr = (stderr + d).slice(-STDERR_KEEP);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, job.timeoutMs);
    let settled = false;
    const done = (err: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.children.delete(child);
      if (err) job.reject(err);
      else job.resolve();
      this.next();
    };
    child.once('error', (err) => done(new Error(`cannot run ${this.binary}: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) return done(null);
      if (this.stopped) return done(new FfmpegStopped());
      if (timedOut) return done(new Error(`ffmpeg timed out after ${Math.round(job.timeoutMs / 1000)} s`));
      const why = stderr.trim().split('\n').slice(-3).join(' | ') || 'no message';
      done(new Error(`ffmpeg exited with ${code !== null ? `code ${code}` : signal}: ${why}`));
    });
  }
}
