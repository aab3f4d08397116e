/**
 * What a stopped run left behind. An execution stopped (StopExecution, or timed out) after
 * its hosts launched cannot clean up: its hosts keep running with nothing, or half of
 * their setup, installed. They carry the tier's tags, so a compute planner that counted
 * every live host of the tier would take them as done and launch nothing.
 *
 * A leftover is a live host of the tier launched by another FleetFlow execution
 * (`fleetflow:launched-by`), never retired, that never got a release: the provisioning writes
 * `fleetflow:release` only after the install succeeded on every host of the batch, and puts a
 * host into service only after that, so a host without it has never served (the rule by which
 * Plan Release leaves such hosts out of a tier). The compute planners do not count leftovers
 * (the tier launches what it misses without them), and the run terminates them once it holds
 * the lock (Terminate Leftovers), by the same rule read again.
 *
 * A host with its release, in a tier with target groups, registered in none of them and not
 * taken out of traffic by FleetFlow (`fleetflow:out-of-traffic`) is NOT a leftover: a run may
 * have stopped between the release tag and Return To Traffic, or a person may have deregistered
 * a host that served for months (aws elbv2 deregister-targets) to look at it, or swapped the
 * tier's group. `fleetflow:launched-by` stays on a host for its life, so nothing tells the two
 * apart, and terminating the second is not undoable. The planners refuse before the lock,
 * naming such hosts of every tier planned and both ways out (`refuseOutOfService`), and nothing terminates them.
 */
import { LAUNCHED_BY_TAG, OUT_OF_TRAFFIC_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG, RELEASE_TAG } from '../domain/contract/tags';
import { findInstances, tagFilters, tagRetiredAndTerminate, type InstanceFacts } from '../shared/instances';
import { describeHosts } from '../shared/polling';
import { targetStates } from '../shared/target-health';
import { describeTargetGroups } from '../shared/provision-plan';
import type { HostTierDefinition } from '../domain/environment/model';
import type { LeftoverTier } from '../domain/contract/payloads';
import { InventoryError } from '../domain/contract/errors';
import { outOfServiceRefusal } from '../shared/tier-hosts';

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

/** Hosts whose registration is read: launched by another execution, set up (a release), not taken out of traffic by one. */
function setUpElsewhere(host: InstanceFacts, execution: string): boolean {
  return launchedByAnother(host, execution) && host.tags.has(RELEASE_TAG) && !host.tags.has(OUT_OF_TRAFFIC_TAG);
}

/** A host another execution launched and never set up (no release): it never served (see the header). */
export function isLeftover(host: InstanceFacts, execution: string): boolean {
  return launchedByAnother(host, execution) && !host.tags.has(RELEASE_TAG);
}

/**
 * Of the hosts whose registration is read (set up by another execution, not taken out by a
 * release), those registered in at least one of the target groups; undefined when there are
 * no groups. DescribeTargetHealth with the hosts as Targets: the API reference gives an
 * `unused` target the reason "Target.NotRegistered - The target is not registered with the
 * target group" (target-health.ts `unregistered`). Every other answer, draining, unhealthy,
 * stopped while registered (Target.InvalidState) or even InvalidTarget, counts as registered:
 * only a host ELB says is not registered in any group is refused for.
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
 * stopped runs (in any state but ended).
 */
export async function liveHosts(hostTags: Record<string, string>, execution: string): Promise<{ counted: InstanceFacts[]; leftovers: InstanceFacts[] }> {
  return sortHosts(await findInstances(tagFilters(hostTags, NOT_ENDED_STATES)), execution);
}

function sortHosts(hosts: readonly InstanceFacts[], execution: string): { counted: InstanceFacts[]; leftovers: InstanceFacts[] } {
  return {
    counted: hosts.filter((h) => (LIVE_STATES as readonly string[]).includes(h.state) && !isLeftover(h, execution)),
    leftovers: hosts.filter((h) => isLeftover(h, execution)),
  };
}

/**
 * Live hosts set up by another execution that are registered in none of the tier's target groups
 * and were not taken out of traffic by FleetFlow (see the header). `registered`: `registeredHosts`
 * of the same hosts, undefined for a tier without target groups, where nothing AWS reports says
 * whether a host serves and such a host is counted, as it always was.
 */
