/**
 * Check Bake: watches the environment's alarms (by name and prefix, composite included)
 * for the bake period. Any alarm in ALARM fails validation at once; the bake passes
 * only when the whole period has elapsed without one.
 */
import { readAlarms } from '../shared/alarms';
import { ValidationFailedError } from '../shared/errors';
import type { PhaseState } from '../deploy/types';
import type { ValidationTaskInput } from './types';

export const handler = async (event: ValidationTaskInput): Promise<PhaseState> => checkBake(event);

export async function checkBake(event: ValidationTaskInput): Promise<PhaseState> {
  const { validation } = event;
  const now = Date.now();
  const phase = event.phase ?? { startedAt: now, deadline: now + validation.bakeSeconds * 1000, done: false, waitSeconds: 0 };
  const states = await readAlarms({ names: validation.alarms, prefixes: validation.alarmPrefixes });
  const firing = states.filter((s) => s.state === 'ALARM').map((s) => s.name);
  const elapsed = Math.round((now - phase.startedAt) / 1000);
  if (firing.length > 0) {
    throw new ValidationFailedError(`release ${event.release}: ${firing.join(', ')} in ALARM ${elapsed}s into the bake`);
  }
  if (now >= phase.deadline) return { ...phase, done: true, waitSeconds: 0 };
  // A steady pace for the whole bake: an alarm must be seen soon after it fires.
  const untilEnd = Math.max(1, Math.ceil((phase.deadline - now) / 1000));
  return { ...phase, done: false, waitSeconds: Math.min(validation.polling.maxSeconds, untilEnd) };
}
