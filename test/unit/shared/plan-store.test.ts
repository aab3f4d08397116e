import { BatchGetItemCommand, BatchWriteItemCommand, DynamoDBClient, GetItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as loadBatchHandler } from '../../../lambdas/rollout/load-batch';
import type { DeployPlan, HostRef, StoredPlan, TierPlan } from '../../../lambdas/domain/contract/payloads';
import { InvalidInputError, PlanExceedsQuotaError } from '../../../lambdas/domain/contract/errors';
import { batchesPerSegment, HISTORY_BUDGET } from '../../../lambdas/shared/history-budget';
import { assertPlanFits, loadPlan, MAX_HOSTS_PER_BATCH, storePlan } from '../../../lambdas/shared/plan-store';
import { describeHosts } from '../../../lambdas/shared/polling';
import { validationPlan, webHost, webTier } from '../fixtures';

const dynamoMock = mockClient(DynamoDBClient);

function planOf(batches: HostRef[][], options: { spec?: TierPlan; alreadyReleased?: string[] } = {}): DeployPlan {
  return {
    environment: 'canonical',
    component: 'application',
    release: '2.0.0',
    recordedRelease: '1.0.0',
    upToDate: false,
    validation: validationPlan(),
    tiers: [{ spec: options.spec ?? webTier(), batchCount: batches.length, batches }],
    hostCount: batches.flat().length,
    batchCount: batches.length,
    alreadyReleased: options.alreadyReleased ?? [],
  };
}

/** A web tier of `hostCount` hosts cut into batches of `maxUnavailable`, as Plan Release would. */
function tierOf(hostCount: number, maxUnavailable: number, overrides: Partial<TierPlan> = {}): DeployPlan {
  const hosts = Array.from({ length: hostCount }, (_, i) => webHost(i + 1));
  const batches: HostRef[][] = [];
  for (let i = 0; i < hostCount; i += maxUnavailable) batches.push(hosts.slice(i, i + maxUnavailable));
  return planOf(batches, { spec: webTier({ hostCount, minHealthy: Math.ceil(hostCount / 2), batchSize: maxUnavailable, ...overrides }) });
}

/**
 * A tier whose hosts may take 15 minutes to pass their health checks: its batches' worst case is long
 * enough that 10,000 of them one at a time cannot fit (the default fixture's, watched, now can: 667 segments).
 */
const SLOW: Partial<TierPlan> = { healthTimeoutSeconds: 900 };

/** The plan table as DynamoDB would keep it: every item written, by key. */
function tableBacked(): Map<string, string> {
  const items = new Map<string, string>();
  dynamoMock.on(BatchWriteItemCommand).callsFake((input: { RequestItems: Record<string, WriteRequest[]> }) => {
    for (const w of input.RequestItems['plan-table'] ?? []) items.set(w.PutRequest!.Item!.pk!.S!, w.PutRequest!.Item!.hosts!.S!);
    return { UnprocessedItems: {} };
  });
  dynamoMock.on(BatchGetItemCommand).callsFake((input) => ({
    Responses: {
      'plan-table': input.RequestItems['plan-table'].Keys.filter((k: { pk: { S: string } }) => items.has(k.pk.S)).map((k: { pk: { S: string } }) => ({
        pk: k.pk,
        hosts: { S: items.get(k.pk.S)! },
      })),
    },
    UnprocessedKeys: {},
  }));
  return items;
}

beforeEach(() => {
  dynamoMock.reset();
  process.env.PLAN_TABLE = 'plan-table';
});

