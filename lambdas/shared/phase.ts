import { createHash } from 'node:crypto';
import type { PhaseState } from '../domain/contract/payloads';
import { logger } from './logger';
import type { PollingBounds } from './polling';
import { nextWaitSeconds, WATCH_SECONDS } from './poll-schedule';
import { isThrottling } from './throttling';

/** The longest pause after a throttled look (the backoff's cap). */
export const THROTTLED_LOOK_MAX_SECONDS = 60;

/** The phase a check task polls; its absence means the state machine wiring is wrong. */
export function requirePhase(event: { readonly phase?: PhaseState }): PhaseState {
  if (!event.phase) throw new TypeError('check task invoked without the phase it polls');
  return event.phase;
}

/**
 * A long operation that starts now and must end within `timeoutSeconds`. The first look
 * is when it usually ends (`expectedSeconds`), or after the shortest poll when unknown.
 */
export function startPhase(timeoutSeconds: number, polling: PollingBounds, commandIds?: string[], expectedSeconds?: number): PhaseState {
  const startedAt = Date.now();
  const expected = expectedSeconds !== undefined && expectedSeconds > 0 ? Math.min(expectedSeconds, timeoutSeconds) : undefined;
  return {
    startedAt,
    deadline: startedAt + timeoutSeconds * 1000,
    done: false,
    waitSeconds: nextWaitSeconds({ elapsedMs: 0, untilDeadlineMs: timeoutSeconds * 1000, bounds: polling, expectedSeconds: expected }),
    ...(expected !== undefined ? { expectedSeconds: expected } : {}),
    ...(commandIds ? { commandIds } : {}),
  };
}

/** The phase goes on: when to look again. */
export function continuePhase(phase: PhaseState, polling: PollingBounds, now = Date.now()): PhaseState {
  return {
    ...phase,
    done: false,
    waitSeconds: nextWaitSeconds({
      elapsedMs: now - phase.startedAt,
      untilDeadlineMs: phase.deadline - now,
      bounds: polling,
      expectedSeconds: phase.expectedSeconds,
    }),
  };
}

/** The phase is over; how long it took is what the tier's next batch expects. */
export function completePhase(phase: PhaseState, now = Date.now()): PhaseState {
  return { ...phase, done: true, waitSeconds: 0, tookSeconds: Math.max(0, Math.ceil((now - phase.startedAt) / 1000)) };
}

/** What a check receives from Lambda that the watch reads: the time left before the function's timeout. */
export interface WatchContext {
  getRemainingTimeInMillis(): number;
}

/**
 * The check's own time budget (Lambda's timeout is 100 s, lib/constructs/fleetflow-function.ts;
 * test/infra/lambda-timeouts.test.ts holds a handler's TIME_BUDGET_MS to two thirds of it): it
 * starts no look after this, so a look in flight and the answer still fit.
 */
export const TIME_BUDGET_MS = WATCH_SECONDS * 1000;
/** Time a watch leaves unused before the function's timeout, whatever its budget. */
const WATCH_SAFETY_MS = 30_000;
/** The shortest pause between two looks of one watch. */
export const WATCH_INTERVAL_MS = 1_000;
/**
 * Calls a second one watch may make to a service. Run Command's list calls are throttled
 * per account and Region ("The request or operation couldn't be performed because the
 * service is throttling requests", SSM ThrottlingException), and a 1-second loop of
 * ListCommandInvocations was enough to exceed it once several ran in parallel
 * (aws/aws-rfdk#1723, "fix(integ): avoid SSM throttling in canary test polling"): a batch
 * whose look lists many commands looks less often.
 */
const WATCH_CALLS_PER_SECOND = 5;
/** Commands one ListCommands call describes (its MaxResults: "Minimum value of 1. Maximum value of 50."). */
const COMMANDS_PER_LOOK_CALL = 50;

/**
 * The pause between two looks of a watch: a second, longer when one look makes many calls. A
 * look reads its commands with ListCommands, 50 a call (ssm-commands.ts `readProgress`): the
 * phase's commands and its health commands are read apart, so each list costs its own pages.
 * A batch of 1,000 hosts (20 commands) is one call a look, and is looked at every second.
 */
