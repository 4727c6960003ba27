import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import { isWildcard } from './address.js';
import type { ListenEntry } from './listen-entry.js';
import type { BoundAddress, Destination, Flow, MessageSink, SipSource, Transport } from './transport.js';

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
  readonly bufferedBytes = 0;
  private socket: Socket | null = null;
  private bound: BoundAddress | null = null;

  constructor(private readonly opts: UdpTransportOptions) {}

  start(): Promise<void> {
    const { entry, logger } = this.opts;
    // A burst of INVITEs (an SBC failing over to us) must queue in the kernel, not be dropped:
    // ask for 4 MiB; Linux caps it at net.core.rmem_max (the VM image raises that).
    const socket = createSocket({ type: entry.ipv6 ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
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
  sendTo(data: Buffer, address: string, port: number, onError?: (err: Error) => void): void {
    const socket = this.socket;
    if (!socket) {
      onError?.(new Error('UDP transport is stopped'));
      return;
    }
    socket.send(data, port, address, (err) => {
      if (!err) return;
      this.opts.logger.debug({ err, to: `${address}:${port}` }, 'SIP UDP send failed');
      onError?.(err);
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

  /** A udp4 socket reaches IPv4 peers, a udp6 socket IPv6 peers. */
  canReach(address: string): boolean {
    return isIPv6(address) === this.opts.entry.ipv6;
  }

  existingFlow(): Flow | null {
    return null;
  }

  /**
   * Requests of ours leave from the listening socket, so the peer's responses (and its in-dialog
   * requests, sent to our Via/Contact) reach the same port (RFC 3581 symmetric response).
   */
  async flowTo(destination: Destination): Promise<Flow> {
    const bound = this.bound;
    if (!this.socket || !bound) throw new Error('UDP transport is not running');
    const localAddress = isWildcard(bound.address) ? await localAddressTowards(destination, this.opts.entry.ipv6) : bound.address;
    return new UdpFlow(this, { transport: 'udp', address: destination.address, port: destination.port, localAddress, localPort: bound.port });
  }
}

/**
 * The address the kernel would send from towards `destination`, for the Via sent-by of a socket
 * bound to a wildcard address: connect() on a datagram socket picks the route without sending.
 */
async function localAddressTowards(destination: Destination, ipv6: boolean): Promise<string> {
  const probe = createSocket(ipv6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.connect(destination.port, destination.address, () => resolve());
    });
    return probe.address().address;
  } finally {
    probe.close();
  }
}

class UdpFlow implements Flow {
  readonly reliable = false;
  constructor(
    private readonly transport: UdpTransport,
    readonly source: SipSource,
  ) {}

  send(data: Buffer, onError?: (err: Error) => void): void {
    this.transport.sendTo(data, this.source.address, this.source.port, onError);
  }

  close(): void {}

  onClose(): () => void {
    return () => undefined;
  }
}
