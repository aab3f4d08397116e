/**
 * Check Drain: have the batch's hosts left traffic? ELB ends draining early once
 * connections close, so this polls target health rather than sleeping out the
 * deregistration delay.
 */
import { DrainFailedError, DrainTimeoutError } from '../shared/errors';
import { describeHosts, nextPollSeconds } from '../shared/polling';
import { cancelCommands, readProgress } from '../shared/ssm-commands';
import { requirePhase } from '../shared/phase';
import { targetStates } from '../shared/target-health';
import type { BatchTaskInput, HostRef, PhaseState } from './types';

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => checkDrained(event);

export async function checkDrained(event: BatchTaskInput): Promise<PhaseState> {
  const phase = requirePhase(event);
  const { tier, batch } = event;
  const now = Date.now();
  let waiting: HostRef[] = [];

  if (tier.traffic.kind === 'target-group') {
    const leaving = new Set<string>();
    for (const arn of tier.traffic.targetGroupArns) {
      const states = await targetStates(arn, batch.hosts.map((h) => h.id));
      for (const [id, state] of states) if (state !== 'unregistered') leaving.add(id);
    }
    waiting = batch.hosts.filter((h) => leaving.has(h.id));
  } else if (tier.traffic.kind === 'drain-command') {
    const progress = await readProgress(phase.commandIds ?? [], batch.hosts.map((h) => h.id));
    if (progress.failed.length > 0) {
      const failed = batch.hosts.filter((h) => progress.failed.some((f) => f.instanceId === h.id));
      throw new DrainFailedError(`tier ${tier.name}: drain command failed on ${describeHosts(failed)}`);
    }
    waiting = batch.hosts.filter((h) => progress.pending.includes(h.id));
    if (waiting.length > 0 && now >= phase.deadline) await cancelCommands(phase.commandIds ?? []);
  }

  if (waiting.length === 0) return { ...phase, done: true, waitSeconds: 0 };
  if (now >= phase.deadline) {
    throw new DrainTimeoutError(
      `tier ${tier.name}: ${describeHosts(waiting)} still draining after ${tier.drainTimeoutSeconds}s`,
    );
  }
  return { ...phase, waitSeconds: nextPollSeconds(now - phase.startedAt, tier.polling, phase.deadline - now) };
}
