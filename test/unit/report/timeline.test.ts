/**
 * The timeline read from execution events: phases per batch (forward, the failed batch's own
 * rollback, a revert batch), the step a failure happened in, and bounded in-service series.
 */
import { describe, expect, it } from 'vitest';
import type { ExecutionEvent } from '../../../lib/simulator/progress';
import { boundSeries, buildTimeline, keepPhases, MAX_CAPACITY_POINTS, MAX_TIMELINE_PHASES, type TimelinePhase } from '../../../lib/simulator/timeline';

const T0 = Date.UTC(2026, 0, 6, 3);
const at = (seconds: number) => T0 + seconds * 1000;

function batchState(name: string, seconds: number, keyPrefix: string, index: number, hosts: Array<{ id: string; name: string }>, type = 'StateEntered', extra: Partial<ExecutionEvent> = {}): ExecutionEvent {
  return { type, timestamp: at(seconds), state: { name, type: 'Task', input: { tier: { name: 'web' }, keyPrefix, batch: { index, count: 2, hosts } } }, ...extra };
}

const web2 = [{ id: 'i-2', name: 'web-2' }];
const forward: ExecutionEvent[] = [
  { type: 'ExecutionStarted', timestamp: at(10) },
  batchState('Take Batch Out', 10, 'env#x#release#web', 1, web2),
  batchState('Install Release', 20, 'env#x#release#web', 1, web2),
  batchState('Check Install', 30, 'env#x#release#web', 1, web2, 'StateFailed', { Error: 'PatchFailedError', Cause: JSON.stringify({ errorType: 'PatchFailedError', errorMessage: 'install failed on web-2' }) }),
  batchState('Take Batch Out For Rollback', 31, 'env#x#release#web', 1, web2),
  batchState('Check Rollback Health', 60, 'env#x#release#web', 1, web2, 'StateExited'),
];
// A revert batch whose host the plan names by instance ID (a new host): the timeline names it.
const revert: ExecutionEvent[] = [
  batchState('Take Batch Out', 70, 'env#x#revert#web', 0, [{ id: 'i-1', name: 'i-1' }]),
  batchState('Install Release', 80, 'env#x#revert#web', 0, [{ id: 'i-1', name: 'i-1' }]),
  batchState('Check Health', 95, 'env#x#revert#web', 0, [{ id: 'i-1', name: 'i-1' }], 'StateExited'),
];
const parent: ExecutionEvent[] = [
  { type: 'ExecutionStarted', timestamp: at(0) },
  { type: 'StateEntered', timestamp: at(0), state: { name: 'Plan Release', type: 'Task', input: {} } },
  { type: 'StateEntered', timestamp: at(10), state: { name: 'Roll Tiers', type: 'Parallel', input: {} } },
  { type: 'StateFailed', timestamp: at(61), state: { name: 'Roll Out Segment', type: 'Task', input: {} }, Error: 'States.TaskFailed', Cause: JSON.stringify({ Status: 'FAILED', Error: 'PatchFailedError', Cause: 'install failed on web-2' }) },
  { type: 'StateEntered', timestamp: at(62), state: { name: 'Plan Rollback', type: 'Task', input: {} } },
  { type: 'StateEntered', timestamp: at(70), state: { name: 'Revert Roll Tiers', type: 'Parallel', input: {} } },
  { type: 'ExecutionFailed', timestamp: at(100), Error: 'PatchFailedError', Cause: 'install failed on web-2' },
];

function timeline(inService = new Map<string, Array<[number, number]>>([['web', [[at(0), 2], [at(10), 1], [at(60), 2], [at(70), 1], [at(95), 2]]]])) {
  return buildTimeline({ events: parent, childEvents: [forward, revert], start: at(0), inService, floors: { web: 1 }, nameOf: (id) => (id === 'i-1' ? 'web-1' : undefined) });
}

