import { createHash } from 'node:crypto';
import type { PhaseState } from '../domain/contract/payloads';
import { logger } from './logger';
import type { PollingBounds } from './polling';
import { nextWaitSeconds } from './poll-schedule';
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

/**
 * A poll of a long operation whose look AWS throttled (after the SDK's own retries): the
 * look learned nothing, so the phase goes on and looks again later, until its own
 * deadline, instead of failing the task once Step Functions' retries (about two minutes)
 * run out. Throttling is not an answer about the operation: a restore throttled for five
 * minutes may still finish inside its hour.
 *
 * The pause follows AWS's advice (Well-Architected Reliability Pillar, REL05-BP03 "Control
 * and limit retry calls": "Use exponential backoff to retry requests at progressively longer
 * intervals between each retry. Introduce jitter between retries to randomize retry
 * intervals."): capped exponential backoff with jitter, here never shorter
 * than the phase's usual schedule (so the history budget, planned from that schedule,
 * still holds) and never past the deadline. The jitter is derived from the phase and the
 * look, not drawn at random, so a simulated run replays exactly. At or past the deadline
 * the throttling error is thrown as it is: the task's retries, then its catch, decide.
 *
 * Only for looks that are safe to repeat (every check a poll loop calls is). A first look
 * without a phase is retried by the task, unless the check starts its own phase (`firstPhase`:
 * the phase it would have started, e.g. Check Hosts Ready's).
 */
export function lookAgainWhenThrottled<E extends { readonly phase?: PhaseState }, R extends PhaseState>(
  look: (event: E) => Promise<R>,
  pollingOf: (event: E) => PollingBounds,
  firstPhase?: (event: E) => PhaseState | undefined,
): (event: E) => Promise<R> {
  return async (event: E) => {
    try {
      return await look(event);
    } catch (err) {
      const phase = event.phase ?? (isThrottling(err) ? firstPhase?.(event) : undefined);
      const now = Date.now();
      if (!phase || !isThrottling(err) || now >= phase.deadline) throw err;
      const next = throttledLook(phase, pollingOf(event), now);
      logger.warn('a look was throttled; looking again later, within the phase', { error: (err as Error).name, throttledLooks: next.throttledLooks, waitSeconds: next.waitSeconds });
      return next as R;
    }
  };
}

/** The phase after a throttled look: the same state, one more throttled look, and a backed-off pause. */
export function throttledLook<P extends PhaseState>(phase: P, polling: PollingBounds, now = Date.now()): P {
  const looks = (phase.throttledLooks ?? 0) + 1;
  const usual = continuePhase(phase, polling, now).waitSeconds;
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
