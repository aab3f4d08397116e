import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { assertNoAlarmFiring, firingAlarms, handler } from '../../../lambdas/rollout/check-alarms';
import { AlarmFiredError } from '../../../lambdas/domain/contract/errors';
import { batchInput, webTier } from '../fixtures';

const cloudwatchMock = mockClient(CloudWatchClient);

/** Alarms of the account by name; those not listed are OK. */
function alarmStates(firing: readonly string[], composite: readonly string[] = []): void {
  cloudwatchMock.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => {
    const names = input.AlarmNames ?? [];
    const state = (name: string) => (firing.includes(name) ? 'ALARM' : 'OK');
    return {
      MetricAlarms: names.filter((n) => !composite.includes(n)).map((AlarmName) => ({ AlarmName, StateValue: state(AlarmName) })),
      CompositeAlarms: names.filter((n) => composite.includes(n)).map((AlarmName) => ({ AlarmName, StateValue: state(AlarmName) })),
    };
  });
}

beforeEach(() => {
  cloudwatchMock.reset();
});

describe('check alarms', () => {
  it('passes when every alarm of the tier is OK', async () => {
    // Prepare
    alarmStates([]);
    const event = batchInput({ tier: webTier({ alarms: ['canonical-web-5xx', 'canonical-web-latency'] }) });

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ checked: 2 });
    expect(cloudwatchMock).toHaveReceivedCommandExactlyOnceWith(DescribeAlarmsCommand, {
      AlarmNames: ['canonical-web-5xx', 'canonical-web-latency'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
  });

  it('fails with AlarmFiredError naming every alarm in ALARM', async () => {
    // Prepare
    alarmStates(['canonical-web-5xx', 'canonical-web-latency']);
    const event = batchInput({ tier: webTier({ alarms: ['canonical-web-5xx', 'canonical-web-latency', 'canonical-web-cpu'] }) });

    // Act
    const act = handler(event);

    // Assess
    await expect(act).rejects.toBeInstanceOf(AlarmFiredError);
    await expect(act).rejects.toThrow('tier web: alarm(s) in ALARM: canonical-web-5xx, canonical-web-latency');
    await expect(act).rejects.not.toThrow('canonical-web-cpu');
  });

  it('fails when a composite alarm is in ALARM', async () => {
    // Prepare
    alarmStates(['canonical-web-health'], ['canonical-web-health']);

    // Act
    const act = assertNoAlarmFiring('web', ['canonical-web-5xx', 'canonical-web-health']);

    // Assess
    await expect(act).rejects.toThrow(AlarmFiredError);
    await expect(act).rejects.toThrow('tier web: alarm(s) in ALARM: canonical-web-health');
  });

  it('ignores alarms with insufficient data', async () => {
    // Prepare
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'canonical-web-5xx', StateValue: 'INSUFFICIENT_DATA' }],
    });

    // Act
    const firing = await firingAlarms(['canonical-web-5xx']);

    // Assess
    expect(firing).toEqual([]);
  });

  it('asks for at most 100 alarm names per call', async () => {
    // Prepare
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);
    alarmStates(['alarm-7', 'alarm-120']);

    // Act
    const firing = await firingAlarms(names);

    // Assess
    expect(cloudwatchMock).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 2);
    expect(cloudwatchMock).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 1, { AlarmNames: names.slice(0, 100) });
    expect(cloudwatchMock).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 2, { AlarmNames: names.slice(100) });
    expect(firing).toEqual(['alarm-7', 'alarm-120']);
  });

  it('reads every page of the response', async () => {
    // Prepare
    cloudwatchMock
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'a', StateValue: 'OK' }], NextToken: 'next' })
      .resolvesOnce({ CompositeAlarms: [{ AlarmName: 'b', StateValue: 'ALARM' }] });

    // Act
    const firing = await firingAlarms(['a', 'b']);

    // Assess
    expect(firing).toEqual(['b']);
    expect(cloudwatchMock).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 2, { NextToken: 'next', AlarmNames: ['a', 'b'] });
  });

  it('calls nothing for a tier without alarms', async () => {
    // Act
    const result = await handler(batchInput({ tier: webTier({ alarms: [] }) }));

    // Assess
    expect(result).toEqual({ checked: 0 });
    expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  });
});
