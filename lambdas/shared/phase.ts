import type { PhaseState } from '../deploy/types';
import type { PollingBounds } from './polling';
import { nextWaitSeconds } from './poll-schedule';

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
