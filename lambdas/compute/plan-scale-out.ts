/**
 * Plan Scale Out: `add` new hosts for one tier, on the tier's recorded release, placed so
 * that the tier ends as evenly spread over its subnets as it can. Read-only. Started again
 * after a stop, it adds `add` hosts to the hosts that serve; what the stopped run launched
 * and never set up is terminated (leftovers.ts); a host set up but registered in none of the
 * tier's target groups (not taken out by FleetFlow) is refused, named, before the lock.
 */
import { parseComputeInput } from '../domain/compute-input';
import { logger } from '../shared/logger';
import { refuseOutOfService, tierLiveHosts } from './leftovers';
import { balance, type PlanEvent } from './allocation';
import { checkTierNetwork } from './network-checks';
import { environmentOf, launchableTier, provisionTier, releaseFor } from '../shared/provision-plan';
import type { ComputePlan } from '../domain/contract/payloads';

export const handler = async (event: PlanEvent): Promise<ComputePlan> => {
  const plan = await planScaleOut(event);
  logger.info('planned scale out', { launch: plan.launchCount, tier: plan.tiers[0]?.spec.name });
  return plan;
};

export async function planScaleOut(event: PlanEvent): Promise<ComputePlan> {
  const input = parseComputeInput('scale-out', event.input);
  const environment = environmentOf(event.environment);
  const tier = launchableTier(environment, input.tier, 'tier');
  // Hosts a stopped run launched and never set up are not the tier's: they are terminated, and neither counted
  // nor balanced around. A host set up and registered in no target group is refused, named, never terminated.
  const { counted: existing, leftovers, leftoverTier: left, outOfService } = await tierLiveHosts(tier, event.execution);
  refuseOutOfService(new Map([[tier.name, outOfService]]), leftovers);
  const release = await releaseFor(environment, tier);
  const perSubnet = balance(
    input.add,
    existing.length + input.add,
    tier.launch.subnets.map((s) => existing.filter((h) => h.subnetId === s.id).length),
  );
  // Listeners and security groups, before the lock and before anything is launched.
  await checkTierNetwork(tier);
  const provision = await provisionTier(environment, tier, { count: input.add, perSubnet, release });
  return {
    environment: environment.name,
    workflow: 'scale-out',
    tiers: [provision],
    launchCount: input.add,
    ...(left ? { leftovers: [left] } : {}),
  };
}
