import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler, recordRelease } from '../../../lambdas/deploy/record-release';
import type { DeployPlan } from '../../../lambdas/domain/contract/payloads';
import { deployPlan } from '../fixtures';

const ssmMock = mockClient(SSMClient);

function succeededPlan(overrides: Partial<DeployPlan> = {}): DeployPlan {
  return deployPlan([], { hostCount: 4, batchCount: 4, ...overrides });
}

beforeEach(() => {
  ssmMock.reset();
  ssmMock.on(PutParameterCommand).resolves({ Version: 2, Tier: 'Standard' });
});

describe('record release', () => {
  it('records the release as current and the one recorded before as previous', async () => {
    // Act
    const result = await recordRelease(succeededPlan());

    // Assess
    expect(ssmMock).toHaveReceivedCommandTimes(PutParameterCommand, 2);
    expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/fleetflow/canonical/application/current',
      Value: '2.0.0',
      Type: 'String',
      Overwrite: true,
    });
    expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/fleetflow/canonical/application/previous',
      Value: '1.0.0',
      Type: 'String',
      Overwrite: true,
    });
    expect(result).toEqual({ current: '2.0.0', previous: '1.0.0' });
  });

  it('records only the current release on a first release', async () => {
    // Act
    const result = await recordRelease(succeededPlan({ recordedRelease: null }));

    // Assess
    expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(PutParameterCommand, {
      Name: '/fleetflow/canonical/application/current',
      Value: '2.0.0',
      Type: 'String',
      Overwrite: true,
    });
    expect(result).toEqual({ current: '2.0.0', previous: null });
  });

  it('leaves previous alone when the same release is recorded again', async () => {
    // Act
    await recordRelease(succeededPlan({ recordedRelease: '2.0.0' }));

    // Assess
    expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(PutParameterCommand, { Name: '/fleetflow/canonical/application/current', Value: '2.0.0' });
    expect(ssmMock).not.toHaveReceivedCommandWith(PutParameterCommand, { Name: '/fleetflow/canonical/application/previous' });
  });

  it('records a monitoring release under the monitoring component', async () => {
    // Act
    await recordRelease(succeededPlan({ component: 'monitoring', release: 'mon-2.0', recordedRelease: 'mon-1.0' }));

    // Assess
    expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, { Name: '/fleetflow/canonical/monitoring/current', Value: 'mon-2.0' });
    expect(ssmMock).toHaveReceivedCommandWith(PutParameterCommand, { Name: '/fleetflow/canonical/monitoring/previous', Value: 'mon-1.0' });
    expect(ssmMock).not.toHaveReceivedCommandWith(PutParameterCommand, { Name: '/fleetflow/canonical/application/current' });
  });

  it('writes the two parameters and calls nothing else', async () => {
    // Act
    await handler({ plan: succeededPlan() });

    // Assess
    const commands = ssmMock.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
    expect(commands).toEqual(['PutParameterCommand', 'PutParameterCommand']);
  });

  it('fails with the Parameter Store error when the release cannot be recorded', async () => {
    // Prepare
    const error = Object.assign(new Error('User is not authorized to perform ssm:PutParameter'), { name: 'AccessDeniedException' });
    ssmMock.on(PutParameterCommand).rejects(error);

    // Act
    const act = recordRelease(succeededPlan());

    // Assess
    await expect(act).rejects.toBe(error);
  });
});
