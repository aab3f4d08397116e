import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, type TargetHealthStateEnum } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListCommandInvocationsCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkCapacity } from '../../../lambdas/rollout/check-capacity';
import { InsufficientCapacityError } from '../../../lambdas/domain/contract/errors';
import { OUT_OF_TRAFFIC_TAG } from '../../../lambdas/domain/contract/tags';
import { batchInput, DRAIN_TRAFFIC, HEALTH_COMMAND, NO_TRAFFIC, NOW, phaseAt, WEB_TG_ARN, webHost, webTier } from '../fixtures';

const elbMock = mockClient(ElasticLoadBalancingV2Client);
const ec2Mock = mockClient(EC2Client);
const ssmMock = mockClient(SSMClient);

const hosts = [webHost(1), webHost(2), webHost(3), webHost(4)];

function groupHolds(states: TargetHealthStateEnum[]): void {
  elbMock.on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: hosts.map((h, i) => ({ Target: { Id: h.id, Port: 80 }, TargetHealth: { State: states[i]! } })),
  });
}

/** The monitoring tier's running hosts; `drained` ones carry the out-of-traffic mark. */
function tierRuns(drained: string[] = []): void {
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: hosts.map((h) => ({ InstanceId: h.id, Tags: drained.includes(h.id) ? [{ Key: OUT_OF_TRAFFIC_TAG, Value: 'x' }] : [] })) }],
  });
}

const monitoring = webTier({ name: 'monitoring', role: 'monitoring', traffic: NO_TRAFFIC, healthCommand: HEALTH_COMMAND, hostTags: { 'fleetflow:tier': 'monitoring' } });

beforeEach(() => {
  elbMock.reset();
  ec2Mock.reset();
  ssmMock.reset();
  ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-health' } });
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('checkCapacity, target-group tiers', () => {
  it('is done at once when the rest of the tier holds its minimum healthy', async () => {
    // Without web-1 and web-2, web-3 and web-4 stay healthy: the minimum of 2.
    groupHolds(['healthy', 'unhealthy', 'healthy', 'healthy']);

    const phase = await checkCapacity(batchInput({ hosts: hosts.slice(0, 2) }));

    expect(phase.done).toBe(true);
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: WEB_TG_ARN });
  });

  it('waits, changing nothing, while a restored host is still passing its health checks', async () => {
    // web-3 was just registered again: initial. Without web-1 and web-2 only web-4 is healthy; 2 are needed.
    groupHolds(['healthy', 'healthy', 'initial', 'healthy']);

    const phase = await checkCapacity(batchInput({ hosts: hosts.slice(0, 2) }));

    expect(phase).toMatchObject({ done: false, startedAt: NOW, deadline: NOW + 300_000 });
    expect(phase.waitSeconds).toBe(0); // the end may be near: the check watches again at once (poll-schedule.ts)
  });

  it('refuses with InsufficientCapacityError once the health timeout has passed', async () => {
    groupHolds(['healthy', 'healthy', 'unhealthy', 'healthy']);

    const act = checkCapacity(batchInput({ hosts: hosts.slice(0, 2), phase: phaseAt(300, 0) }));

    await expect(act).rejects.toBeInstanceOf(InsufficientCapacityError);
    await expect(act).rejects.toThrow(/would leave 1 healthy host\(s\) in .* below the minimum of 2 in service \(waited 300s\); the batch was not taken out of traffic/);
  });

  it('names, in the refusal, the other running hosts of the tier the short group does not count healthy', async () => {
    // web-3 runs but is unhealthy; web-4 was terminated since (not running, not listed by EC2): only web-3 is named.
    elbMock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [hosts[0]!, hosts[1]!].map((h) => ({ Target: { Id: h.id, Port: 80 }, TargetHealth: { State: 'healthy' } })),
    });
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: hosts.slice(0, 3).map((h) => ({ InstanceId: h.id, Tags: [{ Key: 'Name', Value: h.name }] })) }],
    });

    const act = checkCapacity(batchInput({ tier: webTier({ hostTags: { 'fleetflow:tier': 'web' } }), hosts: hosts.slice(0, 1), phase: phaseAt(300, 0) }));

    await expect(act).rejects.toThrow(
      /^tier web: taking out web-1 \(i-0a0+1\) would leave 1 healthy host\(s\) in .* \(not serving: web-3 \(i-0a0+3\)\), below the minimum of 2 in service/,
    );
    // Read by the tier's tags and running state only, as tierHosts asks EC2.
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [{ Name: 'tag:fleetflow:tier', Values: ['web'] }, { Name: 'instance-state-name', Values: ['running'] }],
    });
  });

  it('still refuses with InsufficientCapacityError, without names, when EC2 refuses the look for them', async () => {
    groupHolds(['healthy', 'healthy', 'unhealthy', 'healthy']);
    ec2Mock.on(DescribeInstancesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' }));

    const act = checkCapacity(batchInput({ tier: webTier({ hostTags: { 'fleetflow:tier': 'web' } }), hosts: hosts.slice(0, 2), phase: phaseAt(300, 0) }));

    await expect(act).rejects.toBeInstanceOf(InsufficientCapacityError);
    await expect(act).rejects.toThrow(/would leave 1 healthy host\(s\) in \S+, below the minimum of 2/);
  });
});

