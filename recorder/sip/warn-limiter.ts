import type { Logger } from 'pino';

/**
 * Warnings caused by peers (malformed traffic) are worth seeing, but a flood of garbage must not
 * become a flood of log lines: at most `limit` per window, then one summary of what was skipped.
 */
export class WarnLimiter {
  private windowStart = 0;
  private count = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly limit = 20,
    private readonly windowMs = 10_000,
  ) {}

  warn(fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    if (now - this.windowStart >= this.windowMs) {
      if (this.suppressed > 0) this.logger.warn({ suppressed: this.suppressed }, 'SIP warnings suppressed in the last window');
      this.windowStart = now;
      this.count = 0;
      this.suppressed = 0;
    }
    if (this.count < this.limit) {
      this.count++;
      this.logger.warn(fields, message);
    } else {
      this.suppressed++;
      this.logger.debug(fields, message);
    }
  }
}
