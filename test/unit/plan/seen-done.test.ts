/**
 * The plan's model of a polled phase (lib/plan/workflow-estimate.ts seenDone) against the
 * handlers' schedule it imports: a Wait through the quiet part, then a check that watches
 * inside its invocation, so the end is seen within a second of it.
 */
import { describe, expect, it } from 'vitest';
import { seenDone } from '../../../lib/plan/workflow-estimate';
import { nextWaitSeconds, watchWindow } from '../../../lambdas/shared/poll-schedule';
import { TIME_BUDGET_MS } from '../../../lambdas/shared/phase';

const bounds = { minSeconds: 5, maxSeconds: 300 };

describe('seenDone', () => {
  it('ends where the handlers wait then watch: one Choice, Wait and check for a phase that ends as expected', () => {
    const seen = seenDone(90, 90, bounds);

    expect(nextWaitSeconds({ elapsedMs: 0, untilDeadlineMs: 3_600_000, bounds, expectedSeconds: 90 })).toBe(watchWindow(90).from);
    expect(seen).toMatchObject({ looks: 1, loop: 3, took: 90 });
    expect(seen.seconds - 90).toBeLessThan(1);
  });

  it('watches from the start, without a Wait, when nothing is expected', () => {
    expect(seenDone(22, undefined, bounds)).toMatchObject({ looks: 1, loop: 2 });
  });

  it('runs the check again, without a Wait, when one watch is not enough, and still sees the end within a second', () => {
    const seen = seenDone(100, undefined, bounds);

    expect(seen.looks).toBe(Math.ceil(100 / (TIME_BUDGET_MS / 1000)));
    expect(seen.loop).toBe(2 * seen.looks);
    expect(seen.seconds - 100).toBeLessThan(1);
  });

  it('backs off past the watch, as the schedule does, and ends', () => {
    const seen = seenDone(3_000, 90, bounds);

    expect(seen.seconds).toBeGreaterThanOrEqual(3_000);
    // Past the watch, each look waits: far fewer looks than seconds.
    expect(seen.looks).toBeLessThan(30);
  });
});
