/**
 * Check Set Up: reads the invocations of the setup step a batch of new hosts is running.
 * Every host succeeded: the step is done (and the workflow sends the next, if any). A host
 * failed, or the step ran past its timeout: PrerequisiteFailedError (a prerequisite) or
 * DependencyCheckFailedError (the health check path did not answer), naming the hosts.
 */
import { completePhase, continuePhase, requirePhase, watchPhase } from '../shared/phase';
import { stepProgress, type SetupPhase, type SetupTaskInput } from './setup';

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkSetUp, (event: SetupTaskInput & { phase: SetupPhase }) => event.tier.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

export async function checkSetUp(event: SetupTaskInput & { phase: SetupPhase }): Promise<SetupPhase> {
  const phase = requirePhase(event) as SetupPhase;
  const { tier, batch, setup } = event;
  const step = setup[phase.step];
  if (!step) return { ...phase, done: true };
  const now = Date.now();
  if ((await stepProgress(step, tier.name, batch.hosts, phase, now)) === 'pending') return { ...continuePhase(phase, tier.polling, now), step: phase.step, more: phase.more };
  return { ...completePhase(phase, now), step: phase.step, more: phase.more };
}
