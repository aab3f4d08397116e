/**
 * The disaster recovery workflow's planner and report.
 * Handler paths are relative to `lambdas/`; the function catalog creates each once.
 */
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const RECOVER_FUNCTION_SPECS = {
  planRecover: { id: 'PlanRecover', handler: 'recover/plan-recover.ts', description: 'Check what a disaster recovery needs before it starts' },
  reportRecovery: { id: 'ReportRecovery', handler: 'recover/report-recovery.ts', description: 'Report the recovery point and time' },
} as const satisfies FunctionSpecs;
