import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ListenEntry } from './listen-entry.js';
import { TcpFramer } from './tcp-framer.js';
import type { BoundAddress, Flow, MessageSink, SipSource, Transport } from './transport.js';

export interface TcpTransportOptions {
  entry: ListenEntry;
  logger: Logger;
  maxMessageBytes: number;
  idleMs: number;
  onMessage: MessageSink;
}

const PONG = Buffer.from('\r\n');

/** Listening TCP transport: one framer per connection, responses written back on the same socket. */
export class TcpTransport implements Transport {
  readonly protocol = 'tcp' as const;
  private server: Server | null = null;
  private bound: BoundAddress | null = null;
  private readonly connections = new Set<Socket>();

  constructor(private readonly opts: TcpTransportOptions) {}

  start(): Promise<void> {
    const { entry } = this.opts;
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`Cannot listen on SIP entry "${entry.text}": ${err.message}`)));
      server.listen({ host: entry.host, port: entry.port, exclusive: true }, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.opts.logger.warn({ err, entry: entry.text }, 'SIP TCP server error'));
        const addr = server.address();
        if (addr && typeof addr === 'object') this.bound = { transport: 'tcp', address: addr.address, port: addr.port };
        this.server = server;
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    const bound = this.bound;
    if (!bound || socket.remoteAddress === undefined || socket.remotePort === undefined) {
      socket.destroy();
      return;
    }
    const { logger, maxMessageBytes, idleMs, onMessage } = this.opts;
    const source: SipSource = {
      transport: 'tcp',
      address: socket.remoteAddress,
      port: socket.remotePort,
      localAddress: socket.localAddress ?? bound.address,
      localPort: socket.localPort ?? bound.port,
    };
    const peer = `${source.address}:${source.port}`;
    const flow = new TcpFlow(socket, source, maxMessageBytes, logger);
    const framer = new TcpFramer(maxMessageBytes);
    this.connections.add(socket);
    socket.setTimeout(idleMs, () => {
      logger.debug({ peer }, 'SIP TCP connection idle: closing');
      socket.destroy();
    });
    socket.on('error', (err) => logger.debug({ err, peer }, 'SIP TCP connection error'));
    socket.on('close', () => this.connections.delete(socket));
    socket.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        switch (event.kind) {
          case 'message':
            onMessage(event.data, flow);
            break;
          case 'ping':
            flow.send(PONG);
            break;
          case 'fatal-message':
            // Let the core answer 400 on what it can read, then drop the desynchronised stream.
            logger.debug({ peer, error: event.error }, 'SIP TCP framing lost: closing after this message');
            onMessage(event.data, flow);
            flow.close();
            break;
          case 'overflow':
            logger.warn({ peer, error: event.error }, 'SIP TCP message too large: closing connection');
            socket.destroy();
            break;
        }
      }
    });
  }

  stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  boundAddress(): BoundAddress | null {
    return this.bound;
  }
}

class TcpFlow implements Flow {
  readonly reliable = true;

  constructor(
    private readonly socket: Socket,
    readonly source: SipSource,
    private readonly maxMessageBytes: number,
    private readonly logger: Logger,
  ) {}

  send(data: Buffer): void {
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) {
      // §18.2.2 would open a new connection to the Via sent-by; an SRC reconnects on its own.
      this.logger.debug({ peer: `${this.source.address}:${this.source.port}` }, 'SIP TCP connection gone: response dropped');
      return;
    }
    // A peer that never reads its responses must not make us buffer without bound.
    if (socket.writableLength > 16 * this.maxMessageBytes) {
      this.logger.warn({ peer: `${this.source.address}:${this.source.port}` }, 'SIP TCP peer not reading: closing connection');
      socket.destroy();
      return;
    }
    socket.write(data);
  }

  close(): void {
    const socket = this.socket;
    // end() flushes what was written (e.g. a 400) before the FIN; then release the socket.
    if (!socket.destroyed && !socket.writableEnded) socket.end(() => socket.destroy());
  }
}
