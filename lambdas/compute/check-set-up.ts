/**
 * Check Set Up: reads the invocations of the setup step a batch of new hosts is running.
 * Every host succeeded: the step is done (and the workflow sends the next, if any). A host
 * failed, or the step ran past its timeout: PrerequisiteFailedError (a prerequisite) or
 * DependencyCheckFailedError (the health check path did not answer), naming the hosts.
 */
import { completePhase, continuePhase, requirePhase, watchPhase } from '../shared/phase';
import { describeHosts, describeList, MAX_NAMED } from '../shared/polling';
import { cancelCommands, readProgress } from '../shared/ssm-commands';
import { describeStep, setupFailure, type SetupPhase, type SetupTaskInput } from './setup';

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
  const progress = await readProgress(phase.commandIds ?? [], batch.hosts.map((h) => h.id));
  if (progress.pending.length > 0) {
    if (now < phase.deadline) return { ...continuePhase(phase, tier.polling, now), step: phase.step, more: phase.more };
    await cancelCommands(phase.commandIds ?? []);
    const late = batch.hosts.filter((h) => progress.pending.includes(h.id));
    throw setupFailure(step, `tier ${tier.name}: ${describeStep(step)} did not finish within ${step.timeoutSeconds}s on ${describeHosts(late)}`);
  }
  if (progress.failed.length > 0) {
    const named = progress.failed.slice(0, MAX_NAMED).map((f) => {
      const host = batch.hosts.find((h) => h.id === f.instanceId) ?? { id: f.instanceId, name: f.instanceId };
      return `${describeHosts([host])}: ${f.details}`;
    });
    const failed = describeList([...named, ...progress.failed.slice(MAX_NAMED).map((f) => f.instanceId)], { separator: '; ' });
    throw setupFailure(step, `tier ${tier.name}: ${describeStep(step)} failed on ${failed}`);
  }
  return { ...completePhase(phase, now), step: phase.step, more: phase.more };
}
