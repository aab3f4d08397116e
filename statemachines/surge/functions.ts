/**
 * A surge batch (surge-pipeline.ts), its rollback (surge-rollback-pipeline.ts), and the termination of the old hosts once the release is recorded.
 * Handler paths are relative to `lambdas/`; the function catalog creates each once.
 */
import type { FunctionSpecs } from '../../lib/constructs/function-catalog';

export const SURGE_FUNCTION_SPECS = {
  launchSurgeHosts: { id: 'LaunchSurgeHosts', handler: 'surge/launch-surge-hosts.ts', description: "Launch a surge batch's new hosts (idempotent)" },
  checkSurgeHostsReady: { id: 'CheckSurgeHostsReady', handler: 'surge/check-surge-hosts-ready.ts', description: "Poll a surge batch's new hosts until ready" },
  loadSurgeBatch: { id: 'LoadSurgeBatch', handler: 'surge/load-surge-batch.ts', description: "Find a surge batch's new hosts" },
  startHosts: { id: 'StartHosts', handler: 'surge/start-hosts.ts', description: 'Start the hosts a surge stopped, to roll it back' },
  checkStarted: { id: 'CheckStarted', handler: 'surge/check-started.ts', description: 'Poll restarted hosts until running and online' },
  terminateSurged: { id: 'TerminateSurged', handler: 'surge/terminate-surged.ts', description: 'Terminate the old hosts a validated surge stopped' },
} as const satisfies FunctionSpecs;
