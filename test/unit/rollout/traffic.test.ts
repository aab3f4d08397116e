import { CreateTagsCommand, DeleteTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  InvalidTargetException,
  RegisterTargetsCommand,
  type TargetHealthDescription,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CancelCommandCommand, InvalidInstanceId, ListCommandInvocationsCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkDrained, handler as checkDrainedHandler } from '../../../lambdas/rollout/check-drained';
import { returnToTraffic } from '../../../lambdas/rollout/return-to-traffic';
import { takeOutOfTraffic } from '../../../lambdas/rollout/take-out-of-traffic';
import { DrainFailedError, DrainTimeoutError, HostUnhealthyError, InsufficientCapacityError } from '../../../lambdas/domain/contract/errors';
import { MAX_TARGETS_PER_CALL } from '../../../lambdas/shared/target-health';
import { OUT_OF_TRAFFIC_TAG } from '../../../lambdas/domain/contract/tags';
import type { CommandSpec, TierPlan } from '../../../lambdas/domain/contract/payloads';
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
/** The out-of-traffic marker (lambdas/shared/host-records.ts) is an EC2 tag. */
const ec2Mock = mockClient(EC2Client);


function target(id: string, State: TargetHealthStateEnum, Reason?: string): TargetHealthDescription {
  return { Target: { Id: id, Port: 80 }, TargetHealth: { State, ...(Reason ? { Reason: Reason as never } : {}) } };
}

/** Every target of each group, as DescribeTargetHealth without a Targets filter returns them. */
function groupsHold(groups: Record<string, TargetHealthDescription[]>): void {
  elbMock.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn: string; Targets?: { Id: string }[] }) => {
    const all = groups[input.TargetGroupArn] ?? [];
    const wanted = input.Targets?.map((t) => t.Id);
    return { TargetHealthDescriptions: wanted ? all.filter((d) => wanted.includes(d.Target?.Id ?? '')) : all };
  });
}

