import type { Logger } from 'pino';
import type { ConnectionBudget } from './connection-budget.js';
import type { ListenEntry } from './listen-entry.js';
import { StreamTransport } from './stream-transport.js';
import { TcpFlavor } from './tcp-transport.js';
import { TlsFlavor, type SipTlsOptions } from './tls-transport.js';
import type { MessageSink, Transport } from './transport.js';
import { UdpTransport } from './udp-transport.js';

export interface TransportFactoryOptions {
  logger: Logger;
  maxMessageBytes: number;
  idleMs: number;
  connectTimeoutMs: number;
  tls: SipTlsOptions | undefined;
  /** Shared by every stream transport. */
  budget: ConnectionBudget;
  onMessage: MessageSink;
}

/**
 * Turns listen entries into transports. Built at stack construction so that missing or invalid
 * TLS material fails there, naming the configuration key, rather than at start().
 */
export class TransportFactory {
  private readonly tlsFlavor: TlsFlavor | null;

  constructor(
    entries: readonly ListenEntry[],
    private readonly opts: TransportFactoryOptions,
  ) {
    const tlsEntry = entries.find((e) => e.protocol === 'tls');
    this.tlsFlavor = null;
    if (!tlsEntry) return;
    const tls = opts.tls;
    if (!tls?.cert || !tls.key) {
      throw new Error(`SIP listen entry "${tlsEntry.text}" needs sip.tls.cert and sip.tls.key (PEM certificate chain and private key)`);
    }
    // A handshake still unfinished by then is a slow scanner, not an SBC.
    this.tlsFlavor = new TlsFlavor(tls, Math.min(opts.idleMs, 30_000), opts.logger);
  }

  create(entry: ListenEntry): Transport {
    const { logger, maxMessageBytes, idleMs, connectTimeoutMs, budget, onMessage } = this.opts;
    if (entry.protocol === 'udp') return new UdpTransport({ entry, logger, maxMessageBytes, onMessage });
    const flavor = entry.protocol === 'tls' ? this.tlsFlavor : new TcpFlavor();
    if (!flavor) throw new Error(`SIP listen entry "${entry.text}" needs sip.tls`);
    return new StreamTransport(flavor, { entry, logger, maxMessageBytes, idleMs, connectTimeoutMs, onMessage, budget });
  }
}
