/** The closing summary of a simulated run (lib/cli/summary.ts): the lower-bound ratio only where it means something. */
import { describe, expect, it } from 'vitest';
import { formatHumanSummary } from '../../lib/cli/summary';
import type { SimulationReport } from '../../lib/simulator/simulate';

const run = (status: string): SimulationReport =>
  ({
    status,
    workflow: 'scale-out',
    release: undefined,
    hosts: [],
    minInService: {},
    minHealthyRequired: {},
    makespanSeconds: 110,
    lowerBoundSeconds: 215,
    stateTransitions: 40,
    realTimeMs: 1_000,
    throttledCalls: 0,
    ...(status === 'SUCCEEDED' ? {} : { error: 'LaunchFailedError', cause: 'no capacity' }),
  }) as unknown as SimulationReport;

describe('the summary of a simulated run', () => {
  it('gives the makespan against the lower bound for a run that succeeded', () => {
    expect(formatHumanSummary({ ...run('SUCCEEDED'), makespanSeconds: 219 })).toContain('virtual time 00:03:39 (1.019 x lower bound 00:03:35), 40 state transitions');
  });

  it('gives no ratio for a run that stopped early: the bound is of the whole workflow', () => {
    const summary = formatHumanSummary(run('FAILED'));

    expect(summary).toContain('virtual time 00:01:50, 40 state transitions');
    expect(summary).not.toContain('lower bound');
  });
});
