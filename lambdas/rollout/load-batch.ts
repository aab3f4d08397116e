/**
 * Load Batch (and each mode's Load Next ... Batch): moves the rollout execution to a batch.
 * It is given that batch's whole state but its hosts (what the segment carries, the batch's
 * index, the last index of the segment, what the tier's previous batch took) and returns it
 * with the batch's hosts, and only them, at `batch`: the state machine makes the result the
 * state (ResultPath `$`), so one task both steps to the batch and loads it.
 */
import { InvalidInputError } from '../domain/contract/errors';
import { loadBatch } from '../shared/plan-store';
import { describeHosts } from '../shared/polling';
import type { BatchState } from '../domain/contract/payloads';

/** What the task needs of the state it is given; the rest is returned untouched. */
export interface BatchStep {
  readonly keyPrefix: string;
  readonly index: number;
  readonly batchCount: number;
  readonly last: number;
}

export const handler = async <S extends BatchStep>(event: S): Promise<S & { batch: BatchState['batch'] }> => {
  const { keyPrefix, index, batchCount, last } = event;
  // The segment's bounds come from the plan (segmentsOf: first <= last < batchCount): anything else is a wiring fault.
  if (typeof keyPrefix !== 'string' || !Number.isInteger(index) || !Number.isInteger(last) || !Number.isInteger(batchCount) || index < 0 || index > last || last >= batchCount) {
    throw new InvalidInputError(`Load Batch: batch ${String(index)} is outside its segment (last ${String(last)}) or its tier's ${String(batchCount)} batches`);
  }
  const hosts = await loadBatch(keyPrefix, index);
  // Bounded (at most 5 names): the workflow names the batch with it when a task fails unexpectedly.
  return { ...event, batch: { index, count: batchCount, hosts, label: describeHosts(hosts) } };
};
