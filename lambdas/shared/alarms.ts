/**
 * Reading CloudWatch alarm states, metric and composite, by name (at most 100 names per
 * DescribeAlarms call) and by name prefix (a separate call: the two cannot be combined).
 */
import { paginateDescribeAlarms, type DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
import { cloudwatch } from './aws/cloudwatch';

const MAX_ALARM_NAMES_PER_CALL = 100;

export interface AlarmState {
  readonly name: string;
  readonly state: string;
}

export async function readAlarms(selection: { names?: readonly string[]; prefixes?: readonly string[] }): Promise<AlarmState[]> {
  const requests: DescribeAlarmsCommandInput[] = [];
  const names = selection.names ?? [];
  for (let i = 0; i < names.length; i += MAX_ALARM_NAMES_PER_CALL) {
    requests.push({ AlarmNames: names.slice(i, i + MAX_ALARM_NAMES_PER_CALL) });
  }
  for (const prefix of selection.prefixes ?? []) requests.push({ AlarmNamePrefix: prefix });

  const byName = new Map<string, string>();
  for (const request of requests) {
    const pages = paginateDescribeAlarms({ client: cloudwatch, pageSize: 100 }, { ...request, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    for await (const page of pages) {
      for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName) byName.set(alarm.AlarmName, alarm.StateValue ?? 'INSUFFICIENT_DATA');
      }
    }
  }
  return [...byName].map(([name, state]) => ({ name, state }));
}

/** Names of the alarms read in the given state. */
export function alarmsIn(states: readonly AlarmState[], state: string): string[] {
  return states.filter((s) => s.state === state).map((s) => s.name);
}

/** The asked-for names that were not found, and the prefixes that matched no alarm. */
export function unmatched(
  states: readonly AlarmState[],
  selection: { names?: readonly string[]; prefixes?: readonly string[] },
): { names: string[]; prefixes: string[] } {
  return {
    names: (selection.names ?? []).filter((name) => !states.some((s) => s.name === name)),
    prefixes: (selection.prefixes ?? []).filter((prefix) => !states.some((s) => s.name.startsWith(prefix))),
  };
}
