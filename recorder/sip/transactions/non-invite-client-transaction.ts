import type { Logger } from 'pino';
import type { SipResponse } from '../messages/types.js';
import type { Flow } from '../transports/transport.js';
import { StateMachine } from './state-machine.js';
import { TimerSet, type TimerPolicy } from './timers.js';

export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

// RFC 3261 §17.1.2.2 Figure 6.
const TRANSITIONS: Record<NonInviteClientState, readonly NonInviteClientState[]> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export type ClientFailure = 'timeout' | 'transport' | 'stopped';

/** What the transaction reports to its user: one final response, or one failure. */
export interface ClientTransactionUser {
  final(response: SipResponse): void;
  failed(kind: ClientFailure, detail: string): void;
}

export interface ClientTransactionContext {
  policy: TimerPolicy;
  logger: Logger;
  /** Called once when the transaction reaches Terminated, so the table can forget it. */
  onTerminated: (tx: NonInviteClientTransaction) => void;
}

/**
 * RFC 3261 §17.1.2 non-INVITE client transaction (BYE, OPTIONS, ... sent by the recorder).
 * Provisional responses only move it to Proceeding: the user hears about the final one.
 */
export class NonInviteClientTransaction {
  private readonly machine: StateMachine<NonInviteClientState>;
  private readonly timers = new TimerSet();
  private retransmissions = 0;
  private unsubscribeClose: (() => void) | null = null;

  constructor(
    /** Matching key (§17.1.3): branch + CSeq method. */
    readonly key: string,
    /** The top Via sent-by we inserted; responses must carry it back (§18.1.2). */
    readonly sentBy: string,
    private readonly flow: Flow,
    private readonly request: Buffer,
    private readonly ctx: ClientTransactionContext,
    private readonly user: ClientTransactionUser,
  ) {
    this.machine = new StateMachine(key, 'trying', TRANSITIONS);
  }

  get state(): NonInviteClientState {
    return this.machine.state;
  }

  /**
   * §17.1.2.2: "the client transaction MUST set timer F to fire in 64*T1 seconds"; on an
   * unreliable transport "timer E MUST be set to fire in T1 seconds".
   */
  start(): void {
    this.timers.start('F', this.ctx.policy.F, () =>
      this.fail('timeout', `Timer F: no final response within ${this.ctx.policy.F} ms (64*T1)`),
    );
    if (this.flow.reliable) {
      // A closed connection cannot carry the response back: a transport error (§17.1.4) now
      // rather than Timer F much later (what a BYE at shutdown needs).
      this.unsubscribeClose = this.flow.onClose(() => this.fail('transport', 'connection closed before a final response'));
    } else {
      this.scheduleE();
    }
    this.sendRequest();
  }

  receiveResponse(response: SipResponse): void {
    const state = this.state;
    if (state === 'completed' || state === 'terminated') {
      // §17.1.2.2: in Completed, retransmissions of the final response are absorbed (Timer K).
      this.ctx.logger.debug({ tx: this.key, status: response.status }, 'SIP response retransmission absorbed');
      return;
    }
    if (response.status < 200) {
      // §17.1.2.2: "If a provisional response is received while in the Trying state, the
      // response MUST be passed to the TU, and then the client transaction SHOULD move to the
      // Proceeding state." The TU here waits for the final response only.
      if (state === 'trying') this.machine.to('proceeding');
      return;
    }
    // §17.1.2.2: a final response moves the transaction to Completed and goes to the TU.
    this.machine.to('completed');
    this.timers.stop('E');
    this.timers.stop('F');
    this.dropCloseWatch();
    try {
      this.user.final(response);
    } finally {
      // Timer K absorbs response retransmissions; zero on reliable transports.
      const ms = this.ctx.policy.K(this.flow.reliable);
      if (ms === 0) this.terminate();
      else this.timers.start('K', ms, () => this.terminate());
    }
  }

  /** Stack shutdown: a pending transaction fails with 'stopped'; every timer is cleared. */
  abort(detail: string): void {
    if (this.state === 'trying' || this.state === 'proceeding') this.fail('stopped', detail);
    else if (this.state === 'completed') this.terminate();
  }

  private sendRequest(): void {
    // §17.1.4: a failure to send is reported to the TU as a transport error.
    this.flow.send(this.request, (err) => this.fail('transport', err.message));
  }

  /**
   * §17.1.2.2: when Timer E fires in Trying the request is retransmitted and E reset to
   * MIN(2*E, T2); in Proceeding to T2.
   */
  private scheduleE(): void {
    this.timers.start('E', this.ctx.policy.E(this.retransmissions, this.state === 'proceeding'), () => {
      if (this.state !== 'trying' && this.state !== 'proceeding') return;
      this.retransmissions++;
      this.sendRequest();
      this.scheduleE();
    });
  }

  private fail(kind: ClientFailure, detail: string): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.terminate();
    this.user.failed(kind, detail);
  }

  private terminate(): void {
    if (this.state === 'terminated') return;
    this.machine.to('terminated');
    this.timers.stopAll();
    this.dropCloseWatch();
    this.ctx.onTerminated(this);
  }

  private dropCloseWatch(): void {
    this.unsubscribeClose?.();
    this.unsubscribeClose = null;
  }
}
