import { describe, expect, it } from 'vitest';
import type { TierPlan } from '../../../lambdas/domain/contract/payloads';
import {
  batchesPerSegment,
  HISTORY_BUDGET,
  MAX_HISTORY_EVENTS,
  PARENT_EVENTS_PER_SEGMENT,
  segmentsOf,
  worstBatchEvents,
  worstParentEvents,
} from '../../../lambdas/shared/history-budget';
import { DRAIN_TRAFFIC, HEALTH_COMMAND, NO_TRAFFIC, validationPlan, webTier } from '../fixtures';

/** Tiers shaped like the canonical environment's: web behind a target group, a clustered middle, monitoring. */
const CANONICAL_LIKE: Record<string, TierPlan> = {
  web: webTier(),
  middle: webTier({ name: 'middle', role: 'middle', traffic: DRAIN_TRAFFIC, healthCommand: HEALTH_COMMAND }),
  monitoring: webTier({ name: 'monitoring', role: 'monitoring', traffic: NO_TRAFFIC, healthCommand: HEALTH_COMMAND, healthyAfterSeconds: 0 }),
};

describe('segmentsOf', () => {
  it.each([
    { batchCount: 0, perSegment: 7, segments: [] },
    { batchCount: 1, perSegment: 7, segments: [{ first: 0, last: 0 }] },
    { batchCount: 7, perSegment: 7, segments: [{ first: 0, last: 6 }] },
    { batchCount: 8, perSegment: 7, segments: [{ first: 0, last: 6 }, { first: 7, last: 7 }] },
    { batchCount: 20, perSegment: 7, segments: [{ first: 0, last: 6 }, { first: 7, last: 13 }, { first: 14, last: 19 }] },
    { batchCount: 3, perSegment: 1, segments: [{ first: 0, last: 0 }, { first: 1, last: 1 }, { first: 2, last: 2 }] },
  ])('cuts $batchCount batches into segments of at most $perSegment', ({ batchCount, perSegment, segments }) => {
    expect(segmentsOf(batchCount, perSegment)).toEqual(segments);
  });

  it('covers every batch exactly once, in order, never more than perSegment at a time', () => {
    for (const batchCount of [1, 2, 5, 13, 100, 999, 10_000]) {
      for (const perSegment of [1, 2, 3, 7, 50, 20_000]) {
        const segments = segmentsOf(batchCount, perSegment);
        const covered = segments.flatMap((s) => Array.from({ length: s.last - s.first + 1 }, (_, i) => s.first + i));
        expect(covered).toEqual(Array.from({ length: batchCount }, (_, i) => i));
        for (const s of segments) {
          expect(s.last).toBeGreaterThanOrEqual(s.first);
          expect(s.last - s.first + 1).toBeLessThanOrEqual(perSegment);
        }
        expect(segments).toHaveLength(Math.ceil(batchCount / perSegment));
      }
    }
  });
});

describe('batchesPerSegment', () => {
  it('keeps a margin under the 25,000-event quota', () => {
    expect(MAX_HISTORY_EVENTS).toBe(25_000);
    expect(HISTORY_BUDGET).toBeLessThan(MAX_HISTORY_EVENTS);
  });

  it.each(Object.keys(CANONICAL_LIKE))('fits at least one %s batch per child execution, and never more than the budget holds', (name) => {
    // Prepare
    const tier = CANONICAL_LIKE[name]!;

    // Act
    const perSegment = batchesPerSegment(tier);

    // Assess
    expect(perSegment).toBeGreaterThanOrEqual(1);
    expect(worstBatchEvents(tier) * perSegment).toBeLessThanOrEqual(HISTORY_BUDGET);
  });

  it('fits one batch of a tier at the longest timeouts the environment allows, polled with the default bounds', () => {
    // Prepare: drain and health 3,600 s, install 7,200 s
    const tier = webTier({ drainTimeoutSeconds: 3600, healthTimeoutSeconds: 3600, install: { ...webTier().install, timeoutSeconds: 7200 } });

    // Act
    const perSegment = batchesPerSegment(tier);

    // Assess
    expect(perSegment).toBeGreaterThanOrEqual(1);
    expect(worstBatchEvents(tier) * perSegment).toBeLessThanOrEqual(HISTORY_BUDGET);
  });

  it('holds fewer batches when a batch can poll longer', () => {
    // Prepare
    const short = webTier();
    const long = webTier({ healthTimeoutSeconds: 3600 });

    // Assess
    expect(worstBatchEvents(long)).toBeGreaterThan(worstBatchEvents(short));
    expect(batchesPerSegment(long)).toBeLessThanOrEqual(batchesPerSegment(short));
  });

  it('holds no batch of a tier that would poll past the budget alone, which the plan refuses', () => {
    // Prepare: a health timeout of a day polled at least every second
    const tier = webTier({ healthTimeoutSeconds: 86_400, polling: { minSeconds: 1, maxSeconds: 1 } });

    // Assess
    expect(worstBatchEvents(tier)).toBeGreaterThan(HISTORY_BUDGET);
    expect(batchesPerSegment(tier)).toBe(0);
  });
});

describe('worstParentEvents', () => {
  it('grows by the child task and its Map iteration, twice (release and revert), per segment', () => {
    // Act
    const one = worstParentEvents({ segments: 1, validation: validationPlan() });
    const eleven = worstParentEvents({ segments: 11, validation: validationPlan() });

    // Assess
    expect(eleven - one).toBe(10 * 2 * PARENT_EVENTS_PER_SEGMENT);
  });

  it('counts the database step and a longer bake', () => {
    // Prepare
    const base = worstParentEvents({ segments: 1, validation: validationPlan() });
    const database = { snapshotTimeoutSeconds: 3600, migrationTimeoutSeconds: 1800, polling: { minSeconds: 2, maxSeconds: 30 } };

    // Assess
    expect(worstParentEvents({ segments: 1, validation: validationPlan(), database })).toBeGreaterThan(base);
    expect(worstParentEvents({ segments: 1, validation: validationPlan({ bakeSeconds: 3600 }) })).toBeGreaterThan(base);
  });
});
