/**
 * The batch pipeline of the rollout child (rollout/batch-pipeline.ts) and the batch loader.
 * Handler paths are relative to `lambdas/`; the function catalog creates each once.
 */
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const BATCH_FUNCTION_SPECS = {
  checkCapacity: { id: 'CheckCapacity', handler: 'rollout/check-capacity.ts', description: "Wait until the rest of a batch's tier holds its minimum in service" },
  takeOutOfTraffic: { id: 'TakeOutOfTraffic', handler: 'rollout/take-out-of-traffic.ts', description: 'Deregister or drain a batch' },
  checkDrained: { id: 'CheckDrained', handler: 'rollout/check-drained.ts', description: 'Poll whether a batch has drained' },
  installRelease: { id: 'InstallRelease', handler: 'rollout/install-release.ts', description: 'Send the install document to a batch' },
  checkInstall: { id: 'CheckInstall', handler: 'rollout/check-install.ts', description: 'Poll install invocations, record the release on hosts' },
  returnToTraffic: { id: 'ReturnToTraffic', handler: 'rollout/return-to-traffic.ts', description: 'Register or undrain a batch' },
  checkHealthy: { id: 'CheckHealthy', handler: 'rollout/check-healthy.ts', description: 'Poll whether a batch is healthy' },
  checkAlarms: { id: 'CheckAlarms', handler: 'rollout/check-alarms.ts', description: 'Fail the batch if a tier alarm is in ALARM' },
  loadBatch: { id: 'LoadBatch', handler: 'rollout/load-batch.ts', description: "Read a batch's hosts from the plan table" },
} as const satisfies FunctionSpecs;
