import { connect, createServer, type Server, type Socket } from 'node:net';
import type { StreamFlavor } from './stream-transport.js';
import type { Destination } from './transport.js';

/** Plain TCP (RFC 3261 §18.3): sockets carry SIP as soon as they exist. */
export class TcpFlavor implements StreamFlavor {
  readonly protocol = 'tcp' as const;
  readonly readyEvent = 'connection' as const;

  createServer(): Server {
    return createServer({ noDelay: true });
  }

  admit(): string | null {
    return null;
  }

  connect(destination: Destination): { socket: Socket; readyEvent: 'connect' } {
    return { socket: connect({ host: destination.address, port: destination.port, noDelay: true }), readyEvent: 'connect' };
  }
}
