/**
 * Reading CloudWatch alarm states, metric and composite, by name (at most 100 names per
 * DescribeAlarms call) and by name prefix (a separate call: the two cannot be combined); and
 * the state changes they went through over an interval (DescribeAlarmHistory).
 */
import { paginateDescribeAlarmHistory, paginateDescribeAlarms, type DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
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

/** One change of an alarm's state, from its history. */
export interface AlarmStateChange {
  readonly name: string;
  /** The state it went to. */
  readonly state: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/** DescribeAlarmHistory's MaxRecords: "Valid Range: Minimum value of 1. Maximum value of 100" (API reference). */
const MAX_HISTORY_RECORDS_PER_CALL = 100;

/**
 * The state changes of the named alarms between `from` and `to` (epoch ms), oldest first: so an alarm that went to
 * ALARM and back between two looks is still seen. One read per alarm, by its name (AlarmName): without a name
 * DescribeAlarmHistory returns "the histories for either all metric alarms or all composite alarms" of the account,
 * every alarm's changes paged through on every look, and which of the two a call without a name returns when asked
 * for both types is not said. A named alarm may be either type: composite ones come back only when asked (AlarmTypes:
 * "If you omit this parameter, only metric alarms are returned"), so both types are asked for. Each StateUpdate item's
 * HistoryData is JSON with the old and the new state (`newState.stateValue`).
 */
export async function readAlarmChanges(names: ReadonlySet<string>, from: number, to: number): Promise<AlarmStateChange[]> {
  if (names.size === 0 || to <= from) return [];
  const changes: AlarmStateChange[] = [];
  for (const name of names) {
    const pages = paginateDescribeAlarmHistory(
      { client: cloudwatch, pageSize: MAX_HISTORY_RECORDS_PER_CALL },
      { AlarmName: name, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], HistoryItemType: 'StateUpdate', StartDate: new Date(from), EndDate: new Date(to), ScanBy: 'TimestampAscending' },
    );
    for await (const page of pages) {
      for (const item of page.AlarmHistoryItems ?? []) {
        if (item.AlarmName !== name) continue;
        const state = newStateOf(item.HistoryData, item.HistorySummary);
        if (state) changes.push({ name, state, at: item.Timestamp?.getTime() ?? to });
      }
    }
  }
  return changes.sort((a, b) => a.at - b.at);
}

/** The state a StateUpdate item went to: HistoryData's newState, or else the summary's "... to ALARM". */
function newStateOf(data: string | undefined, summary: string | undefined): string | undefined {
  try {
    const state = (JSON.parse(data ?? '') as { newState?: { stateValue?: unknown } }).newState?.stateValue;
    if (typeof state === 'string') return state;
  } catch {
    // Not JSON: the summary says it too.
  }
  return /\bto (OK|ALARM|INSUFFICIENT_DATA)\b/.exec(summary ?? '')?.[1];
}
