import type { Server, Socket } from 'node:net';
import type { Logger } from 'pino';
import { WarnLimiter } from '../warn-limiter.js';
import { hostPort, peerKey } from './address.js';
import type { ConnectionBudget } from './connection-budget.js';
import type { ListenEntry } from './listen-entry.js';
import { StreamConnection } from './stream-connection.js';
import type { BoundAddress, Destination, Flow, MessageSink, SipSource, Transport } from './transport.js';

/** What differs between TCP and TLS: how servers and client sockets are made, and who may stay. */
export interface StreamFlavor {
  readonly protocol: 'tcp' | 'tls';
  /** A server that is not listening yet. Its `readyEvent` delivers sockets ready to carry SIP. */
  createServer(): Server;
  readonly readyEvent: 'connection' | 'secureConnection';
  /** Policy on an accepted, ready socket: null to keep it, else why it is refused. */
  admit(socket: Socket): string | null;
  /** Starts a client connection; `readyEvent` fires once it can carry SIP. */
  connect(destination: Destination): { socket: Socket; readyEvent: 'connect' | 'secureConnect' };
}

export interface StreamTransportOptions {
  entry: ListenEntry;
  logger: Logger;
  maxMessageBytes: number;
  idleMs: number;
  /** How long opening a connection for a request of ours may take. */
  connectTimeoutMs: number;
  onMessage: MessageSink;
  /** Shared by every stream transport of the stack. */
  budget: ConnectionBudget;
}

/**
 * A listening stream transport (RFC 3261 §18.3): accepts connections within the shared budget,
 * frames each with a StreamConnection, and keeps them by peer address:port so that requests of
 * ours reuse the peer's connection (SIPREC SBCs expect in-dialog requests on it).
 */
export class StreamTransport implements Transport {
  private server: Server | null = null;
  private bound: BoundAddress | null = null;
  private stopping = false;
  private readonly connections = new Set<StreamConnection>();
  private readonly byPeer = new Map<string, StreamConnection>();
  private readonly connecting = new Map<string, Promise<StreamConnection>>();
  private readonly refusals: WarnLimiter;

  constructor(
    private readonly flavor: StreamFlavor,
    private readonly opts: StreamTransportOptions,
  ) {
    this.refusals = new WarnLimiter(opts.logger);
  }

  get protocol(): 'tcp' | 'tls' {
    return this.flavor.protocol;
  }

  start(): Promise<void> {
    const { entry, logger } = this.opts;
    const server = this.flavor.createServer();
    // Before any TLS work: over the cap a connection costs an accept and a close, nothing more.
    server.prependListener('connection', (raw: Socket) => this.gate(raw));
    server.on(this.flavor.readyEvent, (socket: Socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`Cannot listen on SIP entry "${entry.text}": ${err.message}`)));
      server.listen({ host: entry.host, port: entry.port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => logger.warn({ err, entry: entry.text }, 'SIP stream server error'));
        const addr = server.address();
        if (addr && typeof addr === 'object') this.bound = { transport: this.protocol, address: addr.address, port: addr.port };
        this.server = server;
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const server = this.server;
    this.server = null;
    for (const conn of this.connections) conn.destroy();
    this.connections.clear();
    this.byPeer.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  boundAddress(): BoundAddress | null {
    return this.bound;
  }

  /** A stream connects from any local address: the listener's family does not limit it. */
  canReach(): boolean {
    return true;
  }

  get bufferedBytes(): number {
    let total = 0;
    for (const conn of this.connections) total += conn.pending;
    return total;
  }

  /** The open connection with exactly that peer address:port, if any. */
  existingFlow(destination: Destination): Flow | null {
    const conn = this.byPeer.get(peerKey(destination.address, destination.port));
    return conn?.isOpen ? conn : null;
  }

  flowTo(destination: Destination): Promise<Flow> {
    const open = this.existingFlow(destination);
    if (open) return Promise.resolve(open);
    const key = peerKey(destination.address, destination.port);
    // Two requests racing to a new peer share one connection attempt.
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const attempt = this.open(destination).finally(() => this.connecting.delete(key));
    this.connecting.set(key, attempt);
    return attempt;
  }

  private gate(raw: Socket): void {
    if (this.stopping || !this.opts.budget.acquire(`${this.protocol}:${raw.remoteAddress}:${raw.remotePort}`)) {
      raw.destroy();
      return;
    }
    raw.once('close', () => this.opts.budget.release());
  }

  private accept(socket: Socket): void {
    if (socket.destroyed || this.stopping || !this.bound) {
      socket.destroy();
      return;
    }
    const refusal = this.flavor.admit(socket);
    if (refusal) {
      this.refusals.warn({ peer: `${this.protocol}:${socket.remoteAddress}:${socket.remotePort}`, reason: refusal }, 'SIP connection refused');
      socket.destroy();
      return;
    }
    this.register(socket);
  }

  private async open(destination: Destination): Promise<StreamConnection> {
    const peer = `${this.protocol}:${hostPort(destination.address, destination.port)}`;
    if (this.stopping || !this.bound) throw new Error(`${this.protocol} transport is not running`);
    if (!this.opts.budget.acquire(peer)) throw new Error(`cannot connect to ${peer}: maxConnections reached`);
    const { socket, readyEvent } = this.flavor.connect(destination);
    socket.once('close', () => this.opts.budget.release());
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        socket.off(readyEvent, onReady);
        socket.off('error', done);
        if (!err) return resolve();
        socket.destroy();
        reject(new Error(`cannot connect to ${peer}: ${err.message}`));
      };
      const onReady = (): void => done();
      const timer = setTimeout(() => done(new Error(`no connection within ${this.opts.connectTimeoutMs} ms`)), this.opts.connectTimeoutMs);
      timer.unref();
      socket.once(readyEvent, onReady);
      socket.once('error', done);
    });
    if (this.stopping) {
      socket.destroy();
      throw new Error(`${this.protocol} transport stopped while connecting to ${peer}`);
    }
    this.opts.logger.debug({ peer }, 'SIP connection opened');
    return this.register(socket);
  }

  private register(socket: Socket): StreamConnection {
    const bound = this.bound as BoundAddress;
    const source: SipSource = {
      transport: this.protocol,
      address: socket.remoteAddress ?? '',
      port: socket.remotePort ?? 0,
      localAddress: socket.localAddress ?? bound.address,
      localPort: socket.localPort ?? bound.port,
    };
    const { logger, maxMessageBytes, idleMs, onMessage } = this.opts;
    const conn = new StreamConnection(socket, source, { logger, maxMessageBytes, idleMs, onMessage });
    const key = peerKey(source.address, source.port);
    this.connections.add(conn);
    this.byPeer.set(key, conn);
    conn.onClose(() => {
      this.connections.delete(conn);
      if (this.byPeer.get(key) === conn) this.byPeer.delete(key);
    });
    return conn;
  }
}
