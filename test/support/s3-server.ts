// A real S3 endpoint for tests: s3rver in a child process (by PID) on a free port, over a temp
// directory that outlives a stop, so a restarted server still has every object.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'minio';
import { freePort } from './appliance.js';

const MAIN = fileURLToPath(new URL('./s3rver-main.js', import.meta.url));

/** s3rver's built-in account. */
export const S3RVER_KEY = 'S3RVER';

export class S3Server {
  private proc: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly directory: string,
  ) {}

  static async start(): Promise<S3Server> {
    const s = new S3Server(await freePort(), mkdtempSync(join(tmpdir(), 'sipvault-s3-')));
    await s.resume();
    return s;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** (Re)starts the server on the same port and directory. */
  async resume(): Promise<void> {
    const proc = spawn(process.execPath, [MAIN, String(this.port), this.directory], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`s3rver not ready: ${output}`)), 15_000);
      proc.stdout!.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited (${code}): ${output}`));
      });
    });
    this.proc = proc;
  }

  /** Stops it the hard way (an outage, not a shutdown). */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.directory, { recursive: true, force: true });
  }

  client(): Client {
    return new Client({ endPoint: '127.0.0.1', port: this.port, useSSL: false, accessKey: S3RVER_KEY, secretKey: S3RVER_KEY, region: 'us-east-1', pathStyle: true });
  }

  /** Every object in `bucket`: key -> size. */
  async list(bucket: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const stream = this.client().listObjectsV2(bucket, '', true);
    for await (const o of stream as AsyncIterable<{ name?: string; size: number }>) {
      if (o.name) {
        if (out.has(o.name)) throw new Error(`${o.name} listed twice`);
        out.set(o.name, o.size);
      }
    }
    return out;
  }
}

/** The storage.target of an appliance using `s3` (optionally through another port, e.g. a proxy). */
export function s3Target(s3: S3Server, bucket: string, port = s3.port) {
  return { type: 's3', name: 'S3Vault', endPoint: '127.0.0.1', port, useSSL: false, accessKey: S3RVER_KEY, secretKey: S3RVER_KEY, bucket };
}
