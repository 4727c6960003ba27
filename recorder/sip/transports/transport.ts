// The contract between the SIP core and the network (RFC 3261 §18): transports deliver whole
// messages (a datagram, or one Content-Length framed message of a stream) and a Flow to answer on.

export type TransportProtocol = 'udp' | 'tcp' | 'tls';

export interface SipSource {
  transport: TransportProtocol;
  address: string;
  port: number;
  localAddress: string;
  localPort: number;
}

/** Where a request of ours goes (the dialog layer resolved names already, RFC 3263). */
export interface Destination {
  transport: TransportProtocol;
  address: string;
  port: number;
}

/**
 * Where a message came from and how to reach back: §18.2.2 sends responses on the same flow, and
 * client transactions send their requests on one (an existing connection when there is one).
 */
export interface Flow {
  /** The peer (address, port) and our end of the flow. */
  readonly source: SipSource;
  /** Reliable transports get no retransmissions (§17.2.1 Timer G, §17.2.2 Timer J = 0, §17.1.2.2 Timer E). */
  readonly reliable: boolean;
  /**
   * Best effort: a closed flow drops the data (logged at debug). `onError` hears about data that
   * could not be handed to the network (§17.1.4 transport error for client transactions).
   */
  send(data: Buffer, onError?: (err: Error) => void): void;
  /** Ends a stream connection (after pending writes); no-op for datagrams. */
  close(): void;
  /** Calls `cb` once when a stream connection closes (never for datagrams); returns an unsubscribe function. */
  onClose(cb: () => void): () => void;
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
  /** Closes the socket(s) and every connection; resolves once closed. */
  stop(): Promise<void>;
  boundAddress(): BoundAddress | null;
  /** Whether this transport can send to an address of that family (a udp4 socket cannot reach ::1). */
  canReach(address: string): boolean;
  /** An open connection with exactly that peer address:port (always null for datagrams). */
  existingFlow(destination: Destination): Flow | null;
  /**
   * A flow to `destination` for a request of ours: for streams an open connection to exactly that
   * address:port if there is one (the peer's own connection, RFC 3261 §18.1.1 / RFC 5923), else a
   * new one; rejects when no connection can be made.
   */
  flowTo(destination: Destination): Promise<Flow>;
  /** Bytes held by framers for incomplete messages (0 for datagram transports). */
  readonly bufferedBytes: number;
}
