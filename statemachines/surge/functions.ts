/**
 * A surge batch (surge-pipeline.ts), its rollback (surge-rollback-pipeline.ts), and the termination of the old hosts once the release is recorded.
 * Handler paths are relative to `lambdas/`; the function catalog creates each once.
 */
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const SURGE_FUNCTION_SPECS = {
  launchSurgeHosts: { id: 'LaunchSurgeHosts', handler: 'surge/launch-surge-hosts.ts', description: "Launch a surge batch's new hosts, and the next batch's when pipelined (idempotent)" },
  setUpSurgeHosts: { id: 'SetUpSurgeHosts', handler: 'surge/set-up-surge-hosts.ts', description: "Watch a surge batch's new hosts until ready, then run each setup step on them" },
  startHosts: { id: 'StartHosts', handler: 'surge/start-hosts.ts', description: 'Start the hosts a surge stopped, to roll it back' },
  checkStarted: { id: 'CheckStarted', handler: 'surge/check-started.ts', description: 'Poll restarted hosts until running and online' },
  terminateSurged: { id: 'TerminateSurged', handler: 'surge/terminate-surged.ts', description: 'Terminate the old hosts a validated surge stopped' },
} as const satisfies FunctionSpecs;


/** The surge's functions every environment has (the rollout holds the surge pipeline); Terminate Surged only with a surge tier (statemachines/deploy/deploy-workflow.ts). */
export const { terminateSurged: _terminateSurged, ...SURGE_BATCH_FUNCTION_SPECS } = SURGE_FUNCTION_SPECS;
