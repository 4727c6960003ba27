import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { ListenEntry } from './listen-entry.js';
import type { BoundAddress, Flow, MessageSink, SipSource, Transport } from './transport.js';

export interface UdpTransportOptions {
  entry: ListenEntry;
  logger: Logger;
  maxMessageBytes: number;
  onMessage: MessageSink;
}

// Bursts of INVITE retransmissions after an SBC failover overflow the default receive buffer;
// the kernel caps this at net.core.rmem_max, which is fine.
const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

/** One dgram socket per listen entry; every datagram is one message (RFC 3261 §18.3). */
export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  private socket: Socket | null = null;
  private bound: BoundAddress | null = null;

  constructor(private readonly opts: UdpTransportOptions) {}

  start(): Promise<void> {
    const { entry, logger } = this.opts;
    const socket = createSocket({ type: entry.ipv6 ? 'udp6' : 'udp4' });
    return new Promise((resolve, reject) => {
      const onStartError = (err: Error): void => {
        try {
          socket.close();
        } catch {
          // A socket that never bound may refuse close(); nothing to release then.
        }
        reject(new Error(`Cannot listen on SIP entry "${entry.text}": ${err.message}`));
      };
      socket.once('error', onStartError);
      socket.bind({ address: entry.host, port: entry.port, exclusive: true }, () => {
        socket.off('error', onStartError);
        socket.on('error', (err) => logger.warn({ err, entry: entry.text }, 'SIP UDP socket error'));
        try {
          socket.setRecvBufferSize(RECV_BUFFER_BYTES);
        } catch {
          // Not fatal: keep the OS default.
        }
        const addr = socket.address();
        this.bound = { transport: 'udp', address: addr.address, port: addr.port };
        socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
        this.socket = socket;
        resolve();
      });
    });
  }

  private receive(data: Buffer, rinfo: RemoteInfo): void {
    const socket = this.socket;
    const bound = this.bound;
    if (!socket || !bound) return;
    if (data.length > this.opts.maxMessageBytes) {
      this.opts.logger.debug({ from: `${rinfo.address}:${rinfo.port}`, bytes: data.length }, 'SIP datagram over maxMessageBytes dropped');
      return;
    }
    const source: SipSource = { transport: 'udp', address: rinfo.address, port: rinfo.port, localAddress: bound.address, localPort: bound.port };
    this.opts.onMessage(data, new UdpFlow(this, source));
  }

  /** Symmetric response: to the packet's source address and port (RFC 3581 §4, §18.2.2). */
  sendTo(data: Buffer, address: string, port: number): void {
    const socket = this.socket;
    if (!socket) return;
    socket.send(data, port, address, (err) => {
      if (err) this.opts.logger.debug({ err, to: `${address}:${port}` }, 'SIP UDP send failed');
    });
  }

  stop(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => socket.close(() => resolve()));
  }

  boundAddress(): BoundAddress | null {
    return this.bound;
  }
}

class UdpFlow implements Flow {
  readonly reliable = false;
  constructor(
    private readonly transport: UdpTransport,
    readonly source: SipSource,
  ) {}

  send(data: Buffer): void {
    this.transport.sendTo(data, this.source.address, this.source.port);
  }

  close(): void {}
}
