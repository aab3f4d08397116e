/**
 * Turns a tier's batch policy into concrete numbers for the hosts it actually has,
 * and refuses a policy that could never roll the tier without breaking capacity.
 */
import type { BatchPolicy } from './model';
import { InvalidEnvironmentError } from './errors';

export interface ResolvedBatchPolicy {
  /** Hosts patched together (out of service at once). */
  readonly batchSize: number;
  /** Hosts that must stay in service while a batch is out. */
  readonly minHealthy: number;
}

export function resolveBatchPolicy(tierName: string, policy: BatchPolicy, hostCount: number): ResolvedBatchPolicy {
  const minHealthy = Math.ceil((hostCount * policy.minHealthyPercent) / 100);
  const maxUnavailable =
    typeof policy.maxUnavailable === 'number'
      ? policy.maxUnavailable
      : Math.max(1, Math.floor((hostCount * Number.parseInt(policy.maxUnavailable, 10)) / 100));
  const batchSize = Math.min(maxUnavailable, hostCount - minHealthy);
  if (batchSize < 1) {
    throw new InvalidEnvironmentError(
      `tiers.${tierName}.batch.minHealthyPercent=${policy.minHealthyPercent} requires ${minHealthy} of ${hostCount} hosts ` +
        'in service at all times, which leaves no host that can be patched; lower it or add hosts',
    );
  }
  return { batchSize, minHealthy };
}

/** Splits hosts into consecutive batches of at most `batchSize`. */
export function partition<T>(items: readonly T[], batchSize: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += batchSize) batches.push(items.slice(i, i + batchSize));
  return batches;
}
