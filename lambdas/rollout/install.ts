/**
 * Install Release: sends the tier's install document to the batch through SSM Run
 * Command. Forward, every host gets the new release; in a rollback, each host gets
 * back the release it had when the execution planned it.
 */
import { PatchFailedError } from '../domain/contract/errors';
import { CommandRefusedError, describeRefusal, sendToHosts } from '../shared/ssm-commands';
import { startPhase } from '../shared/phase';
import { markInstalling } from '../shared/host-records';
import type { BatchTaskInput, PhaseState } from '../domain/contract/payloads';

export async function installRelease(event: BatchTaskInput): Promise<PhaseState> {
  const { tier, batch } = event;
  const commandIds: string[] = [];
  const sentTo: string[] = [];
  const groups = [...targetVersions(event)];
  for (const [g, [version, ids]] of groups.entries()) {
    // Recorded before sending: whatever happens next, these hosts may run `version`.
    await markInstalling(ids, version, event.rollback);
    try {
      const sent = await sendToHosts({
        command: tier.install,
        instanceIds: ids,
        parameters: { release: [version] },
        comment: `fleetflow ${tier.environment}/${tier.name} ${event.rollback ? 'rollback to' : 'install'} ${version} batch ${batch.index + 1}/${batch.count}`,
      });
      commandIds.push(...sent);
      sentTo.push(...ids);
    } catch (err) {
      if (!(err instanceof CommandRefusedError)) throw err;
      // SSM refused one call as a whole (InvalidInstanceId); earlier calls were sent. A forward
      // install counts as started once its batch drained (the rollback's Install Started? reads
      // the drain's phase), so the batch's rollback reinstalls every host's previous release either way.
      const notSent = [...err.notSent, ...groups.slice(g + 1).flatMap(([, rest]) => rest)];
      const what = event.rollback ? 'reinstall of the previous release' : `install of ${version}`;
      const outcome = { sentCommandIds: [...commandIds, ...err.sentCommandIds], sentTo: [...sentTo, ...err.sentTo], notSent };
      throw new PatchFailedError(`tier ${tier.name}: ${describeRefusal(what, batch.hosts, err, outcome)}`, { cause: err });
    }
  }
  const phase = startPhase(tier.install.timeoutSeconds, tier.polling, commandIds, event.expected?.installSeconds ?? tier.install.expectedSeconds);
  // A batch with no host (a restarted surge's batch whose old hosts an earlier run's new hosts already
  // replaced: lambdas/surge/replaced-hosts.ts) sent nothing: nothing to wait for.
  return batch.hosts.length === 0 ? { ...phase, waitSeconds: 0 } : phase;
}

/** The release each host must end up on, grouped so that one command serves a group. */
export function targetVersions(event: BatchTaskInput): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const host of event.batch.hosts) {
    const version = event.rollback ? host.previous : (host.target ?? event.release);
    groups.set(version, [...(groups.get(version) ?? []), host.id]);
  }
  return groups;
}
