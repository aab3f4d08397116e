/**
 * Terminate Launched: after a compute workflow failed, every instance it launched is taken
 * out of its tier's target groups, tagged with why, and terminated, so nothing is left
 * running that nobody asked for. Found by the execution's `fleetflow:launched-by` tag, so
 * it also catches hosts launched by a retry whose answer was lost. Polled until every one is
 * terminated. Safe to retry: deregistering an unregistered target and terminating a
 * terminated instance change nothing.
 */
import { LAUNCH_SCOPE_TAG, LAUNCHED_BY_TAG } from '../domain/contract/tags';
import { ENDED_STATES, findInstances, tagRetiredAndTerminate } from '../shared/instances';
import { completePhase, continuePhase, watchPhase, startPhase, type WatchContext } from '../shared/phase';
import { describeHosts } from '../shared/polling';
import { deregister } from '../shared/target-health';
import type { PhaseState, ComputePlan } from '../domain/contract/payloads';
import { terminateLeftovers, type LeftoversInput, type LeftoversOutcome } from './leftovers';

const TERMINATE_TIMEOUT_SECONDS = 900;
/** What terminating usually takes: the first look. */
const EXPECTED_TERMINATE_SECONDS = 20;

export interface CleanUpInput {
  readonly execution: string;
  readonly plan: { readonly tiers: ReadonlyArray<Pick<ComputePlan['tiers'][number], 'spec'>> };
  /** Only what was launched under this scope (a surge batch's new hosts). */
  readonly scope?: string;
  readonly phase?: PhaseState;
}

export interface CleanUpPhase extends PhaseState {
  /** Instances this execution launched, and how many are terminated. */
  readonly launched: number;
  readonly terminated: number;
}

/**
 * Also Terminate Leftovers (leftovers.ts), at the start of a run: the same grants, on what
 * stopped runs left. The clean-up rides out throttling until its deadline (a throttled
 * look, even the first, learned nothing): giving up would leave what it launched running.
 */
export const handler = async (event: CleanUpInput | LeftoversInput, context?: WatchContext): Promise<CleanUpPhase | LeftoversOutcome> =>
  'leftovers' in event ? terminateLeftovers(event) : cleanUp(event, context);

const cleanUp = watchPhase(terminateLaunched, pollingOf, (event) => startPhase(TERMINATE_TIMEOUT_SECONDS, pollingOf(event), undefined, EXPECTED_TERMINATE_SECONDS));
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

function pollingOf(event: CleanUpInput): { minSeconds: number; maxSeconds: number } {
  return event.plan.tiers[0]?.spec.polling ?? { minSeconds: 2, maxSeconds: 30 };
}

export async function terminateLaunched(event: CleanUpInput): Promise<CleanUpPhase> {
  const now = Date.now();
  const polling = pollingOf(event);
  const phase = event.phase ?? startPhase(TERMINATE_TIMEOUT_SECONDS, polling, undefined, EXPECTED_TERMINATE_SECONDS);
  const launched = await findInstances([
    { Name: `tag:${LAUNCHED_BY_TAG}`, Values: [event.execution] },
    ...(event.scope ? [{ Name: `tag:${LAUNCH_SCOPE_TAG}`, Values: [event.scope] }] : []),
  ]);
  const live = launched.filter((h) => !ENDED_STATES.has(h.state));
  for (const tier of event.plan.tiers) {
    if (tier.spec.traffic.kind !== 'target-group') continue;
    const selector = Object.entries(tier.spec.hostTags ?? {});
    const ids = live.filter((h) => selector.every(([k, v]) => h.tags.get(k) === v)).map((h) => h.id);
    if (ids.length > 0) await deregister(tier.spec.traffic.targetGroupArns, ids);
  }
  await tagRetiredAndTerminate(live.map((h) => h.id), { execution: event.execution, at: new Date(now), reason: 'the execution that launched it failed' });
  const terminated = launched.filter((h) => h.state === 'terminated').length;
  const counts = { launched: launched.length, terminated };
  if (terminated === launched.length) return { ...completePhase(phase, now), ...counts };
  if (now < phase.deadline) return { ...continuePhase(phase, polling, now), ...counts };
  const stuck = launched.filter((h) => h.state !== 'terminated');
  throw new Error(`${describeHosts(stuck)} launched by this execution still not terminated after ${TERMINATE_TIMEOUT_SECONDS}s`);
}
