/**
 * The plan table: each batch's hosts are written once, when the plan is made, and read
 * by the batch when it starts. The execution state then carries batch references, so
 * its size grows with the number of batches, not hosts (a 10,000-host fleet stays far
 * below the 256 KiB payload limit). Items expire a week after they are written.
 */
import { BatchGetItemCommand, BatchWriteItemCommand, GetItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { dynamodb } from './aws/dynamodb';
import { InvalidInputError, PlanExceedsQuotaError } from '../domain/contract/errors';
import {
  batchesPerSegment,
  fastestBatchSeconds,
  HISTORY_BUDGET,
  MAX_SEGMENTS,
  segmentsOf,
  worstBatchEvents,
  worstParentEvents,
} from './history-budget';
import type { DeployPlan, HostRef, PlannedTier, StoredPlan, StoredTier } from '../domain/contract/payloads';

/** BatchWriteItem takes at most 25 put requests; BatchGetItem at most 100 keys (DynamoDB API reference). */
const MAX_WRITES_PER_CALL = 25;
const MAX_KEYS_PER_GET = 100;
/**
 * A batch's hosts travel in the rollout's state, next to the tier, the phases' command IDs
 * and, after a failure, a cause of at most a few KB; the state must stay under Step
 * Functions' 262,144 bytes. So a batch is capped by the bytes its hosts take (names can be
 * up to 255 characters), and, for a readable plan, by a host count.
 */
export const MAX_BATCH_HOST_BYTES = 180_000;
export const MAX_HOSTS_PER_BATCH = 2000;
const RETENTION_SECONDS = 7 * 24 * 3600;
/** Unprocessed items are retried this many times, with growing pauses, before giving up. */
const MAX_UNPROCESSED_ROUNDS = 8;
/** The workflows' execution timeout (lib/fleetflow-stack.ts WORKFLOW_TIMEOUT). */
export const WORKFLOW_TIMEOUT_SECONDS = 7 * 24 * 3600;
/** Hosts named in a plan's summary; the rest are counted. */
const SAMPLE_SIZE = 5;

function tableName(): string {
  const name = process.env.PLAN_TABLE;
  if (!name) throw new TypeError('PLAN_TABLE is not set: the function is not wired to the plan table');
  return name;
}

export function batchKey(keyPrefix: string, index: number): string {
  return `${keyPrefix}#${index}`;
}

/**
 * Refuses a plan that could not run inside Step Functions' quotas (history events per
 * execution, the execution timeout), with the figures and a batch size that would fit.
 * Nothing has changed when this throws.
 */
export function assertPlanFits(plan: DeployPlan): void {
  let segments = 0;
  let fastestSeconds = plan.validation.bakeSeconds * 2 + (plan.validation.approval.required ? plan.validation.approval.timeoutSeconds : 0);
  for (const tier of plan.tiers) {
    const perSegment = batchesPerSegment(tier.spec);
    if (perSegment < 1) {
      throw new PlanExceedsQuotaError(
        `tier ${tier.spec.name}: one batch could need ${worstBatchEvents(tier.spec)} history events (every phase polled to its timeout, ` +
          `then rolled back), more than the ${HISTORY_BUDGET} one execution is planned with; shorten its drain, install or health timeouts`,
      );
    }
    segments += Math.ceil(tier.batchCount / perSegment);
    // A revert may have to move every batch back.
    fastestSeconds += 2 * tier.batchCount * fastestBatchSeconds(tier.spec);
  }
  const database = plan.database
    ? { snapshotTimeoutSeconds: plan.database.snapshotTimeoutSeconds, migrationTimeoutSeconds: plan.database.migration.timeoutSeconds, polling: plan.database.polling }
    : undefined;
  const parentEvents = worstParentEvents({ segments, validation: plan.validation, database });
  const hosts = plan.tiers.map((t) => `${t.spec.name}: ${t.batches.flat().length} hosts in ${t.batchCount} batches`).join(', ');
  const advice = plan.tiers
    .map((t) => {
      const hostCount = t.batches.flat().length;
      const fitting = Math.max(1, Math.ceil(hostCount / Math.max(1, Math.floor(t.batchCount / 4))));
      return `tiers.${t.spec.name}.batch.maxUnavailable >= ${Math.min(hostCount, fitting)}`;
    })
    .join(', ');
  if (segments > MAX_SEGMENTS || parentEvents > HISTORY_BUDGET) {
    throw new PlanExceedsQuotaError(
      `the plan (${hosts}) needs ${segments} child executions and up to ${parentEvents} history events in the release execution, ` +
        `over its budget of ${HISTORY_BUDGET} (quota 25,000); nothing was changed. Fewer, larger batches would fit, e.g. ${advice}`,
    );
  }
  if (fastestSeconds > WORKFLOW_TIMEOUT_SECONDS) {
    throw new PlanExceedsQuotaError(
      `the plan (${hosts}) would take at least ${Math.ceil(fastestSeconds / 3600)} h with a revert of every batch, over the ` +
        `${WORKFLOW_TIMEOUT_SECONDS / 3600} h execution timeout; nothing was changed. Fewer, larger batches would fit, e.g. ${advice}`,
    );
  }
}

/**
 * Every refusal storePlan makes, without writing anything: what `fleetflow plan` checks so
 * that it refuses exactly what a deploy's Plan Release would.
 */
export function assertReleasePlanFits(plan: DeployPlan): void {
  assertPlanFits(plan);
  for (const tier of plan.tiers) for (const hosts of tier.batches) assertBatchFits(tier, hosts);
}

/** One batch's hosts travel in the execution's state: within a share of Step Functions' payload quota, and a count the tasks handle. */
function assertBatchFits(tier: PlannedTier, hosts: readonly HostRef[]): void {
  const bytes = Buffer.byteLength(JSON.stringify(hosts));
  if (bytes > MAX_BATCH_HOST_BYTES) {
    const fitting = Math.max(1, Math.floor((hosts.length * MAX_BATCH_HOST_BYTES) / bytes));
    throw new PlanExceedsQuotaError(
      `tiers.${tier.spec.name}: a batch of ${hosts.length} hosts takes ${bytes} bytes of execution state, over the ${MAX_BATCH_HOST_BYTES} ` +
        `a batch may use of Step Functions' 262,144; nothing was changed. Lower batch.maxUnavailable to at most ${fitting}`,
    );
  }
  if (hosts.length > MAX_HOSTS_PER_BATCH) {
    throw new InvalidInputError(
      `tiers.${tier.spec.name}.batch.maxUnavailable lets ${hosts.length} hosts leave at once; at most ${MAX_HOSTS_PER_BATCH} per batch are supported`,
    );
  }
}

/** Writes every batch of the plan; returns the plan with batches by reference, cut into child-execution segments. */
export async function storePlan(plan: DeployPlan, execution: string, prefix = 'release'): Promise<StoredPlan> {
  assertPlanFits(plan);
  const tiers = await storeTiers(plan.environment, execution, prefix, plan.tiers);
  const { alreadyReleased, ...rest } = plan;
  return { ...rest, tiers, alreadyReleasedCount: alreadyReleased.length, alreadyReleasedSample: alreadyReleased.slice(0, SAMPLE_SIZE) };
}

/**
 * Writes each tier's batches under `<environment>#<execution>#<prefix>#<tier>#<index>` and
 * returns the tiers by reference. Every workflow that runs batches in the rollout workflow
 * stores them here (a release, its revert, the hosts a compute workflow launched or retires).
 */
export async function storeTiers(environment: string, execution: string, prefix: string, planned: readonly PlannedTier[]): Promise<StoredTier[]> {
  const expiresAt = String(Math.floor(Date.now() / 1000) + RETENTION_SECONDS);
  const writes: WriteRequest[] = [];
  const tiers = planned.map((tier): StoredTier => {
    const keyPrefix = `${environment}#${execution}#${prefix}#${tier.spec.name}${tier.mode && tier.mode !== 'release' ? `#${tier.mode}` : ''}`;
    tier.batches.forEach((hosts, index) => {
      assertBatchFits(tier, hosts);
      writes.push({ PutRequest: { Item: { pk: { S: batchKey(keyPrefix, index) }, hosts: { S: JSON.stringify(hosts) }, expiresAt: { N: expiresAt } } } });
    });
    return {
      spec: tier.spec,
      mode: tier.mode ?? 'release',
      reason: tier.reason ?? '',
      batchCount: tier.batchCount,
      keyPrefix,
      segments: segmentsOf(tier.batchCount, batchesPerSegment(tier.spec)),
    };
  });
  for (let i = 0; i < writes.length; i += MAX_WRITES_PER_CALL) await writeAll(writes.slice(i, i + MAX_WRITES_PER_CALL));
  return tiers;
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

export async function loadBatch(keyPrefix: string, index: number): Promise<HostRef[]> {
  const key = batchKey(keyPrefix, index);
  const { Item } = await dynamodb.send(new GetItemCommand({ TableName: tableName(), Key: { pk: { S: key } }, ConsistentRead: true }));
  const hosts = Item?.hosts?.S;
  if (!hosts) throw new Error(`batch ${key} is missing from the plan table`);
  return JSON.parse(hosts) as HostRef[];
}

/** Reads every batch of a stored plan back: the full plan, hosts included. */
export async function loadPlan(plan: StoredPlan): Promise<DeployPlan> {
  const keys = plan.tiers.flatMap((t) => Array.from({ length: t.batchCount }, (_, i) => batchKey(t.keyPrefix, i)));
  const hostsByKey = new Map<string, HostRef[]>();
  for (let i = 0; i < keys.length; i += MAX_KEYS_PER_GET) {
    let pending = keys.slice(i, i + MAX_KEYS_PER_GET).map((key) => ({ pk: { S: key } }));
    for (let round = 0; pending.length > 0; round += 1) {
      if (round === MAX_UNPROCESSED_ROUNDS) throw new Error('the plan table kept keys unprocessed; try again');
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
      const { Responses = {}, UnprocessedKeys = {} } = await dynamodb.send(
        new BatchGetItemCommand({ RequestItems: { [tableName()]: { Keys: pending, ConsistentRead: true } } }),
      );
      for (const item of Responses[tableName()] ?? []) hostsByKey.set(item.pk!.S!, JSON.parse(item.hosts!.S!) as HostRef[]);
      pending = (UnprocessedKeys[tableName()]?.Keys ?? []) as typeof pending;
    }
  }
  const { alreadyReleasedCount: _count, alreadyReleasedSample, ...rest } = plan;
  return {
    ...rest,
    alreadyReleased: alreadyReleasedSample,
    tiers: plan.tiers.map((tier) => ({
      spec: tier.spec,
      batchCount: tier.batchCount,
      batches: Array.from({ length: tier.batchCount }, (_, i) => {
        const hosts = hostsByKey.get(batchKey(tier.keyPrefix, i));
        if (!hosts) throw new Error(`batch ${batchKey(tier.keyPrefix, i)} is missing from the plan table`);
        return hosts;
      }),
    })),
  };
}