describe('storePlan', () => {
  it('writes at most 25 batches per BatchWriteItem call, each under <keyPrefix>#<index>', async () => {
    // Prepare
    const items = tableBacked();
    const batches = Array.from({ length: 60 }, (_, i) => [webHost(i + 1)]);

    // Act
    const stored = await storePlan(planOf(batches), 'exec');

    // Assess
    const sizes = dynamoMock.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems!['plan-table']!.length);
    expect(sizes).toEqual([25, 25, 10]);
    const tier = stored.tiers[0]!;
    expect(tier.keyPrefix).toBe('canonical#exec#release#web');
    expect(tier.batchCount).toBe(60);
    expect([...items.keys()]).toEqual(Array.from({ length: 60 }, (_, i) => `canonical#exec#release#web#${i}`));
    expect(JSON.parse(items.get('canonical#exec#release#web#41')!)).toEqual([webHost(42)]);
  });

  it('returns the tier by reference only: spec, batch count, key prefix and its child-execution segments', async () => {
    // Prepare
    tableBacked();
    const batches = Array.from({ length: 20 }, (_, i) => [webHost(i + 1)]);
    const perSegment = batchesPerSegment(webTier());

    // Act
    const stored = await storePlan(planOf(batches), 'exec');

    // Assess: no hosts in the state, and the segments cut the 20 batches in order
    expect(Object.keys(stored.tiers[0]!).sort()).toEqual(['batchCount', 'keyPrefix', 'mode', 'reason', 'segments', 'spec']);
    const segments = stored.tiers[0]!.segments;
    expect(segments[0]!.first).toBe(0);
    expect(segments.at(-1)!.last).toBe(19);
    for (const [i, s] of segments.entries()) {
      expect(s.last - s.first + 1).toBeLessThanOrEqual(perSegment);
      if (i > 0) expect(s.first).toBe(segments[i - 1]!.last + 1);
    }
    expect(segments).toHaveLength(Math.ceil(20 / perSegment));
  });

  it('keys a revert plan apart from the release plan of the same execution', async () => {
    // Prepare
    const items = tableBacked();

    // Act
    const stored = await storePlan(planOf([[webHost(1)]]), 'exec', 'revert');

    // Assess
    expect(stored.tiers[0]!.keyPrefix).toBe('canonical#exec#revert#web');
    expect([...items.keys()]).toEqual(['canonical#exec#revert#web#0']);
  });

  it('counts the hosts already on the release and names only the first 5', async () => {
    // Prepare
    tableBacked();
    const alreadyReleased = Array.from({ length: 7 }, (_, i) => `web-${i + 10}`);

    // Act
    const stored = await storePlan(planOf([[webHost(1)]], { alreadyReleased }), 'exec');

    // Assess
    expect(stored.alreadyReleasedCount).toBe(7);
    expect(stored.alreadyReleasedSample).toEqual(['web-10', 'web-11', 'web-12', 'web-13', 'web-14']);
    expect(stored).not.toHaveProperty('alreadyReleased');
  });

  it('sends unprocessed items again until DynamoDB takes them', async () => {
    // Prepare
    const leftOver = { 'plan-table': [{ PutRequest: { Item: { pk: { S: 'k' } } } }] };
    dynamoMock.on(BatchWriteItemCommand).resolvesOnce({ UnprocessedItems: leftOver }).resolves({ UnprocessedItems: {} });

    // Act
    await storePlan(planOf([[webHost(1)]]), 'exec');

    // Assess
    expect(dynamoMock).toHaveReceivedCommandTimes(BatchWriteItemCommand, 2);
    expect(dynamoMock.commandCalls(BatchWriteItemCommand)[1]!.args[0].input.RequestItems).toEqual(leftOver);
  });

  it('refuses a batch whose hosts would take more than their share of the execution state, whatever the count', async () => {
    // Prepare: 1,500 hosts (under the count cap) with 255-character names
    const longNamed = Array.from({ length: 1500 }, (_, i) => ({ ...webHost(i + 1), name: `web-${i + 1}-`.padEnd(255, 'x') }));

    // Act
    const act = storePlan(planOf([longNamed]), 'exec');

    // Assess: refused with the figures and a batch size that would fit, nothing written
    await expect(act).rejects.toBeInstanceOf(PlanExceedsQuotaError);
    await expect(act).rejects.toThrow(/a batch of 1500 hosts takes \d+ bytes of execution state, over the 180000 .* at most \d+/);
    expect(dynamoMock).toHaveReceivedCommandTimes(BatchWriteItemCommand, 0);
  });

  it(`refuses a batch of more than ${MAX_HOSTS_PER_BATCH} hosts, which would not fit the execution state`, async () => {
    // Prepare
    const huge = Array.from({ length: MAX_HOSTS_PER_BATCH + 1 }, (_, i) => webHost(i + 1));

    // Act
    const act = storePlan(planOf([huge]), 'exec');

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(`tiers.web.batch.maxUnavailable lets ${MAX_HOSTS_PER_BATCH + 1} hosts leave at once`);
    expect(dynamoMock).toHaveReceivedCommandTimes(BatchWriteItemCommand, 0);
  });

  it('refuses a plan over the quotas before writing anything', async () => {
    // Act
    const act = storePlan(tierOf(10_000, 1, SLOW), 'exec');

    // Assess
    await expect(act).rejects.toBeInstanceOf(PlanExceedsQuotaError);
    expect(dynamoMock).toHaveReceivedCommandTimes(BatchWriteItemCommand, 0);
  });

  it('refuses to run when the function is not wired to a plan table', async () => {
    delete process.env.PLAN_TABLE;
    await expect(storePlan(planOf([[webHost(1)]]), 'exec')).rejects.toThrow('PLAN_TABLE is not set');
  });
});

