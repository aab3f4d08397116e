/**
 * What a stopped run left behind. An execution stopped (StopExecution, or timed out) after
 * its hosts launched cannot clean up: its hosts keep running with nothing, or half of
 * their setup, installed. They carry the tier's tags, so a compute planner that counted
 * every live host of the tier would take them as done and launch nothing.
 *
 * A leftover is a live host of the tier launched by another FleetFlow execution
 * (`fleetflow:launched-by`), never retired, that never served:
 * - it never got a release: the provisioning writes `fleetflow:release` only after the
 *   install succeeded on every host of the batch, and puts a host into service only after
 *   that, so a host without it has never served (the rule by which Plan Release leaves such
 *   hosts out of a tier);
 * - or, in a tier with target groups, it got its release but is registered in none of them
 *   and no release took it out of traffic (`fleetflow:out-of-traffic`): a run stopped between
 *   the release tag and Return To Traffic. The converse of the first rule is false, so the
 *   release tag alone does not say it served. A host FleetFlow takes out of traffic is marked
 *   before it is deregistered (take-out-of-traffic.ts), and a retired one is tagged retired,
 *   so a host that served and left is never taken for one.
 *   In a tier without target groups (a drain command, or none) nothing AWS reports says whether
 *   a host with its release is serving: such a host is counted, as it always was, because
 *   terminating one that serves would be worse than keeping one that does not.
 *
 * The compute planners do not count leftovers (the tier launches what it misses without
 * them), and the run terminates them once it holds the lock (Terminate Leftovers), by the
 * same rule read again: a re-run finishes what its stopped run left, and never counts a host
 * that was never set up, or never put into service, as done.
 */
import { LAUNCHED_BY_TAG, OUT_OF_TRAFFIC_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG, RELEASE_TAG } from '../domain/contract/tags';
import { findInstances, tagFilters, tagRetiredAndTerminate, type InstanceFacts } from '../shared/instances';
import { describeHosts } from '../shared/polling';
import { targetStates } from '../shared/target-health';
import { describeTargetGroups } from '../shared/provision-plan';
import type { HostTierDefinition } from '../domain/environment/model';
import type { LeftoverTier } from '../domain/contract/payloads';

/** States of a host that is, or will be, part of its tier. */
export const LIVE_STATES = ['pending', 'running'] as const;
/** States of a leftover that is still there to terminate (one may have been stopped meanwhile). */
const NOT_ENDED_STATES = [...LIVE_STATES, 'stopping', 'stopped'] as const;
/** The retired reason of a leftover: why it was terminated. */
export const LEFTOVER_REASON = 'launched by an execution that stopped before it was set up';

/** Launched by another execution and never retired: a leftover if it never served. */
function launchedByAnother(host: InstanceFacts, execution: string): boolean {
  const launchedBy = host.tags.get(LAUNCHED_BY_TAG);
  return launchedBy !== undefined && launchedBy !== execution && !host.tags.has(RETIRED_BY_TAG);
}

/** Hosts whose registration decides: launched by another execution, set up (a release), not taken out of traffic by one. */
function setUpElsewhere(host: InstanceFacts, execution: string): boolean {
  return launchedByAnother(host, execution) && host.tags.has(RELEASE_TAG) && !host.tags.has(OUT_OF_TRAFFIC_TAG);
}

/**
 * A host another execution launched that never served (see the header).
 * @param registered the hosts registered in at least one of the tier's target groups
 * (`registeredHosts`), or undefined for a tier without target groups: then only a host
 * without a release is a leftover.
 */
export function isLeftover(host: InstanceFacts, execution: string, registered?: ReadonlySet<string>): boolean {
  if (!launchedByAnother(host, execution)) return false;
  if (!host.tags.has(RELEASE_TAG)) return true;
  return registered !== undefined && setUpElsewhere(host, execution) && !registered.has(host.id);
}

/**
 * Of the hosts whose registration decides (set up by another execution, not taken out by a
 * release), those registered in at least one of the target groups; undefined when there are
 * no groups. DescribeTargetHealth with the hosts as Targets: the API reference gives an
 * `unused` target the reason "Target.NotRegistered - The target is not registered with the
 * target group" (target-health.ts `unregistered`). Every other answer, draining, unhealthy,
 * stopped while registered (Target.InvalidState) or even InvalidTarget, counts as registered:
 * only a host ELB says is not registered in any group is taken for one that never served.
 */
