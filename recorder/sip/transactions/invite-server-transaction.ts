import type { Flow } from '../transports/transport.js';
import { ServerTransaction, type ServerTransactionContext } from './server-transaction.js';

export type InviteServerState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

// RFC 3261 §17.2.1 Figure 7 as updated by RFC 6026 §7.1 (the Accepted state replaces the
// immediate termination on 2xx).
const TRANSITIONS: Record<InviteServerState, readonly InviteServerState[]> = {
  proceeding: ['completed', 'accepted', 'terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  accepted: ['terminated'],
  terminated: [],
};

export class InviteServerTransaction extends ServerTransaction<InviteServerState> {
  private gCount = 0;

  constructor(key: string, flow: Flow, ctx: ServerTransactionContext) {
    super(key, flow, ctx, 'proceeding', TRANSITIONS, 'terminated');
  }

  receiveRequestRetransmission(): void {
    switch (this.state) {
      // §17.2.1: "the most recent provisional response that was received from the TU MUST be
      // passed to the transport layer for retransmission".
      case 'proceeding':
      // §17.2.1: in Completed, a retransmitted INVITE gets the final response again.
      case 'completed':
      // RFC 6026 §7.1 absorbs it in Accepted; re-sending the 2xx helps a UAC that lost it and is
      // what the UAS core's own 2xx retransmission (§13.3.1.4) would do anyway.
      case 'accepted':
        this.resendLast();
        break;
      case 'confirmed':
      case 'terminated':
        break; // §17.2.1: absorbed
    }
  }

  sendResponse(status: number, data: Buffer): void {
    const state = this.state;
    if (state === 'accepted' && status >= 200 && status < 300) {
      // RFC 6026 §7.1: 2xx retransmissions from the TU pass through the Accepted state.
      this.send(data);
      return;
    }
    if (state !== 'proceeding') {
      this.ctx.logger.debug({ tx: this.key, status, state }, 'SIP response after final response ignored');
      return;
    }
    this.lastResponse = data;
    this.send(data);
    if (status < 200) return;
    if (status < 300) {
      // RFC 6026 §7.1: stay in Accepted for Timer L so INVITE retransmissions are not new requests.
      this.transition('accepted');
      this.timers.start('L', this.ctx.policy.L, () => this.transition('terminated'));
      return;
    }
    this.transition('completed');
    // §17.2.1: Timer G only on unreliable transports; Timer H bounds the wait for the ACK.
    if (!this.flow.reliable) this.scheduleG();
    this.timers.start('H', this.ctx.policy.H, () => {
      this.ctx.logger.debug({ tx: this.key }, 'SIP Timer H fired: no ACK for the final response');
      this.transition('terminated');
    });
  }

  /**
   * An ACK matching this transaction. Returns true when the transaction absorbs it (ACK of a
   * non-2xx, §17.2.1), false when it belongs to the TU (ACK of a 2xx in Accepted, RFC 6026 §7.1).
   */
  receiveAck(): boolean {
    switch (this.state) {
      case 'completed': {
        this.transition('confirmed');
        this.timers.stop('G');
        this.timers.stop('H');
        // §17.2.1 Timer I absorbs ACK retransmissions; zero on reliable transports.
        const ms = this.ctx.policy.I(this.flow.reliable);
        if (ms === 0) this.transition('terminated');
        else this.timers.start('I', ms, () => this.transition('terminated'));
        return true;
      }
      case 'accepted':
        return false;
      default:
        return true;
    }
  }

  private scheduleG(): void {
    this.timers.start('G', this.ctx.policy.G(this.gCount), () => {
      this.gCount++;
      this.resendLast();
      this.scheduleG();
    });
  }
}
