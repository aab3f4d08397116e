/**
 * Check Drain: have the batch's hosts left traffic?
 *
 * ELB stops routing new requests to a deregistered target at once, and shows it `draining`
 * until the target group's deregistration delay has elapsed, even when its connections
 * closed earlier (ALB user guide, deregistration delay). A host is drained when its target
 * has left every group (`unused`, Target.NotRegistered), or, for a tier with a host-side
 * drain check, when the check succeeded on it (no open connection on the service port)
 * while its targets are still `draining`. A host whose check failed waits for the load
 * balancer. Checks still running when the batch is drained, or at the deadline, are cancelled.
 */
import { DrainFailedError, DrainTimeoutError } from '../domain/contract/errors';
import { describeHosts } from '../shared/polling';
import { cancelCommands, readProgress } from '../shared/ssm-commands';
import { completePhase, continuePhase, requirePhase, watchPhase } from '../shared/phase';
import { describeGone, GONE_STATES, targetStates, type TargetState } from '../shared/target-health';
import type { BatchTaskInput, HostRef, PhaseState } from '../domain/contract/payloads';

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkDrained, (event: BatchTaskInput) => event.tier.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

export async function checkDrained(event: BatchTaskInput): Promise<PhaseState> {
  const phase = requirePhase(event);
  const { tier, batch } = event;
  const now = Date.now();
  let waiting: HostRef[] = [];

  let checksRunning = false;
  if (tier.traffic.kind === 'target-group') {
    const leaving = new Set<string>();
    const gone = new Map<string, TargetState>();
    const checks = phase.commandIds?.length ? await readProgress(phase.commandIds, batch.hosts.map((h) => h.id), phase) : undefined;
    const hostDrained = new Set(checks?.succeeded ?? []);
    for (const arn of tier.traffic.targetGroupArns) {
      const states = await targetStates(arn, batch.hosts.map((h) => h.id));
      for (const [id, state] of states) {
        if (GONE_STATES.has(state)) gone.set(id, state);
        // No new request reaches a draining target, and the host says its connections are closed.
        else if (state === 'draining' && hostDrained.has(id)) continue;
        else if (state !== 'unregistered') leaving.add(id);
      }
    }
    checksRunning = (checks?.pending.length ?? 0) > 0;
    // A terminated (or stopped) host is neither draining nor drained: it cannot be patched,
    // and waiting would only end in a timeout that calls it "still draining".
    if (gone.size > 0) {
      const hosts = batch.hosts.filter((h) => gone.has(h.id));
      throw new DrainFailedError(`tier ${tier.name}: ${describeGone(hosts, gone)}`);
    }
    waiting = batch.hosts.filter((h) => leaving.has(h.id));
  } else if (tier.traffic.kind === 'drain-command') {
    const progress = await readProgress(phase.commandIds ?? [], batch.hosts.map((h) => h.id), phase);
    if (progress.failed.length > 0) {
      const failed = batch.hosts.filter((h) => progress.failed.some((f) => f.instanceId === h.id));
      throw new DrainFailedError(`tier ${tier.name}: drain command failed on ${describeHosts(failed)}`);
    }
    waiting = batch.hosts.filter((h) => progress.pending.includes(h.id));
    if (waiting.length > 0 && now >= phase.deadline) await cancelCommands(phase.commandIds ?? []);
  }

  // A drain check still looking at a host the load balancer has let go is no longer needed.
  if (checksRunning && (waiting.length === 0 || now >= phase.deadline)) await cancelCommands(phase.commandIds ?? []);
  if (waiting.length === 0) return completePhase(phase, now);
  if (now >= phase.deadline) {
    const delay = tier.traffic.kind === 'target-group' ? tier.traffic.deregistrationDelaySeconds : undefined;
    throw new DrainTimeoutError(
      `tier ${tier.name}: ${describeHosts(waiting)} still draining after ${tier.drainTimeoutSeconds}s` +
        (delay !== undefined ? ` (the target groups' deregistration delay was ${delay}s when the release was planned)` : ''),
    );
  }
  return continuePhase(phase, tier.polling, now);
}
