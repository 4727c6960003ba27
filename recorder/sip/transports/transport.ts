// The contract between the SIP core and the network (RFC 3261 §18): transports deliver whole
// messages (a datagram, or one Content-Length framed message of a stream) and a Flow to answer on.

export type TransportProtocol = 'udp' | 'tcp';

export interface SipSource {
  transport: 'udp' | 'tcp' | 'tls';
  address: string;
  port: number;
  localAddress: string;
  localPort: number;
}

/** Where a request came from and how to reach back: §18.2.2 sends responses on the same flow. */
export interface Flow {
  readonly source: SipSource;
  /** Reliable transports get no retransmissions (§17.2.1 Timer G, §17.2.2 Timer J = 0). */
  readonly reliable: boolean;
  /** Best effort: a closed flow drops the data (logged at debug). */
  send(data: Buffer): void;
  /** Ends a stream connection (after pending writes); no-op for datagrams. */
  close(): void;
}

export type MessageSink = (data: Buffer, flow: Flow) => void;

export interface BoundAddress {
  transport: TransportProtocol;
  address: string;
  port: number;
}

export interface Transport {
  readonly protocol: TransportProtocol;
  /** Binds; rejects with an Error naming the listen entry. */
  start(): Promise<void>;
  /** Closes the socket(s); resolves once closed. */
  stop(): Promise<void>;
  boundAddress(): BoundAddress | null;
}
