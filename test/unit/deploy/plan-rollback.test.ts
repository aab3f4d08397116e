import { DescribeInstancesCommand, EC2Client, type DescribeInstancesCommandInput } from '@aws-sdk/client-ec2';
import { BatchGetItemCommand, BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler, MAX_FILTER_VALUES_PER_DESCRIBE, MAX_IDS_PER_DESCRIBE, planRollback } from '../../../lambdas/deploy/plan-rollback';
import type { DeployPlan, HostRef, PlannedTier, StoredPlan, TierPlan } from '../../../lambdas/domain/contract/payloads';
import { PlanExceedsQuotaError } from '../../../lambdas/domain/contract/errors';
import { partition, partitionIntoWaves } from '../../../lambdas/domain/environment/batch-policy';
import { deployPlan, middleHost, validationPlan, webHost, webTier } from '../fixtures';

const ec2Mock = mockClient(EC2Client);
const elbMock = mockClient(ElasticLoadBalancingV2Client);

/** The fleetflow:release tag of each instance as EC2 reports it now; absent means untagged. */
let releaseTags: Map<string, string>;
/** Instances gone since the plan: EC2 no longer reports them. */
let terminated: Set<string>;
/** Hosts with an install sent and not recorded (fleetflow:installing), by the release sent. */
let installing: Map<string, string>;
/** Instances per DescribeInstances page. */
let pageSize: number;
/** Hosts carrying FleetFlow's out-of-traffic mark. */
let markedOut: Set<string>;
/** Hosts the target group does not report healthy (every other planned host is). */
let unhealthy: Set<string>;

function tagged(hosts: readonly HostRef[], release: string): void {
  for (const host of hosts) releaseTags.set(host.id, release);
}

function middleTier(overrides: Partial<TierPlan> = {}): TierPlan {
  return webTier({ name: 'middle', role: 'middle', alarms: ['canonical-middle-5xx'], batchSize: 1, ...overrides });
}

function plannedTier(spec: TierPlan, hosts: HostRef[]): PlannedTier {
  const batches = partition(hosts, spec.batchSize);
  return { spec: { ...spec, hostCount: hosts.length }, batchCount: batches.length, batches };
}

/** A release of 2.0.0 that planned the given middle hosts, then the given web hosts. */
function releasePlan(middle: HostRef[], web: HostRef[], webSpec: TierPlan = webTier()): DeployPlan {
  return deployPlan([plannedTier(middleTier(), middle), plannedTier(webSpec, web)]);
}

const names = (tier: PlannedTier | undefined) => tier?.batches.map((b) => b.map((h) => h.name));

/**
 * The instance IDs a DescribeInstances call filtered on. The handler must ask by filter,
 * never by InstanceIds, and only for running instances (terminated ones stay listed for a while).
 */
function filteredIds(input: DescribeInstancesCommandInput): string[] {
  expect(input.InstanceIds).toBeUndefined();
  expect(input.Filters?.map((f) => f.Name)).toEqual(['instance-id', 'instance-state-name']);
  expect(input.Filters?.[1]?.Values).toEqual(['running']);
  return input.Filters?.[0]?.Values ?? [];
}

/** The instance IDs asked about in each DescribeInstances call, in order. */
function askedIds(): string[][] {
  return ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => filteredIds(call.args[0].input));
}

