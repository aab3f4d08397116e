/**
 * Preflight: a release is only started when monitoring can judge it. An alarm with
 * INSUFFICIENT_DATA means monitoring itself is broken; one already in ALARM means the
 * environment is unhealthy before anything changed.
 */
import { readAlarms } from '../shared/alarms';
import { PreflightFailedError } from '../shared/errors';
import type { ValidationTaskInput } from './types';

export const handler = async (event: ValidationTaskInput): Promise<{ alarms: number }> => preflight(event);

export async function preflight(event: ValidationTaskInput): Promise<{ alarms: number }> {
  const { alarms, alarmPrefixes } = event.validation;
  const states = await readAlarms({ names: alarms, prefixes: alarmPrefixes });
  const emptyPrefixes = alarmPrefixes.filter((prefix) => !states.some((s) => s.name.startsWith(prefix)));
  if (emptyPrefixes.length > 0) {
    throw new PreflightFailedError(`validation alarm prefix(es) ${emptyPrefixes.join(', ')} match no alarm; nothing was changed`);
  }
  const missing = alarms.filter((name) => !states.some((s) => s.name === name));
  if (missing.length > 0) throw new PreflightFailedError(`validation alarm(s) ${missing.join(', ')} do not exist; nothing was changed`);
  const blind = states.filter((s) => s.state === 'INSUFFICIENT_DATA').map((s) => s.name);
  if (blind.length > 0) {
    throw new PreflightFailedError(`monitoring is broken: ${blind.join(', ')} in INSUFFICIENT_DATA; nothing was changed`);
  }
  const firing = states.filter((s) => s.state === 'ALARM').map((s) => s.name);
  if (firing.length > 0) throw new PreflightFailedError(`already in ALARM before the release: ${firing.join(', ')}; nothing was changed`);
  return { alarms: states.length };
}
