import type { BatchTaskInput, PhaseState } from '../deploy/types';

/** The phase a check task polls; its absence means the state machine wiring is wrong. */
export function requirePhase(event: BatchTaskInput): PhaseState {
  if (!event.phase) throw new TypeError('check task invoked without the phase it polls');
  return event.phase;
}
