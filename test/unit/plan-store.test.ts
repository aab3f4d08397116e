import { BatchGetItemCommand, BatchWriteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler as loadBatchHandler } from '../../lambdas/deploy/load-batch';
import type { DeployPlan, HostRef } from '../../lambdas/deploy/types';
import { InvalidInputError } from '../../lambdas/shared/errors';
import { loadPlan, MAX_HOSTS_PER_BATCH, storePlan } from '../../lambdas/shared/plan-store';
import { validationPlan, webHost, webTier } from './fixtures';

const dynamoMock = mockClient(DynamoDBClient);

function planOf(batches: HostRef[][]): DeployPlan {
  return {
    environment: 'canonical',
    component: 'application',
    release: '2.0.0',
    recordedRelease: '1.0.0',
    upToDate: false,
    validation: validationPlan(),
    tiers: [{ spec: webTier(), batchCount: batches.length, batches }],
    hostCount: batches.flat().length,
    batchCount: batches.length,
    alreadyReleased: [],
  };
}

beforeEach(() => {
  dynamoMock.reset();
  process.env.PLAN_TABLE = 'plan-table';
});

describe('storePlan', () => {
  it('writes at most 25 batches per BatchWriteItem call', async () => {
    // Prepare
    dynamoMock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
    const batches = Array.from({ length: 60 }, (_, i) => [webHost(i + 1)]);

    // Act
    const stored = await storePlan(planOf(batches), 'exec');

    // Assess
    const sizes = dynamoMock.commandCalls(BatchWriteItemCommand).map((c) => c.args[0].input.RequestItems!['plan-table']!.length);
    expect(sizes).toEqual([25, 25, 10]);
    expect(stored.tiers[0]!.batches).toHaveLength(60);
    expect(new Set(stored.tiers[0]!.batches.map((b) => b.key)).size).toBe(60);
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

  it('refuses to run when the function is not wired to a plan table', async () => {
    delete process.env.PLAN_TABLE;
    await expect(storePlan(planOf([[webHost(1)]]), 'exec')).rejects.toThrow('PLAN_TABLE is not set');
  });
});

describe('loadPlan and Load Batch', () => {
  it('reads batches back 100 keys per BatchGetItem call, in plan order', async () => {
    // Prepare
    const refs = Array.from({ length: 150 }, (_, i) => ({ key: `k${i}`, size: 1 }));
    dynamoMock.on(BatchGetItemCommand).callsFake((input) => ({
      Responses: {
        'plan-table': input.RequestItems['plan-table'].Keys.map((k: { pk: { S: string } }) => ({ pk: k.pk, hosts: { S: JSON.stringify([webHost(Number(k.pk.S.slice(1)) + 1)]) } })),
      },
      UnprocessedKeys: {},
    }));
    const stored = { ...planOf([]), tiers: [{ spec: webTier(), batchCount: 150, batches: refs }] };

    // Act
    const plan = await loadPlan(stored);

    // Assess
    const sizes = dynamoMock.commandCalls(BatchGetItemCommand).map((c) => c.args[0].input.RequestItems!['plan-table']!.Keys!.length);
    expect(sizes).toEqual([100, 50]);
    expect(plan.tiers[0]!.batches.map((b) => b[0]!.name)).toEqual(refs.map((_, i) => `web-${i + 1}`));
  });

  it('fails when a batch is missing from the table rather than rolling nothing', async () => {
    dynamoMock.on(BatchGetItemCommand).resolves({ Responses: { 'plan-table': [] }, UnprocessedKeys: {} });
    const stored = { ...planOf([]), tiers: [{ spec: webTier(), batchCount: 1, batches: [{ key: 'gone', size: 1 }] }] };

    await expect(loadPlan(stored)).rejects.toThrow('batch gone is missing from the plan table');
  });

  it("loads one batch's hosts with a consistent read", async () => {
    // Prepare
    dynamoMock.on(GetItemCommand).resolves({ Item: { pk: { S: 'k' }, hosts: { S: JSON.stringify([webHost(3)]) } } });

    // Act
    const hosts = await loadBatchHandler({ ref: { key: 'k', size: 1 } });

    // Assess
    expect(hosts.map((h) => h.name)).toEqual(['web-3']);
    expect(dynamoMock).toHaveReceivedCommandWith(GetItemCommand, { TableName: 'plan-table', Key: { pk: { S: 'k' } }, ConsistentRead: true });
  });
});
