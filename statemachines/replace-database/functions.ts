/**
 * The replace-database workflow's tasks. Handler paths are relative to `lambdas/`; the
 * function catalog creates each once. A long operation's start and check share one function
 * (the handler tells them apart by the phase), so each role holds one operation's rights.
 */
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const REPLACE_DATABASE_FUNCTION_SPECS = {
  planReplaceDatabase: { id: 'PlanReplaceDatabase', handler: 'replace-database/plan-replace-database.ts', description: 'Check the database can be replaced by a blue/green deployment' },
  createGreen: { id: 'CreateGreen', handler: 'replace-database/create-green.ts', description: 'Create the blue/green deployment, poll it until available' },
  checkGreenDatabase: { id: 'CheckGreenDatabase', handler: 'replace-database/check-green-database.ts', description: 'Run the check document against the green endpoint' },
  checkReplicaLag: { id: 'CheckReplicaLag', handler: 'replace-database/check-replica-lag.ts', description: "Read the green's ReplicaLag" },
  switchOver: { id: 'SwitchOver', handler: 'replace-database/switch-over.ts', description: 'Switch the blue/green deployment over, poll it' },
  recordReplacement: { id: 'RecordReplacement', handler: 'replace-database/record-replacement.ts', description: 'Tag the old instance kept, record the database' },
} as const satisfies FunctionSpecs;
