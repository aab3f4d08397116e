/**
 * `fleetflow plan --workflow scale-in`: Plan Scale In's own choice (lambdas/compute/plan-scale-in.ts,
 * over the pure scale-in-choice.ts), as a person reads it. The planner returns the hosts it
 * retires, batch by batch, and refuses (InsufficientCapacityError, InvalidInputError) exactly as
 * the workflow would; what it weighed (the tier's hosts now, their zones and launch times, which of
 * the chosen fail their health checks and why, the capacity floor and the declared count) is read
 * again here, by the same filters and rules, reads only.
 */
import type { ComputePlan, HostRef, StoredTier } from '../../lambdas/domain/contract/payloads';
import { isHostTier, type EnvironmentDefinition, type HostTierDefinition } from '../../lambdas/domain/environment/model';
import { batchKey } from '../../lambdas/shared/plan-store';
import type { KeptBatches } from './plan-context';

/** A host the scale-in removes, with what made it the choice. */
export interface ChosenHost {
  readonly name: string;
  readonly zone: string;
  /** ISO-8601 launch time, null when EC2 gave none (counted as the oldest). */
  readonly launchedAt: string | null;
  /** Left out of traffic by a run that stopped or failed: chosen first. */
  readonly outOfTraffic: boolean;
  /** Why it fails its health checks now (`unhealthy in canonical-web`, `EC2 instance status check impaired`), chosen next; null when it passes. */
  readonly failing: string | null;
}

/** What Plan Scale In weighed, and what it chose. */
export interface ScaleInSummary {
  readonly tier: string;
  /** Hosts the tier has now: pending or running, not retired, not a stopped run's leftover. */
  readonly hosts: number;
  readonly remove: number;
  readonly left: number;
  /** `minHealthyPercent` of the hosts now, rounded up. */
  readonly capacityFloor: number;
  readonly minHealthyPercent: number;
  /** The tier's declared count, null when it declares none. */
  readonly count: number | null;
  /** What stays in service throughout and after: the larger of the floor and the count. */
  readonly minimum: number;
  /** What the tier's `retire` policy does to the removed hosts once drained. */
  readonly retire: 'stop' | 'terminate';
  /** In the order chosen: out of traffic first, then those failing their health checks, then the oldest of the zone with the most hosts left. */
  readonly chosen: readonly ChosenHost[];
  /** Hosts per Availability Zone before and after. */
  readonly zones: Record<string, { readonly before: number; readonly after: number }>;
}

/** A scale-in's part of its plan report (plan-workflow.ts puts it together): the figures, the one-line summary, the batches. */
export interface ScaleInParts {
  readonly summary: ScaleInSummary;
  readonly sentence: string;
  readonly batches: Array<{ readonly hosts: string[]; readonly stayInService: number }>;
}

/** `execution`: the name the planner was given (plan-workflow.ts PLAN_EXECUTION), so no host counts as a leftover of it. */
export async function scaleInParts(environment: EnvironmentDefinition, plan: ComputePlan, kept: KeptBatches, execution: string): Promise<ScaleInParts> {
  const { capacityFloor } = await import('../../lambdas/compute/scale-in-choice');
  const tier = plan.retire!.tiers[0]!;
  const { spec } = tier;
  // The planner refused any tier that is not a host tier of the environment: this one is.
  const definition = environment.tiers.filter(isHostTier).find((t) => t.name === spec.name)!;
  const { minHealthyPercent } = definition.batch;
  const count = definition.count ?? null;
  const batches = storedBatches(tier, kept);
  const removed = batches.flat();
  const now = await countedHosts(definition.hosts.tags, execution);
  const hosts = now.length;
  const byId = new Map(now.map((h) => [h.id, h]));
  // What made the planner take a host before the oldest: read again, by the planner's own rule (host-health.ts).
  const failing = await failingOf(definition, now.filter((h) => removed.some((r) => r.id === h.id)));
  const chosen = removed.map((ref) => {
    const host = byId.get(ref.id);
    return {
      name: ref.name,
      zone: host?.availabilityZone ?? '',
      launchedAt: host?.launchedAt === undefined ? null : new Date(host.launchedAt).toISOString(),
      outOfTraffic: host?.outOfTraffic ?? false,
      failing: failing.get(ref.id) ?? null,
    };
  });
  const removedIds = new Set(removed.map((r) => r.id));
  const zones: Record<string, { before: number; after: number }> = {};
  for (const h of now) {
    const z = (zones[h.availabilityZone ?? ''] ??= { before: 0, after: 0 });
    z.before += 1;
    if (!removedIds.has(h.id)) z.after += 1;
  }
  const summary: ScaleInSummary = {
    tier: spec.name,
    hosts,
    remove: removed.length,
    left: hosts - removed.length,
    capacityFloor: capacityFloor(hosts, minHealthyPercent),
    minHealthyPercent,
    count,
    minimum: spec.minHealthy,
    retire: spec.retire ?? 'stop',
    chosen,
    zones,
  };
  let gone = 0;
  const countNote = count === null ? 'no declared count' : `declared count ${count}`;
  return {
    summary,
    sentence:
      `remove ${removed.length} of ${spec.name}'s ${hosts} host(s), leaving ${hosts - removed.length}: at least ${spec.minHealthy} in service throughout ` +
      `(capacity floor ${summary.capacityFloor} = ${minHealthyPercent}% of ${hosts}, ${countNote}); ${summary.retire === 'terminate' ? 'terminated' : 'stopped'} once drained`,
    // Each batch leaves while the rest holds the minimum (Check Retire Capacity, live): what stays is what is left of the tier.
    batches: batches.map((b) => ({ hosts: b.map((h) => h.name), stayInService: hosts - (gone += b.length) })),
  };
}

function storedBatches(tier: StoredTier, kept: KeptBatches): HostRef[][] {
  return Array.from({ length: tier.batchCount }, (_, i) => kept.get(batchKey(tier.keyPrefix, i)) ?? []);
}

/** Why each of `hosts` fails its health checks, as Plan Scale In read it (lambdas/compute/host-health.ts). */
async function failingOf(tier: HostTierDefinition, hosts: Parameters<typeof import('../../lambdas/compute/host-health').failingHealthChecks>[0]) {
  const { failingHealthChecks } = await import('../../lambdas/compute/host-health');
  const { describeTargetGroups } = await import('../../lambdas/shared/provision-plan');
  return failingHealthChecks(hosts, await describeTargetGroups(tier));
}

/** The tier's hosts as Plan Scale In counts them (lambdas/compute/plan-scale-in.ts): live, not retired, not a stopped run's leftover. */
async function countedHosts(tags: Record<string, string>, execution: string) {
  const { findInstances, tagFilters } = await import('../../lambdas/shared/instances');
  const { isLeftover, LIVE_STATES } = await import('../../lambdas/compute/leftovers');
  const { OUT_OF_TRAFFIC_TAG, RETIRED_BY_TAG } = await import('../../lambdas/domain/contract/tags');
  const live = await findInstances(tagFilters(tags, LIVE_STATES));
  return live.filter((h) => !h.tags.has(RETIRED_BY_TAG) && !isLeftover(h, execution)).map((h) => ({ ...h, outOfTraffic: h.tags.has(OUT_OF_TRAFFIC_TAG) }));
}