beforeEach(() => {
  elbMock.reset();
  ssmMock.reset();
  ec2Mock.reset();
  ec2Mock.on(CreateTagsCommand).resolves({});
  ec2Mock.on(DeleteTagsCommand).resolves({});
  elbMock.on(DeregisterTargetsCommand).resolves({});
  elbMock.on(RegisterTargetsCommand).resolves({});
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('takeOutOfTraffic', () => {
  const hosts = [webHost(1), webHost(2), webHost(3), webHost(4)];
  const allHealthy = hosts.map((h) => target(h.id, 'healthy'));

  it('deregisters the batch from every target group of the tier', async () => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: allHealthy, [WEB_ADMIN_TG_ARN]: allHealthy });
    const event = batchInput({ tier: webTier({ traffic: TWO_TARGET_GROUPS }), hosts: hosts.slice(0, 2) });

    // Act
    await takeOutOfTraffic(event);

    // Assess
    expect(elbMock).toHaveReceivedCommandTimes(DeregisterTargetsCommand, 2);
    for (const arn of [WEB_TG_ARN, WEB_ADMIN_TG_ARN]) {
      expect(elbMock).toReceiveCommandWith(DeregisterTargetsCommand, {
        TargetGroupArn: arn,
        Targets: [{ Id: hosts[0]!.id }, { Id: hosts[1]!.id }],
      });
    }
  });

  it('marks the batch out of traffic, with the execution, before deregistering it', async () => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: allHealthy });

    // Act
    await takeOutOfTraffic(batchInput({ hosts: hosts.slice(0, 2) }));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [hosts[0]!.id, hosts[1]!.id],
      Tags: [{ Key: OUT_OF_TRAFFIC_TAG, Value: 'deploy-2-0-0' }],
    });
    // Recorded first: a stop between the two still leaves the mark.
    expect(ec2Mock.commandCalls(CreateTagsCommand)[0]!.calledBefore(elbMock.commandCalls(DeregisterTargetsCommand)[0]!)).toBe(true);
  });

  it('does not mark a batch it refuses to take out', async () => {
    // Prepare: only 1 of 4 healthy hosts would remain; the minimum is 2
    groupsHold({ [WEB_TG_ARN]: [...allHealthy.slice(0, 2), target(hosts[2]!.id, 'unhealthy'), allHealthy[3]!] });

    // Act
    const act = takeOutOfTraffic(batchInput({ tier: webTier({ minHealthy: 2 }), hosts: hosts.slice(0, 2) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InsufficientCapacityError);
    expect(ec2Mock).not.toHaveReceivedCommand(CreateTagsCommand);
  });

  it('starts the drain phase with the tier\'s drain timeout, watching at once', async () => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: allHealthy });

    // Act
    const phase = await takeOutOfTraffic(batchInput({ hosts: hosts.slice(0, 2) }));

    // Assess
    expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 180_000, done: false, waitSeconds: 0 });
  });

  it('pauses until shortly before the previous batch of the tier was drained', async () => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: allHealthy });

    // Act
    const phase = await takeOutOfTraffic({ ...batchInput({ hosts: hosts.slice(0, 2) }), expected: { drainSeconds: 40 } });

    // Assess
    expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 180_000, done: false, waitSeconds: 32, expectedSeconds: 40 });
  });

  it('refuses without deregistering anything when the rest of the tier is below its minimum', async () => {
    // Prepare: web-3 is unhealthy, so taking out web-1 and web-2 leaves 1 healthy host; the minimum is 2.
    groupsHold({ [WEB_TG_ARN]: [...allHealthy.slice(0, 2), target(hosts[2]!.id, 'unhealthy'), allHealthy[3]!] });
    const event = batchInput({ tier: webTier({ minHealthy: 2 }), hosts: hosts.slice(0, 2) });

    // Act
    const act = takeOutOfTraffic(event);

    // Assess
    await expect(act).rejects.toBeInstanceOf(InsufficientCapacityError);
    await expect(act).rejects.toThrow(
      'tier web: taking out web-1 (i-0a000000000000001), web-2 (i-0a000000000000002) would leave 1 healthy host(s) in ' +
        'targetgroup/canonical-web/0123456789abcdef, below the minimum of 2; the batch was not taken out of traffic',
    );
    expect(elbMock).not.toHaveReceivedCommand(DeregisterTargetsCommand);
  });

  it('checks every target group before deregistering from any', async () => {
    // Prepare: the first group has room, the second has only the batch healthy.
    groupsHold({
      [WEB_TG_ARN]: allHealthy,
      [WEB_ADMIN_TG_ARN]: [...allHealthy.slice(0, 2), target(hosts[2]!.id, 'draining'), target(hosts[3]!.id, 'initial')],
    });
    const event = batchInput({ tier: webTier({ traffic: TWO_TARGET_GROUPS, minHealthy: 2 }), hosts: hosts.slice(0, 2) });

    // Act
    const act = takeOutOfTraffic(event);

    // Assess
    await expect(act).rejects.toThrow(InsufficientCapacityError);
    await expect(act).rejects.toThrow('would leave 0 healthy host(s) in targetgroup/canonical-web-admin/fedcba9876543210');
    expect(elbMock).not.toHaveReceivedCommand(DeregisterTargetsCommand);
  });

  it('takes the batch out when exactly the minimum stays healthy', async () => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: allHealthy });
    const event = batchInput({ tier: webTier({ minHealthy: 2 }), hosts: hosts.slice(0, 2) });

    // Act
    await takeOutOfTraffic(event);

    // Assess
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: WEB_TG_ARN });
    expect(elbMock).toHaveReceivedCommandTimes(DeregisterTargetsCommand, 1);
  });

  it('skips the capacity check in a rollback, restoring the previous release even when capacity is short', async () => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: hosts.map((h) => target(h.id, 'unhealthy')) });
    const event = batchInput({ tier: webTier({ minHealthy: 2 }), hosts: hosts.slice(0, 2), rollback: true });

    // Act
    await takeOutOfTraffic(event);

    // Assess
    expect(elbMock).not.toHaveReceivedCommand(DescribeTargetHealthCommand);
    expect(elbMock).toHaveReceivedCommandExactlyOnceWith(DeregisterTargetsCommand, {
      TargetGroupArn: WEB_TG_ARN,
      Targets: [{ Id: hosts[0]!.id }, { Id: hosts[1]!.id }],
    });
  });

  it('deregisters a very large batch in calls of at most 100 targets', async () => {
    // Prepare
    const many = Array.from({ length: 250 }, (_, i) => webHost(i + 1));
    const event = batchInput({ tier: webTier(), hosts: many, rollback: true });

    // Act
    await takeOutOfTraffic(event);

    // Assess
    const sizes = elbMock.commandCalls(DeregisterTargetsCommand).map((call) => call.args[0].input.Targets?.length);
    expect(sizes).toEqual([MAX_TARGETS_PER_CALL, MAX_TARGETS_PER_CALL, 50]);
  });

  it('sends the drain document to a clustered tier instead of touching a load balancer', async () => {
    // Prepare
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-drain' } });
    const event = { ...batchInput({ tier: webTier({ name: 'middle', traffic: DRAIN_TRAFFIC }), hosts: hosts.slice(0, 2) }), expected: { drainSeconds: 25 } };

    // Act
    const phase = await takeOutOfTraffic(event);

    // Assess
    expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(SendCommandCommand, {
      DocumentName: 'FleetFlow-DrainNode',
      InstanceIds: [hosts[0]!.id, hosts[1]!.id],
      Parameters: { mode: ['graceful'] },
      Comment: 'fleetflow canonical/middle drain batch 1/2',
    });
    expect(elbMock).not.toHaveReceivedAnyCommand();
    // The watch starts shortly before the previous batch's drain was done.
    expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 180_000, done: false, waitSeconds: 20, expectedSeconds: 25, commandIds: ['cmd-drain'] });
  });

  it('fails with DrainFailedError naming the host SSM refuses the drain command for; sent to none of the batch', async () => {
    // Prepare
    ssmMock.on(SendCommandCommand).rejects(
      new InvalidInstanceId({ message: `Instances [[${hosts[1]!.id}]] not in a valid state for account 123456789012`, $metadata: {} }),
    );
    const event = batchInput({ tier: webTier({ name: 'middle', traffic: DRAIN_TRAFFIC }), hosts: hosts.slice(0, 2) });

    // Act
    const act = takeOutOfTraffic(event);

    // Assess
    await expect(act).rejects.toBeInstanceOf(DrainFailedError);
    await expect(act).rejects.toThrow(
      'tier middle: SSM refused the drain command: web-2 (i-0a000000000000002) is not valid for Run Command (InvalidInstanceId:',
    );
    await expect(act).rejects.toThrow('the drain command was sent to none of the 2 host(s) it was for');
  });

  it('reports a tier without traffic as drained at once', async () => {
    // Prepare
    const event = batchInput({ tier: webTier({ role: 'monitoring', traffic: NO_TRAFFIC, healthCommand: HEALTH_COMMAND }) });

    // Act
    const phase = await takeOutOfTraffic(event);

    // Assess
    expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 180_000, done: true, waitSeconds: 0, tookSeconds: 0 });
    expect(elbMock).not.toHaveReceivedAnyCommand();
    expect(ssmMock).not.toHaveReceivedAnyCommand();
  });
});

