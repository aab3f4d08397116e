/**
 * Check Started (a surge's rollback): hosts the surge stopped run again and are online in
 * SSM; a host terminated since cannot come back, and the check says so at once.
 */
import { DescribeInstancesCommand, EC2Client, StartInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkStarted } from '../../../lambdas/surge/check-started';
import { RollbackFailedError } from '../../../lambdas/domain/contract/errors';
import { batchInput, NOW, phaseAt, webHost } from '../fixtures';

const ec2Mock = mockClient(EC2Client);
const ssmMock = mockClient(SSMClient);
const hosts = [webHost(1), webHost(2)];

function instancesAre(states: string[]): void {
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: hosts.map((h, i) => ({ InstanceId: h.id, State: { Name: states[i] as never }, Tags: [{ Key: 'Name', Value: h.name }] })) }],
  });
}

beforeEach(() => {
  ec2Mock.reset();
  ssmMock.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('checkStarted', () => {
  it('is done when every host runs and is online in SSM', async () => {
    instancesAre(['running', 'running']);
    ssmMock.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: hosts.map((h) => ({ InstanceId: h.id, PingStatus: 'Online' })) });

    const phase = await checkStarted({ ...batchInput({ hosts }), phase: phaseAt(10, 600) });

    expect(phase.done).toBe(true);
  });

  it('starts a host that was still stopping when asked, and waits', async () => {
    instancesAre(['stopped', 'running']);
    ssmMock.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ InstanceId: hosts[1]!.id, PingStatus: 'Online' }] });

    const phase = await checkStarted({ ...batchInput({ hosts }), phase: phaseAt(10, 600) });

    expect(phase.done).toBe(false);
    expect(ec2Mock).toHaveReceivedCommandWith(StartInstancesCommand, { InstanceIds: [hosts[0]!.id] });
  });

  it('fails at once, naming it, when a host was terminated since the surge stopped it', async () => {
    instancesAre(['terminated', 'running']);

    const failure = await checkStarted({ ...batchInput({ hosts }), phase: phaseAt(10, 600) }).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(RollbackFailedError);
    expect((failure as Error).message).toContain(hosts[0]!.name);
    expect((failure as Error).message).toContain('cannot be started again');
    expect(ec2Mock).not.toHaveReceivedCommand(StartInstancesCommand);
  });
});