describe('assertPlanFits', () => {
  it('lets a small plan through', () => {
    expect(() => assertPlanFits(planOf([[webHost(1), webHost(2)], [webHost(3), webHost(4)]]))).not.toThrow();
  });

  it('refuses a 10,000-host tier with maxUnavailable 1 and a 15-minute health timeout, naming the figures and a maxUnavailable that would fit', () => {
    // Act
    const act = () => assertPlanFits(tierOf(10_000, 1, SLOW));

    // Assess
    expect(act).toThrow(PlanExceedsQuotaError);
    expect(act).toThrow('the plan (web: 10000 hosts in 10000 batches) needs ');
    expect(act).toThrow(`history events in the release execution, over its budget of ${HISTORY_BUDGET} (quota 25,000); nothing was changed`);
    expect(act).toThrow('Fewer, larger batches would fit, e.g. tiers.web.batch.maxUnavailable >= 4');
    // The advice holds: batches of 4 fit.
    expect(() => assertPlanFits(tierOf(10_000, 4, SLOW))).not.toThrow();
  });

  it('refuses a plan whose reverted batches could not all pass their health checks within the execution timeout', () => {
    // Prepare: 1,000 batches whose hosts need 400 s to pass: 2 x 1,000 x 400 s + 2 x 300 s of bake = 800,600 s, over 7 days
    const plan = tierOf(1_000, 1, { healthyAfterSeconds: 400 });

    // Act
    const act = () => assertPlanFits(plan);

    // Assess
    expect(act).toThrow(PlanExceedsQuotaError);
    expect(act).toThrow(
      'the plan (web: 1000 hosts in 1000 batches) would take at least 223 h with a revert of every batch, over the 168 h execution timeout; ' +
        'nothing was changed. Fewer, larger batches would fit, e.g. tiers.web.batch.maxUnavailable >= 4',
    );
    expect(() => assertPlanFits(tierOf(1_000, 4, { healthyAfterSeconds: 400 }))).not.toThrow();
  });

  it('refuses a tier whose one batch could outgrow an execution\'s history', () => {
    // Prepare: a day-long health timeout polled every 30 s at most
    const plan = planOf([[webHost(1)]], { spec: webTier({ healthTimeoutSeconds: 86_400 }) });

    // Act
    const act = () => assertPlanFits(plan);

    // Assess
    expect(act).toThrow(PlanExceedsQuotaError);
    expect(act).toThrow(/^tier web: one batch could need \d+ history events \(every phase polled to its timeout, then rolled back\)/);
    expect(act).toThrow(`more than the ${HISTORY_BUDGET} one execution is planned with; shorten its drain, install or health timeouts`);
  });
});

