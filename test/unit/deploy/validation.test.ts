import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, type AlarmType, type DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readAlarms } from '../../../lambdas/shared/alarms';
import { PreflightFailedError, ValidationFailedError } from '../../../lambdas/domain/contract/errors';
import { BAKE_CHECK_SECONDS } from '../../../lambdas/shared/poll-schedule';
import { checkBake, handler as checkBakeHandler, HISTORY_OVERLAP_MS } from '../../../lambdas/deploy/check-bake';
import { handler as preflightHandler, preflight } from '../../../lambdas/deploy/preflight';
import { NOW, phaseAt, validationInput, validationPlan } from '../fixtures';

const cloudwatchMock = mockClient(CloudWatchClient);

interface Alarm {
  readonly name: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly composite?: boolean;
}

const ALL_TYPES: AlarmType[] = ['MetricAlarm', 'CompositeAlarm'];

/** The alarms of the account, answered by name or by name prefix as CloudWatch does. */
function useAlarms(alarms: readonly Alarm[]): void {
  cloudwatchMock.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => {
    const selected = alarms.filter((a) =>
      input.AlarmNames ? input.AlarmNames.includes(a.name) : input.AlarmNamePrefix ? a.name.startsWith(input.AlarmNamePrefix) : true,
    );
    const types = input.AlarmTypes ?? ['MetricAlarm'];
    const shape = (a: Alarm) => ({ AlarmName: a.name, StateValue: a.state });
    return {
      MetricAlarms: types.includes('MetricAlarm') ? selected.filter((a) => !a.composite).map(shape) : [],
      CompositeAlarms: types.includes('CompositeAlarm') ? selected.filter((a) => a.composite).map(shape) : [],
    };
  });
}

/** The canonical validation alarms, every one OK unless changed by `states`. */
function canonicalAlarms(states: Record<string, Alarm['state']> = {}): Alarm[] {
  const alarms: Alarm[] = [
    { name: 'canonical-availability', state: 'OK', composite: true },
    { name: 'canonical-web-5xx', state: 'OK' },
    { name: 'canonical-web-latency', state: 'OK' },
    { name: 'canonical-middle-5xx', state: 'OK' },
    { name: 'canonical-middle-health', state: 'OK', composite: true },
    { name: 'other-service-5xx', state: 'ALARM' },
  ];
  return alarms.map((a) => ({ ...a, state: states[a.name] ?? a.state }));
}

/** The zero-length phase the state machine passes to Check Bake for its last look after the approval. */
const AFTER_APPROVAL = { startedAt: 0, deadline: 0, done: false, waitSeconds: 0 };

function describeInputs(): DescribeAlarmsCommandInput[] {
  return cloudwatchMock.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input);
}

