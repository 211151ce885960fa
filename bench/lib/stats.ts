/** Small statistics helpers shared by the workers and the report. */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export function round(n: number, digits = 2): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Runs `fn` `warmup` times, then up to `iterations` times or until `maxMs` elapse (at least 5 samples). */
export function sample(fn: () => void, iterations: number, warmup: number, maxMs: number): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const out: number[] = [];
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
    if (out.length >= 5 && performance.now() > deadline) break;
  }
  return out;
}

/**
 * `sample` for several functions at once, interleaved: each round runs every function once, starting with a
 * different one each round, so that a drift of the machine during the measurement hits them all alike.
 * `settle` runs untimed before each call: with `youngGc` (a minor GC, node --expose-gc), each call starts with an
 * empty young generation, so it does not pay for the scavenge of what the call before it allocated. Without it, a
 * render that allocates about half the young generation lines its scavenges up with one function of the
 * alternation (seen: 30 of 60 samples of one store's site Atom feed with a scavenge, none of the other's).
 */
export function sampleInterleaved(fns: readonly (() => void)[], iterations: number, warmup: number, maxMs: number, settle: () => void = () => {}): number[][] {
  for (let i = 0; i < warmup; i++) for (const fn of fns) fn();
  const out = fns.map(() => [] as number[]);
  const deadline = performance.now() + maxMs * fns.length;
  for (let i = 0; i < iterations; i++) {
    for (let k = 0; k < fns.length; k++) {
      const j = (i + k) % fns.length;
      settle();
      const t = performance.now();
      fns[j]!();
      out[j]!.push(performance.now() - t);
    }
    if (i + 1 >= 5 && performance.now() > deadline) break;
  }
  return out;
}

/** A minor GC (a scavenge of the young generation), for `settle`; nothing when node runs without --expose-gc. */
export function youngGc(): void {
  (globalThis as { gc?: (o: { type: 'minor' }) => void }).gc?.({ type: 'minor' });
}
