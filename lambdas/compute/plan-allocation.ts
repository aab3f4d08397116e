/** Plan Allocation: plans the hosts each tier launches, and the database; the planning is in allocation.ts, shared with Plan Scale Out and Plan Replacement. */
import type { ComputePlan } from '../domain/contract/payloads';
import { logger } from '../shared/logger';
import { planAllocation, type PlanEvent } from './allocation';

export const handler = async (event: PlanEvent): Promise<ComputePlan> => {
  const plan = await planAllocation(event);
  logger.info('planned allocation', { launch: plan.launchCount, tiers: plan.tiers.map((t) => t.spec.name), database: Boolean(plan.database) });
  return plan;
};