beforeEach(() => {
  cloudwatchMock.reset();
  useAlarms(canonicalAlarms());
  // No alarm changed state: an empty history (each test that needs one gives its own).
  cloudwatchMock.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('preflight', () => {
  it('lets the release start when every validation alarm is OK, counting those found by name and prefix', async () => {
    // Act
    const result = await preflightHandler(validationInput());

    // Assess
    expect(result).toEqual({ alarms: 5 });
  });

  it('reads alarms by name, and by each prefix in a separate call, composite alarms included', async () => {
    // Act
    await preflight(validationInput());

    // Assess
    expect(cloudwatchMock).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 3);
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ['canonical-availability'], AlarmTypes: ALL_TYPES });
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNamePrefix: 'canonical-web-', AlarmTypes: ALL_TYPES });
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNamePrefix: 'canonical-middle-', AlarmTypes: ALL_TYPES });
    for (const input of describeInputs()) {
      expect(input.AlarmNames !== undefined && input.AlarmNamePrefix !== undefined).toBe(false);
    }
  });

  it('refuses to start when a named alarm has insufficient data, because monitoring is broken', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-availability': 'INSUFFICIENT_DATA' }));

    // Act
    const act = preflight(validationInput());

    // Assess
    await expect(act).rejects.toBeInstanceOf(PreflightFailedError);
    await expect(act).rejects.toThrow('monitoring is broken: canonical-availability in INSUFFICIENT_DATA; nothing was changed');
  });

  it('refuses to start when an alarm found by prefix has insufficient data', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-middle-5xx': 'INSUFFICIENT_DATA' }));

    // Act
    const act = preflight(validationInput());

    // Assess
    await expect(act).rejects.toBeInstanceOf(PreflightFailedError);
    await expect(act).rejects.toThrow('monitoring is broken: canonical-middle-5xx in INSUFFICIENT_DATA');
  });

  it('refuses to start when an alarm is already in ALARM, naming it', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-web-latency': 'ALARM' }));

    // Act
    const act = preflight(validationInput());

    // Assess
    await expect(act).rejects.toBeInstanceOf(PreflightFailedError);
    await expect(act).rejects.toThrow('already in ALARM before the release: canonical-web-latency; nothing was changed');
    await expect(act).rejects.not.toThrow('other-service-5xx');
  });

  it('refuses to start when a composite alarm found by prefix is in ALARM', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-middle-health': 'ALARM' }));

    // Act
    const act = preflight(validationInput());

    // Assess
    await expect(act).rejects.toBeInstanceOf(PreflightFailedError);
    await expect(act).rejects.toThrow('already in ALARM before the release: canonical-middle-health');
  });

  it('refuses to start when a named validation alarm does not exist, naming it', async () => {
    // Prepare
    const validation = validationPlan({ alarms: ['canonical-availability', 'canonical-checkout'] });

    // Act
    const act = preflight(validationInput({ validation }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(PreflightFailedError);
    await expect(act).rejects.toThrow('validation alarm(s) canonical-checkout do not exist; nothing was changed');
  });

  it('refuses to start when a validation alarm prefix matches no alarm, naming the prefix', async () => {
    // Prepare
    const validation = validationPlan({ alarmPrefixes: ['canonical-web-', 'canonical-checkout-'] });

    // Act
    const act = preflight(validationInput({ validation }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(PreflightFailedError);
    await expect(act).rejects.toThrow('validation alarm prefix(es) canonical-checkout- match no alarm; nothing was changed');
    await expect(act).rejects.not.toThrow('canonical-web-');
  });

  it('refuses to start when the alarms a prefix matched have all been deleted', async () => {
    // Prepare
    useAlarms(canonicalAlarms().filter((a) => !a.name.startsWith('canonical-middle-')));

    // Act
    const act = preflight(validationInput());

    // Assess
    await expect(act).rejects.toBeInstanceOf(PreflightFailedError);
    await expect(act).rejects.toThrow('validation alarm prefix(es) canonical-middle- match no alarm');
  });

  it('counts an alarm found by prefix whatever its type: a composite alarm alone satisfies a prefix', async () => {
    // Prepare
    useAlarms([
      { name: 'canonical-availability', state: 'OK', composite: true },
      { name: 'canonical-web-health', state: 'OK', composite: true },
      { name: 'canonical-middle-5xx', state: 'OK' },
    ]);

    // Act
    const result = await preflight(validationInput());

    // Assess
    expect(result).toEqual({ alarms: 3 });
  });

  it('makes no call for an environment without validation alarms', async () => {
    // Act
    const result = await preflight(validationInput({ validation: validationPlan({ alarms: [], alarmPrefixes: [] }) }));

    // Assess
    expect(result).toEqual({ alarms: 0 });
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });
});

describe('readAlarms', () => {
  it('asks for at most 100 names per call and follows every page', async () => {
    // Prepare
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);
    cloudwatchMock
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'alarm-1', StateValue: 'OK' }], NextToken: 'page-2' })
      .resolvesOnce({ CompositeAlarms: [{ AlarmName: 'alarm-2', StateValue: 'ALARM' }] })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'alarm-120', StateValue: 'INSUFFICIENT_DATA' }] });

    // Act
    const states = await readAlarms({ names });

    // Assess
    expect(cloudwatchMock).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 3);
    expect(cloudwatchMock).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 1, { AlarmNames: names.slice(0, 100) });
    expect(cloudwatchMock).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 2, { AlarmNames: names.slice(0, 100), NextToken: 'page-2' });
    expect(cloudwatchMock).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 3, { AlarmNames: names.slice(100) });
    expect(states).toEqual([
      { name: 'alarm-1', state: 'OK' },
      { name: 'alarm-2', state: 'ALARM' },
      { name: 'alarm-120', state: 'INSUFFICIENT_DATA' },
    ]);
  });

  it('reports an alarm found both by name and by prefix once', async () => {
    // Act
    const states = await readAlarms({ names: ['canonical-web-5xx'], prefixes: ['canonical-web-'] });

    // Assess
    expect(states.map((s) => s.name)).toEqual(['canonical-web-5xx', 'canonical-web-latency']);
  });
});

