/**
 * Plan Scale In: which `remove` hosts of one tier leave (oldest first, balanced across
 * Availability Zones: scale-in-choice.ts), refused, naming the figures, when what is left
 * would be below the tier's capacity floor or its declared `count`. Read-only: it writes
 * only its own plan items (the hosts, as retire batches of the rollout). Once the run holds
 * the lock, the rollout's retire batches take them out of traffic (never below the same
 * minimum, checked live), wait for the drain, and stop or terminate them by the tier's
 * `retire` policy, tagging why first.
 *
 * Counted: the tier's pending and running hosts, not retired ones, nor the leftovers of a
 * stopped run (never set up: a scale-out or allocate run terminates them). Hosts a stopped or
 * failed run left out of traffic (fleetflow:out-of-traffic) are chosen first, then hosts failing
 * their health checks (host-health.ts), which count as serving nothing. The hosts chosen are
 * refused, before the lock, when EC2 would refuse to stop or terminate them (stop or termination
 * protection) or an Auto Scaling group would replace them (retire-guards.ts). `remove` is
 * relative, as scale-out's `add` is: a run stopped after its hosts were retired and started
 * again removes again (redrive it instead; docs/workflows/scale-in.md).
 */
import { parseComputeInput } from '../domain/compute-input';
import { InsufficientCapacityError, InvalidInputError } from '../domain/contract/errors';
import { OUT_OF_TRAFFIC_TAG, RELEASE_TAG, RETIRED_BY_TAG } from '../domain/contract/tags';
import type { EnvironmentDefinition, HostTierDefinition } from '../domain/environment/model';
import { isHostTier } from '../domain/environment/tiers';
import { findInstances, tagFilters } from '../shared/instances';
import { logger } from '../shared/logger';
import { storeTiers } from '../shared/plan-store';
import { describeTargetGroups, environmentOf, PROVISION_BATCH_HOSTS } from '../shared/provision-plan';
import { tierSpec } from '../shared/tier-spec';
import type { ComputePlan, HostRef } from '../domain/contract/payloads';
import type { PlanEvent } from './allocation';
import { isLeftover, LIVE_STATES } from './leftovers';
import { retireTraffic } from './retire-traffic';
import { failingHealthChecks } from './host-health';
import { refuseUnretirable } from './retire-guards';
import { chooseHostsToRemove, notServing, scaleInMinimum, scaleInRefusal } from './scale-in-choice';

/** The retired reason a scale-in tags on the hosts it removes (with the run id, when the input names one). */
export const SCALE_IN_REASON = 'scale-in';

export const handler = async (event: PlanEvent): Promise<ComputePlan> => {
  const plan = await planScaleIn(event);
  logger.info('planned scale in', { remove: plan.retire?.hostCount ?? 0, tier: plan.retire?.tiers[0]?.spec.name });
  return plan;
};

export async function planScaleIn(event: PlanEvent): Promise<ComputePlan> {
  const input = parseComputeInput('scale-in', event.input);
  const environment = environmentOf(event.environment);
  const tier = hostTier(environment, input.tier);
  const live = await findInstances(tagFilters(tier.hosts.tags, LIVE_STATES));
  const hosts = live.filter((h) => !h.tags.has(RETIRED_BY_TAG) && !isLeftover(h, event.execution));
  const figures = { tier: tier.name, hosts: hosts.length, remove: input.remove, minHealthyPercent: tier.batch.minHealthyPercent, ...(tier.count !== undefined ? { count: tier.count } : {}) };
  // The floors first (no call needed), then what serves now: the hosts' health is read only for a count that fits.
  const floors = scaleInRefusal(figures);
  if (floors) throw new InsufficientCapacityError(`${floors}; nothing was changed`);
  const groups = await describeTargetGroups(tier);
  const failing = await failingHealthChecks(hosts, groups);
  // A host EC2 gave no launch time is taken as the oldest: it has been there at least as long as any.
  const candidates = hosts.map((h) => ({ ...h, zone: h.availabilityZone ?? '', launchedAt: h.launchedAt ?? 0, outOfTraffic: h.tags.has(OUT_OF_TRAFFIC_TAG), failing: failing.has(h.id) }));
  const serving = scaleInRefusal({ ...figures, notServing: candidates.filter((h) => notServing(h)).map((h) => h.name) });
  if (serving) throw new InsufficientCapacityError(`${serving}; nothing was changed`);

  const chosen = chooseHostsToRemove(candidates, input.remove);
  await refuseUnretirable(tier.name, chosen, tier.retire, 'a scale-in');
  const refs: HostRef[] = chosen.map((h) => ({ id: h.id, name: h.name, previous: h.tags.get(RELEASE_TAG) ?? '' }));
  const batches: HostRef[][] = [];
  for (let i = 0; i < refs.length; i += PROVISION_BATCH_HOSTS) batches.push(refs.slice(i, i + PROVISION_BATCH_HOSTS));

  // Drained as a release drains: the host-side check on the groups' ports, the first look at the delay (retire-traffic.ts).
  const traffic = await retireTraffic(tier, groups);
  const healthyAfterSeconds = Math.max(0, ...groups.map((g) => (g.HealthCheckIntervalSeconds ?? 30) * (g.HealthyThresholdCount ?? 5)));
  // Each batch leaves only while the rest of the tier holds the minimum in service (Check Retire Capacity, live).
  const spec = {
    ...tierSpec(environment, tier, { traffic, healthyAfterSeconds }, { hostCount: refs.length, minHealthy: scaleInMinimum(figures), batchSize: Math.min(refs.length, PROVISION_BATCH_HOSTS) }),
    retire: tier.retire,
  };
  const reason = input.runId ? `${SCALE_IN_REASON} ${input.runId}` : SCALE_IN_REASON;
  const tiers = await storeTiers(environment.name, event.execution, 'scale-in', [{ mode: 'retire', reason, spec, batchCount: batches.length, batches }]);
  return {
    environment: environment.name,
    workflow: 'scale-in',
    tiers: [],
    launchCount: 0,
    // Retiring installs nothing: the batch tasks carry the hosts' recorded release for people to read.
    retire: { tiers, hostCount: refs.length, first: false, release: refs[0]?.previous ?? '' },
  };
}

function hostTier(environment: EnvironmentDefinition, name: string): HostTierDefinition {
  const tier = environment.tiers.find((t) => t.name === name);
  if (!tier) {
    const names = environment.tiers.filter(isHostTier).map((t) => t.name);
    throw new InvalidInputError(`tier: environment ${environment.name} has no tier "${name}" (host tiers: ${names.join(', ')}); nothing was changed`);
  }
  if (!isHostTier(tier)) throw new InvalidInputError(`tier: tier ${name} is the data tier, one database instance; scale-in removes hosts; nothing was changed`);
  return tier;
}
