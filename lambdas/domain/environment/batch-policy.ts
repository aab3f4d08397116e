/**
 * Turns a tier's batch policy into concrete numbers for the hosts it actually has,
 * and refuses a policy that could never roll the tier without breaking capacity.
 */
import type { BatchPolicy } from './model';
import { InvalidEnvironmentError } from './errors';

export interface ResolvedBatchPolicy {
  /**
   * The largest batch of the rollout (hosts patched together, out of service at once):
   * without waves, `min(maxUnavailable, hostCount - minHealthy)`; with waves, the largest
   * of `waves`.
   */
  readonly batchSize: number;
  /** Hosts that must stay in service while a batch is out. */
  readonly minHealthy: number;
  /**
   * The rollout's batch sizes in hosts, in order, each already capped; the last one
   * repeats until every host is done. Without waves, `[batchSize]`.
   */
  readonly waves: number[];
  /**
   * Hosts reverted at once when a failed release is rolled back: `rollback.maxUnavailable`
   * capped by `hostCount - minHealthy` (not by maxUnavailable), else `batchSize`.
   */
  readonly rollbackBatchSize: number;
}

/** A count of hosts, or a percentage of `hostCount` rounded down to at least 1 host. */
export function hostsOf(size: number | string, hostCount: number): number {
  return typeof size === 'number' ? size : Math.max(1, Math.floor((hostCount * Number.parseInt(size, 10)) / 100));
}

export function resolveBatchPolicy(tierName: string, policy: BatchPolicy, hostCount: number): ResolvedBatchPolicy {
  const minHealthy = Math.ceil((hostCount * policy.minHealthyPercent) / 100);
  const free = hostCount - minHealthy;
  if (free < 1) {
    throw new InvalidEnvironmentError(
      `tiers.${tierName}.batch.minHealthyPercent=${policy.minHealthyPercent} requires ${minHealthy} of ${hostCount} hosts ` +
        'in service at all times, which leaves no host that can be patched; lower it or add hosts',
    );
  }
  // The schema requires maxUnavailable unless waves are given; without it, only the floor caps.
  const cap = policy.maxUnavailable === undefined ? free : Math.min(hostsOf(policy.maxUnavailable, hostCount), free);
  const waves = (policy.waves ?? [cap]).map((size) => Math.min(hostsOf(size, hostCount), cap));
  const batchSize = Math.max(...waves);
  const rollbackBatchSize = policy.rollback ? Math.min(hostsOf(policy.rollback.maxUnavailable, hostCount), free) : batchSize;
  return { batchSize, minHealthy, waves, rollbackBatchSize };
}

/** How a surge tier's batches may overlap (plan-release.ts; the campaign's invariant). */
export interface SurgeLimits {
  /** New hosts that may exist at once beyond the tier (launched, not yet in place of stopped old ones). */
  readonly maxSurge: number;
  /** Every batch is at most this: a surge batch launches one new host per old host. */
  readonly batchSize: number;
  /** Whether the next batch's hosts may launch while this one installs: two batches fit in maxSurge. */
  readonly pipeline: boolean;
}

/**
 * `batch.maxSurge` for the hosts the tier has: a count, or a percentage of `hostCount`
 * (rounded down to at least 1); without it, one batch's worth, so batches run one after
 * another as they always did. Batches above it shrink to it.
 */
export function resolveSurgeLimits(maxSurge: number | string | undefined, hostCount: number, batchSize: number): SurgeLimits {
  const limit = maxSurge === undefined ? batchSize : hostsOf(maxSurge, hostCount);
  const size = Math.min(batchSize, limit);
  return { maxSurge: limit, batchSize: size, pipeline: limit >= 2 * size };
}

/** Splits hosts into consecutive batches of at most `batchSize`. */
export function partition<T>(items: readonly T[], batchSize: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += batchSize) batches.push(items.slice(i, i + batchSize));
  return batches;
}

/**
 * Splits items into consecutive batches sized by `waves` (host counts), each capped by
 * `cap`: the first batch takes `min(waves[0], cap)` items, the next `min(waves[1], cap)`,
 * and the last wave's size repeats until every item is in a batch. The last batch holds
 * what is left. `partitionIntoWaves(items, [n], n)` is `partition(items, n)`.
 */
export function partitionIntoWaves<T>(items: readonly T[], waves: readonly number[], cap: number): T[][] {
  if (waves.length === 0) throw new RangeError('waves must list at least one batch size');
  const sizes = waves.map((size) => Math.min(size, cap));
  if (sizes.some((size) => !Number.isInteger(size) || size < 1)) {
    throw new RangeError(`every batch must hold at least one whole host (waves ${JSON.stringify(waves)}, cap ${cap})`);
  }
  const batches: T[][] = [];
  for (let i = 0, wave = 0; i < items.length; wave = Math.min(wave + 1, sizes.length - 1)) {
    const size = sizes[wave]!;
    batches.push(items.slice(i, i + size));
    i += size;
  }
  return batches;
}
