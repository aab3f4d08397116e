/**
 * Check Bake: watches the environment's alarms (by name and prefix, composite included)
 * for the bake period. Any alarm in ALARM fails validation at once; the bake passes
 * only when the whole period has elapsed without one. After a rollback (`recovering`),
 * only the alarms' state at the end of the bake counts.
 */
import { alarmsIn, readAlarms, unmatched } from '../shared/alarms';
import { ValidationFailedError } from '../domain/contract/errors';
import { describeList } from '../shared/polling';
import { BAKE_CHECK_SECONDS } from '../shared/poll-schedule';
import type { PhaseState, ValidationTaskInput } from '../domain/contract/payloads';

export const handler = async (event: ValidationTaskInput): Promise<PhaseState> => checkBake(event);

export async function checkBake(event: ValidationTaskInput): Promise<PhaseState> {
  const { validation } = event;
  const now = Date.now();
  const phase = event.phase ?? { startedAt: now, deadline: now + validation.bakeSeconds * 1000, done: false, waitSeconds: 0 };
  // A steady pace for the whole bake: an alarm must be seen soon after it fires.
  const keepBaking = (): PhaseState => ({
    ...phase,
    done: false,
    waitSeconds: Math.min(BAKE_CHECK_SECONDS, Math.max(1, Math.ceil((phase.deadline - now) / 1000))),
  });
  // Recovering alarms are only judged at the end: nothing to read before then.
  if (event.recovering && now < phase.deadline) return keepBaking();
  const states = await readAlarms({ names: validation.alarms, prefixes: validation.alarmPrefixes });
  // The state machine's last look after an approval is a phase starting at 0, not a bake.
  const when = phase.startedAt === 0 ? 'when checked after the approval' : `${Math.round((now - phase.startedAt) / 1000)}s into the bake`;
  const firing = alarmsIn(states, 'ALARM');
  if (firing.length > 0) throw new ValidationFailedError(`release ${event.release}: ${describeList(firing)} in ALARM ${when}`);
  // Monitoring that went blind, or an alarm that vanished, cannot vouch for the release.
  const blind = alarmsIn(states, 'INSUFFICIENT_DATA');
  if (blind.length > 0) throw new ValidationFailedError(`release ${event.release}: ${describeList(blind)} in INSUFFICIENT_DATA ${when}`);
  const gone = unmatched(states, { names: validation.alarms, prefixes: validation.alarmPrefixes });
  const missing = [...gone.names, ...gone.prefixes.map((prefix) => `${prefix}*`)];
  if (missing.length > 0) throw new ValidationFailedError(`release ${event.release}: alarm(s) ${describeList(missing)} no longer exist`);
  if (now >= phase.deadline) return { ...phase, done: true, waitSeconds: 0 };
  return keepBaking();
}