export function outOfService(hosts: readonly InstanceFacts[], execution: string, registered: ReadonlySet<string> | undefined): InstanceFacts[] {
  if (registered === undefined) return [];
  return hosts.filter((h) => (LIVE_STATES as readonly string[]).includes(h.state) && setUpElsewhere(h, execution) && !registered.has(h.id));
}

/**
 * Refused before the lock, nothing changed, when any tier planned has such hosts: one line for
 * every tier (Plan Release's words, tier-hosts.ts `outOfServiceRefusal`), so a person sees them all.
 * The refusal also keeps Terminate Leftovers from running: the planned tiers' leftovers (no
 * release) stay too, so the line names them and says what becomes of them.
 */
export function refuseOutOfService(byTier: ReadonlyMap<string, readonly InstanceFacts[]>, leftovers: readonly InstanceFacts[] = []): void {
  const tiers = [...byTier].filter(([, hosts]) => hosts.length > 0);
  if (tiers.length === 0) return;
  const hosts = tiers.flatMap(([, hs]) => hs.map((h) => ({ id: h.id, name: h.name, previous: h.tags.get(RELEASE_TAG) ?? '' })));
  const also =
    leftovers.length === 0
      ? ''
      : `${leftovers.length === 1 ? '1 host' : `${leftovers.length} hosts`} a stopped run launched and never set up (no ${RELEASE_TAG}), ${describeHosts(leftovers)}, ` +
        `${leftovers.length === 1 ? 'is' : 'are'} terminated by the first allocate, scale-out or replace of ${leftovers.length === 1 ? 'its tier' : 'their tiers'} that is not refused`;
  throw new InventoryError(outOfServiceRefusal(tiers.map(([tier]) => tier), hosts, also));
}

/**
 * `liveHosts` of a tier, what the plan says about its leftovers, and its hosts set up and
 * registered in none of its target groups (`outOfService`: the planner refuses them, with every
 * other tier's, through `refuseOutOfService`). Its target groups are found by name
 * (DescribeTargetGroups, which refuses a missing group before the lock) only when a host's
 * registration is read: a tier with no host set up by another execution costs no ELB call.
 */
export async function tierLiveHosts(
  tier: HostTierDefinition,
  execution: string,
): Promise<{ counted: InstanceFacts[]; leftovers: InstanceFacts[]; leftoverTier?: LeftoverTier; outOfService: InstanceFacts[] }> {
  const hosts = await findInstances(tagFilters(tier.hosts.tags, NOT_ENDED_STATES));
  const arns = hosts.some((h) => setUpElsewhere(h, execution)) ? (await describeTargetGroups(tier)).map((g) => g.TargetGroupArn!) : undefined;
  const out = outOfService(hosts, execution, await registeredHosts(arns, hosts, execution));
  const { counted, leftovers } = sortHosts(hosts, execution);
  return { counted, leftovers, outOfService: out, ...(leftovers.length > 0 ? { leftoverTier: leftoverTier(tier.name, tier.hosts.tags, leftovers) } : {}) };
}

/** What the plan says about a tier's leftovers: counts and a few names, never the host list. */
export function leftoverTier(name: string, hostTags: Record<string, string>, leftovers: readonly InstanceFacts[]): LeftoverTier {
  return { tier: name, hostTags, count: leftovers.length, sample: describeHosts(leftovers) };
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
 * terminated. Only by the release-tag rule: a host without a release never served and was never
 * registered by FleetFlow (nothing to deregister); a host with one is never terminated here, even
 * if it got its release after the plan (the plan refused the others). Not waited for: a terminating
 * host never serves again. Safe to retry and to redrive: tagging again and terminating a
 * terminating instance change nothing.
 */
export async function terminateLeftovers(event: LeftoversInput): Promise<LeftoversOutcome> {
  let terminated = 0;
  for (const tier of event.leftovers) {
    const live = await findInstances(tagFilters(tier.hostTags, NOT_ENDED_STATES));
    // A retry after the tags were written but before TerminateInstances answered: still ours to terminate.
    const taggedByUs = (h: InstanceFacts) => h.tags.get(RETIRED_BY_TAG) === event.execution && h.tags.get(RETIRED_REASON_TAG) === LEFTOVER_REASON;
    const ids = live.filter((h) => isLeftover(h, event.execution) || taggedByUs(h)).map((h) => h.id);
    terminated += ids.length;
    if (ids.length > 0) await tagRetiredAndTerminate(ids, { execution: event.execution, at: new Date(), reason: LEFTOVER_REASON });
  }
  return { terminated };
}
