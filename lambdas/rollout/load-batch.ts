/**
 * Load Batch: the first step of every batch puts that batch's hosts, and only them,
 * into the state of the rollout execution.
 */
import { loadBatch } from '../shared/plan-store';
import { describeHosts } from '../shared/polling';
import type { BatchState } from '../domain/contract/payloads';

export const handler = async (event: { keyPrefix: string; index: number; count: number }): Promise<BatchState['batch']> => {
  const hosts = await loadBatch(event.keyPrefix, event.index);
  // Bounded (at most 5 names): the workflow names the batch with it when a task fails unexpectedly.
  return { index: event.index, count: event.count, hosts, label: describeHosts(hosts) };
};
