import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { hostPort } from './address.js';
import { TcpFramer } from './tcp-framer.js';
import type { Flow, MessageSink, SipSource } from './transport.js';

export interface StreamConnectionOptions {
  logger: Logger;
  maxMessageBytes: number;
  /** Idle connections are closed after this long. */
  idleMs: number;
  onMessage: MessageSink;
}

const PONG = Buffer.from('\r\n');

/**
 * One TCP or TLS connection, inbound or outbound (RFC 3261 §18.3): Content-Length framing, CRLF
 * keep-alives (RFC 5626 §4.4.1), idle reaping, and the Flow that responses and our own requests
 * go out on. TLS sockets are plain sockets here: TLS is only how the bytes are carried.
 */
export class StreamConnection implements Flow {
  readonly reliable = true;
  private readonly framer: TcpFramer;
  private readonly closeCallbacks = new Set<() => void>();
  private closed = false;
  private readonly peer: string;

  constructor(
    private readonly socket: Socket,
    readonly source: SipSource,
    private readonly opts: StreamConnectionOptions,
  ) {
    this.peer = `${source.transport}:${hostPort(source.address, source.port)}`;
    this.framer = new TcpFramer(opts.maxMessageBytes);
    socket.setNoDelay(true);
    socket.setTimeout(opts.idleMs, () => {
      opts.logger.debug({ peer: this.peer }, 'SIP connection idle: closing');
      socket.destroy();
    });
    socket.on('error', (err) => opts.logger.debug({ err, peer: this.peer }, 'SIP connection error'));
    socket.on('close', () => this.closedNow());
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  /** Open for writing: neither closed nor ending. */
  get isOpen(): boolean {
    return !this.closed && !this.socket.destroyed && !this.socket.writableEnded;
  }

  /** Bytes the framer holds for an incomplete message. */
  get pending(): number {
    return this.framer.pending;
  }

  send(data: Buffer, onError?: (err: Error) => void): void {
    const socket = this.socket;
    if (!this.isOpen) {
      // §18.2.2 would open a new connection to the Via sent-by; an SRC reconnects on its own.
      this.opts.logger.debug({ peer: this.peer }, 'SIP connection gone: message dropped');
      onError?.(new Error(`connection to ${this.peer} is closed`));
      return;
    }
    // A peer that never reads must not make us buffer without bound.
    if (socket.writableLength > 16 * this.opts.maxMessageBytes) {
      this.opts.logger.warn({ peer: this.peer }, 'SIP peer not reading: closing connection');
      socket.destroy();
      onError?.(new Error(`connection to ${this.peer} is not draining`));
      return;
    }
    socket.write(data, (err) => {
      if (err) onError?.(err);
    });
  }

  close(): void {
    const socket = this.socket;
    // end() flushes what was written (e.g. a 400) before the FIN; then release the socket.
    if (!socket.destroyed && !socket.writableEnded) socket.end(() => socket.destroy());
  }

  destroy(): void {
    this.socket.destroy();
  }

  onClose(cb: () => void): () => void {
    if (this.closed) {
      queueMicrotask(cb);
      return () => undefined;
    }
    this.closeCallbacks.add(cb);
    return () => this.closeCallbacks.delete(cb);
  }

  private receive(chunk: Buffer): void {
    const { logger, onMessage } = this.opts;
    for (const event of this.framer.push(chunk)) {
      switch (event.kind) {
        case 'message':
          onMessage(event.data, this);
          break;
        case 'ping':
          this.send(PONG);
          break;
        case 'fatal-message':
          // Let the core answer 400 on what it can read, then drop the desynchronised stream.
          logger.debug({ peer: this.peer, error: event.error }, 'SIP framing lost: closing after this message');
          onMessage(event.data, this);
          this.close();
          break;
        case 'overflow':
          logger.warn({ peer: this.peer, error: event.error }, 'SIP message too large: closing connection');
          this.socket.destroy();
          break;
      }
    }
  }

  private closedNow(): void {
    if (this.closed) return;
    this.closed = true;
    const callbacks = [...this.closeCallbacks];
    this.closeCallbacks.clear();
    for (const cb of callbacks) {
      try {
        cb();
      } catch (err) {
        this.opts.logger.error({ err, peer: this.peer }, 'SIP connection close callback threw');
      }
    }
  }
}
