import type { PhaseState } from '../deploy/types';
import { nextPollSeconds, type PollingBounds } from './polling';

/** The phase a check task polls; its absence means the state machine wiring is wrong. */
export function requirePhase(event: { readonly phase?: PhaseState }): PhaseState {
  if (!event.phase) throw new TypeError('check task invoked without the phase it polls');
  return event.phase;
}

/** A long operation that starts now and must end within `timeoutSeconds`; first check after the shortest poll. */
export function startPhase(timeoutSeconds: number, polling: PollingBounds, commandIds?: string[]): PhaseState {
  const startedAt = Date.now();
  return {
    startedAt,
    deadline: startedAt + timeoutSeconds * 1000,
    done: false,
    waitSeconds: nextPollSeconds(0, polling),
    ...(commandIds ? { commandIds } : {}),
  };
}
