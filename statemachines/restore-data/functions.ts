/**
 * The restore-data workflow's tasks, and the repoint batches of the rollout child (repoint-pipeline.ts).
 * Handler paths are relative to `lambdas/`; the function catalog creates each once.
 */
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const RESTORE_DATA_FUNCTION_SPECS = {
  planRestoreData: { id: 'PlanRestoreData', handler: 'restore-data/plan-restore-data.ts', description: 'Check the restore source and plan the repoint batches' },
  restoreDatabase: { id: 'RestoreDatabase', handler: 'restore-data/restore-database.ts', description: 'Restore the data into a new DB instance' },
  checkRestore: { id: 'CheckRestore', handler: 'restore-data/check-restore.ts', description: 'Poll the restored instance until available' },
  validateData: { id: 'ValidateData', handler: 'restore-data/validate-data.ts', description: 'Run the check document against the restored instance' },
  checkValidation: { id: 'CheckValidation', handler: 'restore-data/check-validation.ts', description: 'Poll the check document' },
  writeConnection: { id: 'WriteConnection', handler: 'restore-data/write-connection.ts', description: "Write the environment's connection parameter" },
  planRepointBack: { id: 'PlanRepointBack', handler: 'restore-data/plan-repoint-back.ts', description: 'Plan pointing every moved host back' },
  recordDatabase: { id: 'RecordDatabase', handler: 'restore-data/record-database.ts', description: 'Record the current database, tag the replaced one' },
  reconfigureHosts: { id: 'ReconfigureHosts', handler: 'restore-data/reconfigure-hosts.ts', description: 'Send the reconfigure document to a batch (repoint)' },
  checkReconfigured: { id: 'CheckReconfigured', handler: 'restore-data/check-reconfigured.ts', description: 'Poll a reconfigure, record the database each host uses' },
} as const satisfies FunctionSpecs;