beforeEach(() => {
  ec2Mock.reset();
  releaseTags = new Map();
  terminated = new Set();
  installing = new Map();
  pageSize = Number.POSITIVE_INFINITY;
  markedOut = new Set();
  unhealthy = new Set();
  elbMock.reset();
  // Every instance the test knows of is a healthy target, unless it is in `unhealthy`.
  elbMock.on(DescribeTargetHealthCommand).callsFake(() => ({
    TargetHealthDescriptions: [...releaseTags.keys(), ...installing.keys()].map((Id) => ({ Target: { Id }, TargetHealth: { State: unhealthy.has(Id) ? 'unhealthy' : 'healthy' } })),
  }));
  // As EC2 answers these filters: the instances still running, a page at a time.
  ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
    const found = filteredIds(input).filter((id) => !terminated.has(id));
    const start = input.NextToken ? Number(input.NextToken) : 0;
    const end = Math.min(found.length, start + pageSize);
    return {
      Reservations: [
        {
          Instances: found.slice(start, end).map((id) => ({
            InstanceId: id,
            Tags: [
              { Key: 'Name', Value: id },
              ...(releaseTags.has(id) ? [{ Key: 'fleetflow:release', Value: releaseTags.get(id)! }] : []),
              ...(installing.has(id) ? [{ Key: 'fleetflow:installing', Value: installing.get(id)! }] : []),
              ...(markedOut.has(id) ? [{ Key: 'fleetflow:out-of-traffic', Value: 'sim-1' }] : []),
            ],
          })),
        },
      ],
      NextToken: end < found.length ? String(end) : undefined,
    };
  });
});

