/**
 * The simulated account's CloudWatch alarm history (DescribeAlarmHistory), as the API reference describes it: the
 * state changes of every alarm the account noted (an alarm that went to ALARM and back between two reads is in it),
 * metric alarms only unless AlarmTypes asks for composite ones, at most 100 records a page (MaxRecords 1-100), newest
 * first unless ScanBy says otherwise, bounded by StartDate and EndDate.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { call, refusal, seedWithFaults } from './simulated-calls';
import { NOW } from './fixtures';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

const history = (account: ReturnType<typeof seedWithFaults>, input: Record<string, unknown> = {}) =>
  call(account, 'cloudwatch', 'DescribeAlarmHistory', { HistoryItemType: 'StateUpdate', ...input }) as {
    AlarmHistoryItems: Array<{ AlarmName: string; AlarmType: string; Timestamp: Date; HistorySummary: string; HistoryData: string }>;
    NextToken?: string;
  };

describe('CloudWatch DescribeAlarmHistory in the simulated account', () => {
  it('keeps a visit to ALARM between two reads: both changes, at their times, newest first, with the new state in HistoryData', () => {
    // Prepare: an alarm at OK, read; then ALARM for 40 s and back to OK, with no read in between.
    const account = seedWithFaults();
    const name = 'canonical-web-5xx';
    expect(call(account, 'cloudwatch', 'DescribeAlarms', { AlarmNames: [name] }).MetricAlarms[0].StateValue).toBe('OK');
    vi.setSystemTime(NOW + 30_000);
    account.setAlarmBaseState(name, 'ALARM');
    vi.setSystemTime(NOW + 70_000);
    account.setAlarmBaseState(name, 'OK');
    vi.setSystemTime(NOW + 150_000);

    // Act
    const now = call(account, 'cloudwatch', 'DescribeAlarms', { AlarmNames: [name] });
    const { AlarmHistoryItems: items } = history(account, { StartDate: new Date(NOW), EndDate: new Date(NOW + 150_000) });

    // Assess: the state now says nothing; the history says it all.
    expect(now.MetricAlarms[0].StateValue).toBe('OK');
    expect(items.map((i) => [i.AlarmName, i.Timestamp.getTime() - NOW, i.HistorySummary])).toEqual([
      [name, 70_000, 'Alarm updated from ALARM to OK'],
      [name, 30_000, 'Alarm updated from OK to ALARM'],
    ]);
    expect(JSON.parse(items[1]!.HistoryData).newState.stateValue).toBe('ALARM');
  });

  it('notes an injected alarm at the instant it fires, though nothing read it then', () => {
    const account = seedWithFaults(['alarm:canonical-web-5xx@120']);
    call(account, 'cloudwatch', 'DescribeAlarms', {});
    // A host of the alarm's tier on another release: the fault's cause (account.ts alarmState).
    const web = [...account.hosts.values()].find((h) => h.tier === 'web')!;
    web.release = 'something-else';
    vi.setSystemTime(NOW + 300_000);

    const { AlarmHistoryItems: items } = history(account, { AlarmName: 'canonical-web-5xx', ScanBy: 'TimestampAscending' });

    expect(items.map((i) => [i.Timestamp.getTime() - NOW, i.HistorySummary])).toEqual([[120_000, 'Alarm updated from OK to ALARM']]);
  });

  it('filters by StartDate and EndDate, returns composite alarms only when AlarmTypes asks, and pages by MaxRecords', () => {
    const account = seedWithFaults();
    const names = [...account.alarms.keys()].slice(0, 3);
    call(account, 'cloudwatch', 'DescribeAlarms', {});
    names.forEach((name, i) => {
      vi.setSystemTime(NOW + (i + 1) * 10_000);
      account.setAlarmBaseState(name, 'ALARM');
    });
    account.addAlarm('canonical-composite', ['web'], 'CompositeAlarm');
    call(account, 'cloudwatch', 'DescribeAlarms', {});
    vi.setSystemTime(NOW + 40_000);
    account.setAlarmBaseState('canonical-composite', 'ALARM');

    const window = history(account, { StartDate: new Date(NOW + 15_000), EndDate: new Date(NOW + 30_000), ScanBy: 'TimestampAscending' });
    const first = history(account, { MaxRecords: 2, ScanBy: 'TimestampAscending' });
    const second = history(account, { MaxRecords: 2, ScanBy: 'TimestampAscending', NextToken: first.NextToken });
    const both = history(account, { AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });

    expect(window.AlarmHistoryItems.map((i) => i.AlarmName)).toEqual(names.slice(1, 3));
    expect([...first.AlarmHistoryItems, ...second.AlarmHistoryItems].map((i) => i.AlarmName)).toEqual(names);
    expect(second.NextToken).toBeUndefined();
    // Omitted AlarmTypes: metric alarms only.
    expect(first.AlarmHistoryItems.concat(second.AlarmHistoryItems).some((i) => i.AlarmType === 'CompositeAlarm')).toBe(false);
    expect(both.AlarmHistoryItems[0]).toMatchObject({ AlarmName: 'canonical-composite', AlarmType: 'CompositeAlarm' });
  });

  it('refuses MaxRecords past 100 as CloudWatch does', () => {
    const account = seedWithFaults();

    const over = refusal(() => history(account, { MaxRecords: 101 }));

    expect(over.name).toBe('ValidationException');
    expect(history(account, { MaxRecords: 100 }).AlarmHistoryItems).toEqual([]);
  });
});
