/**
 * The allocate workflow's planner.
 * Handler paths are relative to `lambdas/`; the function catalog creates each once.
 */
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const ALLOCATE_FUNCTION_SPECS = {
  planAllocation: { id: 'PlanAllocation', handler: 'compute/plan-allocation.ts', description: 'Plan the hosts each tier launches, and the database' },
} as const satisfies FunctionSpecs;
