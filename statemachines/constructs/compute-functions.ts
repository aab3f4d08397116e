/**
 * What every compute workflow runs (compute-run.ts, provision-tiers.ts) and the set-up steps of new hosts (provision-pipeline.ts).
 * Handler paths are relative to `lambdas/`; the function catalog creates each once.
 */
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const COMPUTE_FUNCTION_SPECS = {
  launchHosts: { id: 'LaunchHosts', handler: 'compute/launch-hosts.ts', description: "Launch a tier's hosts from its launch template (idempotent)" },
  checkHostsReady: { id: 'CheckHostsReady', handler: 'compute/check-hosts-ready.ts', description: 'Poll new hosts: running, status checks, SSM online' },
  verifyDependencies: { id: 'VerifyDependencies', handler: 'compute/verify-dependencies.ts', description: "Check a tier's target groups against its new hosts" },
  storeNewHosts: { id: 'StoreNewHosts', handler: 'compute/store-new-hosts.ts', description: 'Write the new hosts as batches to the plan table' },
  terminateLaunched: { id: 'TerminateLaunched', handler: 'compute/terminate-launched.ts', description: 'Terminate what a failed execution (or surge batch) launched' },
  createDatabase: { id: 'CreateDatabase', handler: 'compute/create-database.ts', description: "Create the environment's database instance" },
  checkDatabaseCreated: { id: 'CheckDatabaseCreated', handler: 'compute/check-database-created.ts', description: 'Poll the new database until available' },
  setUpHosts: { id: 'SetUpHosts', handler: 'compute/set-up-hosts.ts', description: 'Send a setup step (prerequisite, probe) to new hosts' },
  checkSetUp: { id: 'CheckSetUp', handler: 'compute/check-set-up.ts', description: 'Poll a setup step on new hosts' },
} as const satisfies FunctionSpecs;
