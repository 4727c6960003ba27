import type { Logger } from 'pino';
import { TimerSet, type TimerPolicy } from '../transactions/timers.js';
import type { Flow } from '../transports/transport.js';

interface Pending {
  timers: TimerSet;
  acked: boolean;
}

export type AckMatch = 'first' | 'duplicate' | 'unknown';

/**
 * The UAS core's side of a 2xx to INVITE (RFC 3261 §13.3.1.4): the transaction layer does not
 * retransmit a 2xx, the UAS core does, T1 doubling up to T2, until the ACK (matched by Call-ID
 * and CSeq number) arrives or 64*T1 passes. Reliable flows get no retransmissions, only the wait.
 */
export class AckTracker {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly policy: TimerPolicy,
    private readonly logger: Logger,
  ) {}

  expect(key: string, flow: Flow, response: Buffer, onTimeout: () => void): void {
    this.pending.get(key)?.timers.stopAll();
    const entry: Pending = { timers: new TimerSet(), acked: false };
    this.pending.set(key, entry);
    if (!flow.reliable) {
      let count = 0;
      const schedule = (): void => {
        entry.timers.start('retransmit', this.policy.retransmit2xx(count), () => {
          count++;
          flow.send(response);
          schedule();
        });
      };
      schedule();
    }
    // The entry outlives the ACK until the deadline so that ACK retransmissions (one per 2xx copy
    // the UAC received) are recognised as duplicates instead of reaching the TU again.
    entry.timers.start('deadline', this.policy.ackWait, () => {
      entry.timers.stopAll();
      if (this.pending.get(key) === entry) this.pending.delete(key);
      if (entry.acked) return;
      this.logger.debug({ ack: key }, 'SIP 2xx never acknowledged');
      onTimeout();
    });
  }

  /** 2xx responses still inside their 64*T1 window. */
  get size(): number {
    return this.pending.size;
  }

  ack(key: string): AckMatch {
    const entry = this.pending.get(key);
    if (!entry) return 'unknown';
    if (entry.acked) return 'duplicate';
    entry.acked = true;
    entry.timers.stop('retransmit');
    return 'first';
  }

  disposeAll(): void {
    for (const entry of this.pending.values()) entry.timers.stopAll();
    this.pending.clear();
  }
}
