/**
 * Load Batch: the first step of every batch puts that batch's hosts, and only them,
 * into the state of the rollout execution.
 */
import { loadBatch } from '../shared/plan-store';
import type { BatchState } from './types';

export const handler = async (event: { keyPrefix: string; index: number; count: number }): Promise<BatchState['batch']> => ({
  index: event.index,
  count: event.count,
  hosts: await loadBatch(event.keyPrefix, event.index),
});
