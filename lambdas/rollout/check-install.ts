/**
 * Check Install: reads each host's command invocation. When every host succeeded, the
 * installed release is recorded on the host (tag fleetflow:release), so the record of
 * what runs where is only ever written after the fact.
 */
import { CreateTagsCommand } from '@aws-sdk/client-ec2';
import { ec2 } from '../shared/aws/ec2';
import { PatchFailedError } from '../domain/contract/errors';
import { describeHosts, describeList, MAX_NAMED } from '../shared/polling';
import { cancelCommands, readProgress } from '../shared/ssm-commands';
import { completePhase, continuePhase, requirePhase, watchPhase } from '../shared/phase';
import { targetVersions } from './install';
import { PREVIOUS_RELEASE_TAG, RELEASE_TAG } from '../domain/contract/tags';
import { clearInstalling } from '../shared/host-records';
import { putBatchProgress } from '../shared/batch-events';
import type { BatchTaskInput, PhaseState } from '../domain/contract/payloads';

/** CreateTags accepts up to 1000 resource IDs; AWS recommends smaller batches. */
const MAX_RESOURCES_PER_CREATE_TAGS = 500;

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkInstall, (event: BatchTaskInput) => event.tier.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

export async function checkInstall(event: BatchTaskInput): Promise<PhaseState> {
  const phase = requirePhase(event);
  const { tier, batch } = event;
  const now = Date.now();
  const progress = await readProgress(phase.commandIds ?? [], batch.hosts.map((h) => h.id), phase);

  if (progress.pending.length > 0) {
    if (now < phase.deadline) {
      return continuePhase(phase, tier.polling, now);
    }
    await cancelCommands(phase.commandIds ?? []);
    const late = batch.hosts.filter((h) => progress.pending.includes(h.id));
    throw new PatchFailedError(`tier ${tier.name}: install did not finish within ${tier.install.timeoutSeconds}s on ${describeHosts(late)}`);
  }
  if (progress.failed.length > 0) {
    // A few hosts with their outcome, then a count: the message becomes the batch's cause.
    const named = progress.failed.slice(0, MAX_NAMED).map((f) => {
      const host = batch.hosts.find((h) => h.id === f.instanceId) ?? { id: f.instanceId, name: f.instanceId };
      return `${describeHosts([host])}: ${f.details}`;
    });
    const failed = describeList([...named, ...progress.failed.slice(MAX_NAMED).map((f) => f.instanceId)], { separator: '; ' });
    throw new PatchFailedError(`tier ${tier.name}: install ${event.rollback ? 'of the previous release ' : ''}failed on ${failed}`);
  }
  await recordInstalled(event);
  // The last call, once per batch: the look that finds the install done. The hosts are out of
  // traffic, so nothing in service changed since they left: no count is read for it.
  await putBatchProgress(event, 'installed', null);
  return completePhase(phase, now);
}

/**
 * Every host of the batch succeeded: each records the release it now runs (forward, also the
 * one it came from), then the record that an install was sent goes.
 */
export async function recordInstalled(event: BatchTaskInput): Promise<void> {
  const { batch } = event;
  for (const [version, ids] of targetVersions(event)) {
    if (event.rollback) {
      await recordRelease(ids, [{ Key: RELEASE_TAG, Value: version }]);
      continue;
    }
    // Forward: each host also remembers the release it came from.
    const byPrevious = new Map<string, string[]>();
    for (const host of batch.hosts.filter((h) => ids.includes(h.id))) byPrevious.set(host.previous, [...(byPrevious.get(host.previous) ?? []), host.id]);
    for (const [previous, hostIds] of byPrevious) {
      await recordRelease(hostIds, [
        { Key: RELEASE_TAG, Value: version },
        { Key: PREVIOUS_RELEASE_TAG, Value: previous },
      ]);
    }
  }
  // The release record now says what runs; the record that an install was sent goes.
  await clearInstalling(batch.hosts.map((h) => h.id));
}

async function recordRelease(instanceIds: readonly string[], tags: Array<{ Key: string; Value: string }>): Promise<void> {
  for (let i = 0; i < instanceIds.length; i += MAX_RESOURCES_PER_CREATE_TAGS) {
    await ec2.send(new CreateTagsCommand({ Resources: instanceIds.slice(i, i + MAX_RESOURCES_PER_CREATE_TAGS), Tags: tags }));
  }
}
