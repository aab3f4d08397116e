/**
 * Install Release: sends the tier's install document to the batch through SSM Run
 * Command. Forward, every host gets the new release; in a rollback, each host gets
 * back the release it had when the execution planned it.
 */
import { sendToHosts } from '../shared/ssm-commands';
import { startPhase } from '../shared/phase';
import type { BatchTaskInput, PhaseState } from './types';

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => installRelease(event);

export async function installRelease(event: BatchTaskInput): Promise<PhaseState> {
  const { tier, batch } = event;
  const commandIds: string[] = [];
  for (const [version, ids] of targetVersions(event)) {
    const sent = await sendToHosts({
      command: tier.install,
      instanceIds: ids,
      parameters: { release: [version] },
      comment: `fleetflow ${tier.environment}/${tier.name} ${event.rollback ? 'rollback to' : 'install'} ${version} batch ${batch.index + 1}/${batch.count}`,
    });
    commandIds.push(...sent);
  }
  return startPhase(tier.install.timeoutSeconds, tier.polling, commandIds);
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
