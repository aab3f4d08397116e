/**
 * Check Alarms: the gate after each batch. Any of the tier's alarms in ALARM fails the
 * batch, which is then rolled back before the next batch could start.
 */
import { alarmsIn, readAlarms } from '../shared/alarms';
import { AlarmFiredError } from '../domain/contract/errors';
import { describeList } from '../shared/polling';
import type { BatchTaskInput } from '../domain/contract/payloads';

export const handler = async (event: BatchTaskInput): Promise<{ checked: number }> => {
  await assertNoAlarmFiring(event.tier.name, event.tier.alarms);
  return { checked: event.tier.alarms.length };
};

export async function firingAlarms(names: readonly string[]): Promise<string[]> {
  return alarmsIn(await readAlarms({ names }), 'ALARM');
}

export async function assertNoAlarmFiring(tierName: string, names: readonly string[]): Promise<void> {
  const firing = await firingAlarms(names);
  if (firing.length > 0) throw new AlarmFiredError(`tier ${tierName}: alarm(s) in ALARM: ${describeList(firing)}`);
}
