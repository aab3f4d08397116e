/**
 * Preflight: a release is only started when monitoring can judge it. An alarm with
 * INSUFFICIENT_DATA means monitoring itself is broken; one already in ALARM means the
 * environment is unhealthy before anything changed.
 */
import { alarmsIn, readAlarms, unmatched } from '../shared/alarms';
import { PreflightFailedError } from '../domain/contract/errors';
import { describeList } from '../shared/polling';
import type { ValidationTaskInput } from '../domain/contract/payloads';

export const handler = async (event: ValidationTaskInput): Promise<{ alarms: number }> => preflight(event);

export async function preflight(event: ValidationTaskInput): Promise<{ alarms: number }> {
  const { alarms, alarmPrefixes } = event.validation;
  const states = await readAlarms({ names: alarms, prefixes: alarmPrefixes });
  const missing = unmatched(states, { names: alarms, prefixes: alarmPrefixes });
  if (missing.prefixes.length > 0) {
    throw new PreflightFailedError(`validation alarm prefix(es) ${describeList(missing.prefixes)} match no alarm; nothing was changed`);
  }
  if (missing.names.length > 0) throw new PreflightFailedError(`validation alarm(s) ${describeList(missing.names)} do not exist; nothing was changed`);
  const blind = alarmsIn(states, 'INSUFFICIENT_DATA');
  if (blind.length > 0) {
    throw new PreflightFailedError(`monitoring is broken: ${describeList(blind)} in INSUFFICIENT_DATA; nothing was changed`);
  }
  const firing = alarmsIn(states, 'ALARM');
  if (firing.length > 0) throw new PreflightFailedError(`already in ALARM before the release: ${describeList(firing)}; nothing was changed`);
  return { alarms: states.length };
}
