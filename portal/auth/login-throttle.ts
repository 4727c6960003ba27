/**
 * Slows password guessing: after `maxFailures` failed logins for one username from one address
 * within `windowMs`, further attempts for that pair are refused until the window has passed.
 * Keyed by address AND username so an attacker cannot lock the admin out from elsewhere.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly maxFailures = 10,
    private readonly windowMs = 15 * 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** Milliseconds until this pair may try again; 0 when it may try now. */
  retryAfterMs(ip: string, username: string, now = Date.now()): number {
    const f = this.failures.get(key(ip, username));
    if (!f || now - f.since >= this.windowMs) return 0;
    return f.count >= this.maxFailures ? f.since + this.windowMs - now : 0;
  }

  fail(ip: string, username: string, now = Date.now()): void {
    const k = key(ip, username);
    const f = this.failures.get(k);
    if (!f || now - f.since >= this.windowMs) {
      if (this.failures.size >= this.maxEntries) this.prune(now);
      this.failures.set(k, { count: 1, since: now });
    } else {
      f.count += 1;
    }
  }

  succeed(ip: string, username: string): void {
    this.failures.delete(key(ip, username));
  }

  private prune(now: number): void {
    for (const [k, f] of this.failures) if (now - f.since >= this.windowMs) this.failures.delete(k);
    // Still full (a flood of distinct names): forget the oldest half rather than grow.
    if (this.failures.size >= this.maxEntries) {
      let drop = Math.floor(this.failures.size / 2);
      for (const k of this.failures.keys()) {
        if (drop-- <= 0) break;
        this.failures.delete(k);
      }
    }
  }
}

function key(ip: string, username: string): string {
  return `${ip}\u0000${username.toLowerCase()}`;
}
