/**
 * Seeded randomness, so that a simulated run replays exactly. What draws at random inside a
 * simulation is AWS's own behaviour as the simulator models it: Step Functions' full jitter on a
 * Retry's pause (the engine draws it with Math.random) and the SDK's retry backoff. Left to
 * Math.random, a run throttled near a deadline could end either way from one run to the next.
 */

/** mulberry32: a small, well-known seeded PRNG; the same seed draws the same numbers. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed every simulated run draws from: the jitter is still spread as AWS's, and the same every run. */
export const SIMULATION_RANDOM_SEED = 17;

const nativeRandom = Math.random;

/**
 * Runs `work` with Math.random drawing from a PRNG seeded with `seed`, then puts Math.random back.
 * A Math.random already replaced (a test that fixed it with a spy) is left as it is.
 */
export async function withSeededRandom<T>(work: () => Promise<T>, seed = SIMULATION_RANDOM_SEED): Promise<T> {
  if (Math.random !== nativeRandom) return work();
  Math.random = prng(seed);
  try {
    return await work();
  } finally {
    Math.random = nativeRandom;
  }
}
