/**
 * `fleetflow plan --workflow allocate|scale-out|replace`: each workflow's own Plan handler,
 * read-only, and an estimate held to what the simulated run then takes (within 10%). A
 * refusal is the workflow's own, word for word: the plan and the execution fail alike.
 * Small fleets (simulate's defaults); the synthesized template comes from the cache.
 */
import { describe, expect, it } from 'vitest';
import { isFleetFlowRefusal } from '../../../lambdas/domain/contract/errors';
import { simulateExecutions, type SimulatedWorkflow, type SimulationReport } from '../../../lib/simulator/simulate';
import { planWorkflow, type WorkflowPlanReport } from '../../../lib/plan/plan-workflow';
import { canonical } from '../helpers';

type Compute = 'allocate' | 'scale-out' | 'replace';

async function plan(workflow: Compute, input: unknown, faults: string[] = []): Promise<WorkflowPlanReport> {
  const planned = await planWorkflow({ workflow, environment: canonical, input, simulated: { faults } });
  if (planned.workflow === 'deploy') throw new Error('planned a deploy');
  return planned.report;
}

/** One run as `simulate <workflow>` runs it (allocate: on an account that lost its instances). */
async function simulate(workflow: SimulatedWorkflow, input: unknown, faults: string[] = []): Promise<SimulationReport> {
  const { reports } = await simulateExecutions({ environment: canonical, input, workflow, empty: workflow === 'allocate', faults, executions: [{ input }] });
  return reports[0]!;
}

const within = (expected: number, actual: number) => Math.abs(expected - actual) / actual;

describe('fleetflow plan --workflow (compute)', () => {
  it.each<[Compute, unknown, boolean]>([
    ['allocate', {}, true],
    // Scale-out's installs run longer than declared on the simulated hosts; the checks watch the end, so its looks hold too.
    ['scale-out', { tier: 'web', add: 2 }, true],
    ['replace', { targets: ['web-1'] }, true],
  ])('%s: expects the duration (and transitions) of the run it plans within 10%', async (workflow, input, transitions) => {
    const planned = await plan(workflow, input);
    const run = await simulate(workflow, input);

    expect(run.status).toBe('SUCCEEDED');
    expect(planned.steps.filter((s) => s.action === 'launch').reduce((n, s) => n + s.hosts, 0)).toBe(run.compute!.launched.length);
    expect(within(planned.estimate.expectedSeconds, run.makespanSeconds)).toBeLessThanOrEqual(0.1);
    if (transitions) expect(within(planned.estimate.stateTransitions, run.stateTransitions)).toBeLessThanOrEqual(0.1);
    expect(planned.estimate.childExecutions).toBe(run.childExecutions);
    // Allocate creates the database while the hosts launch (one Parallel), and says so.
    if (workflow === 'allocate') expect(planned.database).toMatch(/^create canonical-db .* while the hosts launch, which are set up once it is available$/);
  });

  it('replace "unhealthy" on a healthy fleet: the plan says nothing is done and the lock is not taken, and counts the run\'s transitions exactly', async () => {
    const input = { targets: 'unhealthy' };
    const planned = await plan('replace', input);
    const run = await simulate('replace', input);

    expect(planned.summary).toBe('nothing to do: no unhealthy host: nothing replaced; the run ends at its plan, without taking the lock');
    expect(run.status).toBe('SUCCEEDED');
    // Start, Plan Replace, Anything To Do?, Notify Succeeded, Replace Complete.
    expect(planned.estimate.stateTransitions).toBe(run.stateTransitions);
    expect(planned.estimate.expectedSeconds).toBe(run.makespanSeconds);
  });

  it('replace names the hosts it retires, batch by batch, with what stays in service', async () => {
    const planned = await plan('replace', { targets: ['web-1', 'mid-2'] });

    expect(planned.steps.filter((s) => s.action === 'retire').map((s) => [s.tier, s.batches.map((b) => b.hosts)])).toEqual(
      expect.arrayContaining([
        ['web', [['web-1']]],
        ['middle', [['mid-2']]],
      ]),
    );
    // Both of each tier's hosts serve before; the replacement serves before the old host goes.
    expect(planned.steps.find((s) => s.action === 'retire' && s.tier === 'web')!.batches[0]!.stayInService).toBe(2);
  });

  it.each<[Compute, unknown, string[]]>([
    ['allocate', {}, ['sg-blocked:web']],
    ['scale-out', { tier: 'web', add: 1 }, ['listener-missing:web']],
    ['replace', { targets: ['web-9'] }, []],
  ])('%s refuses what the workflow refuses, with its message (%j, faults %j)', async (workflow, input, faults) => {
    const refusal = await plan(workflow, input, faults).then(
      () => undefined,
      (err: unknown) => err,
    );
    const run = await simulate(workflow, input, faults);

    expect(isFleetFlowRefusal(refusal)).toBe(true);
    expect(run.status).toBe('FAILED');
    expect({ error: (refusal as Error).name, cause: (refusal as Error).message }).toEqual({ error: run.error, cause: run.cause });
    expect(run.compute!.launched).toEqual([]);
  });
});

