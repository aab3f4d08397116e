/**
 * Load Batch: the first step of every batch puts that batch's hosts, and only them,
 * into the iteration's state.
 */
import { loadBatch } from '../shared/plan-store';
import type { BatchRef, HostRef } from './types';

export const handler = async (event: { ref: BatchRef }): Promise<HostRef[]> => loadBatch(event.ref);
