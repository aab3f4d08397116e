/**
 * `fleetflow plan --workflow replace-database`: Plan Replace Database's own checks, read-only.
 * On a database RDS Blue/Green Deployments can replace (canonical's, created in
 * "fleetflow-secret" mode: no RDS-managed password), the plan says so, with the green's
 * settings, the lag threshold and the switchover timeout, and an estimate held to the simulated
 * run; an unsupported change is refused word for word as the run refuses it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isFleetFlowRefusal } from '../../../lambdas/domain/contract/errors';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { simulateExecutions } from '../../../lib/simulator/simulate';
import { planWorkflow } from '../../../lib/plan/plan-workflow';

const supported = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url)));

async function plan(input: unknown) {
  const planned = await planWorkflow({ workflow: 'replace-database', environment: supported, input, simulated: {} });
  if (planned.workflow === 'deploy') throw new Error('planned a deploy');
  return planned.report;
}

const simulate = async (input: unknown) => (await simulateExecutions({ environment: supported, workflow: 'replace-database', input, executions: [{ input }] })).reports[0]!;

const within = (expected: number, actual: number) => Math.abs(expected - actual) / actual;

describe('fleetflow plan --workflow replace-database', () => {
  it('says the replacement is supported, with the green, the lag threshold and the timeout, and expects the run within 5%', async () => {
    const input = { instanceClass: 'db.m6g.xlarge', maxLagSeconds: 5, switchoverTimeoutSeconds: 120 };
    const planned = await plan(input);
    const run = await simulate(input);

    expect(run.status, run.cause).toBe('SUCCEEDED');
    expect(run.replaceDatabase!.newDatabase!.instanceClass).toBe('db.m6g.xlarge');
    expect(planned.replaceDatabase).toMatchObject({
      supported: true,
      current: { identifier: 'canonical-db', instanceClass: 'db.m6g.large', allocatedStorage: 100 },
      green: { instanceClass: 'db.m6g.xlarge', allocatedStorage: 100 },
      changes: { instanceClass: 'db.m6g.xlarge' },
      maxLagSeconds: 5,
      switchoverTimeoutSeconds: 120,
      check: { document: 'FleetFlow-CheckDatabase', runner: 'mid-1' },
    });
    // No host is touched: the green takes the blue's endpoint.
    expect(planned.steps).toEqual([]);
    expect(run.replaceDatabase!.hostsRepointed).toEqual([]);
    expect(planned.database).toContain('SwitchoverTimeout 120 s');
    expect(within(planned.estimate.expectedSeconds, run.makespanSeconds)).toBeLessThanOrEqual(0.05);
    expect(within(planned.estimate.stateTransitions, run.stateTransitions)).toBeLessThanOrEqual(0.05);
    expect(planned.estimate.childExecutions).toBe(run.childExecutions);
  });

  it('refuses what Blue/Green Deployments cannot do, with the workflow\'s own message, before anything changes', async () => {
    // RDS cannot shrink storage: canonical's instance has 100 GiB.
    const input = { allocatedStorage: 50 };
    const refusal = await plan(input).then(
      () => undefined,
      (err: unknown) => err,
    );
    const run = await simulate(input);

    expect(isFleetFlowRefusal(refusal)).toBe(true);
    expect((refusal as Error).name).toBe('BlueGreenUnsupportedError');
    expect(run.status).toBe('FAILED');
    expect({ error: (refusal as Error).name, cause: (refusal as Error).message }).toEqual({ error: run.error, cause: run.cause });
    expect(run.replaceDatabase?.deploymentStatus ?? null).toBeNull();
  });
});
