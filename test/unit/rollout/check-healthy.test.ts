import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  InvalidTargetException,
  type TargetHealthDescription,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvalidInstanceId, ListCommandInvocationsCommand, SendCommandCommand, SSMClient, type CommandInvocationStatus } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkHealthy } from '../../../lambdas/rollout/check-healthy';
import { DrainFailedError, HostUnhealthyError } from '../../../lambdas/domain/contract/errors';
import type { PhaseState, TierPlan } from '../../../lambdas/domain/contract/payloads';
import {
  batchInput,
  DRAIN_TRAFFIC,
  HEALTH_COMMAND,
  NO_TRAFFIC,
  NOW,
  phaseAt,
  TWO_TARGET_GROUPS,
  WEB_ADMIN_TG_ARN,
  WEB_TG_ARN,
  webHost,
  webTier,
} from '../fixtures';

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

/** How each batch host's invocation of each SSM command stands, by command ID; StatusDetails may differ from Status. */
function commands(byCommand: Record<string, Array<CommandInvocationStatus | { Status: CommandInvocationStatus; StatusDetails: string }>>): void {
  ssmMock.on(ListCommandInvocationsCommand).callsFake((input: { CommandId: string }) => ({
    CommandInvocations: (byCommand[input.CommandId] ?? []).map((outcome, i) => {
      const { Status, StatusDetails } = typeof outcome === 'string' ? { Status: outcome, StatusDetails: outcome } : outcome;
      return { CommandId: input.CommandId, InstanceId: hosts[i]!.id, Status, StatusDetails };
    }),
  }));
}

/** A clustered tier: drained and undrained by command, checked by its health command. */
function clusteredTier(overrides: Partial<TierPlan> = {}): TierPlan {
  return webTier({ traffic: DRAIN_TRAFFIC, healthCommand: HEALTH_COMMAND, ...overrides });
}

/** A monitoring tier: takes no traffic, checked by its health command. */
function noTrafficTier(): TierPlan {
  return webTier({ role: 'monitoring', traffic: NO_TRAFFIC, healthCommand: HEALTH_COMMAND, healthyAfterSeconds: 0 });
}

/** A phase whose undrain command is `cmd-undrain` and whose running health check is `healthCommandIds`. */
function checking(elapsedSeconds: number, remainingSeconds: number, healthCommandIds: string[]): PhaseState {
  return { ...phaseAt(elapsedSeconds, remainingSeconds, ['cmd-undrain']), healthCommandIds };
}

