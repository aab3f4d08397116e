/**
 * Check Surge Hosts (the check of a surge batch's one operation, which Launch Surge Hosts starts:
 * lambdas/surge/launch-surge-hosts.ts): the batch's new hosts are ready (running, past their EC2
 * status checks, online in Systems Manager: Check Hosts Ready, scoped to the batch), then each
 * setup step (the tier's prerequisites, then the probe of its health check path) runs on every
 * one of them, in order. Done, the phase carries the new hosts as a batch (`batch`): what the
 * install and the entry into service read (surge-pipeline.ts), while `$.batch` stays the old hosts.
 *
 * One operation instead of a launch loop, a Check Ready loop, a Load Surge Batch task and a
 * send/check loop per step: each look does what is due (a step done sends the next at once), and
 * a step expected to end within a watch (`WATCH_SECONDS`) is watched from when it is sent, so a
 * prepared batch, whose hosts are already ready, is usually set up within its first look
 * (Launch Surge Hosts -> Surge Hosts Set Up? -> Check Surge Hosts -> Surge Hosts Set Up?).
 *
 * Failures are the ones the separate tasks raised: LaunchFailedError or InstanceNotManagedError
 * while the hosts come up, PrerequisiteFailedError or DependencyCheckFailedError for a step that
 * failed or ran past its timeout (its command cancelled), naming the hosts.
 *
 * Not retried on a transient failure (statemachines/surge/surge-pipeline.ts): a look sends the next
 * step when it sees the one before it done, and SendCommand has no idempotency token, so a look that
 * crashed or timed out after a send is not run again, as Set Up Hosts and Set Up Next Step are not;
 * only the Lambda service's own refusals and throttling, which prove the function did not run, are.
 * It launches nothing (only Launch Surge Hosts may call RunInstances): a phase still launching is
 * handed back as it is, for Launch More Surge Hosts.
 */
import type { BatchTaskInput, PhaseState, SetupStep } from '../domain/contract/payloads';
import { checkHostsReady } from '../compute/hosts-ready';
import { setUpHosts, stepProgress } from '../compute/setup';
import { completePhase, continuePhase, watchPhase } from '../shared/phase';
import { WATCH_SECONDS } from '../shared/poll-schedule';
import { describeHosts } from '../shared/polling';
import { readyPhase, surgeBatch, surgeProvision, type SurgeBatch, type SurgeSetUpPhase } from './surge-hosts';

export type { SurgeBatch, SurgeSetUpPhase } from './surge-hosts';

export interface SurgeSetUpInput extends BatchTaskInput {
  readonly phase?: SurgeSetUpPhase;
}

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(setUpSurgeHosts, (event: SurgeSetUpInput) => event.tier.polling, firstPhase);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

/** The phase of a first look without one (Launch Surge Hosts always hands one over): the hosts' ready timeout, from now. */
function firstPhase(event: SurgeSetUpInput): SurgeSetUpPhase {
  requireSurge(event);
  return readyPhase(event.tier, []);
}

export async function setUpSurgeHosts(event: SurgeSetUpInput): Promise<SurgeSetUpPhase> {
  const next = await look(event);
  // Whether the launch prepared the next batch's hosts rides along to the operation's end (the Choice reads it there).
  return event.phase?.prepared ? { ...next, prepared: true } : next;
}

async function look(event: SurgeSetUpInput): Promise<SurgeSetUpPhase> {
  const phase = event.phase;
  // Not this function's to launch: the Choice sends the phase to Launch More Surge Hosts (a pause, so the watch ends).
  if (phase?.stage === 'launch') return { ...phase, done: false, waitSeconds: Math.max(1, phase.waitSeconds) };
  if (phase?.stage === 'setup') return lookAtStep(event, phase);
  const ready = await checkHostsReady({ ...(await surgeProvision(event)), phase: phase ?? firstPhase(event) });
  if (!ready.done) return { ...ready, stage: 'ready', step: 0 };
  const batch = await surgeBatch(event);
  return sendStep(event, { ...batch, label: describeHosts(batch.hosts) }, 0, ready);
}

/** Sends step `step` to the new hosts; past the last step, the operation is done. */
async function sendStep(event: SurgeSetUpInput, batch: SurgeBatch, step: number, previous: PhaseState): Promise<SurgeSetUpPhase> {
  const setup = requireSurge(event).setup;
  if (step >= setup.length) return { ...completePhase(previous), stage: 'setup', step, batch };
  const sent = await setUpHosts({ ...event, batch, setup, step });
  return { ...sent, waitSeconds: watchesNow(sent, Date.now()) ? 0 : sent.waitSeconds, stage: 'setup', step, batch };
}

/**
 * A step expected to end within a watch is watched from when it is sent, until a watch's length
 * has passed: a Wait for its quiet part would cost two transitions to save a few seconds of Lambda.
 * Longer, or later, the usual schedule decides (shared/poll-schedule.ts).
 */
function watchesNow(phase: PhaseState, now: number): boolean {
  return phase.expectedSeconds !== undefined && phase.expectedSeconds <= WATCH_SECONDS && now - phase.startedAt < WATCH_SECONDS * 1000;
}

/** As Check Set Up reads a step (compute/check-set-up.ts): every host succeeded, or the step fails, naming the hosts. */
async function lookAtStep(event: SurgeSetUpInput, phase: SurgeSetUpPhase): Promise<SurgeSetUpPhase> {
  const { tier } = event;
  const setup = requireSurge(event).setup;
  const batch = phase.batch;
  const step: SetupStep | undefined = setup[phase.step];
  if (!batch) throw new TypeError('Check Surge Hosts invoked in the setup stage without the batch it sets up');
  const now = Date.now();
  if (!step) return { ...completePhase(phase, now), stage: 'setup', step: phase.step, batch };
  if ((await stepProgress(step, tier.name, batch.hosts, phase, now)) === 'pending') {
    const next = continuePhase(phase, tier.polling, now);
    return { ...phase, ...next, waitSeconds: watchesNow(phase, now) ? 0 : next.waitSeconds };
  }
  return sendStep(event, batch, phase.step + 1, phase);
}

function requireSurge(event: BatchTaskInput): NonNullable<BatchTaskInput['tier']['surge']> {
  if (!event.tier.surge) throw new TypeError(`tier ${event.tier.name} has no surge plan`);
  return event.tier.surge;
}
