import type { Socket } from 'node:net';
import { connect, createSecureContext, createServer, rootCertificates, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { AddressSet } from './cidr.js';
import type { StreamFlavor } from './stream-transport.js';
import type { Destination } from './transport.js';

export interface SipTlsOptions {
  /** PEM certificate chain presented by the recorder (server side, and client side when it connects out). */
  cert: string;
  /** PEM private key of `cert`. */
  key: string;
  /** PEM CA certificate(s) that sign trusted client certificates; also trusted for outgoing connections. */
  ca?: string;
  /**
   * CIDRs of sources that must present a client certificate signed by `ca`: a connection from one
   * of them without one is closed. Other sources are not required to authenticate.
   */
  requireClientCertFrom?: string[];
}

// BCP 195 (RFC 9325 §3.1.1): nothing older than TLS 1.2; every SBC in the field speaks it.
const MIN_VERSION = 'TLSv1.2';

/**
 * SIP over TLS (RFC 3261 §26.2, RFC 5630): the same framing as TCP on a TLS socket. Mutual TLS is
 * per source: every client is asked for a certificate (`requestCert`) but none is rejected by the
 * handshake (`rejectUnauthorized: false`); `admit` closes connections from `requireClientCertFrom`
 * sources whose certificate did not verify against `ca`.
 */
export class TlsFlavor implements StreamFlavor {
  readonly protocol = 'tls' as const;
  readonly readyEvent = 'secureConnection' as const;
  private readonly mustAuthenticate: AddressSet | null;
  private readonly clientTrust: string[] | undefined;

  constructor(
    private readonly tls: SipTlsOptions,
    private readonly handshakeTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    try {
      createSecureContext({ cert: tls.cert, key: tls.key, ca: tls.ca });
    } catch (err) {
      throw new Error(`Invalid sip.tls.cert / sip.tls.key / sip.tls.ca: ${(err as Error).message}`);
    }
    const required = tls.requireClientCertFrom ?? [];
    if (required.length > 0 && !tls.ca) throw new Error('sip.tls.requireClientCertFrom needs sip.tls.ca (the CA that signs client certificates)');
    this.mustAuthenticate = required.length > 0 ? new AddressSet(required, 'sip.tls.requireClientCertFrom') : null;
    // Outgoing connections trust the public roots and the configured CA (a private PKI is common).
    this.clientTrust = tls.ca ? [...rootCertificates, tls.ca] : undefined;
  }

  createServer(): Server {
    const server = createServer({
      cert: this.tls.cert,
      key: this.tls.key,
      ca: this.tls.ca,
      minVersion: MIN_VERSION,
      requestCert: this.mustAuthenticate !== null,
      rejectUnauthorized: false,
      handshakeTimeout: this.handshakeTimeoutMs,
    });
    // With a listener Node leaves the socket to us: failed handshakes (scanners, plain TCP) end here.
    server.on('tlsClientError', (err, socket) => {
      this.logger.debug({ err: err.message, peer: `${socket.remoteAddress}:${socket.remotePort}` }, 'SIP TLS handshake failed');
      socket.destroy();
    });
    return server;
  }

  admit(socket: Socket): string | null {
    const tlsSocket = socket as TLSSocket;
    const address = socket.remoteAddress ?? '';
    if (this.mustAuthenticate?.has(address) && !tlsSocket.authorized) {
      return `client certificate required from ${address}: ${String(tlsSocket.authorizationError ?? 'none presented')}`;
    }
    return null;
  }

  connect(destination: Destination): { socket: Socket; readyEvent: 'secureConnect' } {
    const socket = connect({
      host: destination.address,
      port: destination.port,
      cert: this.tls.cert,
      key: this.tls.key,
      ca: this.clientTrust,
      minVersion: MIN_VERSION,
      // The server certificate must verify and name the address we connect to (IP SAN).
      rejectUnauthorized: true,
    });
    return { socket, readyEvent: 'secureConnect' };
  }
}
