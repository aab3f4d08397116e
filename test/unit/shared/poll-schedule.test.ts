import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { completePhase, continuePhase, startPhase } from '../../../lambdas/shared/phase';
import { BAKE_CHECK_SECONDS, maxChecksWithin, nextWaitSeconds, UNKNOWN_WATCH_SECONDS, WATCH_SECONDS, watchWindow } from '../../../lambdas/shared/poll-schedule';
import { NOW } from '../fixtures';

const bounds = { minSeconds: 2, maxSeconds: 30 };

/** nextWaitSeconds with `elapsed` and `untilDeadline` in seconds. */
function wait(elapsed: number, untilDeadline: number, expectedSeconds?: number, b = bounds): number {
  return nextWaitSeconds({ elapsedMs: elapsed * 1000, untilDeadlineMs: untilDeadline * 1000, bounds: b, expectedSeconds });
}

describe('nextWaitSeconds', () => {
  it.each([
    // Nothing expected: watch (a pause of 0) for the first two minutes, then 20% of the time spent within [2, 30] s.
    { elapsed: 0, left: 300, expected: undefined, wait: 0, why: 'watched from the start' },
    { elapsed: 119, left: 300, expected: undefined, wait: 0, why: 'still inside the first two minutes' },
    { elapsed: 120, left: 300, expected: undefined, wait: 24, why: '20% of 120 s' },
    { elapsed: 1000, left: 3000, expected: undefined, wait: 30, why: '20% of 1000 s = 200 s, capped at the maximum' },
    // Expected: a Wait until 20% (at least 5 s) before it, bounds or not, then watch.
    { elapsed: 0, left: 900, expected: 45, wait: 36, why: 'the watch starts at 45 - 9 = 36 s, above the 30 s maximum' },
    { elapsed: 30, left: 900, expected: 45, wait: 6, why: 'the rest of the 36 s' },
    { elapsed: 34, left: 900, expected: 45, wait: 0, why: 'two seconds are not worth a Wait: watch now' },
    { elapsed: 0, left: 900, expected: 10, wait: 5, why: 'at least 5 s ahead: the watch starts at 5 s' },
    { elapsed: 0, left: 900, expected: 6, wait: 0, why: 'a 1 s Wait is not worth it' },
    // Watched up to two minutes past the expectation.
    { elapsed: 45, left: 900, expected: 45, wait: 0, why: 'at the expectation' },
    { elapsed: 164, left: 900, expected: 45, wait: 0, why: 'inside 45 + 120 = 165 s' },
    { elapsed: 0, left: 9000, expected: 3600, wait: 3540, why: 'never more than a minute ahead of a long expectation' },
    // Past the watch: back to 20%.
    { elapsed: 165, left: 900, expected: 45, wait: 30, why: '20% of 165 s = 33 s, capped at the maximum' },
    { elapsed: 130, left: 900, expected: 5, wait: 26, why: '20% of 130 s (past 5 + 120 s)' },
    // A zero expectation is no expectation.
    { elapsed: 100, left: 300, expected: 0, wait: 0, why: 'watched like an unknown one' },
    // A Wait never goes past the deadline, and lasts at least a second.
    { elapsed: 0, left: 50, expected: 1000, wait: 50, why: 'the deadline comes before the watch' },
    { elapsed: 200, left: 7.2, expected: undefined, wait: 8, why: 'the first whole second at or after the deadline' },
    { elapsed: 200, left: 0.3, expected: undefined, wait: 1, why: 'at least one second' },
    { elapsed: 200, left: -5, expected: undefined, wait: 1, why: 'one second past a deadline already gone' },
  ])('waits $wait s after $elapsed s with $left s left expecting $expected s: $why', ({ elapsed, left, expected, wait: seconds }) => {
    expect(wait(elapsed, left, expected)).toBe(seconds);
  });

  it('watches from shortly before the expectation to two minutes past it: at most three watches', () => {
    expect(watchWindow(100)).toEqual({ from: 80, until: 100 + 2 * WATCH_SECONDS });
    expect(watchWindow(10)).toEqual({ from: 5, until: 10 + 2 * WATCH_SECONDS });
    expect(watchWindow(3)).toEqual({ from: 0, until: 3 + 2 * WATCH_SECONDS });
    expect(watchWindow(3600)).toEqual({ from: 3600 - WATCH_SECONDS, until: 3600 + 2 * WATCH_SECONDS });
    expect(watchWindow(undefined)).toEqual({ from: 0, until: UNKNOWN_WATCH_SECONDS });
  });

  it('honours other polling bounds', () => {
    // Past the watch: 20% of 200 s = 40 s, capped at 10 s; with an expectation of 1 s, 20% of 130 s = 26 s, raised to 28 s.
    expect(wait(200, 300, undefined, { minSeconds: 1, maxSeconds: 10 })).toBe(10);
    expect(wait(130, 300, 1, { minSeconds: 28, maxSeconds: 30 })).toBe(28);
  });

  it('reads alarms every 150 s during a bake: each look reads their history since the last, so none is missed between looks', () => {
    expect(BAKE_CHECK_SECONDS).toBe(150);
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
        // A Wait and a look, or a watch: one check invocation that covers WATCH_SECONDS.
        elapsed += wait(elapsed, timeout - elapsed, expected) || WATCH_SECONDS;
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

  it('starts a phase without an expectation watching (a pause of 0)', () => {
    expect(startPhase(300, bounds)).toEqual({ startedAt: NOW, deadline: NOW + 300_000, done: false, waitSeconds: 0 });
  });

  it('starts a phase with its commands and an expectation, pausing until shortly before it', () => {
    expect(startPhase(300, bounds, ['cmd-1'], 45)).toEqual({
      startedAt: NOW,
      deadline: NOW + 300_000,
      done: false,
      waitSeconds: 36,
      expectedSeconds: 45,
      commandIds: ['cmd-1'],
    });
  });

  it('never expects a phase to outlast its timeout, and ignores a zero expectation', () => {
    expect(startPhase(300, bounds, undefined, 1000)).toMatchObject({ waitSeconds: 240, expectedSeconds: 300 });
    expect(startPhase(300, bounds, undefined, 0)).toEqual({ startedAt: NOW, deadline: NOW + 300_000, done: false, waitSeconds: 0 });
  });

  it('continues a phase by the schedule, keeping everything else', () => {
    // Prepare
    const phase = { startedAt: NOW - 50_000, deadline: NOW + 250_000, done: false, waitSeconds: 45, expectedSeconds: 45, commandIds: ['cmd-1'] };

    // Act
    const next = continuePhase(phase, bounds, NOW);

    // Assess: 50 s is past the 45 s expected: watch
    expect(next).toEqual({ ...phase, waitSeconds: 0 });
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
