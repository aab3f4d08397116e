/**
 * Check Drain: have the batch's hosts left traffic? ELB ends draining early once
 * connections close, so this polls target health rather than sleeping out the
 * deregistration delay.
 */
import { DrainFailedError, DrainTimeoutError } from '../shared/errors';
import { describeHosts } from '../shared/polling';
import { cancelCommands, readProgress } from '../shared/ssm-commands';
import { completePhase, continuePhase, requirePhase, lookAgainWhenThrottled } from '../shared/phase';
import { describeGone, GONE_STATES, targetStates, type TargetState } from '../shared/target-health';
import type { BatchTaskInput, HostRef, PhaseState } from './types';

// A throttled look learned nothing: look again later, until the phase's deadline.
export const handler = lookAgainWhenThrottled(checkDrained, (event: BatchTaskInput) => event.tier.polling);

export async function checkDrained(event: BatchTaskInput): Promise<PhaseState> {
  const phase = requirePhase(event);
  const { tier, batch } = event;
  const now = Date.now();
  let waiting: HostRef[] = [];

  if (tier.traffic.kind === 'target-group') {
    const leaving = new Set<string>();
    const gone = new Map<string, TargetState>();
    for (const arn of tier.traffic.targetGroupArns) {
      const states = await targetStates(arn, batch.hosts.map((h) => h.id));
      for (const [id, state] of states) {
        if (GONE_STATES.has(state)) gone.set(id, state);
        else if (state !== 'unregistered') leaving.add(id);
      }
    }
    // A terminated (or stopped) host is neither draining nor drained: it cannot be patched,
    // and waiting would only end in a timeout that calls it "still draining".
    if (gone.size > 0) {
      const hosts = batch.hosts.filter((h) => gone.has(h.id));
      throw new DrainFailedError(`tier ${tier.name}: ${describeGone(hosts, gone)}`);
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

  if (waiting.length === 0) return completePhase(phase, now);
  if (now >= phase.deadline) {
    throw new DrainTimeoutError(
      `tier ${tier.name}: ${describeHosts(waiting)} still draining after ${tier.drainTimeoutSeconds}s`,
    );
  }
  return continuePhase(phase, tier.polling, now);
}