describe('check bake', () => {
  it('starts the bake on the first check: the deadline is now plus the bake period', async () => {
    // Act
    const phase = await checkBakeHandler(validationInput());

    // Assess: the next look is BAKE_CHECK_SECONDS (150 s) later; the history is read from this look on
    expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 300_000, done: false, waitSeconds: 150, lookedAt: NOW });
    // The bake starts now: there is no history of it to read yet.
    expect(cloudwatchMock).not.toHaveReceivedCommand(DescribeAlarmHistoryCommand);
  });

  it('fails validation on the first check already when an alarm is in ALARM', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-web-5xx': 'ALARM' }));

    // Act
    const act = checkBake(validationInput());

    // Assess
    await expect(act).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(act).rejects.toThrow('release 2.0.0: canonical-web-5xx in ALARM 0s into the bake');
  });

  it('fails validation with ValidationFailedError naming every alarm in ALARM and when in the bake', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-availability': 'ALARM', 'canonical-middle-health': 'ALARM' }));

    // Act
    const act = checkBake(validationInput({ phase: phaseAt(120, 180) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(act).rejects.toThrow('release 2.0.0: canonical-availability, canonical-middle-health in ALARM 120s into the bake');
    await expect(act).rejects.not.toThrow('other-service-5xx');
  });

  it('fails validation for an alarm in ALARM at the very end of the bake', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-middle-5xx': 'ALARM' }));

    // Act
    const act = checkBake(validationInput({ phase: phaseAt(300, 0) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(act).rejects.toThrow('canonical-middle-5xx in ALARM 300s into the bake');
  });

  it('reads the validation alarms by name and by prefix on every check', async () => {
    // Act
    await checkBake(validationInput({ phase: phaseAt(60, 240) }));

    // Assess
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ['canonical-availability'], AlarmTypes: ALL_TYPES });
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNamePrefix: 'canonical-web-', AlarmTypes: ALL_TYPES });
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNamePrefix: 'canonical-middle-', AlarmTypes: ALL_TYPES });
  });

  it('is not done a moment before the deadline', async () => {
    // Prepare
    const phase = { ...phaseAt(299, 0), deadline: NOW + 1 };

    // Act
    const result = await checkBake(validationInput({ phase }));

    // Assess
    expect(result).toEqual({ ...phase, done: false, waitSeconds: 1, lookedAt: NOW });
  });

  it.each([0, 5])('is done once the deadline has passed by %i s without an alarm', async (overdue) => {
    // Prepare
    const phase = phaseAt(300 + overdue, -overdue);

    // Act
    const result = await checkBake(validationInput({ phase }));

    // Assess
    expect(result).toEqual({ ...phase, done: true, waitSeconds: 0, lookedAt: NOW });
  });

  it('is done on the first check of a bake of 0 seconds', async () => {
    // Act
    const phase = await checkBake(validationInput({ validation: validationPlan({ bakeSeconds: 0 }) }));

    // Assess
    expect(phase).toEqual({ startedAt: NOW, deadline: NOW, done: true, waitSeconds: 0, lookedAt: NOW });
  });

  it('fails validation with ValidationFailedError when a validation alarm has insufficient data, because monitoring went blind', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-web-latency': 'INSUFFICIENT_DATA', 'canonical-availability': 'INSUFFICIENT_DATA' }));

    // Act
    const act = checkBake(validationInput({ phase: phaseAt(120, 180) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(act).rejects.toThrow('release 2.0.0: canonical-availability, canonical-web-latency in INSUFFICIENT_DATA 120s into the bake');
  });

  it('names the alarms in ALARM rather than those with insufficient data when both happen', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-web-latency': 'INSUFFICIENT_DATA', 'canonical-middle-5xx': 'ALARM' }));

    // Act
    const act = checkBake(validationInput({ phase: phaseAt(60, 240) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(act).rejects.toThrow('release 2.0.0: canonical-middle-5xx in ALARM 60s into the bake');
  });

  it('fails validation for an alarm with insufficient data even once the deadline has passed', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-middle-health': 'INSUFFICIENT_DATA' }));

    // Act
    const act = checkBake(validationInput({ phase: phaseAt(305, -5) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(act).rejects.toThrow('canonical-middle-health in INSUFFICIENT_DATA 305s into the bake');
  });

  it('fails validation with ValidationFailedError when a named validation alarm no longer exists, naming it', async () => {
    // Prepare
    useAlarms(canonicalAlarms().filter((a) => a.name !== 'canonical-availability'));

    // Act
    const act = checkBake(validationInput({ phase: phaseAt(120, 180) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(act).rejects.toThrow('release 2.0.0: alarm(s) canonical-availability no longer exist');
  });

  it('after the approval, is done at once when no alarm fires', async () => {
    // Act
    const result = await checkBake(validationInput({ phase: AFTER_APPROVAL }));

    // Assess
    expect(result).toEqual({ ...AFTER_APPROVAL, done: true, waitSeconds: 0, lookedAt: NOW });
    // The look after an approval judges the alarms as they are then: no history.
    expect(cloudwatchMock).not.toHaveReceivedCommand(DescribeAlarmHistoryCommand);
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ['canonical-availability'], AlarmTypes: ALL_TYPES });
  });

  it('is done at once for any zero-length phase, whenever it started', async () => {
    // Prepare
    const phase = { ...phaseAt(0, 0), startedAt: NOW - 7_200_000, deadline: NOW - 7_200_000 };

    // Act
    const result = await checkBake(validationInput({ phase }));

    // Assess
    expect(result).toEqual({ ...phase, done: true, waitSeconds: 0, lookedAt: NOW });
  });

  it('after the approval, fails validation when an alarm fires, saying when it was checked', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-web-5xx': 'ALARM' }));

    // Act
    const act = checkBake(validationInput({ phase: AFTER_APPROVAL }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(act).rejects.toThrow('release 2.0.0: canonical-web-5xx in ALARM when checked after the approval');
    await expect(act).rejects.not.toThrow('into the bake');
  });

  it('after the approval, fails validation when an alarm has insufficient data, saying when it was checked', async () => {
    // Prepare
    useAlarms(canonicalAlarms({ 'canonical-availability': 'INSUFFICIENT_DATA' }));

    // Act
    const act = checkBake(validationInput({ phase: AFTER_APPROVAL }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(act).rejects.toThrow('release 2.0.0: canonical-availability in INSUFFICIENT_DATA when checked after the approval');
  });

  it('after the approval, fails validation when a named validation alarm no longer exists', async () => {
    // Prepare
    useAlarms(canonicalAlarms().filter((a) => a.name !== 'canonical-availability'));

    // Act
    const act = checkBake(validationInput({ phase: AFTER_APPROVAL }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(act).rejects.toThrow('release 2.0.0: alarm(s) canonical-availability no longer exist');
  });

  it('keeps the start and deadline of the bake across checks', async () => {
    // Prepare
    const phase = phaseAt(100, 200);

    // Act
    const result = await checkBake(validationInput({ phase }));

    // Assess
    expect(result.startedAt).toBe(phase.startedAt);
    expect(result.deadline).toBe(phase.deadline);
  });

  it('looks every 150 s: a 300 s bake is two looks after its start (each reads the history since the last)', () => {
    expect(BAKE_CHECK_SECONDS).toBe(150);
  });

  it.each([
    { remaining: 300, maxSeconds: 30, expected: 150 },
    { remaining: 151, maxSeconds: 30, expected: 150 },
    { remaining: 150, maxSeconds: 30, expected: 150 },
    { remaining: 61, maxSeconds: 30, expected: 61 },
    { remaining: 31, maxSeconds: 30, expected: 31 },
    { remaining: 12, maxSeconds: 30, expected: 12 },
    { remaining: 1, maxSeconds: 30, expected: 1 },
    { remaining: 250, maxSeconds: 10, expected: 150 },
    { remaining: 250, maxSeconds: 120, expected: 150 },
  ])('waits $expected s with $remaining s of bake left, whatever the $maxSeconds s polling maximum', async ({ remaining, maxSeconds, expected }) => {
    // Prepare
    const validation = validationPlan({ polling: { minSeconds: 2, maxSeconds } });

    // Act
    const result = await checkBake(validationInput({ validation, phase: phaseAt(300 - remaining, remaining) }));

    // Assess
    expect(result.waitSeconds).toBe(expected);
  });

  it('never waits beyond BAKE_CHECK_SECONDS nor beyond the first whole second at or after the deadline', async () => {
    // Prepare
    const remainingMs = [1, 499, 999, 1_000, 1_001, 2_500, 9_999, 29_001, 30_000, 45_250, 59_001, 60_000, 60_001, 299_999];
    const validation = validationPlan({ polling: { minSeconds: 5, maxSeconds: 30 } });

    // Act
    const waits = await Promise.all(
      remainingMs.map(async (ms) => {
        const phase = { ...phaseAt(10, 0), deadline: NOW + ms };
        return { ms, wait: (await checkBake(validationInput({ validation, phase }))).waitSeconds };
      }),
    );

    // Assess
    for (const { ms, wait } of waits) {
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(BAKE_CHECK_SECONDS);
      // A whole-second Wait can only land at or just after a deadline that is not on a whole second.
      expect(wait * 1000).toBeLessThan(ms + 1000);
    }
  });

  /** A history item as CloudWatch returns it (AlarmHistoryItem: HistoryData JSON with the new state). */
  const change = (name: string, from: string, to: string, at: number) => ({
    AlarmName: name,
    AlarmType: 'MetricAlarm' as const,
    HistoryItemType: 'StateUpdate' as const,
    Timestamp: new Date(at),
    HistorySummary: `Alarm updated from ${from} to ${to}`,
    HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: from }, newState: { stateValue: to } }),
  });

  it('fails validation for an alarm that went to ALARM and back between two looks: OK now, ALARM in its history', async () => {
    // Prepare: looked 150 s ago; canonical-web-5xx fired 100 s into the bake and cleared 40 s later
    const phase = { ...phaseAt(250, 50), lookedAt: NOW - 150_000 };
    cloudwatchMock.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [change('canonical-web-5xx', 'OK', 'ALARM', phase.startedAt + 100_000), change('canonical-web-5xx', 'ALARM', 'OK', phase.startedAt + 140_000)],
    });

    // Act
    const act = checkBake(validationInput({ phase }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(act).rejects.toThrow('release 2.0.0: canonical-web-5xx went to ALARM 100s into the bake (and back by 250s)');
  });

  it("ignores the history of alarms it does not watch, and changes back to OK", async () => {
    // Prepare
    const phase = { ...phaseAt(250, 50), lookedAt: NOW - 150_000 };
    cloudwatchMock.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [change('other-service-5xx', 'OK', 'ALARM', NOW - 60_000), change('canonical-web-latency', 'ALARM', 'OK', NOW - 10_000)],
    });

    // Act
    const result = await checkBake(validationInput({ phase }));

    // Assess
    expect(result).toMatchObject({ done: false, waitSeconds: 50, lookedAt: NOW });
  });

  it('reads each alarm\'s history by name, both alarm types, from shortly before the last look (never before the bake) to now, page by page', async () => {
    // Prepare: canonical-middle-health's change is on its second page; the other alarms changed nothing
    const phase = { ...phaseAt(250, 50), lookedAt: NOW - 150_000 };
    cloudwatchMock.on(DescribeAlarmHistoryCommand).callsFake((input: { AlarmName?: string; NextToken?: string }) => {
      if (input.AlarmName !== 'canonical-middle-health') return { AlarmHistoryItems: [] };
      return input.NextToken ? { AlarmHistoryItems: [change('canonical-middle-health', 'OK', 'INSUFFICIENT_DATA', NOW - 20_000)] } : { AlarmHistoryItems: [], NextToken: 'page-2' };
    });

    // Act
    const act = checkBake(validationInput({ phase }));

    // Assess: the second page's visit to INSUFFICIENT_DATA fails the bake; no call reads the whole account's history
    await expect(act).rejects.toThrow('canonical-middle-health went to INSUFFICIENT_DATA 230s into the bake');
    const calls = cloudwatchMock.commandCalls(DescribeAlarmHistoryCommand).map((c) => c.args[0].input);
    expect(calls.every((input) => typeof input.AlarmName === 'string')).toBe(true);
    expect(calls.filter((input) => input.AlarmName === 'canonical-middle-health')).toHaveLength(2);
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmHistoryCommand, {
      AlarmName: 'canonical-middle-health',
      AlarmTypes: ALL_TYPES,
      HistoryItemType: 'StateUpdate',
      StartDate: new Date(NOW - 150_000 - HISTORY_OVERLAP_MS),
      EndDate: new Date(NOW),
      MaxRecords: 100,
    });
    // The first look after the start reads from the start itself, not before it.
    cloudwatchMock.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] });
    const firstLook = { ...phaseAt(150, 150), lookedAt: NOW - 150_000 };
    await checkBake(validationInput({ phase: firstLook }));
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmHistoryCommand, { StartDate: new Date(NOW - 150_000) });
  });
});