describe('buildTimeline', () => {
  it("gives each batch's phases in virtual seconds, the failed one with its error, its own rollback as rollback", () => {
    const phases = timeline().phases.filter((p) => !p.revert);

    expect(phases.map((p) => [p.direction, p.phase, p.start, p.end])).toEqual([
      ['forward', 'out of traffic', 10, 20],
      ['forward', 'install', 20, 31],
      ['rollback', 'out of traffic', 31, 60],
    ]);
    expect(phases[1]!.failure).toEqual({ error: 'PatchFailedError', cause: 'install failed on web-2' });
    expect(phases[0]!.failure).toBeUndefined();
  });

  it("marks a revert plan's batches as the rollback's, its install as a reinstall, new hosts by name", () => {
    const reverts = timeline().phases.filter((p) => p.revert);

    expect(reverts.map((p) => [p.direction, p.phase, p.hostNames, p.start, p.end])).toEqual([
      ['rollback', 'out of traffic', 'web-1', 70, 80],
      ['rollback', 'reinstall', 'web-1', 80, 95],
    ]);
  });

  it('puts the failure in the step it happened in, unwrapping the child execution it came from', () => {
    const steps = timeline().steps;

    expect(steps.map((s) => [s.name, s.start, s.end])).toEqual([
      ['plan', 0, 10],
      ['roll out', 10, 62],
      ['plan rollback', 62, 70],
      ['rollback', 70, 100],
    ]);
    expect(steps[1]!.failure).toEqual({ error: 'PatchFailedError', cause: 'install failed on web-2' });
    expect(steps.filter((s) => s.failure)).toHaveLength(1);
  });

  it('starts each in-service series at the count when the run started, with the floor', () => {
    const series = timeline(new Map([['web', [[at(-50), 3], [at(-20), 2], [at(10), 1]]]])).inService[0]!;

    expect(series).toMatchObject({ tier: 'web', floor: 1, points: [[0, 2], [10, 1]], downsampled: false, changePoints: 2 });
  });
});

describe('boundSeries', () => {
  it('keeps at most the bound, and keeps the lowest count of the run', () => {
    const points: Array<[number, number]> = Array.from({ length: 20_000 }, (_, i) => [i, 1000 + (i % 7)]);
    points[12_345] = [12_345, 3];

    const bounded = boundSeries(points, MAX_CAPACITY_POINTS);

    expect(bounded.length).toBeLessThanOrEqual(MAX_CAPACITY_POINTS);
    expect(bounded.length).toBeGreaterThan(MAX_CAPACITY_POINTS / 2);
    expect(Math.min(...bounded.map(([, n]) => n))).toBe(3);
    // In time order, starting where the series starts.
    expect(bounded[0]![0]).toBe(0);
    expect(bounded.every((p, i) => i === 0 || p[0] > bounded[i - 1]![0])).toBe(true);
  });

  it('leaves a series within the bound as it is', () => {
    const points: Array<[number, number]> = [[0, 2], [5, 1], [9, 2]];

    expect(boundSeries(points, MAX_CAPACITY_POINTS)).toEqual(points);
  });
});

describe('keepPhases', () => {
  const phase = (batch: number, failed = false): TimelinePhase => ({
    tier: 'web', batch, batches: 10_000, direction: 'forward', revert: false, phase: 'install', start: batch, end: batch + 1, hosts: 1, hostNames: `web-${batch}`,
    ...(failed ? { failure: { error: 'PatchFailedError', cause: `install failed on web-${batch}` } } : {}),
  });

  it("keeps at most the bound, a failed batch's phases among them even when late, in time order", () => {
    const phases = Array.from({ length: 10_000 }, (_, i) => phase(i, i === 9_000));

    const kept = keepPhases(phases, MAX_TIMELINE_PHASES);

    expect(kept).toHaveLength(MAX_TIMELINE_PHASES);
    expect(kept.some((p) => p.failure && p.batch === 9_000)).toBe(true);
    expect(kept.every((p, i) => i === 0 || p.start >= kept[i - 1]!.start)).toBe(true);
    expect(kept[0]!.batch).toBe(0);
  });
});
