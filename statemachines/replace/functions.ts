/**
 * The replace workflow's planner, and the retire batches of the rollout child (retire-pipeline.ts).
 * Handler paths are relative to `lambdas/`; the function catalog creates each once.
 */
import { RETIRE_GUARD_PLANNER_TIMEOUT } from '../../lib/constructs/fleetflow-function';
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const REPLACE_FUNCTION_SPECS = {
  planReplacement: { id: 'PlanReplacement', handler: 'compute/plan-replacement.ts', description: 'Plan which hosts are replaced, and where', timeout: RETIRE_GUARD_PLANNER_TIMEOUT },
  retireHosts: { id: 'RetireHosts', handler: 'compute/retire-hosts.ts', description: 'Tag and stop or terminate replaced hosts' },
  checkRetired: { id: 'CheckRetired', handler: 'compute/check-retired.ts', description: 'Poll until replaced hosts are stopped or terminated' },
} as const satisfies FunctionSpecs;
