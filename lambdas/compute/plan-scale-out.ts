/**
 * Plan Scale Out: `add` new hosts for one tier, on the tier's recorded release, placed so
 * that the tier ends as evenly spread over its subnets as it can. Read-only.
 */
import { parseComputeInput } from '../../lib/compute-input';
import { findInstances, tagFilters } from '../shared/instances';
import { logger } from '../shared/logger';
import { balance, LIVE_STATES, type PlanEvent } from './plan-allocation';
import { environmentOf, launchableTier, provisionTier, releaseFor } from './provision-plan';
import type { ComputePlan } from './types';

export const handler = async (event: PlanEvent): Promise<ComputePlan> => {
  const plan = await planScaleOut(event);
  logger.info('planned scale out', { launch: plan.launchCount, tier: plan.tiers[0]?.spec.name });
  return plan;
};

export async function planScaleOut(event: PlanEvent): Promise<ComputePlan> {
  const input = parseComputeInput('scale-out', event.input);
  const environment = environmentOf(event.environment);
  const tier = launchableTier(environment, input.tier, 'tier');
  const existing = await findInstances(tagFilters(tier.hosts.tags, LIVE_STATES));
  const release = await releaseFor(environment, tier);
  const perSubnet = balance(
    input.add,
    existing.length + input.add,
    tier.launch.subnets.map((s) => existing.filter((h) => h.subnetId === s.id).length),
  );
  const provision = await provisionTier(environment, tier, { count: input.add, perSubnet, release });
  return { environment: environment.name, workflow: 'scale-out', tiers: [provision], launchCount: input.add };
}
