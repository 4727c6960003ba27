// Recordings in an S3 bucket (MinIO, Ceph RGW, AWS ...) through the `minio` client. Errors are
// turned into StorageTargetError: an outage (connection refused, reset, timeout, 5xx) is
// `unreachable` and only queues uploads; a refusal names the config key that is wrong.
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Client, S3Error } from 'minio';
import { StorageTargetError, type ByteRange, type MediaTarget, type StoredObject } from './media-target.js';

export interface S3TargetConfig {
  name: string;
  endPoint: string;
  port: number;
  useSSL: boolean;
  accessKey: string;
  secretKey: string;
  bucket: string;
}

/** Socket inactivity after which a request counts as failed: a dead target must not hang an upload. */
const SOCKET_TIMEOUT_MS = 30_000;

const NOT_FOUND = new Set(['NotFound', 'NoSuchKey', 'NoSuchObject']);
const BAD_KEY = new Set(['InvalidAccessKeyId', 'AccountProblem']);
const BAD_SECRET = new Set(['SignatureDoesNotMatch']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/**
 * The minio client sets no timeout: a target that stops answering (half-open connection, network
 * black hole) would hang an upload, and the whole queue behind it, for good. Each socket of the
 * agent is destroyed after `ms` of silence, which fails its request with ETIMEDOUT.
 */
function withSocketTimeout<A extends Agent>(agent: A, ms: number): A {
  const a = agent as unknown as { createConnection: (...args: unknown[]) => Socket };
  const create = a.createConnection.bind(agent);
  a.createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    socket.setTimeout(ms, () => socket.destroy(Object.assign(new Error(`no answer from the storage target for ${ms} ms`), { code: 'ETIMEDOUT' })));
    return socket;
  };
  return agent;
}

export class S3MediaTarget implements MediaTarget {
  readonly name: string;
  private readonly client: Client;

  constructor(private readonly cfg: S3TargetConfig) {
    this.name = cfg.name;
    const agentOptions = { keepAlive: true };
    this.client = new Client({
      endPoint: cfg.endPoint,
      port: cfg.port,
      useSSL: cfg.useSSL,
      accessKey: cfg.accessKey,
      secretKey: cfg.secretKey,
      // A fixed region spares a GetBucketLocation round trip per request.
      region: 'us-east-1',
      pathStyle: true,
      // The forwarder retries with its own backoff and raises the alarm; the client must fail fast.
      retryOptions: { disableRetry: true },
      transportAgent: withSocketTimeout(cfg.useSSL ? new HttpsAgent(agentOptions) : new Agent(agentOptions), SOCKET_TIMEOUT_MS),
    });
  }

  get description(): string {
    return `s3 ${this.cfg.useSSL ? 'https' : 'http'}://${this.cfg.endPoint}:${this.cfg.port}/${this.cfg.bucket}`;
  }

  async prepare(): Promise<void> {
    const { bucket } = this.cfg;
    try {
      if (await this.client.bucketExists(bucket)) return;
      await this.client.makeBucket(bucket, 'us-east-1');
    } catch (err) {
      // Another recorder (or a retry) created it between the two calls.
      if (err instanceof S3Error && (err.code === 'BucketAlreadyOwnedByYou' || err.code === 'BucketAlreadyExists')) return;
      throw this.explain(err, `bucket ${bucket}`);
    }
  }

  async put(localPath: string, key: string): Promise<StoredObject> {
    try {
      await this.client.fPutObject(this.cfg.bucket, key, localPath, { 'Content-Type': key.endsWith('.mp3') ? 'audio/mpeg' : 'audio/wav' });
    } catch (err) {
      throw this.explain(err, key);
    }
    const stored = await this.stat(key);
    if (!stored) throw new StorageTargetError(`storage target ${this.name}: ${key} is missing right after its upload`, false);
    return stored;
  }

  async stat(key: string): Promise<StoredObject | null> {
    try {
      const s = await this.client.statObject(this.cfg.bucket, key);
      return { key, bytes: s.size };
    } catch (err) {
      if (err instanceof S3Error && NOT_FOUND.has(err.code ?? '')) return null;
      throw this.explain(err, key);
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    try {
      return range
        ? await this.client.getPartialObject(this.cfg.bucket, key, range.start, range.end - range.start + 1)
        : await this.client.getObject(this.cfg.bucket, key);
    } catch (err) {
      throw this.explain(err, key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.removeObject(this.cfg.bucket, key);
    } catch (err) {
      if (err instanceof S3Error && NOT_FOUND.has(err.code ?? '')) return;
      throw this.explain(err, key);
    }
  }

  /** Turns a client error into one that says what is wrong and which key to fix. */
  private explain(err: unknown, what: string): StorageTargetError {
    const { endPoint, port, bucket } = this.cfg;
    const where = `${endPoint}:${port}`;
    const e = err as NodeJS.ErrnoException & { code?: string };
    const code = e.code ?? '';
    if (err instanceof S3Error) {
      if (BAD_KEY.has(code)) return new StorageTargetError(`storage.target.accessKey: ${where} does not know this access key (${code})`, false, { cause: err });
      if (BAD_SECRET.has(code)) return new StorageTargetError(`storage.target.secretKey: ${where} rejected the request signature; the secret key is wrong (${code})`, false, { cause: err });
      if (code === 'AccessDenied') return new StorageTargetError(`storage.target.accessKey: access to bucket ${bucket} denied for this access key (${code})`, false, { cause: err });
      if (code === 'NoSuchBucket') return new StorageTargetError(`storage.target.bucket: bucket ${bucket} does not exist on ${where}`, false, { cause: err });
      if (code === 'InvalidBucketName') return new StorageTargetError(`storage.target.bucket: "${bucket}" is not a valid bucket name`, false, { cause: err });
      const status = (err as { amzRequestid?: string; statusCode?: number }).statusCode;
      return new StorageTargetError(`storage target ${this.name}: ${what}: ${code || 'S3 error'}: ${e.message}`, status === undefined || status >= 500, { cause: err });
    }
    if (NETWORK.has(code) || /socket hang up|timeout|ECONN/i.test(e.message ?? '')) {
      return new StorageTargetError(`storage.target.endPoint: cannot reach ${where} (${code || e.message})`, true, { cause: err });
    }
    return new StorageTargetError(`storage target ${this.name}: ${what}: ${e.message ?? String(err)}`, true, { cause: err });
  }
}