describe('checkDrained', () => {
  const batch = [webHost(1), webHost(2)];

  it('is done when every host reports Target.NotRegistered in every group', async () => {
    // Prepare
    groupsHold({
      [WEB_TG_ARN]: batch.map((h) => target(h.id, 'unused', 'Target.NotRegistered')),
      [WEB_ADMIN_TG_ARN]: batch.map((h) => target(h.id, 'unused', 'Target.NotRegistered')),
    });
    const event = batchInput({ tier: webTier({ traffic: TWO_TARGET_GROUPS }), hosts: batch, phase: phaseAt(20, 160) });

    // Act
    const phase = await checkDrained(event);

    // Assess
    expect(phase).toEqual({ ...phaseAt(20, 160), done: true, waitSeconds: 0, tookSeconds: 20 });
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, {
      TargetGroupArn: WEB_ADMIN_TG_ARN,
      Targets: [{ Id: batch[0]!.id }, { Id: batch[1]!.id }],
    });
  });

  it('treats a host missing from the health report as gone', async () => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: [] });

    // Act
    const phase = await checkDrained(batchInput({ hosts: batch, phase: phaseAt(20, 160) }));

    // Assess
    expect(phase.done).toBe(true);
  });

  it('keeps waiting while a host is still draining in one of the groups', async () => {
    // Prepare
    groupsHold({
      [WEB_TG_ARN]: batch.map((h) => target(h.id, 'unused', 'Target.NotRegistered')),
      [WEB_ADMIN_TG_ARN]: [target(batch[0]!.id, 'unused', 'Target.NotRegistered'), target(batch[1]!.id, 'draining')],
    });
    const event = batchInput({ tier: webTier({ traffic: TWO_TARGET_GROUPS }), hosts: batch, phase: phaseAt(100, 80) });

    // Act
    const phase = await checkDrained(event);

    // Assess: 20% of the 100 s spent
    expect(phase.done).toBe(false);
    expect(phase.waitSeconds).toBe(0);
  });

  it('fails at once with DrainFailedError for a registered target that is stopped or terminated (Target.InvalidState), not counting it drained', async () => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: [target(batch[0]!.id, 'unused', 'Target.InvalidState'), target(batch[1]!.id, 'unused', 'Target.NotRegistered')] });

    // Act
    const act = checkDrained(batchInput({ hosts: batch, phase: phaseAt(10, 170) }));

    // Assess: not "still draining" at the deadline: it is not draining at all.
    await expect(act).rejects.toBeInstanceOf(DrainFailedError);
    await expect(act).rejects.toThrow('tier web: web-1 (i-0a000000000000001) is stopped or terminated while registered (ELB Target.InvalidState)');
  });

  it('fails with DrainFailedError naming a host ELB answers InvalidTarget for, having read every other host', async () => {
    // Prepare: web-2 is gone: ELB refuses any DescribeTargetHealth call that names it.
    const four = [webHost(1), webHost(2), webHost(3), webHost(4)];
    elbMock.on(DescribeTargetHealthCommand).callsFake((input: { Targets?: { Id: string }[] }) => {
      if (input.Targets?.some((t) => t.Id === four[1]!.id)) {
        throw new InvalidTargetException({ message: 'The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type.', $metadata: {} });
      }
      return { TargetHealthDescriptions: (input.Targets ?? []).map((t) => target(t.Id, 'draining')) };
    });

    // Act
    const act = checkDrained(batchInput({ hosts: four, phase: phaseAt(10, 170) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(DrainFailedError);
    await expect(act).rejects.toThrow(
      'tier web: web-2 (i-0a000000000000002) is not a valid target any more (ELB InvalidTarget: the instance no longer exists, e.g. terminated)',
    );
    await expect(act).rejects.not.toThrow('web-1');
    // The refused call was split until web-2 was alone; every other host was still read.
    const asked = elbMock.commandCalls(DescribeTargetHealthCommand).map((call) => call.args[0].input.Targets?.map((t) => t.Id));
    expect(asked).toContainEqual([four[1]!.id]);
    expect(asked.filter((ids) => !ids?.includes(four[1]!.id)).flat().sort()).toEqual([four[0]!.id, four[2]!.id, four[3]!.id]);
  });

  it('fails with DrainTimeoutError naming the hosts still draining once past the deadline', async () => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: [target(batch[0]!.id, 'unused', 'Target.NotRegistered'), target(batch[1]!.id, 'draining')] });
    const event = batchInput({ hosts: batch, phase: phaseAt(181, -1) });

    // Act
    const act = checkDrained(event);

    // Assess
    await expect(act).rejects.toBeInstanceOf(DrainTimeoutError);
    await expect(act).rejects.toThrow('tier web: web-2 (i-0a000000000000002) still draining after 180s');
    await expect(act).rejects.not.toThrow('web-1');
  });

  it('fails exactly at the deadline', async () => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: batch.map((h) => target(h.id, 'draining')) });

    // Act
    const act = checkDrained(batchInput({ hosts: batch, phase: phaseAt(180, 0) }));

    // Assess
    await expect(act).rejects.toThrow(DrainTimeoutError);
  });

  it('succeeds past the deadline when the hosts have left meanwhile', async () => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: batch.map((h) => target(h.id, 'unused', 'Target.NotRegistered')) });

    // Act
    const phase = await checkDrained(batchInput({ hosts: batch, phase: phaseAt(200, -20) }));

    // Assess
    expect(phase.done).toBe(true);
  });

  it.each([
    // Nothing expected: 20% of the time spent, within [2, 30] s and no later than the deadline.
    // Nothing expected: the check watches for the first two minutes (a pause of 0), then backs off.
    { elapsed: 0, remaining: 180, expected: 0 },
    { elapsed: 12, remaining: 168, expected: 0 },
    { elapsed: 100, remaining: 80, expected: 0 },
    { elapsed: 150, remaining: 80, expected: 30 },
    { elapsed: 3000, remaining: 600, expected: 30 },
    { elapsed: 170, remaining: 3.5, expected: 4 },
  ])('waits $expected s after $elapsed s with $remaining s left', async ({ elapsed, remaining, expected }) => {
    // Prepare
    groupsHold({ [WEB_TG_ARN]: batch.map((h) => target(h.id, 'draining')) });
    const event = batchInput({ hosts: batch, phase: phaseAt(elapsed, remaining) });

    // Act
    const phase = await checkDrained(event);

    // Assess
    expect(phase.waitSeconds).toBe(expected);
    // A pause of 0 watches at once; a Wait keeps within the polling bounds.
    if (expected > 0) expect(phase.waitSeconds).toBeGreaterThanOrEqual(event.tier.polling.minSeconds);
    expect(phase.waitSeconds).toBeLessThanOrEqual(event.tier.polling.maxSeconds);
  });

  it('fails with DrainFailedError naming the host whose drain command failed', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { InstanceId: batch[0]!.id, Status: 'Success' },
        { InstanceId: batch[1]!.id, Status: 'Failed', StatusDetails: 'Failed' },
      ],
    });
    const event = batchInput({ tier: webTier({ traffic: DRAIN_TRAFFIC }), hosts: batch, phase: phaseAt(10, 170, ['cmd-drain']) });

    // Act
    const act = checkDrained(event);

    // Assess
    await expect(act).rejects.toBeInstanceOf(DrainFailedError);
    await expect(act).rejects.toThrow('tier web: drain command failed on web-2 (i-0a000000000000002)');
  });

  it('cancels the drain command and fails when a host is still draining at the deadline', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { InstanceId: batch[0]!.id, Status: 'Success' },
        { InstanceId: batch[1]!.id, Status: 'InProgress' },
      ],
    });
    ssmMock.on(CancelCommandCommand).resolves({});
    const event = batchInput({ tier: webTier({ traffic: DRAIN_TRAFFIC }), hosts: batch, phase: phaseAt(181, -1, ['cmd-drain']) });

    // Act
    const act = checkDrained(event);

    // Assess
    await expect(act).rejects.toThrow('tier web: web-2 (i-0a000000000000002) still draining after 180s');
    expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(CancelCommandCommand, { CommandId: 'cmd-drain' });
  });

  it('is done when the drain command succeeded on every host', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: batch.map((h) => ({ InstanceId: h.id, Status: 'Success' as const })),
    });
    const event = batchInput({ tier: webTier({ traffic: DRAIN_TRAFFIC }), hosts: batch, phase: phaseAt(10, 170, ['cmd-drain']) });

    // Act
    const phase = await checkDrained(event);

    // Assess
    expect(phase).toEqual({ ...phaseAt(10, 170, ['cmd-drain']), done: true, waitSeconds: 0, tookSeconds: 10 });
    expect(ssmMock).not.toHaveReceivedCommand(CancelCommandCommand);
  });

  it('refuses to run without the phase it polls', async () => {
    // Act
    const act = checkDrainedHandler(batchInput({ hosts: batch }));

    // Assess
    await expect(act).rejects.toThrow(TypeError);
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });
});

