/**
 * The release workflow's own tasks (deploy-workflow.ts).
 * Handler paths are relative to `lambdas/`; the function catalog creates each once.
 */
import { RETIRE_GUARD_PLANNER_TIMEOUT } from '../../lib/constructs/fleetflow-function';
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const DEPLOY_FUNCTION_SPECS = {
  planRelease: { id: 'PlanRelease', handler: 'deploy/plan-release.ts', description: 'Validate input, find hosts by tag, plan batches', timeout: RETIRE_GUARD_PLANNER_TIMEOUT },
  checkDatabase: { id: 'CheckDatabase', handler: 'database/check-database.ts', description: 'Refuse unless the database is available' },
  createSnapshot: { id: 'CreateSnapshot', handler: 'database/create-snapshot.ts', description: 'Snapshot the database before migrating' },
  checkSnapshot: { id: 'CheckSnapshot', handler: 'database/check-snapshot.ts', description: 'Poll the snapshot until available' },
  runMigration: { id: 'RunMigration', handler: 'database/run-migration.ts', description: 'Send the migration document to the runner host' },
  checkMigration: { id: 'CheckMigration', handler: 'database/check-migration.ts', description: 'Poll the migration command' },
  preflight: { id: 'Preflight', handler: 'deploy/preflight.ts', description: 'Refuse to start while monitoring is broken or alarming' },
  checkBake: { id: 'CheckBake', handler: 'deploy/check-bake.ts', description: 'Watch the validation alarms for the bake period' },
  planRollback: { id: 'PlanRollback', handler: 'deploy/plan-rollback.ts', description: 'Plan the revert of every host that moved' },
  recordRelease: { id: 'RecordRelease', handler: 'deploy/record-release.ts', description: 'Record the current and previous release' },
} as const satisfies FunctionSpecs;
