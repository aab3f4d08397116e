import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListCommandInvocationsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkHealthy } from '../../lambdas/deploy/check-healthy';
import { DrainFailedError, HostUnhealthyError } from '../../lambdas/shared/errors';
import { batchInput, DRAIN_TRAFFIC, NOW, phaseAt, TWO_TARGET_GROUPS, WEB_ADMIN_TG_ARN, WEB_TG_ARN, webHost, webTier } from './fixtures';

const elbMock = mockClient(ElasticLoadBalancingV2Client);
const ssmMock = mockClient(SSMClient);

const hosts = [webHost(1), webHost(2)];

/** The state of each batch host in each target group. */
function states(byGroup: Record<string, TargetHealthStateEnum[]>): void {
  elbMock.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn: string }) => ({
    TargetHealthDescriptions: (byGroup[input.TargetGroupArn] ?? []).map(
      (State, i): TargetHealthDescription => ({ Target: { Id: hosts[i]!.id, Port: 80 }, TargetHealth: { State } }),
    ),
  }));
}

beforeEach(() => {
  elbMock.reset();
  ssmMock.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('checkHealthy', () => {
  it('is done when every host is healthy in every target group', async () => {
    // Prepare
    states({ [WEB_TG_ARN]: ['healthy', 'healthy'], [WEB_ADMIN_TG_ARN]: ['healthy', 'healthy'] });
    const phase = phaseAt(40, 260);

    // Act
    const result = await checkHealthy(batchInput({ tier: webTier({ traffic: TWO_TARGET_GROUPS }), hosts, phase }));

    // Assess
    expect(result).toEqual({ ...phase, done: true, waitSeconds: 0 });
    expect(elbMock).toHaveReceivedCommandTimes(DescribeTargetHealthCommand, 2);
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, {
      TargetGroupArn: WEB_ADMIN_TG_ARN,
      Targets: [{ Id: hosts[0]!.id }, { Id: hosts[1]!.id }],
    });
  });

  it('keeps waiting while a host is healthy in one group but not yet in another', async () => {
    // Prepare
    states({ [WEB_TG_ARN]: ['healthy', 'healthy'], [WEB_ADMIN_TG_ARN]: ['healthy', 'initial'] });

    // Act
    const result = await checkHealthy(batchInput({ tier: webTier({ traffic: TWO_TARGET_GROUPS }), hosts, phase: phaseAt(40, 260) }));

    // Assess
    expect(result.done).toBe(false);
    expect(result.waitSeconds).toBe(2);
  });

  it('treats a host that is not registered as not healthy', async () => {
    // Prepare
    states({ [WEB_TG_ARN]: ['healthy'] });

    // Act
    const act = checkHealthy(batchInput({ hosts, phase: phaseAt(300, 0) }));

    // Assess
    await expect(act).rejects.toThrow('web-2 (i-0a000000000000002): unregistered');
  });

  it('fails with HostUnhealthyError naming each host and its state after the deadline', async () => {
    // Prepare
    states({ [WEB_TG_ARN]: ['unhealthy', 'healthy'], [WEB_ADMIN_TG_ARN]: ['healthy', 'initial'] });
    const event = batchInput({ tier: webTier({ traffic: TWO_TARGET_GROUPS }), hosts, phase: phaseAt(301, -1) });

    // Act
    const act = checkHealthy(event);

    // Assess
    await expect(act).rejects.toBeInstanceOf(HostUnhealthyError);
    await expect(act).rejects.toThrow(
      'tier web: not healthy after 300s: web-1 (i-0a000000000000001): unhealthy; web-2 (i-0a000000000000002): initial',
    );
  });

  it('schedules the next check within the polling bounds and no later than the deadline', async () => {
    // Prepare
    states({ [WEB_TG_ARN]: ['initial', 'initial'] });

    // Act
    const early = await checkHealthy(batchInput({ hosts, phase: phaseAt(10, 290) }));
    const late = await checkHealthy(batchInput({ hosts, phase: phaseAt(1000, 900) }));
    const nearDeadline = await checkHealthy(batchInput({ hosts, phase: phaseAt(290, 6.2) }));

    // Assess
    expect(early.waitSeconds).toBe(2);
    expect(late.waitSeconds).toBe(30);
    expect(nearDeadline.waitSeconds).toBe(7);
  });

  it('for a clustered tier, is done when the undrain command succeeded everywhere', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: hosts.map((h) => ({ InstanceId: h.id, Status: 'Success' as const })),
    });

    // Act
    const result = await checkHealthy(batchInput({ tier: webTier({ traffic: DRAIN_TRAFFIC }), hosts, phase: phaseAt(10, 290, ['cmd-undrain']) }));

    // Assess
    expect(result.done).toBe(true);
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-undrain' });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('for a clustered tier, names hosts still undraining after the deadline', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { InstanceId: hosts[0]!.id, Status: 'Success' },
        { InstanceId: hosts[1]!.id, Status: 'InProgress' },
      ],
    });

    // Act
    const act = checkHealthy(batchInput({ tier: webTier({ traffic: DRAIN_TRAFFIC }), hosts, phase: phaseAt(300, 0, ['cmd-undrain']) }));

    // Assess
    await expect(act).rejects.toThrow(HostUnhealthyError);
    await expect(act).rejects.toThrow('tier web: not healthy after 300s: web-2 (i-0a000000000000002): undraining');
  });

  it('for a clustered tier, fails with DrainFailedError when the undrain command failed', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { InstanceId: hosts[0]!.id, Status: 'Failed' },
        { InstanceId: hosts[1]!.id, Status: 'Success' },
      ],
    });

    // Act
    const act = checkHealthy(batchInput({ tier: webTier({ traffic: DRAIN_TRAFFIC }), hosts, phase: phaseAt(10, 290, ['cmd-undrain']) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(DrainFailedError);
    await expect(act).rejects.toThrow('tier web: undrain command failed on web-1 (i-0a000000000000001)');
  });
});
