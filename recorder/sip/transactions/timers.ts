// RFC 3261 §17 timer values (Appendix A, Table 4) and a small owner of running timers so that a
// transaction or the stack can always clear everything it started.

export interface TimerValues {
  /** RTT estimate, default 500 ms. */
  T1: number;
  /** Maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  T2: number;
  /** Maximum duration a message remains in the network, default 5 s. */
  T4: number;
}

export const DEFAULT_TIMERS: Readonly<TimerValues> = Object.freeze({ T1: 500, T2: 4000, T4: 5000 });

/** Named durations derived from T1/T2/T4 (§17.1.2.2, §17.2.1, §17.2.2, §13.3.1.4, RFC 6026 §8.7). */
export class TimerPolicy {
  constructor(readonly values: Readonly<TimerValues> = DEFAULT_TIMERS) {}

  /** Timer G: INVITE final response retransmit interval, T1 doubling up to T2 (§17.2.1). */
  G(retransmissions: number): number {
    return this.backoff(retransmissions);
  }

  /** Timer H: wait time for ACK receipt, 64*T1 (§17.2.1). */
  get H(): number {
    return 64 * this.values.T1;
  }

  /** Timer I: wait time for ACK retransmits, T4 for unreliable, 0 for reliable (§17.2.1). */
  I(reliable: boolean): number {
    return reliable ? 0 : this.values.T4;
  }

  /** Timer J: wait time for non-INVITE request retransmits, 64*T1 unreliable, 0 reliable (§17.2.2). */
  J(reliable: boolean): number {
    return reliable ? 0 : 64 * this.values.T1;
  }

  /** Timer L: wait time for accepted INVITE request retransmits, 64*T1 (RFC 6026 §8.7). */
  get L(): number {
    return 64 * this.values.T1;
  }

  /**
   * Timer E: non-INVITE request retransmit interval (§17.1.2.2): T1 doubling up to T2 in Trying,
   * T2 once a provisional response moved the transaction to Proceeding.
   */
  E(retransmissions: number, proceeding: boolean): number {
    return proceeding ? this.values.T2 : this.backoff(retransmissions);
  }

  /** Timer F: non-INVITE transaction timeout, 64*T1 (§17.1.2.2). */
  get F(): number {
    return 64 * this.values.T1;
  }

  /** Timer K: wait time for response retransmits, T4 for unreliable, 0 for reliable (§17.1.2.2). */
  K(reliable: boolean): number {
    return reliable ? 0 : this.values.T4;
  }

  /** UAS core 2xx retransmission interval, T1 doubling up to T2 (§13.3.1.4). */
  retransmit2xx(retransmissions: number): number {
    return this.backoff(retransmissions);
  }

  /** How long the UAS core waits for the ACK of a 2xx before giving up, 64*T1 (§13.3.1.4). */
  get ackWait(): number {
    return 64 * this.values.T1;
  }

  private backoff(n: number): number {
    return Math.min(this.values.T1 * 2 ** Math.min(n, 30), this.values.T2);
  }
}

/** Named timers of one owner. unref(): a forgotten timer must never keep the process alive. */
export class TimerSet {
  private readonly running = new Map<string, NodeJS.Timeout>();

  start(name: string, ms: number, fn: () => void): void {
    this.stop(name);
    const handle = setTimeout(() => {
      this.running.delete(name);
      fn();
    }, ms);
    handle.unref();
    this.running.set(name, handle);
  }

  stop(name: string): void {
    const handle = this.running.get(name);
    if (handle !== undefined) {
      clearTimeout(handle);
      this.running.delete(name);
    }
  }

  stopAll(): void {
    for (const handle of this.running.values()) clearTimeout(handle);
    this.running.clear();
  }
}
