import type { Flow } from '../transports/transport.js';
import { ServerTransaction, type ServerTransactionContext } from './server-transaction.js';

export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

// RFC 3261 §17.2.2 Figure 8.
const TRANSITIONS: Record<NonInviteServerState, readonly NonInviteServerState[]> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class NonInviteServerTransaction extends ServerTransaction<NonInviteServerState> {
  constructor(key: string, flow: Flow, ctx: ServerTransactionContext) {
    super(key, flow, ctx, 'trying', TRANSITIONS, 'terminated');
  }

  receiveRequestRetransmission(): void {
    // §17.2.2: absorbed in Trying; the last response is re-sent in Proceeding and Completed.
    if (this.state === 'proceeding' || this.state === 'completed') this.resendLast();
  }

  sendResponse(status: number, data: Buffer): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') {
      this.ctx.logger.debug({ tx: this.key, status, state: this.state }, 'SIP response after final response ignored');
      return;
    }
    this.lastResponse = data;
    this.send(data);
    if (status < 200) {
      if (this.state === 'trying') this.transition('proceeding');
      return;
    }
    this.transition('completed');
    // §17.2.2 Timer J keeps the final response for retransmitted requests; zero when reliable.
    const ms = this.ctx.policy.J(this.flow.reliable);
    if (ms === 0) this.transition('terminated');
    else this.timers.start('J', ms, () => this.transition('terminated'));
  }
}
