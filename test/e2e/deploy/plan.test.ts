/**
 * `fleetflow plan`: the workflow's own planning code, read-only, and an estimate a person can
 * act on. The estimate is a model (lib/plan/release-estimate.ts); here it is held to what the
 * simulated release then takes, within 10%, on environments whose durations are declared.
 */
import { describe, expect, it } from 'vitest';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { allClients } from '../../../lambdas/shared/clients';
import { InvalidInputError, PlanExceedsQuotaError } from '../../../lambdas/domain/contract/errors';
import { planRelease } from '../../../lambdas/deploy/plan-release';
import { noFaults } from '../../../lib/simulator/faults';
import { seedAccount } from '../../../lib/simulator/fleet';
import { attachSimulator } from '../../../lib/simulator/intercept';
import { simulateDeploy, useSimulatedAwsEnvironment } from '../../../lib/simulator/simulate';
import { guardReadOnly, planDeploy, PlanWouldWriteError } from '../../../lib/plan/plan-deploy';
import { formatPlan } from '../../../lib/plan/format-plan';
import { canonical } from '../helpers';

describe('fleetflow plan', () => {
  it.each([2, 20])('expects, at %i hosts per tier, the duration and the transitions of the release it plans, within 10%', async (hostsPerTier) => {
    const { estimate, plan } = await planDeploy({ environment: canonical, input: { release: '1.2.0' }, simulatedHostsPerTier: hostsPerTier });
    const report = await simulateDeploy({ environment: canonical, input: { release: '1.2.0' }, hostsPerTier });

    expect(report.status).toBe('SUCCEEDED');
    expect(plan.batchCount).toBe(report.hosts.filter((h) => h.tier !== 'database' && h.tier !== 'monitoring').length);
    expect(Math.abs(estimate.expectedSeconds - report.makespanSeconds) / report.makespanSeconds).toBeLessThanOrEqual(0.1);
    expect(Math.abs(estimate.stateTransitions - report.stateTransitions) / report.stateTransitions).toBeLessThanOrEqual(0.1);
  });

  it('refuses what Plan Release refuses, with its message', async () => {
    const input = { release: 'not a release!' };
    const workflow = await planRelease({ environment: canonical, input, execution: 'x' }).catch((err: Error) => err);

    await expect(planDeploy({ environment: canonical, input, simulatedHostsPerTier: 2 })).rejects.toThrow(InvalidInputError);
    await expect(planDeploy({ environment: canonical, input, simulatedHostsPerTier: 2 })).rejects.toThrow((workflow as Error).message);
  });

  it('refuses, as the deploy\'s Plan Release would when it stores the plan, a plan that cannot fit Step Functions\' quotas', async () => {
    await expect(planDeploy({ environment: canonical, input: { release: '1.2.0' }, simulatedHostsPerTier: 5_000 })).rejects.toThrow(PlanExceedsQuotaError);
  });

  it('lets reads through and refuses, before sending, any call that would change the account', async () => {
    const restore = useSimulatedAwsEnvironment();
    const account = seedAccount(canonical, noFaults());
    const detach = attachSimulator(allClients as never, account);
    const release = guardReadOnly(allClients);
    try {
      await expect(allClients.ec2.send(new DescribeInstancesCommand({}))).resolves.toBeDefined();
      await expect(allClients.dynamodb.send(new PutItemCommand({ TableName: 'any', Item: { pk: { S: 'x' } } }))).rejects.toThrow(PlanWouldWriteError);
      expect(account.calls.get('dynamodb:PutItem') ?? 0).toBe(0);
    } finally {
      release();
      detach();
      restore();
    }
  });

  it('prints a bounded plan at any fleet size: a tier\'s batches summarised, no line over 200 characters', async () => {
    const report = await planDeploy({ environment: canonical, input: { release: '1.2.0' }, simulatedHostsPerTier: 300 });
    const lines = formatPlan(report, new Date('2026-12-07T08:00:00Z')).trimEnd().split('\n');

    expect(lines.length).toBeLessThanOrEqual(20);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(200);
    expect(lines.join('\n')).toContain('batch 300/300: web-300 out of traffic, 299 of 300 stay in service');
    expect(lines.join('\n')).toContain('… 296 more batch(es) alike');
    expect(lines.join('\n')).toMatch(/expected: \d+ h \d+ min \(ends about \d\d:\d\d UTC if started now\), [\d,]+ state transitions \(about \$\d+\.\d{4}\)/);
  });
});
