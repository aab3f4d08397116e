/**
 * `fleetflow plan --workflow restore-data|recover`: Plan Restore Data's and Plan Recover's own
 * code, read-only; the recovery point and the data lost said before anything starts, as the
 * run's plan says them; the estimate held to the simulated run within 10%; a refusal the
 * workflow's own, word for word.
 */
import { describe, expect, it } from 'vitest';
import { isFleetFlowRefusal } from '../../../lambdas/domain/contract/errors';
import { SIMULATION_EPOCH, simulateExecutions, type SimulationReport } from '../../../lib/simulator/simulate';
import { planWorkflow, type WorkflowPlanReport } from '../../../lib/plan/plan-workflow';
import { formatWorkflowPlan } from '../../../lib/plan/format-plan';
import { canonical } from '../helpers';

type Data = 'restore-data' | 'recover';

/** Planned on the account `simulate <workflow>` starts from, or (hostsPerTier) on one whose hosts and database are all there. */
async function plan(workflow: Data, input: unknown, hostsPerTier?: number): Promise<WorkflowPlanReport> {
  const planned = await planWorkflow({ workflow, environment: canonical, input, simulated: hostsPerTier === undefined ? {} : { hostsPerTier } });
  if (planned.workflow === 'deploy') throw new Error('planned a deploy');
  return planned.report;
}

/** As `simulate <workflow>` runs it: recover on an account that lost its instances and database, not its snapshots. */
async function simulate(workflow: Data, input: unknown): Promise<SimulationReport> {
  const empty = workflow === 'recover';
  const { reports } = await simulateExecutions({ environment: canonical, input, workflow, empty, keepSnapshots: empty, executions: [{ input }] });
  return reports[0]!;
}

const within = (expected: number, actual: number) => Math.abs(expected - actual) / actual;

describe('fleetflow plan --workflow (data)', () => {
  it.each<[Data, unknown]>([
    ['restore-data', { source: 'latest' }],
    ['recover', {}],
  ])('%s: the recovery point and data lost of the run, its duration and transitions within 10%', async (workflow, input) => {
    const planned = await plan(workflow, input);
    const run = await simulate(workflow, input);

    expect(run.status).toBe('SUCCEEDED');
    const point = run.recoveryPointTime ?? (run.output as { recoveryPointTime: string }).recoveryPointTime;
    expect(planned.recovery!.recoveryPointTime).toBe(point);
    // The run plans at its start (the simulation's epoch): the writes since the recovery point are lost.
    expect(planned.recovery!.dataLossSeconds).toBe((SIMULATION_EPOCH - Date.parse(point)) / 1000);
    expect(within(planned.estimate.expectedSeconds, run.makespanSeconds)).toBeLessThanOrEqual(0.1);
    expect(within(planned.estimate.stateTransitions, run.stateTransitions)).toBeLessThanOrEqual(0.1);
    expect(planned.estimate.childExecutions).toBe(run.childExecutions);
  });

  it('recover plans the path Plan Recover chooses: nothing serves, so allocate restores while the hosts launch; hosts remain, so restore-data repoints them', async () => {
    const lost = await plan('recover', {});
    // A full seeded account records no release: the input gives one, as an operator would.
    const remaining = await plan('recover', { release: '1.0.0' }, 2);
    const text = formatWorkflowPlan(lost, new Date('2026-12-07T08:00:00Z'));

    expect(lost.parts!.map((p) => [p.workflow, (p.input as { database?: string }).database])).toEqual([
      ['allocate', 'restore'],
      ['deploy', undefined],
    ]);
    expect(lost.steps.some((s) => s.action === 'repoint')).toBe(false);
    expect(text).toContain('database: restores the data while the hosts launch');
    expect(text).toContain('before any host is set up');
    expect(text).not.toContain('until the repoint');
    expect(remaining.parts!.map((p) => p.workflow)).toEqual(['allocate', 'restore-data', 'deploy']);
    expect(remaining.steps.filter((s) => s.action === 'repoint').map((s) => s.tier)).toEqual(['middle', 'web']);
    // The old path waits for allocate, then restores and repoints: the fast path is the shorter.
    expect(lost.estimate.expectedSeconds).toBeLessThan(remaining.estimate.expectedSeconds);
  });

  it('restore-data names the hosts it repoints, batch by batch, with what stays in service', async () => {
    const planned = await plan('restore-data', { source: 'latest-snapshot' });

    expect(planned.recovery!.source).toMatch(/^snapshot /);
    expect(planned.steps.map((s) => [s.tier, s.batches.map((b) => [b.hosts, b.stayInService])])).toEqual([
      ['middle', [[['mid-1'], 1], [['mid-2'], 1]]],
      ['web', [[['web-1'], 1], [['web-2'], 1]]],
    ]);
  });

  it.each<[Data, unknown]>([
    ['restore-data', { source: 'no-such-snapshot' }],
    ['recover', { source: 'no-such-snapshot' }],
  ])('%s refuses what the workflow refuses, with its message (%j)', async (workflow, input) => {
    const refusal = await plan(workflow, input).then(
      () => undefined,
      (err: unknown) => err,
    );
    const run = await simulate(workflow, input);

    expect(isFleetFlowRefusal(refusal)).toBe(true);
    expect(run.status).toBe('FAILED');
    expect({ error: (refusal as Error).name, cause: (refusal as Error).message }).toEqual({ error: run.error, cause: run.cause });
  });
});
