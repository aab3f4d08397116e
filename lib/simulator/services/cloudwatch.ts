/**
 * CloudWatch in the simulated account: DescribeAlarms (the alarm states are the account's,
 * account.ts `alarmState`).
 */
import { type Operation, checkRange, paginate } from './common';
import { validation } from '../aws-errors';

export const cloudwatch: Record<string, Operation> = {
  DescribeAlarms(account, input) {
    const names: string[] | undefined = input.AlarmNames;
    if (names && names.length > 100) throw validation(`AlarmNames may hold at most 100 names (received ${names.length})`);
    checkRange('MaxRecords', input.MaxRecords, 1, 100);
    const types: string[] = input.AlarmTypes ?? ['MetricAlarm'];
    if (names && input.AlarmNamePrefix) throw validation('AlarmNames and AlarmNamePrefix cannot be combined');
    const alarms = [...account.alarms.values()]
      .map((a) => ({ ...a, state: account.alarmState(a) }))
      .filter(
        (a) =>
          types.includes(a.type) &&
          (!names || names.includes(a.name)) &&
          (!input.AlarmNamePrefix || a.name.startsWith(input.AlarmNamePrefix)) &&
          (!input.StateValue || a.state === input.StateValue),
      );
    const { page, next } = paginate(alarms, input.NextToken, input.MaxRecords ?? 50);
    const shape = (a: (typeof alarms)[number]) => ({ AlarmName: a.name, StateValue: a.state });
    return {
      MetricAlarms: page.filter((a) => a.type === 'MetricAlarm').map(shape),
      CompositeAlarms: page.filter((a) => a.type === 'CompositeAlarm').map(shape),
      NextToken: next,
    };
  },
};
