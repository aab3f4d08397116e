import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { completePhase, continuePhase, startPhase } from '../../../lambdas/shared/phase';
import { BAKE_CHECK_SECONDS, maxChecksWithin, nextWaitSeconds } from '../../../lambdas/shared/poll-schedule';
import { NOW } from '../fixtures';

const bounds = { minSeconds: 2, maxSeconds: 30 };

/** nextWaitSeconds with `elapsed` and `untilDeadline` in seconds. */
function wait(elapsed: number, untilDeadline: number, expectedSeconds?: number, b = bounds): number {
  return nextWaitSeconds({ elapsedMs: elapsed * 1000, untilDeadlineMs: untilDeadline * 1000, bounds: b, expectedSeconds });
}

describe('nextWaitSeconds', () => {
  it.each([
    // Nothing expected: 20% of the time spent, rounded up, within [2, 30] s.
    { elapsed: 0, left: 300, expected: undefined, wait: 2, why: 'the minimum right at the start' },
    { elapsed: 12, left: 300, expected: undefined, wait: 3, why: '20% of 12 s = 2.4 s, rounded up' },
    { elapsed: 100, left: 300, expected: undefined, wait: 20, why: '20% of 100 s' },
    { elapsed: 1000, left: 3000, expected: undefined, wait: 30, why: '20% of 1000 s = 200 s, capped at the maximum' },
    // Expected: the first look is when the operation should be done, bounds or not.
    { elapsed: 0, left: 900, expected: 45, wait: 45, why: 'the whole expectation, above the 30 s maximum' },
    { elapsed: 30, left: 900, expected: 45, wait: 15, why: 'the rest of the expectation' },
    { elapsed: 44.5, left: 900, expected: 45, wait: 1, why: 'half a second left, rounded up, below the minimum' },
    // Within 1.5 x the expectation: 5% of the time spent.
    { elapsed: 45, left: 900, expected: 45, wait: 3, why: '5% of 45 s = 2.25 s, rounded up' },
    { elapsed: 60, left: 900, expected: 45, wait: 3, why: '5% of 60 s' },
    { elapsed: 10, left: 900, expected: 10, wait: 2, why: '5% of 10 s = 0.5 s, raised to the minimum' },
    { elapsed: 5000, left: 9000, expected: 4000, wait: 30, why: '5% of 5000 s = 250 s, capped at the maximum' },
    // Past 1.5 x the expectation: back to 20%.
    { elapsed: 68, left: 900, expected: 45, wait: 14, why: '20% of 68 s = 13.6 s (68 s is past 67.5 s)' },
    // A zero expectation is no expectation.
    { elapsed: 100, left: 300, expected: 0, wait: 20, why: '20% of 100 s' },
    // Never past the deadline, never less than a second.
    { elapsed: 100, left: 50, expected: 1000, wait: 50, why: 'the deadline comes before the expectation' },
    { elapsed: 100, left: 7.2, expected: undefined, wait: 8, why: 'the first whole second at or after the deadline' },
    { elapsed: 100, left: 0.3, expected: undefined, wait: 1, why: 'at least one second' },
    { elapsed: 100, left: -5, expected: undefined, wait: 1, why: 'one second past a deadline already gone' },
  ])('waits $wait s after $elapsed s with $left s left expecting $expected s: $why', ({ elapsed, left, expected, wait: seconds }) => {
    expect(wait(elapsed, left, expected)).toBe(seconds);
  });

  it('honours other polling bounds', () => {
    // 20% of 100 s = 20 s, capped at 10 s; 20% of 10 s = 2 s, raised to 7 s.
    expect(wait(100, 300, undefined, { minSeconds: 1, maxSeconds: 10 })).toBe(10);
    expect(wait(10, 300, undefined, { minSeconds: 7, maxSeconds: 30 })).toBe(7);
  });

  it('reads alarms once a minute during a bake', () => {
    expect(BAKE_CHECK_SECONDS).toBe(60);
  });
});