describe('checkCapacity, tiers no load balancer watches', () => {
  it('runs the health command on the other running, undrained hosts of the tier', async () => {
    tierRuns([hosts[3]!.id]);

    const phase = await checkCapacity(batchInput({ tier: monitoring, hosts: [hosts[0]!] }));

    expect(phase.done).toBe(false);
    expect(phase.healthCommandIds).toEqual(['cmd-health']);
    expect(ssmMock).toHaveReceivedCommandWith(SendCommandCommand, { DocumentName: HEALTH_COMMAND.document, InstanceIds: [hosts[1]!.id, hosts[2]!.id] });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [{ Name: 'tag:fleetflow:tier', Values: ['monitoring'] }, { Name: 'instance-state-name', Values: ['running'] }],
    });
  });

  it('is done when enough of them pass it', async () => {
    tierRuns();
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: hosts.slice(1).map((h, i) => ({ InstanceId: h.id, Status: i < 2 ? 'Success' : 'Failed', StatusDetails: i < 2 ? 'Success' : 'Failed' })),
    });

    const phase = await checkCapacity(batchInput({ tier: monitoring, hosts: [hosts[0]!], phase: { ...phaseAt(5, 295), healthCommandIds: ['cmd-health'] } }));

    expect(phase.done).toBe(true);
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });

  it('refuses, naming the tier, when no other host of a monitoring tier is up at the deadline', async () => {
    // The other host is down: its health command failed, and time is up.
    const pair = [hosts[0]!, hosts[1]!];
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: pair.map((h) => ({ InstanceId: h.id, Tags: [] })) }] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: pair[1]!.id, Status: 'Failed', StatusDetails: 'Failed' }] });
    const tier = { ...monitoring, minHealthy: 1, hostCount: 2 };

    const act = checkCapacity(batchInput({ tier, hosts: [pair[0]!], phase: { ...phaseAt(300, 0), healthCommandIds: ['cmd-health'] } }));

    await expect(act).rejects.toBeInstanceOf(InsufficientCapacityError);
    await expect(act).rejects.toThrow('tier monitoring: taking out web-1 (i-0a000000000000001) would leave 0 host(s) passing the health command (not serving, unhealthy: i-0a000000000000002), below the minimum of 1');
  });

  it('counts a clustered node drained by hand as out: it fails the health command, and the refusal names it', async () => {
    // Prepare: web-4 was drained by hand (no FleetFlow mark): as the health command's contract
    // says, it fails it. web-2 and web-3 pass; taking web-1 out would leave 2 of the 3 needed.
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: hosts.map((h) => ({ InstanceId: h.id, Tags: [{ Key: 'Name', Value: h.name }] })) }],
    });
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: hosts.slice(1).map((h, i) => ({ InstanceId: h.id, Status: i < 2 ? 'Success' : 'Failed', StatusDetails: i < 2 ? 'Success' : 'Failed' })),
    });
    const clustered = webTier({ name: 'middle', role: 'middle', traffic: DRAIN_TRAFFIC, healthCommand: HEALTH_COMMAND, hostTags: { 'fleetflow:tier': 'middle' }, minHealthy: 3, hostCount: 4 });

    // Act
    const act = checkCapacity(batchInput({ tier: clustered, hosts: [hosts[0]!], phase: { ...phaseAt(300, 0), healthCommandIds: ['cmd-health'] } }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InsufficientCapacityError);
    await expect(act).rejects.toThrow(
      'tier middle: taking out web-1 (i-0a000000000000001) would leave 2 host(s) passing the health command (not serving, drained or unhealthy: web-4 (i-0a000000000000004)), below the minimum of 3',
    );
  });
});