describe('loadPlan and Load Batch', () => {
  function storedOf(keyPrefix: string, batchCount: number): StoredPlan {
    const { alreadyReleased: _, ...rest } = planOf([]);
    return {
      ...rest,
      tiers: [{ spec: webTier(), batchCount, keyPrefix, segments: [{ first: 0, last: batchCount - 1 }] }],
      alreadyReleasedCount: 0,
      alreadyReleasedSample: [],
    };
  }

  it('reads batches back 100 keys per BatchGetItem call, in plan order', async () => {
    // Prepare
    dynamoMock.on(BatchGetItemCommand).callsFake((input) => ({
      Responses: {
        'plan-table': [...input.RequestItems['plan-table'].Keys]
          .reverse()
          .map((k: { pk: { S: string } }) => ({ pk: k.pk, hosts: { S: JSON.stringify([webHost(Number(k.pk.S.split('#').at(-1)) + 1)]) } })),
      },
      UnprocessedKeys: {},
    }));

    // Act
    const plan = await loadPlan(storedOf('canonical#exec#release#web', 150));

    // Assess
    const calls = dynamoMock.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input.RequestItems!['plan-table']!);
    expect(calls.map((c) => c.Keys!.length)).toEqual([100, 50]);
    expect(calls.every((c) => c.ConsistentRead === true)).toBe(true);
    expect(calls[1]!.Keys![0]).toEqual({ pk: { S: 'canonical#exec#release#web#100' } });
    expect(plan.tiers[0]!.batchCount).toBe(150);
    expect(plan.tiers[0]!.batches.map((b) => b[0]!.name)).toEqual(Array.from({ length: 150 }, (_, i) => `web-${i + 1}`));
  });

  it('gives back the plan it stored, naming the sample of hosts already on the release', async () => {
    // Prepare
    tableBacked();
    const original = planOf(
      [
        [webHost(1), webHost(2)],
        [webHost(3), webHost(4)],
      ],
      { alreadyReleased: ['web-5', 'web-6'] },
    );

    // Act
    const plan = await loadPlan(await storePlan(original, 'exec'));

    // Assess
    expect(plan).toEqual(original);
  });

  it('fails when a batch is missing from the table rather than rolling nothing', async () => {
    dynamoMock.on(BatchGetItemCommand).resolves({ Responses: { 'plan-table': [] }, UnprocessedKeys: {} });

    await expect(loadPlan(storedOf('gone', 1))).rejects.toThrow('batch gone#0 is missing from the plan table');
  });

  it("loads one batch's hosts with a consistent read, with its place in the tier", async () => {
    // Prepare
    dynamoMock.on(GetItemCommand).resolves({ Item: { pk: { S: 'k#3' }, hosts: { S: JSON.stringify([webHost(3)]) } } });

    // Act
    const state = { keyPrefix: 'k', index: 3, last: 4, batchCount: 5, release: '2.0.0', expected: { drainSeconds: 12 } };
    const next = await loadBatchHandler(state);

    // Assess: the state it was given, untouched, with the batch's hosts
    const { batch, ...rest } = next;
    expect(rest).toEqual(state);
    expect(batch).toEqual({ index: 3, count: 5, hosts: [webHost(3)], label: describeHosts([webHost(3)]) });
    expect(batch.label).toBe(`web-3 (${webHost(3).id})`);
    expect(dynamoMock).toHaveReceivedCommandExactlyOnceWith(GetItemCommand, { TableName: 'plan-table', Key: { pk: { S: 'k#3' } }, ConsistentRead: true });
  });

  it('fails Load Batch when its batch is missing from the table', async () => {
    dynamoMock.on(GetItemCommand).resolves({});

    await expect(loadBatchHandler({ keyPrefix: 'k', index: 0, last: 0, batchCount: 1 })).rejects.toThrow('batch k#0 is missing from the plan table');
  });

  it('refuses, before reading the table, a batch past its segment or its tier', async () => {
    await expect(loadBatchHandler({ keyPrefix: 'k', index: 2, last: 1, batchCount: 3 })).rejects.toThrow(InvalidInputError);
    await expect(loadBatchHandler({ keyPrefix: 'k', index: 0, last: 3, batchCount: 3 })).rejects.toThrow('outside its segment (last 3) or its tier');
    expect(dynamoMock).not.toHaveReceivedCommand(GetItemCommand);
  });
});
