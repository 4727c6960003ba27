// Small statistics for bench results.

/** Nearest-rank percentile (p in 0..100) of unsorted values; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile must be within 0..100 (got ${p})`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Percentile from a histogram of 1-unit buckets (bucket i counts values in [i, i+1)). */
export function histogramPercentile(buckets: ArrayLike<number>, p: number): number | null {
  let total = 0;
  for (let i = 0; i < buckets.length; i++) total += buckets[i]!;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i]!;
    if (seen >= rank) return i;
  }
  return buckets.length - 1;
}

export const round = (n: number | null, digits = 2): number | null => (n === null || !Number.isFinite(n) ? null : Number(n.toFixed(digits)));
