/** The closing summary of a simulated run (lib/cli/summary.ts): the lower-bound ratio only where it means something. */
import { describe, expect, it } from 'vitest';
import { formatHumanSummary } from '../../lib/cli/summary';
import type { SimulationReport } from '../../lib/simulator/simulate';
import { replaceDatabaseLowerBoundSeconds } from '../../lib/simulator/replace-database-report';

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

  it('says, for replace-database, which instance serves, the writes and the pause, and names the kept old instance only once switched over', () => {
    const replaced = (blueServes: boolean) =>
      ({
        ...run(blueServes ? 'FAILED' : 'SUCCEEDED'),
        workflow: 'replace-database',
        oldDatabase: { identifier: blueServes ? 'db' : 'db-old1', unchanged: true, kept: true },
        replaceDatabase: {
          newDatabase: { identifier: 'db' },
          blueServes,
          deploymentStatus: blueServes ? 'SWITCHOVER_FAILED' : 'SWITCHOVER_COMPLETED',
          hostsRepointed: [],
          endpointUnchanged: true,
          writes: { beforeSwitchover: 12, onServingInstance: 12, lost: 0 },
          downtimeSeconds: 45,
        },
      }) as unknown as SimulationReport;

    const switched = formatHumanSummary(replaced(false));
    expect(switched).toContain('db served by the green instance (SWITCHOVER_COMPLETED); endpoint unchanged; hosts repointed: 0');
    expect(switched).toContain('writes: 12 before the switchover, 0 lost; writes paused 45 s');
    expect(switched).toContain('old instance: db-old1, kept, unchanged');
    const failed = formatHumanSummary(replaced(true));
    expect(failed).toContain('db still served by the blue instance (SWITCHOVER_FAILED)');
    expect(failed).not.toContain('old instance');
  });

  it('says, for replace-database with no switchover (the lag never settled), that no write was paused or at stake, never "null"', () => {
    const summary = formatHumanSummary({
      ...run('FAILED'),
      workflow: 'replace-database',
      replaceDatabase: {
        newDatabase: { identifier: 'db' },
        blueServes: true,
        deploymentStatus: 'AVAILABLE',
        hostsRepointed: [],
        endpointUnchanged: true,
        writes: { beforeSwitchover: null, onServingInstance: 1800, lost: 0 },
        downtimeSeconds: 0,
      },
    } as unknown as SimulationReport);

    expect(summary).toContain('writes: no switchover happened, so none were paused and none were at stake');
    expect(summary).not.toContain('null');
  });
});

describe('the summary of a replace', () => {
  const replaced = (launched: string[]) =>
    ({ ...run('SUCCEEDED'), workflow: 'replace', compute: { launched, terminated: [], stopped: launched.length ? ['web-1'] : [], orphans: [] } }) as unknown as SimulationReport;

  it('says "no unhealthy host: nothing replaced" when the run found none, and not when it replaced one', () => {
    expect(formatHumanSummary(replaced([]))).toContain('no unhealthy host: nothing replaced');
    expect(formatHumanSummary(replaced(['web-3']))).not.toContain('nothing replaced');
  });
});

describe("replace-database's lower bound, from the modelled durations", () => {
  it('is the provisioning, the later of the green check and the lag settling under the threshold, and the switchover', () => {
    // 90 s of lag falling to 1 s over 240 s: under 5 s (rounded) once 1 - 5.5/90 of the way, 225.3 s in; the check takes 21 s.
    expect(replaceDatabaseLowerBoundSeconds(5)).toBe(1200 + 226 + 45);
    // A threshold above the initial lag: the check alone.
    expect(replaceDatabaseLowerBoundSeconds(120)).toBe(1200 + 21 + 45);
    // Below the floor the lag never gets there; and no threshold, no bound: never 0 as if measured.
    expect(replaceDatabaseLowerBoundSeconds(0)).toBeUndefined();
    expect(replaceDatabaseLowerBoundSeconds(undefined)).toBeUndefined();
  });
});