export async function registeredHosts(targetGroupArns: readonly string[] | undefined, hosts: readonly InstanceFacts[], execution: string): Promise<Set<string> | undefined> {
  if (!targetGroupArns || targetGroupArns.length === 0) return undefined;
  const ids = hosts.filter((h) => setUpElsewhere(h, execution)).map((h) => h.id);
  const registered = new Set<string>();
  if (ids.length === 0) return registered;
  for (const arn of targetGroupArns) {
    for (const [id, state] of await targetStates(arn, ids)) if (state !== 'unregistered') registered.add(id);
  }
  return registered;
}

/**
 * The tier's live hosts that count (pending or running, not leftovers), and the leftovers of
 * stopped runs (in any state but ended). `targetGroupArns`: the tier's target groups, when it
 * has any (a host set up and registered in none is a leftover).
 */
export async function liveHosts(
  hostTags: Record<string, string>,
  execution: string,
  targetGroupArns?: readonly string[],
): Promise<{ counted: InstanceFacts[]; leftovers: InstanceFacts[] }> {
  const hosts = await findInstances(tagFilters(hostTags, NOT_ENDED_STATES));
  return sortHosts(hosts, execution, await registeredHosts(targetGroupArns, hosts, execution));
}

function sortHosts(hosts: readonly InstanceFacts[], execution: string, registered: ReadonlySet<string> | undefined): { counted: InstanceFacts[]; leftovers: InstanceFacts[] } {
  return {
    counted: hosts.filter((h) => (LIVE_STATES as readonly string[]).includes(h.state) && !isLeftover(h, execution, registered)),
    leftovers: hosts.filter((h) => isLeftover(h, execution, registered)),
  };
}

/**
 * `liveHosts` of a tier and what the plan says about its leftovers. Its target groups are found
 * by name (DescribeTargetGroups, which refuses a missing group before the lock) only when a
 * host's registration decides: a tier with no host set up by another execution costs no ELB call.
 */
export async function tierLiveHosts(
  tier: HostTierDefinition,
  execution: string,
): Promise<{ counted: InstanceFacts[]; leftovers: InstanceFacts[]; leftoverTier?: LeftoverTier }> {
  const hosts = await findInstances(tagFilters(tier.hosts.tags, NOT_ENDED_STATES));
  const arns = hosts.some((h) => setUpElsewhere(h, execution)) ? (await describeTargetGroups(tier)).map((g) => g.TargetGroupArn!) : undefined;
  const { counted, leftovers } = sortHosts(hosts, execution, await registeredHosts(arns, hosts, execution));
  return { counted, leftovers, ...(leftovers.length > 0 ? { leftoverTier: leftoverTier(tier.name, tier.hosts.tags, leftovers, arns) } : {}) };
}

/** What the plan says about a tier's leftovers: counts and a few names, never the host list. */
export function leftoverTier(name: string, hostTags: Record<string, string>, leftovers: readonly InstanceFacts[], targetGroupArns?: readonly string[]): LeftoverTier {
  return {
    tier: name,
    hostTags,
    count: leftovers.length,
    sample: describeHosts(leftovers),
    ...(targetGroupArns && targetGroupArns.length > 0 ? { targetGroupArns: [...targetGroupArns] } : {}),
  };
}

export interface LeftoversInput {
  readonly execution: string;
  readonly leftovers: readonly LeftoverTier[];
}

export interface LeftoversOutcome {
  /** Leftovers terminated (or found terminating) by this call. */
  readonly terminated: number;
}

/**
 * Terminate Leftovers: each tier's leftovers, found again now that the run holds the lock
 * (no other FleetFlow execution of the environment can be launching), tagged with why, and
 * terminated (FleetFlow registered none of them in a target group: nothing to deregister). Not waited for: a terminating
 * host never serves again. Safe to retry and to redrive: tagging again and terminating a
 * terminating instance change nothing.
 */
export async function terminateLeftovers(event: LeftoversInput): Promise<LeftoversOutcome> {
  let terminated = 0;
  for (const tier of event.leftovers) {
    const live = await findInstances(tagFilters(tier.hostTags, NOT_ENDED_STATES));
    // Registration read again now: a host the plan saw unregistered that is registered now is not terminated.
    const registered = await registeredHosts(tier.targetGroupArns, live, event.execution);
    // A retry after the tags were written but before TerminateInstances answered: still ours to terminate.
    const taggedByUs = (h: InstanceFacts) => h.tags.get(RETIRED_BY_TAG) === event.execution && h.tags.get(RETIRED_REASON_TAG) === LEFTOVER_REASON;
    const ids = live.filter((h) => isLeftover(h, event.execution, registered) || taggedByUs(h)).map((h) => h.id);
    terminated += ids.length;
    if (ids.length > 0) await tagRetiredAndTerminate(ids, { execution: event.execution, at: new Date(), reason: LEFTOVER_REASON });
  }
  return { terminated };
}
