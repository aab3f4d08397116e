/**
 * What a restarted run reports (lib/simulator/simulate.ts `wholeRun`): the whole run's time against
 * the first plan's bound, and the hosts both executions launched judged at the run's end.
 */
import { describe, expect, it } from 'vitest';
import { wholeRun, type SimulationReport } from '../../lib/simulator/simulate';
import type { ExecutionEvent } from '../../lib/simulator/progress';

const T0 = Date.UTC(2026, 0, 6, 3, 0, 0);
const at = (seconds: number): ExecutionEvent => ({ type: 'StateEntered', timestamp: T0 + seconds * 1000 });
const host = (name: string, inService: boolean) => ({ name, id: `i-${name}`, tier: 'web', version: '1.0.0', recordedVersion: '1.0.0', halfInstalled: false, inService });

/** What each execution's timeline holds is the report page's test (test/unit/report/page.test.ts). */
const EMPTY_TIMELINE = { phases: [], steps: [], inService: [], bounds: { maxPhases: 2000, maxSteps: 500, maxPointsPerTier: 500, phasesOmitted: 0, stepsOmitted: 0 } };

/** A replace of web-1 and web-2 stopped at 186 s while its web-3 and web-4 were entering service; the one started again launched web-5 and web-6. */
function replaceStopped(firstPlanBound: number): SimulationReport[] {
  const hosts = [host('web-1', false), host('web-2', false), host('web-3', true), host('web-4', true), host('web-5', true), host('web-6', true)];
  const report = (name: string, launched: string[], orphans: string[], bound: number, transitions: number) =>
    ({ executionName: name, hosts, lowerBoundSeconds: bound, makespanSeconds: 0, stateTransitions: transitions, childExecutions: 1, maxHistoryEvents: 100, largestPayloadBytes: 10,
      compute: { launched, terminated: [], stopped: ['web-1', 'web-2'], orphans, extraInstanceHours: 0 }, timeline: EMPTY_TIMELINE }) as unknown as SimulationReport;
  // The stopped execution's own report judged web-3 and web-4 at its end (186 s), before they were healthy.
  return [report('run', ['web-3', 'web-4'], ['web-3', 'web-4'], firstPlanBound, 40), report('run-again', ['web-5', 'web-6'], [], 230, 99)];
}

describe('the report of a run stopped and started again', () => {
  it('runs from the first start to the last end, against the first plan\'s bound, and counts both executions\' transitions', () => {
    const events = [[at(0), at(186)], [at(246), at(478)]];

    const whole = wholeRun(replaceStopped(230), events, 186);

    expect(whole.makespanSeconds).toBe(478);
    expect(whole.lowerBoundSeconds).toBe(230);
    expect(whole.stateTransitions).toBe(139);
    expect(whole.restart).toEqual({ stopAfterSeconds: 186, applied: true, stoppedExecution: 'run', startedAgainAtSeconds: 246 });
  });

  it('without a plan in the stopped execution, the bound is the stop, the pause and the second plan\'s bound', () => {
    const whole = wholeRun(replaceStopped(0), [[at(0), at(5)], [at(65), at(300)]], 5);

    expect(whole.lowerBoundSeconds).toBe(5 + 60 + 230);
  });

  it('keeps the stopped execution\'s hosts that serve at the end as launched, and no longer as orphans', () => {
    const whole = wholeRun(replaceStopped(230), [[at(0), at(186)], [at(246), at(478)]], 186);

    expect(whole.compute!.launched.sort()).toEqual(['web-3', 'web-4', 'web-5', 'web-6']);
    expect(whole.compute!.orphans).toEqual([]);
  });

  it('a restart that was not applied leaves the one report as it is, saying when the execution had ended', () => {
    const [first] = replaceStopped(230);

    const whole = wholeRun([first!], [[at(0), at(23)]], 120);

    expect(whole.restart).toEqual({ stopAfterSeconds: 120, applied: false, endedAtSeconds: 23 });
    expect(whole.lowerBoundSeconds).toBe(230);
    expect(whole.compute).toBe(first!.compute);
  });
});