beforeEach(() => {
  elbMock.reset();
  ssmMock.reset();
  let sent = 0;
  ssmMock.on(SendCommandCommand).callsFake(() => ({ Command: { CommandId: `cmd-health-${++sent}` } }));
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

    // Assess: 40 s from the start of the phase to the look that found it done
    expect(result).toEqual({ ...phase, done: true, waitSeconds: 0, tookSeconds: 40 });
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

    // Assess: nothing expected, so 20% of the 40 s spent
    expect(result.done).toBe(false);
    expect(result.waitSeconds).toBe(0);
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

    // Assess: 20% of 10 s is 2 s (the minimum); 20% of 1000 s is capped at 30 s; 20% of 290 s is 58 s, cut to the deadline
    expect(early.waitSeconds).toBe(0);
    expect(late.waitSeconds).toBe(30);
    expect(nearDeadline.waitSeconds).toBe(7);
  });

  it('waits until shortly before the hosts can pass, watches from there up to two minutes past it, then backs off', async () => {
    // Prepare: Return To Traffic expects the hosts healthy 30 s after they rejoin
    states({ [WEB_TG_ARN]: ['initial', 'initial'] });
    const expecting = (elapsed: number): PhaseState => ({ ...phaseAt(elapsed, 300 - elapsed), expectedSeconds: 30 });

    // Act
    const before = await checkHealthy(batchInput({ hosts, phase: expecting(20) }));
    const near = await checkHealthy(batchInput({ hosts, phase: expecting(44) }));
    const stillNear = await checkHealthy(batchInput({ hosts, phase: expecting(140) }));
    const past = await checkHealthy(batchInput({ hosts, phase: expecting(150) }));

    // Assess: the watch starts 20% (at least 5 s) before 30 s, at 24 s: 4 s from 20 s; it lasts up to
    // 30 s + 120 s = 150 s (a pause of 0: watch now); past it, 20% of 150 s = 30 s, the maximum.
    expect(before.waitSeconds).toBe(4);
    expect(near.waitSeconds).toBe(0);
    expect(stillNear.waitSeconds).toBe(0);
    expect(past.waitSeconds).toBe(30);
    expect(past.expectedSeconds).toBe(30);
  });

  it('for a clustered tier, waits for the undrain command without running the health check yet', async () => {
    // Prepare
    commands({ 'cmd-undrain': ['Success', 'InProgress'] });
    const phase = phaseAt(10, 290, ['cmd-undrain']);

    // Act
    const result = await checkHealthy(batchInput({ tier: clusteredTier(), hosts, phase }));

    // Assess
    expect(result).toEqual({ ...phase, done: false, waitSeconds: 0 });
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-undrain' });
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('for a clustered tier, runs the health command on the batch once the undrain command succeeded everywhere', async () => {
    // Prepare
    commands({ 'cmd-undrain': ['Success', 'Success'] });
    const phase = phaseAt(10, 290, ['cmd-undrain']);

    // Act
    const result = await checkHealthy(batchInput({ tier: clusteredTier(), hosts, phase }));

    // Assess
    expect(result).toEqual({ ...phase, done: false, waitSeconds: 0, healthCommandIds: ['cmd-health-1'] });
    expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(SendCommandCommand, {
      DocumentName: 'FleetFlow-CheckHealth',
      InstanceIds: [hosts[0]!.id, hosts[1]!.id],
      Parameters: { port: ['8080'] },
      TimeoutSeconds: 60,
      Comment: 'fleetflow canonical/web health batch 1/2',
    });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('for a clustered tier, waits while the health command is still running, without sending it again', async () => {
    // Prepare
    commands({ 'cmd-undrain': ['Success', 'Success'], 'cmd-health-0': ['Success', 'InProgress'] });
    const phase = checking(20, 280, ['cmd-health-0']);

    // Act
    const result = await checkHealthy(batchInput({ tier: clusteredTier(), hosts, phase }));

    // Assess: 20% of the 20 s spent
    expect(result).toEqual({ ...phase, done: false, waitSeconds: 0 });
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-health-0' });
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });

  it('for a clustered tier, runs a failed health check again while the deadline has not passed', async () => {
    // Prepare
    commands({ 'cmd-undrain': ['Success', 'Success'], 'cmd-health-0': ['Failed', 'Success'] });
    const phase = checking(60, 240, ['cmd-health-0']);

    // Act
    const result = await checkHealthy(batchInput({ tier: clusteredTier(), hosts, phase }));

    // Assess: 20% of the 60 s spent
    expect(result).toEqual({ ...phase, done: false, waitSeconds: 0, healthCommandIds: ['cmd-health-1'] });
    expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(SendCommandCommand, {
      DocumentName: 'FleetFlow-CheckHealth',
      InstanceIds: [hosts[0]!.id, hosts[1]!.id],
    });
  });

  it('for a clustered tier, counts a health check whose delivery timed out as failed and runs it again', async () => {
    // Prepare
    commands({
      'cmd-undrain': ['Success', 'Success'],
      'cmd-health-0': ['Success', { Status: 'Pending', StatusDetails: 'Delivery Timed Out' }],
    });
    const phase = checking(60, 240, ['cmd-health-0']);

    // Act
    const result = await checkHealthy(batchInput({ tier: clusteredTier(), hosts, phase }));

    // Assess
    expect(result.done).toBe(false);
    expect(result.healthCommandIds).toEqual(['cmd-health-1']);
    expect(ssmMock).toHaveReceivedCommandTimes(SendCommandCommand, 1);
  });

  it('for a clustered tier, fails with HostUnhealthyError naming the host whose health check failed after the deadline', async () => {
    // Prepare
    commands({ 'cmd-undrain': ['Success', 'Success'], 'cmd-health-0': ['Failed', 'Success'] });
    const event = batchInput({ tier: clusteredTier(), hosts, phase: checking(301, -1, ['cmd-health-0']) });

    // Act
    const act = checkHealthy(event);

    // Assess
    await expect(act).rejects.toBeInstanceOf(HostUnhealthyError);
    await expect(act).rejects.toThrow('tier web: not healthy after 300s: web-1 (i-0a000000000000001): health check Failed');
    await expect(act).rejects.not.toThrow('web-2');
  });

  it('for a clustered tier, names the hosts whose health check is still running after the deadline', async () => {
    // Prepare
    commands({ 'cmd-undrain': ['Success', 'Success'], 'cmd-health-0': ['Success', 'InProgress'] });
    const event = batchInput({ tier: clusteredTier(), hosts, phase: checking(300, 0, ['cmd-health-0']) });

    // Act
    const act = checkHealthy(event);

    // Assess
    await expect(act).rejects.toBeInstanceOf(HostUnhealthyError);
    await expect(act).rejects.toThrow('tier web: not healthy after 300s: web-2 (i-0a000000000000002): health check running');
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });

  it('for a clustered tier, is done when the health command succeeded on every host', async () => {
    // Prepare
    commands({ 'cmd-undrain': ['Success', 'Success'], 'cmd-health-0': ['Success', 'Success'] });
    const phase = checking(30, 270, ['cmd-health-0']);

    // Act
    const result = await checkHealthy(batchInput({ tier: clusteredTier(), hosts, phase }));

    // Assess
    expect(result).toEqual({ ...phase, done: true, waitSeconds: 0, tookSeconds: 30 });
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-undrain' });
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-health-0' });
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('for a clustered tier, names hosts still undraining after the deadline', async () => {
    // Prepare
    commands({ 'cmd-undrain': ['Success', 'InProgress'] });

    // Act
    const act = checkHealthy(batchInput({ tier: clusteredTier(), hosts, phase: phaseAt(300, 0, ['cmd-undrain']) }));

    // Assess
    await expect(act).rejects.toThrow(HostUnhealthyError);
    await expect(act).rejects.toThrow('tier web: not healthy after 300s: web-2 (i-0a000000000000002): undraining');
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });

  it('for a clustered tier, fails with DrainFailedError when the undrain command failed', async () => {
    // Prepare
    commands({ 'cmd-undrain': ['Failed', 'Success'] });

    // Act
    const act = checkHealthy(batchInput({ tier: clusteredTier(), hosts, phase: phaseAt(10, 290, ['cmd-undrain']) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(DrainFailedError);
    await expect(act).rejects.toThrow('tier web: undrain command failed on web-1 (i-0a000000000000001)');
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });

  it('for a tier without traffic, runs the health command at once: there is nothing to undrain', async () => {
    // Prepare
    const phase = phaseAt(2, 298);

    // Act
    const result = await checkHealthy(batchInput({ tier: noTrafficTier(), hosts, phase }));

    // Assess
    expect(result).toEqual({ ...phase, done: false, waitSeconds: 0, healthCommandIds: ['cmd-health-1'] });
    expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(SendCommandCommand, {
      DocumentName: 'FleetFlow-CheckHealth',
      InstanceIds: [hosts[0]!.id, hosts[1]!.id],
    });
    expect(ssmMock).not.toHaveReceivedCommand(ListCommandInvocationsCommand);
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('for a tier without traffic, is done when the health command succeeded on every host', async () => {
    // Prepare
    commands({ 'cmd-health-0': ['Success', 'Success'] });
    const phase = { ...phaseAt(10, 290), healthCommandIds: ['cmd-health-0'] };

    // Act
    const result = await checkHealthy(batchInput({ tier: noTrafficTier(), hosts, phase }));

    // Assess
    expect(result).toEqual({ ...phase, done: true, waitSeconds: 0, tookSeconds: 10 });
    expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(ListCommandInvocationsCommand, { CommandId: 'cmd-health-0' });
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });

  it('fails at once with HostUnhealthyError, well before the deadline, for a host ELB answers InvalidTarget for (terminated)', async () => {
    // Prepare: web-1 is gone; ELB refuses every call that names it, and web-2 is still initial.
    elbMock.on(DescribeTargetHealthCommand).callsFake((input: { Targets?: { Id: string }[] }) => {
      if (input.Targets?.some((t) => t.Id === hosts[0]!.id)) {
        throw new InvalidTargetException({ message: 'The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.', $metadata: {} });
      }
      return { TargetHealthDescriptions: (input.Targets ?? []).map((t) => ({ Target: { Id: t.Id, Port: 80 }, TargetHealth: { State: 'initial' as const } })) };
    });

    // Act
    const act = checkHealthy(batchInput({ hosts, phase: phaseAt(30, 270) }));

    // Assess: a terminated host will never pass: not healthy, and no wait until the timeout.
    await expect(act).rejects.toBeInstanceOf(HostUnhealthyError);
    await expect(act).rejects.toThrow('tier web: web-1 (i-0a000000000000001) is not a valid target any more (ELB InvalidTarget:');
    await expect(act).rejects.not.toThrow('web-2');
  });

  it('fails at once with HostUnhealthyError for a registered host that is stopped or terminated (Target.InvalidState)', async () => {
    // Prepare
    elbMock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: hosts[0]!.id, Port: 80 }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: hosts[1]!.id, Port: 80 }, TargetHealth: { State: 'unused', Reason: 'Target.InvalidState' } },
      ],
    });

    // Act
    const act = checkHealthy(batchInput({ hosts, phase: phaseAt(30, 270) }));

    // Assess
    await expect(act).rejects.toThrow(HostUnhealthyError);
    await expect(act).rejects.toThrow('tier web: web-2 (i-0a000000000000002) is stopped or terminated while registered (ELB Target.InvalidState)');
  });

  it('for a tier without traffic, fails with HostUnhealthyError naming the host SSM refuses the health command for', async () => {
    // Prepare
    ssmMock.on(SendCommandCommand).rejects(
      new InvalidInstanceId({ message: `Instances [[${hosts[1]!.id}]] not in a valid state for account 123456789012`, $metadata: {} }),
    );

    // Act
    const act = checkHealthy(batchInput({ tier: noTrafficTier(), hosts, phase: phaseAt(2, 298) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(HostUnhealthyError);
    await expect(act).rejects.toThrow('tier web: SSM refused the health command: web-2 (i-0a000000000000002) is not valid for Run Command');
    await expect(act).rejects.toThrow('the health command was sent to none of the 2 host(s) it was for');
  });

  it('refuses a tier no target group checks when it has no health command', async () => {
    // Prepare
    const tier = webTier({ role: 'monitoring', traffic: NO_TRAFFIC });

    // Act
    const act = checkHealthy(batchInput({ tier, hosts, phase: phaseAt(2, 298) }));

    // Assess
    await expect(act).rejects.toThrow(TypeError);
    await expect(act).rejects.toThrow('tier web has no health command');
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });
});