describe('returnToTraffic', () => {
  const batch = [webHost(1), webHost(2)];

  it('registers the batch in every target group of the tier', async () => {
    // Prepare
    const event = batchInput({ tier: webTier({ traffic: TWO_TARGET_GROUPS }), hosts: batch });

    // Act
    await returnToTraffic(event);

    // Assess
    expect(elbMock).toHaveReceivedCommandTimes(RegisterTargetsCommand, 2);
    for (const arn of [WEB_TG_ARN, WEB_ADMIN_TG_ARN]) {
      expect(elbMock).toReceiveCommandWith(RegisterTargetsCommand, { TargetGroupArn: arn, Targets: [{ Id: batch[0]!.id }, { Id: batch[1]!.id }] });
    }
  });

  it('clears the out-of-traffic mark once the batch is registered again', async () => {
    // Act
    await returnToTraffic(batchInput({ hosts: batch }));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(DeleteTagsCommand, { Resources: [batch[0]!.id, batch[1]!.id], Tags: [{ Key: OUT_OF_TRAFFIC_TAG }] });
    expect(elbMock).toHaveReceivedCommand(RegisterTargetsCommand);
  });

  it('registers every other host and fails with HostUnhealthyError naming the one ELB refuses (not running)', async () => {
    // Prepare: web-2 is terminated; RegisterTargets refuses a whole call naming it.
    const four = [webHost(1), webHost(2), webHost(3), webHost(4)];
    const registered: string[] = [];
    elbMock.on(RegisterTargetsCommand).callsFake((input: { Targets: { Id: string }[] }) => {
      if (input.Targets.some((t) => t.Id === four[1]!.id)) {
        throw new InvalidTargetException({ message: `The following targets are not in a running state and cannot be registered: '${four[1]!.id}'`, $metadata: {} });
      }
      registered.push(...input.Targets.map((t) => t.Id));
      return {};
    });

    // Act
    const act = returnToTraffic(batchInput({ hosts: four }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(HostUnhealthyError);
    await expect(act).rejects.toThrow(
      'tier web: ELB refused to register web-2 (i-0a000000000000002) (InvalidTarget: not running, or no longer exists); the other 3 host(s) of the batch were registered',
    );
    expect(registered.sort()).toEqual([four[0]!.id, four[2]!.id, four[3]!.id]);
  });

  it('fails with DrainFailedError naming the host SSM refuses the undrain command for', async () => {
    // Prepare
    ssmMock.on(SendCommandCommand).rejects(
      new InvalidInstanceId({ message: `Instances [[${batch[0]!.id}]] not in a valid state for account 123456789012`, $metadata: {} }),
    );
    const tier = webTier({ name: 'middle', traffic: DRAIN_TRAFFIC, healthCommand: HEALTH_COMMAND });

    // Act
    const act = returnToTraffic(batchInput({ tier, hosts: batch }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(DrainFailedError);
    await expect(act).rejects.toThrow('tier middle: SSM refused the undrain command: web-1 (i-0a000000000000001) is not valid for Run Command');
  });

  it('schedules the first health check for the soonest the hosts can pass it', async () => {
    // Act
    const phase = await returnToTraffic(batchInput({ tier: webTier({ healthyAfterSeconds: 45 }), hosts: batch }));

    // Assess
    expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 300_000, done: false, waitSeconds: 36, expectedSeconds: 45 });
  });

  it('never schedules the first health check sooner than the minimum poll', async () => {
    // Act
    const phase = await returnToTraffic(batchInput({ tier: webTier({ healthyAfterSeconds: 0, polling: { minSeconds: 5, maxSeconds: 30 } }), hosts: batch }));

    // Assess
    expect(phase.waitSeconds).toBe(0);
  });

  it('sends the undrain document to a clustered tier', async () => {
    // Prepare
    ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-undrain' } });
    const tier = webTier({ name: 'middle', traffic: DRAIN_TRAFFIC, healthCommand: HEALTH_COMMAND });

    // Act
    const phase = await returnToTraffic(batchInput({ tier, hosts: batch }));

    // Assess: only the undrain; Check Health runs the health command once it succeeded.
    expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(SendCommandCommand, {
      DocumentName: 'FleetFlow-UndrainNode',
      InstanceIds: [batch[0]!.id, batch[1]!.id],
      Comment: 'fleetflow canonical/middle undrain batch 1/2',
    });
    expect(elbMock).not.toHaveReceivedAnyCommand();
    expect(phase.commandIds).toEqual(['cmd-undrain']);
  });

  it('leaves a tier without traffic untouched and starts its health phase, not done: Check Health runs the health command', async () => {
    // Prepare
    const tier = webTier({ role: 'monitoring', traffic: NO_TRAFFIC, healthCommand: HEALTH_COMMAND, healthyAfterSeconds: 0 });

    // Act
    const phase = await returnToTraffic(batchInput({ tier, hosts: batch }));

    // Assess
    expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 300_000, done: false, waitSeconds: 0 });
    expect(elbMock).not.toHaveReceivedAnyCommand();
    expect(ssmMock).not.toHaveReceivedAnyCommand();
  });
});

