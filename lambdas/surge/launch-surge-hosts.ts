/**
 * Launch Surge Hosts: a surge batch's new hosts (Launch Hosts, scoped to the batch); pipelined, the
 * next batch's too when the previous batch's old hosts have already stopped. It starts the batch's
 * one operation (statemachines/surge/surge-pipeline.ts): its phase is the hosts' readiness, first
 * looked at (by Check Surge Hosts, lambdas/surge/set-up-surge-hosts.ts) when they usually are
 * ready, or at once when they were launched a batch before. It never ends the operation: the
 * setup is still to come. A launch past its time budget (thousands of hosts in one batch) says so
 * (stage 'launch'), and Launch More Surge Hosts, this same function, goes on.
 *
 * Launch Next Surge Hosts (the same function, `next: true`): pipelined (the plan's
 * `tier.surge.pipeline`: batch.maxSurge holds two batches), once this batch's new hosts are set
 * up, the next batch's new hosts (found launched when Launch Surge Hosts could already), with the same idempotent launch (scope `surge#<tier>#<index + 1>`,
 * the same ClientTokens the next batch's own launch sends). They boot while this batch installs,
 * swaps and stops its old hosts; the next batch's own launch then finds them launched.
 *
 * Within maxSurge: a pipelined batch does not wait for its old hosts to finish stopping
 * (surge-pipeline.ts), so before launching, the previous batch's old hosts must be stopped: at this instant the new hosts beyond the tier are then this batch's and the
 * next one's, two batches, what `pipeline` requires maxSurge to hold. Old hosts still stopping are
 * watched for up to STOPPED_WAIT_MS; past it nothing is prepared.
 *
 * Safe to retry: the launch finds what this execution already launched by tag, and a request
 * whose answer was lost returns the same reservation for the same ClientToken (launching.ts).
 * Preparing is best effort: if it fails, the next batch launches for itself, as unpipelined; this
 * batch's failures terminate the next batch's scope whether or not anything launched there.
 */
import type { BatchTaskInput } from '../domain/contract/payloads';
import { launchedTags, launchHosts } from '../compute/launching';
import { ENDED_STATES, findInstances, findInstancesById, tagFilters } from '../shared/instances';
import { logger } from '../shared/logger';
import { startPhase } from '../shared/phase';
import { loadBatch } from '../shared/plan-store';
import { readyPhase, surgeProvision, type SurgeSetUpPhase } from './surge-hosts';

export interface SurgeLaunchInput extends BatchTaskInput {
  /** Launch Next Surge Hosts: the next batch's, with the plan table's prefix and the segment's last batch index. */
  readonly next?: boolean;
  readonly keyPrefix?: string;
  readonly last?: number;
}

/** How long Launch Next Surge Hosts watches old hosts still stopping (EC2 stops one in seconds to a minute or two). */
export const STOPPED_WAIT_MS = 30_000;
const STOPPED_LOOK_MS = 2_000;

export const handler = async (event: SurgeLaunchInput): Promise<SurgeSetUpPhase | { prepared: boolean }> => {
  if (event.next) return { prepared: await prepareNext(event, STOPPED_WAIT_MS) };
  return launchSurgeHosts(event);
};

/** Launches the batch's new hosts (the rest of them, after a launch past its budget) and starts watching them come up. */
export async function launchSurgeHosts(event: SurgeLaunchInput): Promise<SurgeSetUpPhase> {
  // The launch reads no phase: a phase here is only the one that said launch groups remain.
  const { phase: _launching, ...batch } = event;
  const provision = await surgeProvision(batch);
  const progress = await launchHosts(provision);
  if (!progress.done) {
    return { ...startPhase(provision.tier.readyTimeoutSeconds, event.tier.polling), waitSeconds: progress.waitSeconds, stage: 'launch', step: 0 };
  }
  // The previous batch's old hosts already stopped (the segment's first batch, or one that waited for
  // them): the next batch's hosts launch now, to boot through this batch's setup too.
  const prepared = await prepareNext(event, 0);
  const hosts = await findInstances(tagFilters(launchedTags(event.execution, provision.tier, provision.scope)));
  // A batch of old hosts already replaced (a restart: replaced-hosts.ts) launches none: nothing to wait for, look at once.
  const nothingLaunched = provision.tier.perSubnet.every((n) => n === 0);
  const ready = readyPhase(event.tier, hosts.flatMap((h) => (h.launchedAt !== undefined ? [h.launchedAt] : [])));
  const phase = nothingLaunched ? { ...ready, waitSeconds: 0 } : ready;
  return prepared ? { ...phase, prepared } : phase;
}

/** Launches the next batch's new hosts when the tier is pipelined and this is not its segment's last batch. */
export async function prepareNext(event: SurgeLaunchInput, stoppedWaitMs: number): Promise<boolean> {
  if (event.tier.surge?.pipeline !== true || event.keyPrefix === undefined || event.last === undefined || event.batch.index >= event.last) return false;
  const index = event.batch.index + 1;
  try {
    if (!(await oldHostsStopped({ ...event, keyPrefix: event.keyPrefix }, stoppedWaitMs))) {
      // At the batch's start: Launch Next Surge Hosts tries again once the batch is set up.
      if (stoppedWaitMs > 0) logger.warn('old hosts of the tier are still stopping: the next surge batch launches its own hosts', { index });
      return false;
    }
    const hosts = await loadBatch(event.keyPrefix, index);
    const progress = await launchHosts(await surgeProvision({ ...event, batch: { index, count: event.batch.count, hosts } }));
    return progress.done;
  } catch (err) {
    // Not prepared is only slower: the next batch launches its own hosts, failing as it always did.
    logger.warn('the next surge batch was not prepared: it launches its own hosts', { error: (err as Error).name, index });
    return false;
  }
}

/**
 * The previous batch's old hosts (the plan table's, read by ID: DescribeInstances by tag may lag a
 * CreateTags) are stopped or gone, watched for up to STOPPED_WAIT_MS. Those before it were waited for
 * by the batch before this one, which launched nothing until they had.
 */
async function oldHostsStopped(event: SurgeLaunchInput & { keyPrefix: string }, waitMs: number): Promise<boolean> {
  if (event.batch.index === 0) return true;
  const ids = (await loadBatch(event.keyPrefix, event.batch.index - 1)).map((h) => h.id);
  const until = Date.now() + waitMs;
  for (;;) {
    const hosts = await findInstancesById(ids);
    if (hosts.every((h) => h.state === 'stopped' || ENDED_STATES.has(h.state))) return true;
    if (Date.now() + STOPPED_LOOK_MS > until) return false;
    await new Promise<void>((resolve) => setTimeout(resolve, STOPPED_LOOK_MS));
  }
}
