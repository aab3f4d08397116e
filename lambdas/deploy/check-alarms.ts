/**
 * Check Alarms: the gate after each batch. Any of the tier's alarms in ALARM fails the
 * batch, which is then rolled back before the next batch could start.
 */
import { paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import { cloudwatch } from '../shared/aws/cloudwatch';
import { AlarmFiredError } from '../shared/errors';
import type { BatchTaskInput } from './types';

/** DescribeAlarms accepts at most 100 alarm names per call. */
const MAX_ALARM_NAMES_PER_CALL = 100;

export const handler = async (event: BatchTaskInput): Promise<{ checked: number }> => {
  await assertNoAlarmFiring(event.tier.name, event.tier.alarms);
  return { checked: event.tier.alarms.length };
};

export async function firingAlarms(names: readonly string[]): Promise<string[]> {
  const firing: string[] = [];
  for (let i = 0; i < names.length; i += MAX_ALARM_NAMES_PER_CALL) {
    const pages = paginateDescribeAlarms(
      { client: cloudwatch, pageSize: 100 },
      { AlarmNames: names.slice(i, i + MAX_ALARM_NAMES_PER_CALL), AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    );
    for await (const page of pages) {
      for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (alarm.StateValue === 'ALARM' && alarm.AlarmName) firing.push(alarm.AlarmName);
      }
    }
  }
  return firing;
}

export async function assertNoAlarmFiring(tierName: string, names: readonly string[]): Promise<void> {
  const firing = await firingAlarms(names);
  if (firing.length > 0) throw new AlarmFiredError(`tier ${tierName}: alarm(s) in ALARM: ${firing.join(', ')}`);
}