describe('the drain as ELB shows it: draining until the deregistration delay, and the host-side drain check', () => {
  const hosts = [webHost(1), webHost(2)];
  /** The canonical web tier as Plan Release now plans it: the group's delay and port, with or without a drain check. */
  const DELAYED: TierPlan['traffic'] = { kind: 'target-group', targetGroupArns: [WEB_TG_ARN], deregistrationDelaySeconds: 300, ports: [80] };
  const DRAIN_CHECK: CommandSpec = { document: 'FleetFlow-CheckConnectionsDrained', parameters: {}, timeoutSeconds: 120, expectedSeconds: 5 };
  const checkedTier = (overrides: Partial<TierPlan> = {}) => webTier({ traffic: DELAYED, drainTimeoutSeconds: 360, drainCheck: DRAIN_CHECK, ...overrides });

  describe('takeOutOfTraffic', () => {
    it('pauses until shortly before the deregistration delay when the tier has no drain check, whatever the previous batch took', async () => {
      // Prepare
      groupsHold({ [WEB_TG_ARN]: [...hosts, webHost(3), webHost(4)].map((h) => target(h.id, 'healthy')) });
      const event = { ...batchInput({ tier: webTier({ traffic: DELAYED, drainTimeoutSeconds: 360 }), hosts }), expected: { drainSeconds: 12 } };

      // Act
      const phase = await takeOutOfTraffic(event);

      // Assess
      expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 360_000, done: false, waitSeconds: 240, expectedSeconds: 300 });
      expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
    });

    it('sends the drain check to the batch once it is deregistered, with the ports to watch and its timeout, and looks when it usually ends', async () => {
      // Prepare
      groupsHold({ [WEB_TG_ARN]: [...hosts, webHost(3), webHost(4)].map((h) => target(h.id, 'healthy')) });
      const calls: string[] = [];
      elbMock.on(DeregisterTargetsCommand).callsFake(() => calls.push('deregister') && {});
      ssmMock.on(SendCommandCommand).callsFake(() => calls.push('drain check') && { Command: { CommandId: 'cmd-check' } });

      // Act
      const phase = await takeOutOfTraffic(batchInput({ tier: checkedTier(), hosts }));

      // Assess
      expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(SendCommandCommand, {
        DocumentName: 'FleetFlow-CheckConnectionsDrained',
        InstanceIds: [hosts[0]!.id, hosts[1]!.id],
        Parameters: { ports: ['80'], timeoutSeconds: ['120'] },
        Comment: 'fleetflow canonical/web drain check batch 1/2',
      });
      expect(calls).toEqual(['deregister', 'drain check']);
      expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 360_000, done: false, waitSeconds: 0, expectedSeconds: 5, commandIds: ['cmd-check'] });
    });

    it('sends the drain check in calls of at most 50 instances', async () => {
      // Prepare: a rollback skips the capacity check
      const many = Array.from({ length: 120 }, (_, i) => webHost(i + 1));
      ssmMock.on(SendCommandCommand).callsFake((input: { InstanceIds: string[] }) => ({ Command: { CommandId: `cmd-${input.InstanceIds[0]}` } }));

      // Act
      const phase = await takeOutOfTraffic(batchInput({ tier: checkedTier({ hostCount: 240, minHealthy: 100 }), hosts: many, rollback: true }));

      // Assess
      const sizes = ssmMock.commandCalls(SendCommandCommand).map((c) => c.args[0].input.InstanceIds?.length);
      expect(sizes).toEqual([50, 50, 20]);
      expect(phase.commandIds).toHaveLength(3);
    });

    it('still takes the batch out when SSM refuses the drain check: those hosts wait for the delay', async () => {
      // Prepare
      groupsHold({ [WEB_TG_ARN]: [...hosts, webHost(3), webHost(4)].map((h) => target(h.id, 'healthy')) });
      ssmMock.on(SendCommandCommand).rejects(new InvalidInstanceId({ message: `Instances [[${hosts[1]!.id}]] not in a valid state`, $metadata: {} }));

      // Act
      const phase = await takeOutOfTraffic(batchInput({ tier: checkedTier(), hosts }));

      // Assess
      expect(elbMock).toHaveReceivedCommand(DeregisterTargetsCommand);
      expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 360_000, done: false, waitSeconds: 240, expectedSeconds: 300 });
    });
  });

  describe('checkDrained', () => {
    const invocations = (statuses: Array<'Success' | 'Failed' | 'InProgress'>) =>
      ssmMock.on(ListCommandInvocationsCommand).resolves({
        CommandInvocations: statuses.map((Status, i) => ({ InstanceId: hosts[i]!.id, Status, StatusDetails: Status })),
      });

    it('counts the batch drained once every host reports no open connection, while ELB still shows it draining', async () => {
      // Prepare
      groupsHold({ [WEB_TG_ARN]: hosts.map((h) => target(h.id, 'draining', 'Target.DeregistrationInProgress')) });
      invocations(['Success', 'Success']);

      // Act
      const phase = await checkDrained(batchInput({ tier: checkedTier(), hosts, phase: phaseAt(14, 346, ['cmd-check']) }));

      // Assess
      expect(phase).toEqual({ ...phaseAt(14, 346, ['cmd-check']), done: true, waitSeconds: 0, tookSeconds: 14 });
      expect(ssmMock).not.toHaveReceivedCommand(CancelCommandCommand);
    });

    it('keeps waiting for the load balancer for a host whose drain check failed', async () => {
      // Prepare
      groupsHold({ [WEB_TG_ARN]: hosts.map((h) => target(h.id, 'draining', 'Target.DeregistrationInProgress')) });
      invocations(['Success', 'Failed']);

      // Act
      const phase = await checkDrained(batchInput({ tier: checkedTier(), hosts, phase: phaseAt(125, 235, ['cmd-check']) }));

      // Assess
      expect(phase.done).toBe(false);
    });

    it('keeps waiting without a drain check while ELB shows the target draining, even past the time its connections took', async () => {
      // Prepare
      groupsHold({ [WEB_TG_ARN]: hosts.map((h) => target(h.id, 'draining', 'Target.DeregistrationInProgress')) });

      // Act
      const phase = await checkDrained(batchInput({ tier: webTier({ traffic: DELAYED, drainTimeoutSeconds: 360 }), hosts, phase: phaseAt(299, 61) }));

      // Assess
      expect(phase.done).toBe(false);
    });

    it('does not count a host drained whose check succeeded but that is registered again', async () => {
      // Prepare
      groupsHold({ [WEB_TG_ARN]: [target(hosts[0]!.id, 'draining'), target(hosts[1]!.id, 'initial', 'Elb.RegistrationInProgress')] });
      invocations(['Success', 'Success']);

      // Act
      const phase = await checkDrained(batchInput({ tier: checkedTier(), hosts, phase: phaseAt(14, 346, ['cmd-check']) }));

      // Assess
      expect(phase.done).toBe(false);
    });

    it('is done when ELB let go of the host whose check is still running, and cancels the check', async () => {
      // Prepare
      groupsHold({ [WEB_TG_ARN]: [target(hosts[0]!.id, 'draining'), target(hosts[1]!.id, 'unused', 'Target.NotRegistered')] });
      invocations(['Success', 'InProgress']);
      ssmMock.on(CancelCommandCommand).resolves({});

      // Act
      const phase = await checkDrained(batchInput({ tier: checkedTier(), hosts, phase: phaseAt(300, 60, ['cmd-check']) }));

      // Assess
      expect(phase.done).toBe(true);
      expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(CancelCommandCommand, { CommandId: 'cmd-check' });
    });

    it('fails with DrainTimeoutError past the deadline, naming the host and the delay, and cancels checks still running', async () => {
      // Prepare
      groupsHold({ [WEB_TG_ARN]: hosts.map((h) => target(h.id, 'draining', 'Target.DeregistrationInProgress')) });
      invocations(['Success', 'InProgress']);
      ssmMock.on(CancelCommandCommand).resolves({});

      // Act
      const act = checkDrained(batchInput({ tier: checkedTier(), hosts, phase: phaseAt(361, -1, ['cmd-check']) }));

      // Assess
      await expect(act).rejects.toBeInstanceOf(DrainTimeoutError);
      await expect(act).rejects.toThrow(
        "tier web: web-2 (i-0a000000000000002) still draining after 360s (the target groups' deregistration delay was 300s when the release was planned)",
      );
      expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(CancelCommandCommand, { CommandId: 'cmd-check' });
    });
  });
});