export function watchIntervalMs(phase: PhaseState): number {
  const pages = (n: number) => Math.ceil(n / COMMANDS_PER_LOOK_CALL);
  const calls = pages(phase.commandIds?.length ?? 0) + pages(phase.healthCommandIds?.length ?? 0);
  return Math.max(WATCH_INTERVAL_MS, Math.ceil((calls / WATCH_CALLS_PER_SECOND) * 1000));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A check that watches: it looks, and while the schedule says the end is near (a pause of
 * 0, poll-schedule.ts) looks again every second or two inside this one invocation, for up to
 * its budget, so that the end is seen within about a second of it instead of at the next Wait.
 * It returns the first phase that is done, that wants a Wait, or the last one when its budget
 * is spent (pause 0: the Choice runs the check again without a Wait). Each look is the check
 * as it was, with the phase the previous look returned, so a watch is exactly the loop of
 * Wait/Check/Choice states it replaces, without their transitions.
 *
 * Why a watch rather than SSM's status-change events resuming a task token: Systems Manager's
 * EventBridge events "are produced on a best effort basis" (Systems Manager user guide, "Reference:
 * Amazon EventBridge event patterns and types for Systems Manager"), so a token would still need
 * this poll behind it (a heartbeat or timeout) for the lost event; the events cover Run Command
 * only, not a drain or a target's health (read from ELB's DescribeTargetHealth), and they would add
 * a rule, a function, a token store and a token in flight per batch. One mechanism serves every
 * phase, and the simulator runs it as it is.
 *
 * A throttled look learned nothing: the phase goes on and is looked at again later, until its
 * own deadline, instead of failing the task once Step Functions' retries (about two minutes)
 * run out. Throttling is not an answer about the operation: a restore throttled for five
 * minutes may still finish inside its hour. The pause follows AWS's advice (Well-Architected
 * Reliability Pillar, REL05-BP03 "Control and limit retry calls": "Use exponential backoff to
 * retry requests at progressively longer intervals between each retry. Introduce jitter
 * between retries to randomize retry intervals."): capped exponential backoff with jitter,
 * never shorter than the phase's usual schedule nor than the rest of the watch's budget (so
 * the history budget, planned at one check per watch, still holds) and never past the
 * deadline. The jitter is derived from the phase and the look, not drawn at random, so a
 * simulated run replays exactly. At or past the deadline the throttling error is thrown as it
 * is: the task's retries, then its catch, decide.
 *
 * Only for looks that are safe to repeat (every check a poll loop calls is). A first look
 * without a phase is retried by the task, unless the check starts its own phase (`firstPhase`:
 * the phase it would have started, e.g. Check Hosts Ready's).
 */
export function watchPhase<E extends { readonly phase?: PhaseState }, R extends PhaseState>(
  look: (event: E) => Promise<R>,
  pollingOf: (event: E) => PollingBounds,
  firstPhase?: (event: E) => PhaseState | undefined,
): (event: E, context?: WatchContext) => Promise<R> {
  return async (event: E, context?: WatchContext) => {
    const startedAt = Date.now();
    // Only Lambda's context says how long the invocation may run: called without one, the check looks once.
    const budgetEnd = context ? startedAt + Math.min(TIME_BUDGET_MS, context.getRemainingTimeInMillis() - WATCH_SAFETY_MS) : startedAt;
    let current = event;
    for (;;) {
      let next: R;
      try {
        next = await look(current);
      } catch (err) {
        const phase = current.phase ?? (isThrottling(err) ? firstPhase?.(current) : undefined);
        const now = Date.now();
        if (!phase || !isThrottling(err) || now >= phase.deadline) throw err;
        // The rest of the watch is spent pausing, so that a watch stays one check (the history budget's count).
        const throttled = throttledLook(phase, pollingOf(current), now, context ? Math.ceil((startedAt + TIME_BUDGET_MS - now) / 1000) : 0);
        logger.warn('a look was throttled; looking again later, within the phase', { error: (err as Error).name, throttledLooks: throttled.throttledLooks, waitSeconds: throttled.waitSeconds });
        return throttled as R;
      }
      if (next.done || next.waitSeconds > 0) return next;
      // A check that cannot watch (no Lambda context) must not ask to run again at once: it would loop without a pause.
      if (!context) return { ...next, waitSeconds: 1 };
      const now = Date.now();
      const pause = Math.min(watchIntervalMs(next), Math.max(0, next.deadline - now));
      if (now + pause > budgetEnd) return next;
      await sleep(pause);
      current = { ...current, phase: next };
    }
  };
}

/** The phase after a throttled look: the same state, one more throttled look, and a backed-off pause. */
export function throttledLook<P extends PhaseState>(phase: P, polling: PollingBounds, now = Date.now(), atLeastSeconds = 0): P {
  const looks = (phase.throttledLooks ?? 0) + 1;
  const usual = Math.max(atLeastSeconds, continuePhase(phase, polling, now).waitSeconds);
  const ceiling = Math.min(THROTTLED_LOOK_MAX_SECONDS, Math.max(1, polling.minSeconds) * 2 ** looks);
  // Equal jitter: half the ceiling, plus up to the other half.
  const backoff = Math.ceil(ceiling / 2 + (ceiling / 2) * jitter(`${phase.startedAt}:${looks}:${phase.commandIds?.[0] ?? ''}`));
  const untilDeadline = Math.max(1, Math.ceil((phase.deadline - now) / 1000));
  return { ...phase, done: false, throttledLooks: looks, waitSeconds: Math.min(untilDeadline, Math.max(usual, backoff)) };
}

/** A fraction in [0, 1) fixed by `seed`. */
function jitter(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0) / 2 ** 32;
}
