/**
 * Launch Surge Hosts: a surge batch's new hosts (Launch Hosts, scoped to the batch), and, pipelined
 * (the plan's `tier.surge.pipeline`: batch.maxSurge holds two batches), the next batch's too, in the
 * same invocation: one call of the same idempotent launch, scope `surge#<tier>#<index + 1>`, the same
 * ClientTokens the next batch's own launch sends. Those hosts then boot while this batch sets up,
 * installs and swaps, and the next batch's own launch finds them launched.
 *
 * Within maxSurge: this batch starts only once the one before it stopped its old hosts (Surge Check
 * Retired), so at this instant the new hosts beyond the tier are this batch's and the next one's:
 * two batches, what `pipeline` requires maxSurge to hold.
 *
 * Safe to retry: both launches find what this execution already launched by tag, and a request
 * whose answer was lost returns the same reservation for the same ClientToken (launching.ts).
 * Preparing is best effort: if it fails, the next batch launches for itself, as unpipelined; this
 * batch's failures terminate the next batch's scope whether or not anything launched there.
 */
import type { BatchTaskInput, LaunchProgress } from '../domain/contract/payloads';
import { launchHosts } from '../compute/launching';
import { logger } from '../shared/logger';
import { loadBatch } from '../shared/plan-store';
import { surgeProvision } from './surge-hosts';

export interface SurgeLaunchInput extends BatchTaskInput {
  /** The plan table's prefix of the segment's batches, and the segment's last batch index. */
  readonly keyPrefix: string;
  readonly last: number;
}

export const handler = async (event: SurgeLaunchInput): Promise<LaunchProgress> => {
  const progress = await launchHosts(await surgeProvision(event));
  // Prepared once this batch's own hosts are all asked for (a launch over its time budget comes back for the rest first).
  if (progress.done) await prepareNext(event);
  return progress;
};

/** Launches the next batch's new hosts when the tier is pipelined and this is not its segment's last batch. */
export async function prepareNext(event: SurgeLaunchInput): Promise<boolean> {
  if (event.tier.surge?.pipeline !== true || event.batch.index >= event.last) return false;
  const index = event.batch.index + 1;
  try {
    const hosts = await loadBatch(event.keyPrefix, index);
    await launchHosts(await surgeProvision({ ...event, batch: { index, count: event.batch.count, hosts } }));
  } catch (err) {
    // Not prepared is only slower: the next batch launches its own hosts, failing as it always did.
    logger.warn('the next surge batch was not prepared: it launches its own hosts', { error: (err as Error).name, index });
  }
  return true;
}
