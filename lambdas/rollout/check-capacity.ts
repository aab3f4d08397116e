/**
 * Check Capacity: before a batch leaves service, the rest of its tier must hold the tier's
 * minimum in service, live, whatever kind of tier it is:
 * - target-group tiers: healthy in every target group (DescribeTargetHealth);
 * - drain-command and monitoring tiers, which no load balancer watches: the tier's health
 *   command, run on every other running host of the tier, must pass on enough of them (a
 *   host FleetFlow has drained, with the out-of-traffic mark, counts as out). The health
 *   command says whether a node serves, so a node someone drained by hand fails it and
 *   counts as out too (the contract of `health.command` in lambdas/domain/environment/model.ts); the
 *   refusal names the hosts that did not pass it.
 * Short of the minimum, the batch waits (hosts just restored may still be passing their
 * health checks) and fails with InsufficientCapacityError once the tier's health timeout
 * has passed, having changed nothing.
 */
import { findInstances, tagFilters } from '../shared/instances';
import { InsufficientCapacityError } from '../domain/contract/errors';
import { completePhase, continuePhase, startPhase, watchPhase } from '../shared/phase';
import { describeHosts } from '../shared/polling';
import { OUT_OF_TRAFFIC_TAG } from '../domain/contract/tags';
import { readProgress, sendToHosts } from '../shared/ssm-commands';
import { healthyTargets } from '../shared/target-health';
import { logger } from '../shared/logger';
import type { BatchTaskInput, PhaseState } from '../domain/contract/payloads';

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkCapacity, (event: BatchTaskInput) => event.tier.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

export async function checkCapacity(event: BatchTaskInput): Promise<PhaseState> {
  const { tier, batch } = event;
  const now = Date.now();
  const phase = event.phase ?? startPhase(tier.healthTimeoutSeconds, tier.polling);
  const batchIds = new Set(batch.hosts.map((h) => h.id));

  if (tier.traffic.kind === 'target-group') {
    let short: { remaining: number; group: string; healthy: ReadonlySet<string> } | undefined;
    for (const arn of tier.traffic.targetGroupArns) {
      const healthy = await healthyTargets(arn);
      const remaining = [...healthy].filter((id) => !batchIds.has(id)).length;
      if (remaining < tier.minHealthy) short = { remaining, group: arn.split(':').pop() ?? arn, healthy };
    }
    if (!short) return completePhase(phase, now);
    const found = `${short.remaining} healthy host(s) in ${short.group}`;
    if (now < phase.deadline) return waitOrRefuse(event, phase, now, found);
    return waitOrRefuse(event, phase, now, found + (await notServingIn(event, short.healthy)));
  }

  // No load balancer watches this tier: ask the other hosts themselves.
  const others = (await tierHosts(tier.hostTags ?? {})).filter((h) => !batchIds.has(h.id));
  const candidates = others.filter((h) => !h.drained);
  if (candidates.length < tier.minHealthy) {
    return waitOrRefuse(event, phase, now, `${candidates.length} other running, undrained host(s)`);
  }
  if (phase.healthCommandIds) {
    const progress = await readProgress(phase.healthCommandIds, candidates.map((h) => h.id), phase);
    if (progress.succeeded.length >= tier.minHealthy) return completePhase(phase, now);
    if (progress.pending.length > 0 && progress.succeeded.length + progress.pending.length >= tier.minHealthy) return continuePhase(phase, tier.polling, now);
    if (now >= phase.deadline) {
      const failing = candidates.filter((h) => progress.failed.some((f) => f.instanceId === h.id));
      const why = tier.traffic.kind === 'drain-command' ? 'drained or unhealthy' : 'unhealthy';
      const notServing = failing.length > 0 ? ` (not serving, ${why}: ${describeHosts(failing)})` : '';
      return waitOrRefuse(event, phase, now, `${progress.succeeded.length} host(s) passing the health command${notServing}`);
    }
  }
  if (!tier.healthCommand) throw new TypeError(`tier ${tier.name} has no health command to count its hosts in service`);
  const healthCommandIds = await sendToHosts({
    command: tier.healthCommand,
    instanceIds: candidates.map((h) => h.id),
    comment: `fleetflow ${tier.environment}/${tier.name} capacity before batch ${batch.index + 1}/${batch.count}`,
  });
  return continuePhase({ ...phase, healthCommandIds }, tier.polling, now);
}

/** Short of the minimum: look again until the deadline, then refuse, naming what was found. */
function waitOrRefuse(event: BatchTaskInput, phase: PhaseState, now: number, found: string): PhaseState {
  if (now < phase.deadline) return continuePhase(phase, event.tier.polling, now);
  throw new InsufficientCapacityError(
    `tier ${event.tier.name}: taking out ${describeHosts(event.batch.hosts)} would leave ${found}, below the minimum of ` +
      `${event.tier.minHealthy} in service (waited ${Math.round((now - phase.startedAt) / 1000)}s); the batch was not taken out of traffic`,
  );
}

/**
 * For a refusal only: the tier's other running hosts not healthy in the group that is short, by name
 * (" (not serving: web-15 (i-…))"), so the cause says which hosts are missing, not only how many.
 * A host terminated since is not running and is not named. Best effort: the refusal stands without
 * the names if EC2 refuses the look, and a tier with no selector tags is not listed (its filter
 * would match every instance of the account).
 */
async function notServingIn(event: BatchTaskInput, healthy: ReadonlySet<string>): Promise<string> {
  const selector = event.tier.hostTags ?? {};
  if (Object.keys(selector).length === 0) return '';
  const batchIds = new Set(event.batch.hosts.map((h) => h.id));
  try {
    const out = (await tierHosts(selector)).filter((h) => !batchIds.has(h.id) && !healthy.has(h.id));
    return out.length > 0 ? ` (not serving: ${describeHosts(out)})` : '';
  } catch (err) {
    logger.warn('hosts not serving not read for the refusal', { tier: event.tier.name, error: err instanceof Error ? err.name : String(err) });
    return '';
  }
}

/** The tier's running hosts (by its selector tags), and whether FleetFlow has them drained. */
async function tierHosts(selector: Record<string, string>): Promise<Array<{ id: string; name: string; drained: boolean }>> {
  const hosts = await findInstances(tagFilters(selector, ['running']));
  return hosts.map((h) => ({ id: h.id, name: h.name, drained: h.tags.has(OUT_OF_TRAFFIC_TAG) }));
}
