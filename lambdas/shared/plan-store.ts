/**
 * The plan table: each batch's hosts are written once, when the plan is made, and read
 * by the batch when it starts. The execution state then carries batch references, so
 * its size grows with the number of batches, not hosts (a 10,000-host fleet stays far
 * below the 256 KiB payload limit). Items expire a week after they are written.
 */
import { BatchGetItemCommand, BatchWriteItemCommand, GetItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { dynamodb } from './aws/dynamodb';
import { InvalidInputError } from './errors';
import type { BatchRef, DeployPlan, HostRef, StoredPlan } from '../deploy/types';

/** BatchWriteItem takes at most 25 put requests; BatchGetItem at most 100 keys. */
const MAX_WRITES_PER_CALL = 25;
const MAX_KEYS_PER_GET = 100;
/** A batch's hosts travel in the iteration state: this many stays well under 256 KiB. */
export const MAX_HOSTS_PER_BATCH = 2000;
const RETENTION_SECONDS = 7 * 24 * 3600;
/** Unprocessed items are retried this many times, with growing pauses, before giving up. */
const MAX_UNPROCESSED_ROUNDS = 8;

function tableName(): string {
  const name = process.env.PLAN_TABLE;
  if (!name) throw new TypeError('PLAN_TABLE is not set: the function is not wired to the plan table');
  return name;
}

/** Writes every batch of the plan; returns the plan with batches by reference. */
export async function storePlan(plan: DeployPlan, execution: string, prefix = 'release'): Promise<StoredPlan> {
  const expiresAt = String(Math.floor(Date.now() / 1000) + RETENTION_SECONDS);
  const writes: WriteRequest[] = [];
  const tiers = plan.tiers.map((tier) => ({
    spec: tier.spec,
    batchCount: tier.batchCount,
    batches: tier.batches.map((hosts, index): BatchRef => {
      if (hosts.length > MAX_HOSTS_PER_BATCH) {
        throw new InvalidInputError(
          `tiers.${tier.spec.name}.batch.maxUnavailable lets ${hosts.length} hosts leave at once; at most ${MAX_HOSTS_PER_BATCH} per batch are supported`,
        );
      }
      const key = `${plan.environment}#${execution}#${prefix}#${tier.spec.name}#${index}`;
      writes.push({ PutRequest: { Item: { pk: { S: key }, hosts: { S: JSON.stringify(hosts) }, expiresAt: { N: expiresAt } } } });
      return { key, size: hosts.length };
    }),
  }));
  for (let i = 0; i < writes.length; i += MAX_WRITES_PER_CALL) await writeAll(writes.slice(i, i + MAX_WRITES_PER_CALL));
  return { ...plan, tiers };
}

/** BatchWriteItem may leave items unprocessed under load; they are sent again with backoff. */
async function writeAll(requests: WriteRequest[]): Promise<void> {
  let pending: Record<string, WriteRequest[]> = { [tableName()]: requests };
  for (let round = 0; Object.keys(pending).length > 0; round += 1) {
    if (round === MAX_UNPROCESSED_ROUNDS) throw new Error('the plan table kept items unprocessed; try again');
    if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
    const { UnprocessedItems = {} } = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: pending }));
    pending = UnprocessedItems;
  }
}

export async function loadBatch(ref: BatchRef): Promise<HostRef[]> {
  const { Item } = await dynamodb.send(new GetItemCommand({ TableName: tableName(), Key: { pk: { S: ref.key } }, ConsistentRead: true }));
  const hosts = Item?.hosts?.S;
  if (!hosts) throw new Error(`batch ${ref.key} is missing from the plan table`);
  return JSON.parse(hosts) as HostRef[];
}

/** Reads every batch of a stored plan back: the full plan, hosts included. */
export async function loadPlan(plan: StoredPlan): Promise<DeployPlan> {
  const refs = plan.tiers.flatMap((t) => t.batches);
  const hostsByKey = new Map<string, HostRef[]>();
  for (let i = 0; i < refs.length; i += MAX_KEYS_PER_GET) {
    let keys = refs.slice(i, i + MAX_KEYS_PER_GET).map((r) => ({ pk: { S: r.key } }));
    for (let round = 0; keys.length > 0; round += 1) {
      if (round === MAX_UNPROCESSED_ROUNDS) throw new Error('the plan table kept keys unprocessed; try again');
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
      const { Responses = {}, UnprocessedKeys = {} } = await dynamodb.send(
        new BatchGetItemCommand({ RequestItems: { [tableName()]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of Responses[tableName()] ?? []) hostsByKey.set(item.pk!.S!, JSON.parse(item.hosts!.S!) as HostRef[]);
      keys = (UnprocessedKeys[tableName()]?.Keys ?? []) as typeof keys;
    }
  }
  return {
    ...plan,
    tiers: plan.tiers.map((tier) => ({
      ...tier,
      batches: tier.batches.map((ref) => {
        const hosts = hostsByKey.get(ref.key);
        if (!hosts) throw new Error(`batch ${ref.key} is missing from the plan table`);
        return hosts;
      }),
    })),
  };
}