describe('plan rollback', () => {
  it('reverts only the hosts whose release tag says they moved to the failed release', async () => {
    // Prepare
    const middle = [middleHost(1), middleHost(2)];
    const web = [webHost(1), webHost(2), webHost(3)];
    tagged(middle, '2.0.0');
    tagged([web[0]!], '2.0.0');
    tagged([web[1]!, web[2]!], '1.0.0');

    // Act
    const rollback = await planRollback(releasePlan(middle, web));

    // Assess
    expect(rollback.tiers.flatMap((t) => t.batches.flat()).map((h) => h.name)).toEqual(['web-1', 'middle-1', 'middle-2']);
    expect(rollback.hostCount).toBe(3);
  });

  it('reverts a host an install was sent to but never recorded, whichever release was sent last', async () => {
    // Prepare: web-1's install of 2.0.0 went through but its record did not; then a reinstall
    // of 1.0.0 was sent and not recorded either. Its release tag still says 1.0.0.
    const web = [webHost(1), webHost(2)];
    tagged(web, '1.0.0');
    installing.set(web[0]!.id, '1.0.0');

    // Act
    const rollback = await planRollback(releasePlan([], web));

    // Assess: web-1 is sent back to 1.0.0; web-2, untouched, stays out of the revert
    expect(rollback.tiers.flatMap((t) => t.batches.flat())).toEqual([{ id: web[0]!.id, name: web[0]!.name, previous: '2.0.0', target: '1.0.0' }]);
  });

  it('sends each reverted host back to the release it had, from the failed release', async () => {
    // Prepare
    const web = [webHost(1, '1.0.0'), webHost(2, '1.1.0')];
    tagged(web, '2.0.0');

    // Act
    const rollback = await planRollback(releasePlan([], web));

    // Assess
    expect(rollback.tiers[0]?.batches.flat()).toEqual([
      { id: web[0]!.id, name: 'web-1', previous: '2.0.0', target: '1.0.0' },
      { id: web[1]!.id, name: 'web-2', previous: '2.0.0', target: '1.1.0' },
    ]);
  });

  it('reverts first the hosts that serve no traffic now, so no batch waits on capacity the revert would restore', async () => {
    // Prepare: web-3's batch rollback put it back unhealthy (half-installed), web-4 is still
    // marked out of traffic, middle-2 has an install sent and never confirmed.
    const middle = [middleHost(1), middleHost(2)];
    const web = [webHost(1), webHost(2), webHost(3), webHost(4)];
    tagged([...middle, ...web], '2.0.0');
    unhealthy.add(web[2]!.id);
    markedOut.add(web[3]!.id);
    installing.set(middle[1]!.id, '2.0.0');

    // Act
    const rollback = await planRollback(releasePlan(middle, web));

    // Assess: within each tier, the hosts out of service lead, the rest keep plan order
    expect(names(rollback.tiers[0])).toEqual([['web-3', 'web-4'], ['web-1', 'web-2']]);
    expect(names(rollback.tiers[1])).toEqual([['middle-2'], ['middle-1']]);
  });

  it('keeps plan order when every moved host is in service', async () => {
    // Prepare
    const web = [webHost(1), webHost(2), webHost(3)];
    tagged(web, '2.0.0');

    // Act
    const rollback = await planRollback(releasePlan([], web));

    // Assess
    expect(names(rollback.tiers[0])).toEqual([['web-1'], ['web-2'], ['web-3']]);
  });

  it('rolls the tiers back in reverse order: web before middle', async () => {
    // Prepare
    const middle = [middleHost(1), middleHost(2)];
    const web = [webHost(1), webHost(2)];
    tagged([...middle, ...web], '2.0.0');

    // Act
    const rollback = await planRollback(releasePlan(middle, web));

    // Assess
    expect(rollback.tiers.map((t) => t.spec.name)).toEqual(['web', 'middle']);
  });

  it('drops a tier with nothing to revert', async () => {
    // Prepare
    const middle = [middleHost(1), middleHost(2)];
    const web = [webHost(1), webHost(2)];
    tagged(middle, '2.0.0');
    tagged(web, '1.0.0');

    // Act
    const rollback = await planRollback(releasePlan(middle, web));

    // Assess
    expect(rollback.tiers.map((t) => t.spec.name)).toEqual(['middle']);
    expect(names(rollback.tiers[0])).toEqual([['middle-1'], ['middle-2']]);
    expect(rollback.batchCount).toBe(2);
  });

  it('leaves a host alone whose tag is missing or names another release', async () => {
    // Prepare
    const web = [webHost(1), webHost(2), webHost(3)];
    tagged([web[0]!], '2.0.0');
    tagged([web[1]!], '3.0.0');

    // Act
    const rollback = await planRollback(releasePlan([], web));

    // Assess
    expect(names(rollback.tiers[0])).toEqual([['web-1']]);
  });

  it('batches the reverted hosts by the tier\'s batch size', async () => {
    // Prepare
    const web = [1, 2, 3, 4, 5, 6].map((n) => webHost(n));
    tagged(web.slice(0, 5), '2.0.0');

    // Act
    const rollback = await planRollback(releasePlan([], web, webTier({ batchSize: 2 })));

    // Assess
    expect(names(rollback.tiers[0])).toEqual([['web-1', 'web-2'], ['web-3', 'web-4'], ['web-5']]);
    expect(rollback.tiers[0]?.batchCount).toBe(3);
    expect(rollback.tiers[0]?.spec.batchSize).toBe(2);
  });

  it('reverts faster than the rollout went: batches of the tier\'s rollback batch size', async () => {
    // Prepare
    const web = Array.from({ length: 10 }, (_, i) => webHost(i + 1));
    tagged(web.slice(0, 7), '2.0.0');

    // Act
    const rollback = await planRollback(releasePlan([], web, webTier({ batchSize: 1, rollbackBatchSize: 3, minHealthy: 5 })));

    // Assess
    expect(names(rollback.tiers[0])).toEqual([['web-1', 'web-2', 'web-3'], ['web-4', 'web-5', 'web-6'], ['web-7']]);
    expect(rollback.tiers[0]?.batchCount).toBe(3);
  });

  it('never reverts more hosts at once than hostCount - minHealthy, whatever the rollback batch size says', async () => {
    // Prepare
    const web = Array.from({ length: 10 }, (_, i) => webHost(i + 1));
    tagged(web, '2.0.0');

    // Act
    const rollback = await planRollback(releasePlan([], web, webTier({ batchSize: 2, rollbackBatchSize: 8, minHealthy: 6 })));

    // Assess
    expect(rollback.tiers[0]?.batches.map((b) => b.length)).toEqual([4, 4, 2]);
  });

  it('reverts a rollout made in waves in even batches, not in its waves', async () => {
    // Prepare
    const web = Array.from({ length: 100 }, (_, i) => webHost(i + 1));
    tagged(web, '2.0.0');
    const spec = webTier({ hostCount: 100, minHealthy: 50, batchSize: 33, rollbackBatchSize: 50 });
    const waves = partitionIntoWaves(web, [1, 10, 33], 33);
    const plan: DeployPlan = { ...releasePlan([], []), tiers: [{ spec, batchCount: waves.length, batches: waves }], hostCount: 100, batchCount: waves.length };
    expect(waves.map((b) => b.length)).toEqual([1, 10, 33, 33, 23]);

    // Act
    const rollback = await planRollback(plan);

    // Assess
    expect(rollback.tiers[0]?.batches.map((b) => b.length)).toEqual([50, 50]);
    expect(rollback.tiers[0]?.batches.flat().map((h) => h.name)).toEqual(web.map((h) => h.name));
  });

  it.each([
    { hostCount: 2, minHealthy: 1 },
    { hostCount: 10, minHealthy: 5 },
    { hostCount: 10, minHealthy: 9 },
    { hostCount: 100, minHealthy: 50 },
    { hostCount: 100, minHealthy: 90 },
  ])('keeps $minHealthy of $hostCount hosts in service in every revert batch', async ({ hostCount, minHealthy }) => {
    // Prepare
    const web = Array.from({ length: hostCount }, (_, i) => webHost(i + 1));
    tagged(web, '2.0.0');

    for (const rollbackBatchSize of [undefined, 1, 3, hostCount - minHealthy, hostCount, 10_000]) {
      const spec = webTier({ batchSize: hostCount - minHealthy, minHealthy, ...(rollbackBatchSize === undefined ? {} : { rollbackBatchSize }) });

      // Act
      const rollback = await planRollback(releasePlan([], web, spec));

      // Assess
      const sizes = rollback.tiers[0]!.batches.map((b) => b.length);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(hostCount - minHealthy);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(hostCount);
    }
  });

  it('counts the hosts and batches of the rollback, not of the release', async () => {
    // Prepare
    const middle = [middleHost(1), middleHost(2)];
    const web = [1, 2, 3, 4].map((n) => webHost(n));
    tagged([middle[0]!, ...web.slice(0, 3)], '2.0.0');

    // Act
    const rollback = await planRollback(releasePlan(middle, web, webTier({ batchSize: 2 })));

    // Assess
    expect(rollback.hostCount).toBe(4);
    expect(rollback.batchCount).toBe(3);
    expect(rollback.alreadyReleased).toEqual([]);
  });

  it('keeps the environment, release and tier specs of the release plan', async () => {
    // Prepare
    const web = [webHost(1), webHost(2)];
    tagged(web, '2.0.0');
    const plan = releasePlan([], web);

    // Act
    const rollback = await planRollback(plan);

    // Assess
    expect(rollback).toMatchObject({ environment: 'canonical', component: 'application', release: '2.0.0', validation: plan.validation });
    expect(rollback.tiers[0]?.spec).toEqual(plan.tiers[1]?.spec);
  });

  it('plans nothing when no host moved', async () => {
    // Prepare
    const middle = [middleHost(1)];
    const web = [webHost(1)];
    tagged([...middle, ...web], '1.0.0');

    // Act
    const rollback = await planRollback(releasePlan(middle, web));

    // Assess
    expect(rollback.tiers).toEqual([]);
    expect(rollback.hostCount).toBe(0);
    expect(rollback.batchCount).toBe(0);
  });

  it('does not look at hosts that were already on the release when it was planned', async () => {
    // Prepare
    const web = [webHost(1), webHost(2)];
    const untouched = webHost(3, '2.0.0');
    tagged([...web, untouched], '2.0.0');
    const plan = { ...releasePlan([], web), alreadyReleased: [untouched.name] };

    // Act
    const rollback = await planRollback(plan);

    // Assess
    expect(askedIds().flat()).not.toContain(untouched.id);
    expect(rollback.tiers[0]?.batches.flat().map((h) => h.name)).toEqual(['web-1', 'web-2']);
  });

  it('reads the release tags of 450 hosts in DescribeInstances calls of at most 200 filter values in all', async () => {
    // Prepare
    const middle = Array.from({ length: 150 }, (_, i) => middleHost(i + 1));
    const web = Array.from({ length: 300 }, (_, i) => webHost(i + 1));
    tagged([...middle, ...web], '2.0.0');

    // Act
    const rollback = await planRollback(releasePlan(middle, web, webTier({ batchSize: 10 })));

    // Assess: EC2 counts the values of every filter of a call (FilterLimitExceeded past 200),
    // so 199 IDs fit beside the state filter's one value.
    const calls = ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input);
    const valuesPerCall = calls.map((input) => (input.Filters ?? []).reduce((n, f) => n + (f.Values?.length ?? 0), 0));
    expect(valuesPerCall).toEqual([200, 200, 53]);
    expect(valuesPerCall.every((n) => n <= MAX_FILTER_VALUES_PER_DESCRIBE)).toBe(true);
    const asked = askedIds();
    expect(asked.map((ids) => ids.length)).toEqual([199, 199, 52]);
    expect(asked.flat()).toEqual([...middle, ...web].map((h) => h.id));
    expect(rollback.hostCount).toBe(450);
    expect(rollback.tiers.map((t) => t.batchCount)).toEqual([30, 150]);
  });

  it('never sends more than 200 filter values in one DescribeInstances call, at any fleet size', async () => {
    // Prepare
    for (const size of [199, 200, 201, 398, 399, 2_500]) {
      ec2Mock.resetHistory();
      const web = Array.from({ length: size }, (_, i) => webHost(i + 1));
      tagged(web, '2.0.0');

      // Act
      const rollback = await planRollback(releasePlan([], web, webTier({ batchSize: 100 })));

      // Assess
      const calls = ec2Mock.commandCalls(DescribeInstancesCommand).map((call) => call.args[0].input);
      for (const input of calls) expect((input.Filters ?? []).reduce((n, f) => n + (f.Values?.length ?? 0), 0)).toBeLessThanOrEqual(200);
      expect(calls).toHaveLength(Math.ceil(size / MAX_IDS_PER_DESCRIBE));
      expect(rollback.hostCount).toBe(size);
    }
  });

  it('skips a host terminated since the plan and reverts the rest', async () => {
    // Prepare
    const middle = [middleHost(1), middleHost(2)];
    const web = [webHost(1), webHost(2), webHost(3)];
    tagged([...middle, ...web], '2.0.0');
    terminated.add(web[1]!.id);

    // Act
    // (3 web hosts with 1 kept in service: batches of 2 respect the floor.)
    const rollback = await planRollback(releasePlan(middle, web, webTier({ minHealthy: 1 })));

    // Assess
    expect(askedIds().flat()).toContain(web[1]!.id);
    expect(rollback.tiers.map((t) => names(t))).toEqual([[['web-1', 'web-3']], [['middle-1'], ['middle-2']]]);
    expect(rollback.hostCount).toBe(4);
    expect(rollback.batchCount).toBe(3);
  });

  it('drops a tier whose moved hosts have all been terminated since the plan', async () => {
    // Prepare
    const middle = [middleHost(1), middleHost(2)];
    const web = [webHost(1), webHost(2)];
    tagged([...middle, ...web], '2.0.0');
    for (const host of web) terminated.add(host.id);

    // Act
    const rollback = await planRollback(releasePlan(middle, web));

    // Assess
    expect(rollback.tiers.map((t) => t.spec.name)).toEqual(['middle']);
    expect(rollback.hostCount).toBe(2);
  });

  it('follows every page of the DescribeInstances answer', async () => {
    // Prepare
    pageSize = 2;
    const web = [1, 2, 3, 4, 5].map((n) => webHost(n));
    tagged(web, '2.0.0');

    // Act
    const rollback = await planRollback(releasePlan([], web));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 3);
    // Each page holds 2 instances: web-5 is only found on the third.
    expect(askedIds()).toEqual([0, 1, 2].map(() => web.map((h) => h.id)));
    expect(rollback.tiers[0]?.batches.flat().map((h) => h.name)).toEqual(['web-1', 'web-2', 'web-3', 'web-4', 'web-5']);
  });

  it('reads the release plan from the plan table and stores the revert plan there', async () => {
    // Prepare
    process.env.PLAN_TABLE = 'plan-table';
    const web = [webHost(1)];
    tagged(web, '2.0.0');
    const dynamoMock = mockClient(DynamoDBClient);
    dynamoMock.on(BatchGetItemCommand).resolves({
      Responses: { 'plan-table': [{ pk: { S: 'canonical#exec#release#web#0' }, hosts: { S: JSON.stringify(web) } }] },
      UnprocessedKeys: {},
    });
    dynamoMock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
    const { alreadyReleased: _none, ...plan } = releasePlan([], web);
    const stored: StoredPlan = {
      ...plan,
      tiers: [{ spec: webTier(), batchCount: 1, keyPrefix: 'canonical#exec#release#web', segments: [{ first: 0, last: 0 }] }],
      alreadyReleasedCount: 0,
      alreadyReleasedSample: [],
    };

    // Act
    const rollback = await handler({ plan: stored, execution: 'exec' });

    // Assess
    expect(dynamoMock).toHaveReceivedCommandWith(BatchGetItemCommand, {
      RequestItems: { 'plan-table': { Keys: [{ pk: { S: 'canonical#exec#release#web#0' } }], ConsistentRead: true } },
    });
    expect(rollback.batchCount).toBe(1);
    expect(rollback.tiers).toEqual([{ spec: webTier(), mode: 'release', reason: '', batchCount: 1, keyPrefix: 'canonical#exec#revert#web', segments: [{ first: 0, last: 0 }] }]);
    const written = dynamoMock.commandCalls(BatchWriteItemCommand)[0]!.args[0].input.RequestItems!['plan-table']![0]!.PutRequest!.Item!;
    expect(written.pk!.S).toBe('canonical#exec#revert#web#0');
    expect(JSON.parse(written.hosts!.S!)).toEqual([{ ...web[0], previous: '2.0.0', target: web[0]!.previous }]);
    dynamoMock.restore();
  });

  it('does not claim that nothing was changed when the revert plan does not fit the quotas: hosts moved', async () => {
    // Prepare: a bake so long that the revert could not finish within the execution timeout.
    process.env.PLAN_TABLE = 'plan-table';
    const web = [webHost(1)];
    tagged(web, '2.0.0');
    const dynamoMock = mockClient(DynamoDBClient);
    dynamoMock.on(BatchGetItemCommand).resolves({
      Responses: { 'plan-table': [{ pk: { S: 'canonical#exec#release#web#0' }, hosts: { S: JSON.stringify(web) } }] },
      UnprocessedKeys: {},
    });
    dynamoMock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
    const { alreadyReleased: _none, ...plan } = { ...releasePlan([], web), validation: validationPlan({ bakeSeconds: 400_000 }) };
    const stored: StoredPlan = {
      ...plan,
      tiers: [{ spec: webTier(), batchCount: 1, keyPrefix: 'canonical#exec#release#web', segments: [{ first: 0, last: 0 }] }],
      alreadyReleasedCount: 0,
      alreadyReleasedSample: [],
    };

    // Act
    const act = handler({ plan: stored, execution: 'exec' });

    // Assess
    await expect(act).rejects.toBeInstanceOf(PlanExceedsQuotaError);
    await expect(act).rejects.toThrow('the revert plan does not fit: the plan (web: 1 hosts in 1 batches) ');
    await expect(act).rejects.toThrow('nothing was reverted: the hosts that moved to 2.0.0 still run it');
    await expect(act).rejects.not.toThrow('nothing was changed');
    expect(dynamoMock).not.toHaveReceivedCommand(BatchWriteItemCommand);
    dynamoMock.restore();
  });
});
