import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkBake } from '../../../lambdas/deploy/check-bake';
import { ValidationFailedError } from '../../../lambdas/domain/contract/errors';
import { validationPlan } from '../fixtures';

const cloudwatchMock = mockClient(CloudWatchClient);
const NOW = Date.UTC(2026, 0, 6, 3, 0, 0);
const alarming = { MetricAlarms: [{ AlarmName: 'canonical-availability', StateValue: 'ALARM' as const }] };
const ok = { MetricAlarms: [{ AlarmName: 'canonical-availability', StateValue: 'OK' as const }] };

beforeEach(() => {
  cloudwatchMock.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('checkBake after a rollback (recovering)', () => {
  const validation = { ...validationPlan(), alarms: ['canonical-availability'], alarmPrefixes: [], bakeSeconds: 300 };
  const phase = { startedAt: NOW - 100_000, deadline: NOW + 200_000, done: false, waitSeconds: 30 };

  it('lets an alarm still in ALARM recover before the end of the bake', async () => {
    // Prepare
    cloudwatchMock.on(DescribeAlarmsCommand).resolves(alarming);

    // Act
    const next = await checkBake({ release: '2.0.0', validation, phase, recovering: true });

    // Assess
    expect(next.done).toBe(false);
    // 200 s of bake left: only the state at the end counts, so the next look is then, and nothing was read.
    expect(next.waitSeconds).toBe(200);
    expect(cloudwatchMock).not.toHaveReceivedCommand(DescribeAlarmsCommand);
  });

  it('fails when the alarm is still in ALARM at the end of the bake', async () => {
    cloudwatchMock.on(DescribeAlarmsCommand).resolves(alarming);

    await expect(checkBake({ release: '2.0.0', validation, phase: { ...phase, deadline: NOW }, recovering: true })).rejects.toBeInstanceOf(
      ValidationFailedError,
    );
  });

  it('passes at the end of the bake once the alarm is back to OK', async () => {
    cloudwatchMock.on(DescribeAlarmsCommand).resolves(ok);

    const next = await checkBake({ release: '2.0.0', validation, phase: { ...phase, deadline: NOW }, recovering: true });

    expect(next.done).toBe(true);
  });

  it('fails at once on ALARM during a release bake (not recovering)', async () => {
    cloudwatchMock.on(DescribeAlarmsCommand).resolves(alarming);

    await expect(checkBake({ release: '2.0.0', validation, phase })).rejects.toThrow('canonical-availability in ALARM 100s into the bake');
  });
});
