// RFC 4028 session timers, UAS side. We never originate refreshes (SRCs drive the recording
// session), so we take part only with the SRC as refresher; the session is ended with a BYE when
// no refresh arrives before expiry - min(32, S/3) seconds (§10).

/** Our Min-SE (RFC 4028 §5 recommends 90 s as the floor). */
export const MIN_SE = 90;

export interface TimerNegotiation {
  /** Respond 422 with Min-SE. */
  tooSmall: boolean;
  /** Session interval in seconds, or null when session timers are not used for this session. */
  interval: number | null;
  /** Headers for the 2xx (Session-Expires, Require: timer). */
  headers: Array<[string, string]>;
}

function deltaSeconds(value: string | undefined): number | null {
  if (!value) return null;
  const n = Number(value.split(';')[0]!.trim());
  return Number.isInteger(n) && n > 0 ? n : null;
}

export function negotiateSessionTimer(sessionExpires: string | undefined, minSe: string | undefined, supported: string[]): TimerNegotiation {
  const requested = deltaSeconds(sessionExpires);
  if (requested === null) return { tooSmall: false, interval: null, headers: [] };
  if (requested < MIN_SE) return { tooSmall: true, interval: null, headers: [['Min-SE', String(Math.max(MIN_SE, deltaSeconds(minSe) ?? 0))]] };
  const uacSupportsTimer = supported.some((s) => s.trim().toLowerCase() === 'timer');
  // Without timer support at the UAC we would have to refresh ourselves (refresher=uas, §9): we
  // do not originate re-INVITEs toward SRCs, so the session runs without a timer instead.
  if (!uacSupportsTimer) return { tooSmall: false, interval: null, headers: [] };
  return {
    tooSmall: false,
    interval: requested,
    headers: [
      ['Session-Expires', `${requested};refresher=uac`],
      ['Require', 'timer'],
    ],
  };
}

/** When to give up on a session that was not refreshed (§10). */
export function expiryMs(intervalSeconds: number): number {
  return (intervalSeconds - Math.min(32, intervalSeconds / 3)) * 1000;
}
