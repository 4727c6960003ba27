import type { Logger } from 'pino';
import { WarnLimiter } from '../warn-limiter.js';

/**
 * One cap on concurrent TCP/TLS connections across every stream transport of the stack, inbound
 * and outbound: each holds a descriptor and up to maxMessageBytes of framing buffer, so the cap
 * bounds both ("too many open files" cost other recorders their recordings). Refusals are logged
 * at most once per window: a connection flood must not become a log flood.
 */
export class ConnectionBudget {
  private used = 0;
  private readonly warnings: WarnLimiter;

  constructor(
    readonly limit: number,
    logger: Logger,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`SIP maxConnections must be a positive integer (got ${limit})`);
    this.warnings = new WarnLimiter(logger, 1, 10_000);
  }

  get inUse(): number {
    return this.used;
  }

  /** Takes one slot; false (and a rate-limited warning) when the cap is reached. */
  acquire(peer: string): boolean {
    if (this.used >= this.limit) {
      this.warnings.warn({ peer, maxConnections: this.limit }, 'SIP connection refused: maxConnections reached');
      return false;
    }
    this.used++;
    return true;
  }

  release(): void {
    if (this.used > 0) this.used--;
  }
}
