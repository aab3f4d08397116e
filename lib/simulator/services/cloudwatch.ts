/**
 * CloudWatch in the simulated account: DescribeAlarms (the alarm states are the account's,
 * account.ts `alarmState`) and DescribeAlarmHistory (the state changes the account noted,
 * account.ts `noteAlarmStates`).
 */
import { type Operation, checkRange, paginate } from './common';
import { validation } from '../aws-errors';
import { rdsMetricDatapoints } from './rds';

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
  /**
   * DescribeAlarmHistory, as the API reference has it: "If an alarm name is not specified, the histories for either all
   * metric alarms or all composite alarms are returned"; AlarmTypes: "If you omit this parameter, only metric alarms are
   * returned"; MaxRecords "Valid Range: Minimum value of 1. Maximum value of 100"; ScanBy TimestampDescending (the
   * default) or TimestampAscending; StartDate and EndDate bound the items' Timestamp (both included here). Only state
   * changes are modelled (HistoryItemType StateUpdate, or none): the account keeps no configuration updates or actions,
   * so asking for those returns nothing. Each item is an AlarmHistoryItem with CloudWatch's summary ("Alarm updated from
   * OK to ALARM") and its HistoryData JSON (oldState/newState with their stateValue).
   */
  DescribeAlarmHistory(account, input) {
    checkRange('MaxRecords', input.MaxRecords, 1, 100);
    const types: string[] = input.AlarmTypes ?? ['MetricAlarm'];
    const kinds = ['ConfigurationUpdate', 'StateUpdate', 'Action'];
    if (input.HistoryItemType !== undefined && !kinds.includes(input.HistoryItemType)) {
      throw validation(`1 validation error detected: Value '${String(input.HistoryItemType)}' at 'historyItemType' failed to satisfy constraint: Member must satisfy enum value set: [${kinds.join(', ')}]`);
    }
    const scanBy = input.ScanBy ?? 'TimestampDescending';
    if (!['TimestampDescending', 'TimestampAscending'].includes(scanBy)) throw validation(`Value '${String(scanBy)}' at 'scanBy' failed to satisfy constraint`);
    const from = input.StartDate === undefined ? Number.NEGATIVE_INFINITY : new Date(input.StartDate).getTime();
    const to = input.EndDate === undefined ? Number.POSITIVE_INFINITY : new Date(input.EndDate).getTime();
    if (Number.isNaN(from) || Number.isNaN(to)) throw validation('StartDate and EndDate must be timestamps');
    account.noteAlarmStates();
    const items = account.alarmHistory
      .filter(
        (h) =>
          (input.HistoryItemType === undefined || input.HistoryItemType === 'StateUpdate') &&
          types.includes(h.type) &&
          (input.AlarmName === undefined || h.name === input.AlarmName) &&
          h.at >= from &&
          h.at <= to,
      )
      .sort((a, b) => (scanBy === 'TimestampAscending' ? a.at - b.at : b.at - a.at));
    const { page, next } = paginate(items, input.NextToken, input.MaxRecords ?? 50);
    return {
      AlarmHistoryItems: page.map((h) => ({
        AlarmName: h.name,
        AlarmType: h.type,
        Timestamp: new Date(h.at),
        HistoryItemType: 'StateUpdate',
        HistorySummary: `Alarm updated from ${h.from} to ${h.to}`,
        HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: h.from }, newState: { stateValue: h.to } }),
      })),
      NextToken: next,
    };
  },
  /**
   * GetMetricStatistics: only what FleetFlow reads, AWS/RDS by DBInstanceIdentifier: a
   * blue/green deployment's ReplicaLag (its green's, in seconds), or OldestReplicationSlotLag and
   * TransactionLogsGeneration (its blue's, in logical replication; services/rds.ts). Period a multiple of 60;
   * one or more Statistics; StartTime before EndTime; at most 1,440 datapoints per call (API
   * reference, GetMetricStatistics). Any other metric has no datapoints.
   */
  GetMetricStatistics(account, input) {
    const start = new Date(input.StartTime).getTime();
    const end = new Date(input.EndTime).getTime();
    if (Number.isNaN(start) || Number.isNaN(end) || start >= end) throw validation('The parameter StartTime must be less than the parameter EndTime.');
    const period = input.Period;
    if (typeof period !== 'number' || period < 1 || (period >= 60 && period % 60 !== 0)) throw validation('The parameter Period must be a multiple of 60 (or 1, 5, 10, 30 for high resolution).');
    const statistics: string[] = input.Statistics ?? [];
    if (statistics.length === 0 && !input.ExtendedStatistics) throw validation('Either Statistics or ExtendedStatistics must be specified.');
    if ((end - start) / (period * 1000) > 1440) throw validation('You have requested up to 1,440 datapoints, which exceeds the limit of 1,440.');
    const identifier = (input.Dimensions ?? []).find((d: { Name: string; Value: string }) => d.Name === 'DBInstanceIdentifier')?.Value;
    const { unit, points } = input.Namespace === 'AWS/RDS' && identifier ? rdsMetricDatapoints(account, String(input.MetricName), identifier, start, end, period) : { unit: 'None', points: [] };
    return {
      Label: input.MetricName,
      Datapoints: points.map((p) => ({ Timestamp: new Date(p.at), Unit: unit, ...Object.fromEntries(statistics.map((s) => [s, p.value])) })),
    };
  },
};
