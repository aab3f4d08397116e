/**
 * Check Bake: watches the environment's alarms (by name and prefix, composite included)
 * for the bake period. Any alarm in ALARM fails validation, and so does one that went to
 * ALARM (or INSUFFICIENT_DATA) and back between two looks: each look reads the alarms'
 * history since the one before (DescribeAlarmHistory), so the looks can be far apart without
 * missing anything. The bake passes only when the whole period has elapsed without one.
 * After a rollback (`recovering`), only the alarms' state at the end of the bake counts: it
 * looks once, then.
 */
import { alarmsIn, readAlarmChanges, readAlarms, unmatched } from '../shared/alarms';
import { ValidationFailedError } from '../domain/contract/errors';
import { describeList } from '../shared/polling';
import { BAKE_CHECK_SECONDS } from '../shared/poll-schedule';
import type { PhaseState, ValidationTaskInput } from '../domain/contract/payloads';

/** A bake's phase: when it last read the alarms, so the next look reads their history from there. */
export interface BakePhase extends PhaseState {
  /** Epoch milliseconds of the last look that read the alarms. */
  readonly lookedAt?: number;
}

/**
 * How far before the last look the next one reads the history again: a state change is written to the history a little
 * after it happens, so a change just before the last look may not have been in it yet. Reading it twice is harmless (any
 * ALARM fails the bake); it never reaches before the bake's start.
 */
export const HISTORY_OVERLAP_MS = 60_000;

export const handler = async (event: ValidationTaskInput & { phase?: BakePhase }): Promise<BakePhase> => checkBake(event);

export async function checkBake(event: ValidationTaskInput & { phase?: BakePhase }): Promise<BakePhase> {
  const { validation } = event;
  const now = Date.now();
  const phase: BakePhase = event.phase ?? { startedAt: now, deadline: now + validation.bakeSeconds * 1000, done: false, waitSeconds: 0 };
  const untilDeadline = Math.max(1, Math.ceil((phase.deadline - now) / 1000));
  // Recovering alarms are only judged at the end: nothing to read before then, one Wait to it.
  if (event.recovering && now < phase.deadline) return { ...phase, done: false, waitSeconds: untilDeadline };
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
  // Since the last look (a release's bake only: after a revert the bad release may have fired them, and the look after
  // an approval judges the state then): a visit to ALARM or INSUFFICIENT_DATA between looks fails the bake as one seen.
  if (!event.recovering && event.phase && phase.startedAt > 0) {
    const since = Math.max(phase.startedAt, (phase.lookedAt ?? phase.startedAt) - HISTORY_OVERLAP_MS);
    const visits = (await readAlarmChanges(new Set(states.map((s) => s.name)), since, now)).filter((c) => c.state === 'ALARM' || c.state === 'INSUFFICIENT_DATA');
    if (visits.length > 0) {
      const first = visits[0]!;
      const names = [...new Set(visits.map((c) => c.name))];
      throw new ValidationFailedError(
        `release ${event.release}: ${describeList(names)} went to ${first.state} ${Math.max(0, Math.round((first.at - phase.startedAt) / 1000))}s into the bake (and back by ${Math.round((now - phase.startedAt) / 1000)}s)`,
      );
    }
  }
  if (now >= phase.deadline) return { ...phase, done: true, waitSeconds: 0, lookedAt: now };
  // The history covers what happens between looks: the pace only decides how soon a firing alarm is seen.
  return { ...phase, done: false, lookedAt: now, waitSeconds: Math.min(BAKE_CHECK_SECONDS, untilDeadline) };
}
