/**
 * Check Health: are the batch's hosts back in service? For target groups, every host
 * must be `healthy` in every group. Tiers no target group checks (clustered, monitoring)
 * run their health command on the batch once it is back (undrained): every host must pass
 * it; a failing check is run again until the tier's health timeout, then the batch fails
 * with the hosts named.
 */
import { DrainFailedError, HostUnhealthyError } from '../domain/contract/errors';
import { completePhase, continuePhase, requirePhase, watchPhase } from '../shared/phase';
import { describeHosts, describeList, MAX_NAMED } from '../shared/polling';
import { CommandRefusedError, describeRefusal, readProgress, sendToHosts } from '../shared/ssm-commands';
import { describeGone, GONE_STATES, healthyTargets, targetStates, type TargetState } from '../shared/target-health';
import { batchEventsEnabled, putBatchProgress } from '../shared/batch-events';
import { logger } from '../shared/logger';
import type { BatchTaskInput, PhaseState } from '../domain/contract/payloads';

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkHealthy, (event: BatchTaskInput) => event.tier.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

export async function checkHealthy(event: BatchTaskInput): Promise<PhaseState> {
  const phase = requirePhase(event);
  const { tier, batch } = event;
  const now = Date.now();
  const ids = batch.hosts.map((h) => h.id);
  const notReady = new Map<string, string>();
  let next: PhaseState = phase;

  if (tier.traffic.kind === 'target-group') {
    const gone = new Map<string, TargetState>();
    for (const arn of tier.traffic.targetGroupArns) {
      const states = await targetStates(arn, ids);
      for (const [id, state] of states) {
        if (state !== 'healthy') notReady.set(id, state);
        if (GONE_STATES.has(state)) gone.set(id, state);
      }
    }
    // A terminated or stopped host will not pass its health checks: fail now, naming it.
    if (gone.size > 0) {
      throw new HostUnhealthyError(`tier ${tier.name}: ${describeGone(batch.hosts.filter((h) => gone.has(h.id)), gone)}`);
    }
  } else {
    if (tier.traffic.kind === 'drain-command') {
      const undrain = await readProgress(phase.commandIds ?? [], ids, phase);
      if (undrain.failed.length > 0) {
        const failed = batch.hosts.filter((h) => undrain.failed.some((f) => f.instanceId === h.id));
        throw new DrainFailedError(`tier ${tier.name}: undrain command failed on ${describeHosts(failed)}`);
      }
      for (const id of undrain.pending) notReady.set(id, 'undraining');
    }
    if (notReady.size === 0) ({ next } = await runHealthCommand(event, phase, notReady));
  }

  if (notReady.size === 0) {
    // The last call, on the look that finds the batch healthy (one per batch).
    await putBatchProgress(event, event.rollback ? 'reverted' : 'returned', await inServiceBestEffort(event));
    return completePhase(next, now);
  }
  if (now >= phase.deadline) {
    // A few hosts with their state, then a count: the message becomes the batch's cause.
    const unhealthy = batch.hosts.filter((h) => notReady.has(h.id));
    const hosts = unhealthy.map((h, i) => (i < MAX_NAMED ? `${describeHosts([h])}: ${notReady.get(h.id)}` : h.id));
    throw new HostUnhealthyError(`tier ${tier.name}: not healthy after ${tier.healthTimeoutSeconds}s: ${describeList(hosts, { separator: '; ' })}`);
  }
  return continuePhase(next, tier.polling, now);
}

/** Reads the running health command; sends it (again) when none runs or the last one failed. */
async function runHealthCommand(event: BatchTaskInput, phase: PhaseState, notReady: Map<string, string>): Promise<{ next: PhaseState }> {
  const { tier, batch } = event;
  const ids = batch.hosts.map((h) => h.id);
  if (!tier.healthCommand) throw new TypeError(`tier ${tier.name} has no health command`);
  if (phase.healthCommandIds) {
    const check = await readProgress(phase.healthCommandIds, ids, phase);
    if (check.pending.length === 0 && check.failed.length === 0) return { next: phase };
    for (const id of check.pending) notReady.set(id, 'health check running');
    for (const f of check.failed) notReady.set(f.instanceId, `health check ${f.details}`);
    if (check.pending.length > 0) return { next: phase };
    // Past the deadline the batch fails with these results; no new check is sent.
    if (Date.now() >= phase.deadline) return { next: phase };
  } else {
    for (const id of ids) notReady.set(id, 'health check not yet run');
  }
  const healthCommandIds = await sendToHosts({
    command: tier.healthCommand,
    instanceIds: ids,
    comment: `fleetflow ${tier.environment}/${tier.name} health batch ${batch.index + 1}/${batch.count}`,
  }).catch((err: unknown) => {
    // A host SSM will not run commands on cannot pass its health command.
    if (!(err instanceof CommandRefusedError)) throw err;
    throw new HostUnhealthyError(`tier ${tier.name}: ${describeRefusal('health command', batch.hosts, err)}`, { cause: err });
  });
  return { next: { ...phase, healthCommandIds } };
}

/**
 * Hosts of the tier in service now, for the batch's progress event: the fewest healthy of its
 * target groups (one DescribeTargetHealth each, once per batch). Null for tiers no target group
 * counts, or when the look fails: the event is best effort and must not fail the batch.
 */
async function inServiceBestEffort(event: BatchTaskInput): Promise<number | null> {
  const { traffic } = event.tier;
  if (traffic.kind !== 'target-group' || !batchEventsEnabled()) return null;
  try {
    let fewest: number | null = null;
    for (const arn of traffic.targetGroupArns) fewest = Math.min(fewest ?? Infinity, (await healthyTargets(arn)).size);
    return fewest;
  } catch (err) {
    logger.warn('in-service count for the batch event not read', { tier: event.tier.name, error: err instanceof Error ? err.name : String(err) });
    return null;
  }
}