describe('fleetflow plan --workflow scale-in', () => {
  /** Four web hosts: ceil(50% of 4) = 2 and the declared count 2 let two go; the smallest fleet where a scale-in runs at all. */
  const hostsPerTier = 4;
  const planScaleIn = async (input: unknown, hosts?: number, faults: string[] = []) => {
    const planned = await planWorkflow({ workflow: 'scale-in', environment: canonical, input, simulated: { faults, ...(hosts === undefined ? {} : { hostsPerTier: hosts }) } });
    if (planned.workflow === 'deploy') throw new Error('planned a deploy');
    return planned.report;
  };
  const simulateScaleIn = async (input: unknown, hosts?: number, faults: string[] = []) =>
    (await simulateExecutions({ environment: canonical, input, workflow: 'scale-in', faults, ...(hosts === undefined ? {} : { hostsPerTier: hosts }), executions: [{ input }] })).reports[0]!;

  it('names the hosts the run retires, and expects its duration and transitions within 5%', async () => {
    const input = { tier: 'web', remove: 2 };
    const planned = await planScaleIn(input, hostsPerTier);
    const run = await simulateScaleIn(input, hostsPerTier);

    expect(run.status, run.cause).toBe('SUCCEEDED');
    // The same hosts the run stops (the planner is the run's own); the report lists them by name.
    const chosen = planned.scaleIn!.chosen.map((h) => h.name);
    expect([...chosen].sort()).toEqual([...run.compute!.stopped].sort());
    expect(planned.scaleIn).toMatchObject({ tier: 'web', hosts: 4, remove: 2, left: 2, capacityFloor: 2, count: 2, minimum: 2, retire: 'stop' });
    // Zone-balanced: one from each zone, so the two zones stay even.
    expect(Object.values(planned.scaleIn!.zones)).toEqual([
      { before: 2, after: 1 },
      { before: 2, after: 1 },
    ]);
    expect(planned.steps).toEqual([{ tier: 'web', action: 'retire', hosts: 2, minInService: 2, batches: [{ hosts: chosen, stayInService: 2 }] }]);
    expect(run.minInService.web).toBeGreaterThanOrEqual(planned.scaleIn!.minimum);
    // The drain check ends the drain in seconds, so the run is about 25 s and the estimate's assumed stop (Retire
    // Hosts' own 20 s expectation) and drain check (its declared 10 s) weigh more than 5% of it: held within 10 s.
    expect(Math.abs(planned.estimate.expectedSeconds - run.makespanSeconds)).toBeLessThanOrEqual(Math.max(10, 0.05 * run.makespanSeconds));
    expect(within(planned.estimate.stateTransitions, run.stateTransitions)).toBeLessThanOrEqual(0.05);
    expect(planned.estimate.childExecutions).toBe(run.childExecutions);
  });

  it('removes a host already failing its health check before a healthy one, and says why', async () => {
    // Review item 3: with web-3 down, removing the oldest healthy host would leave the tier at its floor with web-3 still down.
    const input = { tier: 'web', remove: 1 };
    const faults = ['down:web-3'];
    const planned = await planScaleIn(input, hostsPerTier, faults);
    const run = await simulateScaleIn(input, hostsPerTier, faults);

    expect(planned.scaleIn!.chosen).toEqual([expect.objectContaining({ name: 'web-3', outOfTraffic: false, failing: 'unhealthy in canonical-web' })]);
    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.compute!.stopped).toEqual(['web-3']);
    // The three healthy hosts served throughout.
    expect(run.minInService.web).toBe(3);
  });

  it('refuses, before the lock, a chosen host EC2 would not stop: nothing drained, nothing stopped', async () => {
    // Review item 6: web-2 is the host chosen here (the oldest of the fuller zone); it has stop protection.
    const input = { tier: 'web', remove: 1 };
    const faults = ['protected:web-2'];
    const refusal = await planScaleIn(input, hostsPerTier, faults).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    const run = await simulateScaleIn(input, hostsPerTier, faults);

    expect(refusal?.name).toBe('InvalidInputError');
    expect(refusal?.message).toMatch(/^tier web: web-2 \(i-\w+\) has stop protection \(DisableApiStop\): .*nothing was changed$/);
    expect(run.status).toBe('FAILED');
    expect({ error: run.error, cause: run.cause }).toEqual({ error: refusal!.name, cause: refusal!.message });
    expect(run.compute!.stopped).toEqual([]);
    expect(run.minInService.web).toBe(hostsPerTier);
  });

  it('refuses below the declared count what the workflow refuses, with its message', async () => {
    // Two web hosts (simulate's default) and a declared count of 2: none may go.
    const input = { tier: 'web', remove: 1 };
    const refusal = await planScaleIn(input).then(
      () => undefined,
      (err: unknown) => err,
    );
    const run = await simulateScaleIn(input);

    expect(isFleetFlowRefusal(refusal)).toBe(true);
    expect((refusal as Error).message).toContain('below its declared count of 2');
    expect(run.status).toBe('FAILED');
    expect({ error: (refusal as Error).name, cause: (refusal as Error).message }).toEqual({ error: run.error, cause: run.cause });
    expect(run.compute!.stopped).toEqual([]);
  });
});
