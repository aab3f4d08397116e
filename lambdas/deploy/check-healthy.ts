/**
 * Check Health: are the batch's hosts back in service? For target groups, every host
 * must be `healthy` in every group; for clustered tiers, the undrain command must have
 * succeeded. Past the tier's health timeout the batch fails with the hosts named.
 */
import { DrainFailedError, HostUnhealthyError } from '../shared/errors';
import { describeHosts, nextPollSeconds } from '../shared/polling';
import { readProgress } from '../shared/ssm-commands';
import { targetStates } from '../shared/target-health';
import { requirePhase } from '../shared/phase';
import type { BatchTaskInput, PhaseState } from './types';

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => checkHealthy(event);

export async function checkHealthy(event: BatchTaskInput): Promise<PhaseState> {
  const phase = requirePhase(event);
  const { tier, batch } = event;
  const now = Date.now();
  const notReady = new Map<string, string>();

  if (tier.traffic.kind === 'target-group') {
    for (const arn of tier.traffic.targetGroupArns) {
      const states = await targetStates(arn, batch.hosts.map((h) => h.id));
      for (const [id, state] of states) if (state !== 'healthy') notReady.set(id, state);
    }
  } else if (tier.traffic.kind === 'drain-command') {
    const progress = await readProgress(phase.commandIds ?? [], batch.hosts.map((h) => h.id));
    if (progress.failed.length > 0) {
      const failed = batch.hosts.filter((h) => progress.failed.some((f) => f.instanceId === h.id));
      throw new DrainFailedError(`tier ${tier.name}: undrain command failed on ${describeHosts(failed)}`);
    }
    for (const id of progress.pending) notReady.set(id, 'undraining');
  }

  if (notReady.size === 0) return { ...phase, done: true, waitSeconds: 0 };
  if (now >= phase.deadline) {
    const hosts = batch.hosts.filter((h) => notReady.has(h.id)).map((h) => `${describeHosts([h])}: ${notReady.get(h.id)}`);
    throw new HostUnhealthyError(`tier ${tier.name}: not healthy after ${tier.healthTimeoutSeconds}s: ${hosts.join('; ')}`);
  }
  return { ...phase, waitSeconds: nextPollSeconds(now - phase.startedAt, tier.polling, phase.deadline - now) };
}