describe('maxChecksWithin', () => {
  const timeouts = [1, 30, 60, 300, 900, 1800, 3600, 24 * 3600, 7 * 24 * 3600];

  it('is a finite whole number of looks for every timeout, never more than one a second', () => {
    for (const timeout of timeouts) {
      const checks = maxChecksWithin(timeout, bounds);
      expect(Number.isInteger(checks)).toBe(true);
      expect(checks).toBeGreaterThanOrEqual(1);
      expect(checks).toBeLessThanOrEqual(timeout);
    }
  });

  it('grows with the timeout, by at most one look per maximum pause once the pauses are capped', () => {
    const checks = timeouts.map((t) => maxChecksWithin(t, bounds));
    for (let i = 1; i < checks.length; i += 1) expect(checks[i]).toBeGreaterThanOrEqual(checks[i - 1]!);
    // A week polled at most every 30 s: about 604,800 / 30 = 20,160 looks, plus the ramp up to 30 s.
    for (const timeout of timeouts) expect(maxChecksWithin(timeout, bounds)).toBeLessThanOrEqual(Math.ceil(timeout / bounds.maxSeconds) + 40);
  });

  it('grows logarithmically when the pauses are not capped: ten times the timeout adds a handful of looks', () => {
    const open = { minSeconds: 1, maxSeconds: 1_000_000_000 };
    for (const timeout of [60, 600, 6_000, 60_000]) {
      const more = maxChecksWithin(timeout * 10, open) - maxChecksWithin(timeout, open);
      // log(10) / log(1.2) is 12.6 looks at 20% steps.
      expect(more).toBeGreaterThanOrEqual(0);
      expect(more).toBeLessThanOrEqual(15);
    }
    expect(maxChecksWithin(7 * 24 * 3600, open)).toBeLessThan(100);
  });

  it('covers the worst expectation: at least as many looks as any schedule the phase can follow', () => {
    // Walk the schedule for a few expectations and count the looks up to the deadline.
    const timeout = 900;
    for (const expected of [undefined, 10, 90, 300, 600, 900]) {
      let elapsed = 0;
      let looks = 0;
      while (elapsed < timeout) {
        elapsed += wait(elapsed, timeout - elapsed, expected);
        looks += 1;
      }
      expect(maxChecksWithin(timeout, bounds)).toBeGreaterThanOrEqual(looks);
    }
  });
});

describe('phases', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('starts a phase without an expectation at the shortest poll', () => {
    expect(startPhase(300, bounds)).toEqual({ startedAt: NOW, deadline: NOW + 300_000, done: false, waitSeconds: 2 });
  });

  it('starts a phase with its commands and an expectation, first looking then', () => {
    expect(startPhase(300, bounds, ['cmd-1'], 45)).toEqual({
      startedAt: NOW,
      deadline: NOW + 300_000,
      done: false,
      waitSeconds: 45,
      expectedSeconds: 45,
      commandIds: ['cmd-1'],
    });
  });

  it('never expects a phase to outlast its timeout, and ignores a zero expectation', () => {
    expect(startPhase(300, bounds, undefined, 1000)).toMatchObject({ waitSeconds: 300, expectedSeconds: 300 });
    expect(startPhase(300, bounds, undefined, 0)).toEqual({ startedAt: NOW, deadline: NOW + 300_000, done: false, waitSeconds: 2 });
  });

  it('continues a phase by the schedule, keeping everything else', () => {
    // Prepare
    const phase = { startedAt: NOW - 50_000, deadline: NOW + 250_000, done: false, waitSeconds: 45, expectedSeconds: 45, commandIds: ['cmd-1'] };

    // Act
    const next = continuePhase(phase, bounds, NOW);

    // Assess: 5% of 50 s = 2.5 s, rounded up
    expect(next).toEqual({ ...phase, waitSeconds: 3 });
  });

  it('completes a phase with how long it took, rounded up to the second', () => {
    // Prepare
    const phase = { startedAt: NOW - 41_200, deadline: NOW + 250_000, done: false, waitSeconds: 3, commandIds: ['cmd-1'] };

    // Act
    const done = completePhase(phase, NOW);

    // Assess
    expect(done).toEqual({ ...phase, done: true, waitSeconds: 0, tookSeconds: 42 });
  });

  it('completes a phase that has just started in 0 s', () => {
    expect(completePhase(startPhase(300, bounds))).toMatchObject({ done: true, waitSeconds: 0, tookSeconds: 0 });
  });
});
