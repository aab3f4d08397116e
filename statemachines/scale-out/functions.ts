/**
 * The scale-out workflow's planner.
 * Handler paths are relative to `lambdas/`; the function catalog creates each once.
 */
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const SCALE_OUT_FUNCTION_SPECS = {
  planScaleOut: { id: 'PlanScaleOut', handler: 'compute/plan-scale-out.ts', description: 'Plan new hosts for one tier' },
} as const satisfies FunctionSpecs;
