// Which tone each leg of each load-generator call carries. Every frequency is a multiple of 50 Hz,
// so a 20 ms packet holds a whole number of cycles at 8 and 16 kHz: one pre-encoded G.711 payload
// repeats seamlessly, and a Goertzel window of whole packets sees the other plan frequencies as
// exactly orthogonal (no leakage between them). Call i gets an ordered pair (caller, callee) that
// no other call of the first PLAN_PAIRS gets, and neighbouring calls share neither tone, so a
// swapped channel or another call's audio in a recording is caught by its frequency.

/** 350, 400, ... 3300 Hz: inside the G.711 band with room on both sides. */
export const PLAN_FREQS: readonly number[] = Array.from({ length: 60 }, (_, k) => 350 + 50 * k);

/**
 * Calls with distinct (caller, callee) pairs; beyond this the pairs repeat. The callee sits 2 to
 * n-2 places above the caller, so call i's callee is never call i+1's caller (nor the reverse).
 */
export const PLAN_PAIRS = PLAN_FREQS.length * (PLAN_FREQS.length - 3);

export interface TonePair {
  caller: number;
  callee: number;
}

export function tonePair(callIndex: number): TonePair {
  if (!Number.isInteger(callIndex) || callIndex < 0) throw new Error(`call index must be a non-negative integer (got ${callIndex})`);
  const n = PLAN_FREQS.length;
  const i = callIndex % PLAN_PAIRS;
  const a = i % n;
  // The callee's offset from the caller (2..n-2) changes once per round of n calls.
  const b = (a + 2 + (Math.floor(i / n) % (n - 3))) % n;
  return { caller: PLAN_FREQS[a]!, callee: PLAN_FREQS[b]! };
}
