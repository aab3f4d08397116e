/**
 * A simulated run replays exactly: what draws at random inside one (Step Functions' full jitter on a
 * Retry, the SDK's backoff: both Math.random) draws from a seeded PRNG on the virtual clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runOnVirtualClock } from '../../lib/simulator/virtual-clock';

const draws = () => runOnVirtualClock(Date.UTC(2026, 0, 6), async () => [Math.random(), Math.random(), Math.random()]);

describe('randomness inside a simulated run', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('draws the same numbers in every run, spread over [0, 1), and puts Math.random back afterwards', async () => {
    const before = Math.random;

    const [first, second] = [await draws(), await draws()];

    expect(second).toEqual(first);
    expect(new Set(first).size).toBe(3);
    for (const n of first) expect(n >= 0 && n < 1).toBe(true);
    expect(Math.random).toBe(before);
  });

  it('leaves a Math.random a test has fixed as it is', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);

    expect(await draws()).toEqual([0.5, 0.5, 0.5]);
  });
});
