import type { Logger } from 'pino';
import type { Flow } from '../transports/transport.js';
import { StateMachine } from './state-machine.js';
import { TimerSet, type TimerPolicy } from './timers.js';

export interface ServerTransactionContext {
  policy: TimerPolicy;
  logger: Logger;
  /** Called once when the transaction reaches Terminated, so the table can forget it. */
  onTerminated: (tx: ServerTransaction<string>) => void;
}

/**
 * Shared part of the RFC 3261 §17.2 server transactions: the flow responses go out on, the last
 * response (re-sent on request retransmissions), timers, and validated state transitions.
 */
export abstract class ServerTransaction<S extends string> {
  protected readonly timers = new TimerSet();
  protected lastResponse: Buffer | null = null;
  private readonly machine: StateMachine<S>;

  protected constructor(
    readonly key: string,
    readonly flow: Flow,
    protected readonly ctx: ServerTransactionContext,
    initial: S,
    transitions: Readonly<Record<S, readonly S[]>>,
    private readonly terminal: S,
  ) {
    this.machine = new StateMachine(key, initial, transitions);
  }

  get state(): S {
    return this.machine.state;
  }

  /** A retransmission of the request that created the transaction arrived (§17.2.1, §17.2.2). */
  abstract receiveRequestRetransmission(): void;

  /** The TU sends a response through the transaction. */
  abstract sendResponse(status: number, data: Buffer): void;

  /** Stops every timer without notifying anyone (stack shutdown). */
  dispose(): void {
    this.timers.stopAll();
  }

  protected send(data: Buffer): void {
    this.flow.send(data);
  }

  protected resendLast(): void {
    if (this.lastResponse) this.send(this.lastResponse);
  }

  /** The one place states change; an impossible transition is a bug and throws. */
  protected transition(to: S): void {
    this.machine.to(to);
    if (to === this.terminal) {
      this.timers.stopAll();
      this.ctx.onTerminated(this as ServerTransaction<string>);
    }
  }
}
