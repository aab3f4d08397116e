/** Plan Replace Database: read-only; refuses what a blue/green deployment cannot do. The work is in plan.ts. */
import { logger } from '../shared/logger';
import { planReplaceDatabase, type PlanReplaceEvent } from './plan';
import type { ReplaceDatabasePlan } from './types';

export const handler = async (event: PlanReplaceEvent): Promise<ReplaceDatabasePlan> => {
  const plan = await planReplaceDatabase(event);
  logger.info('planned database replacement', { current: plan.current.identifier, deployment: plan.deploymentName, target: plan.target });
  return plan;
};
