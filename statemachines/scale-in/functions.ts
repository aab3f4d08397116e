/**
 * The scale-in workflow's planner; its hosts leave through the rollout's retire batches (replace/functions.ts).
 * Handler paths are relative to `lambdas/`; the function catalog creates each once.
 */
import { RETIRE_GUARD_PLANNER_TIMEOUT } from '../../lib/constructs/fleetflow-function';
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const SCALE_IN_FUNCTION_SPECS = {
  planScaleIn: { id: 'PlanScaleIn', handler: 'compute/plan-scale-in.ts', description: 'Choose the hosts a tier removes: oldest first, balanced across zones', timeout: RETIRE_GUARD_PLANNER_TIMEOUT },
} as const satisfies FunctionSpecs;
