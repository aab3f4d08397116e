/**
 * Plan Rollback of a surge tier: the minimum its retire batches keep while the surge's new hosts
 * leave. Behind target groups it is the old hosts the revert restores first (each health-checked
 * before any new host leaves), compared at each take-out with what serves then; neither the floor nor
 * the old hosts serving at plan time: a host lost since (before or during the rollback) could never
 * be made up, and the rollback would fail with both releases serving. Never down to nothing;
 * a tier no target group watches keeps the floor too.
 */
import { DescribeInstancesCommand, EC2Client, type DescribeInstancesCommandInput } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { planRollback } from '../../../lambdas/deploy/plan-rollback';
import type { DeployPlan, TierPlan } from '../../../lambdas/domain/contract/payloads';
import { LAUNCHED_BY_TAG, LAUNCH_SCOPE_TAG, RELEASE_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG, SURGE_REASON } from '../../../lambdas/domain/contract/tags';
import { deployPlan, NO_TRAFFIC, webTier } from '../fixtures';

const ec2Mock = mockClient(EC2Client);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const EXECUTION = 'deploy-2-0-0';

interface Host {
  id: string;
  state: 'running' | 'stopped';
  tags: Record<string, string>;
  healthy: boolean;
}
let fleet: Host[];

const old = (n: number, healthy = true): Host => ({ id: `i-old${n}`, state: 'running', tags: { Name: `web-${n}`, [RELEASE_TAG]: '1.0.0' }, healthy });
/** An old host the surge stopped (retired by this execution, reason surge). */
const stopped = (n: number): Host => ({ ...old(n, false), state: 'stopped', tags: { ...old(n).tags, [RETIRED_BY_TAG]: EXECUTION, [RETIRED_REASON_TAG]: SURGE_REASON } });
/** A new host this execution's surge launched, on the release, in service. */
const added = (n: number): Host => ({
  id: `i-new${n}`,
  state: 'running',
  tags: { Name: `web-${n}`, [RELEASE_TAG]: '2.0.0', [LAUNCHED_BY_TAG]: EXECUTION, [LAUNCH_SCOPE_TAG]: 'surge#web#0' },
  healthy: true,
});

function surgePlan(spec: TierPlan): DeployPlan {
  const planned = fleet.filter((h) => h.id.startsWith('i-old')).map((h) => ({ id: h.id, name: h.tags.Name!, previous: '1.0.0' }));
  const surge = { launch: { template: { name: 'web' }, version: '1', subnets: [], instanceTypes: [] }, setup: [], readyTimeoutSeconds: 600 } as unknown as TierPlan['surge'];
  return deployPlan([{ spec: { ...spec, hostTags: { 'fleetflow:tier': 'web' }, retire: 'stop', surge }, batchCount: 1, batches: [planned] }]);
}

/** The minimum the revert's retire batches (the surge's new hosts leaving) keep. */
async function retireMinimum(spec: TierPlan): Promise<number | undefined> {
  const revert = await planRollback(surgePlan(spec), EXECUTION);
  return revert.tiers.find((t) => t.mode === 'retire')?.spec.minHealthy;
}

beforeEach(() => {
  ec2Mock.reset();
  elbMock.reset();
  // As EC2 answers these filters: by instance ID or by tag, in the states asked for.
  ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
    const ids = input.Filters?.find((f) => f.Name === 'instance-id')?.Values;
    const states = input.Filters?.find((f) => f.Name === 'instance-state-name')?.Values;
    const found = fleet.filter((h) => (!ids || ids.includes(h.id)) && (!states || states.includes(h.state)));
    return { Reservations: [{ Instances: found.map((h) => ({ InstanceId: h.id, State: { Name: h.state }, Tags: Object.entries(h.tags).map(([Key, Value]) => ({ Key, Value })) })) }] };
  });
  elbMock.on(DescribeTargetHealthCommand).callsFake(() => ({
    TargetHealthDescriptions: fleet.filter((h) => h.state === 'running').map((h) => ({ Target: { Id: h.id }, TargetHealth: { State: h.healthy ? 'healthy' : 'unhealthy' } })),
  }));
});

describe('the surge revert of a tier behind target groups', () => {
  it('keeps the old hosts it restores, below the floor when a host was lost since the start', async () => {
    // web-1 stopped by the surge (restored first), web-2 serving, web-3 and web-4 lost since: the take-out keeps web-1's place
    fleet = [stopped(1), old(2), old(3, false), old(4, false), added(5)];

    expect(await retireMinimum(webTier({ hostCount: 4, minHealthy: 3 }))).toBe(1);
  });

  it('does not freeze the old hosts serving at plan time into the minimum: one lost during the rollback must not refuse the take-out', async () => {
    // web-1, web-2 restored; web-3, web-4 serve now but may be lost before the new hosts leave: only the 2 restored are kept.
    fleet = [stopped(1), stopped(2), old(3), old(4), added(5), added(6)];

    expect(await retireMinimum(webTier({ hostCount: 4, minHealthy: 3 }))).toBe(2);
    // Read live at the take-out (Check Capacity), not here: Plan Rollback asks no target group for the surge tier.
    expect(elbMock.commandCalls(DescribeTargetHealthCommand)).toHaveLength(0);
  });

  it('never takes the new hosts out down to nothing: with no old host serving it keeps one', async () => {
    fleet = [old(1, false), old(2, false), added(5)];

    expect(await retireMinimum(webTier({ hostCount: 2, minHealthy: 1 }))).toBe(1);
  });
});

describe('the surge revert of a tier no target group watches', () => {
  it('keeps the floor: only the restored hosts are counted there, not those serving', async () => {
    fleet = [stopped(1), old(2), old(3), old(4), added(5)];

    expect(await retireMinimum(webTier({ hostCount: 4, minHealthy: 3, traffic: NO_TRAFFIC }))).toBe(3);
  });
});
