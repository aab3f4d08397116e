import { CreateTagsCommand, DeleteTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CancelCommandCommand,
  InvalidInstanceId,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  type CommandInvocation,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkInstall } from '../../../lambdas/rollout/check-install';
import { installRelease } from '../../../lambdas/rollout/install';
import { PatchFailedError } from '../../../lambdas/domain/contract/errors';
import { batchInput, NOW, phaseAt, webHost, webTier } from '../fixtures';

const ec2Mock = mockClient(EC2Client);
const ssmMock = mockClient(SSMClient);

function invocations(list: CommandInvocation[]): void {
  ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: list });
}

beforeEach(() => {
  ec2Mock.reset();
  ssmMock.reset();
  ec2Mock.on(CreateTagsCommand).resolves({});
  ec2Mock.on(DeleteTagsCommand).resolves({});
  ssmMock.on(CancelCommandCommand).resolves({});
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('installRelease', () => {
  beforeEach(() => {
    let n = 0;
    ssmMock.on(SendCommandCommand).callsFake(() => ({ Command: { CommandId: `cmd-${++n}` } }));
  });

  it('records on the hosts that the install is sent, before sending it', async () => {
    // Prepare
    const hosts = [webHost(1), webHost(2)];

    // Act
    await installRelease(batchInput({ hosts }));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: hosts.map((h) => h.id),
      Tags: [{ Key: 'fleetflow:installing', Value: '2.0.0' }],
    });
    expect(ec2Mock.commandCalls(CreateTagsCommand)[0]!.calledBefore(ssmMock.commandCalls(SendCommandCommand)[0]!)).toBe(true);
  });

  it('records a rollback\'s reinstall under its own key, so an unconfirmed install stays on record', async () => {
    // Prepare
    const hosts = [webHost(1, '1.0.0')];

    // Act
    await installRelease(batchInput({ hosts, rollback: true }));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, { Resources: [hosts[0]!.id], Tags: [{ Key: 'fleetflow:reinstalling', Value: '1.0.0' }] });
    expect(ec2Mock).not.toHaveReceivedCommandWith(CreateTagsCommand, { Resources: [hosts[0]!.id], Tags: [{ Key: 'fleetflow:installing', Value: '1.0.0' }] });
  });

  it('sends the new release to every host of the batch in one command', async () => {
    // Prepare
    const hosts = [webHost(1), webHost(2)];

    // Act
    const phase = await installRelease(batchInput({ hosts }));

    // Assess
    expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(SendCommandCommand, {
      DocumentName: 'FleetFlow-InstallRelease',
      InstanceIds: [hosts[0]!.id, hosts[1]!.id],
      Parameters: { component: ['storefront'], release: ['2.0.0'] },
      Comment: 'fleetflow canonical/web install 2.0.0 batch 1/2',
    });
    expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 900_000, done: false, waitSeconds: 0, commandIds: ['cmd-1'] });
  });

  it('pauses until shortly before the previous batch of the tier was done installing', async () => {
    // Act
    const phase = await installRelease({ ...batchInput(), expected: { installSeconds: 240 } });

    // Assess
    expect(phase).toEqual({ startedAt: NOW, deadline: NOW + 900_000, done: false, waitSeconds: 192, expectedSeconds: 240, commandIds: ['cmd-1'] });
  });

  it('sends nothing and pauses for nothing when the batch has no host (a restarted surge\'s replaced-only batch)', async () => {
    // Act
    const phase = await installRelease({ ...batchInput({ hosts: [] }), expected: { installSeconds: 240 } });

    // Assess
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
    expect(phase.waitSeconds).toBe(0);
    expect(phase.done).toBe(false);
  });

  it('for the first batch, pauses until shortly before the duration the environment declares for the install', async () => {
    // Prepare
    const tier = webTier({ install: { ...webTier().install, expectedSeconds: 120 } });

    // Act
    const phase = await installRelease(batchInput({ tier }));

    // Assess
    expect(phase.waitSeconds).toBe(96);
    expect(phase.expectedSeconds).toBe(120);
  });

  it('prefers what the previous batch took to what the environment declares', async () => {
    // Prepare
    const tier = webTier({ install: { ...webTier().install, expectedSeconds: 120 } });

    // Act
    const phase = await installRelease({ ...batchInput({ tier }), expected: { installSeconds: 200 } });

    // Assess
    expect(phase.waitSeconds).toBe(160);
    expect(phase.expectedSeconds).toBe(200);
  });

  it('never expects the install to take longer than its timeout', async () => {
    // Act
    const phase = await installRelease({ ...batchInput(), expected: { installSeconds: 5000 } });

    // Assess: the 900 s timeout
    expect(phase.waitSeconds).toBe(840);
    expect(phase.expectedSeconds).toBe(900);
  });

  it('in a rollback, sends each host back to the release it had, one command per release', async () => {
    // Prepare
    const hosts = [webHost(1, '1.0.0'), webHost(2, '1.1.0'), webHost(3, '1.0.0')];

    // Act
    const phase = await installRelease(batchInput({ hosts, rollback: true }));

    // Assess
    expect(ssmMock).toHaveReceivedCommandTimes(SendCommandCommand, 2);
    expect(ssmMock).toHaveReceivedCommandWith(SendCommandCommand, {
      InstanceIds: [hosts[0]!.id, hosts[2]!.id],
      Parameters: { component: ['storefront'], release: ['1.0.0'] },
      Comment: 'fleetflow canonical/web rollback to 1.0.0 batch 1/2',
    });
    expect(ssmMock).toHaveReceivedCommandWith(SendCommandCommand, {
      InstanceIds: [hosts[1]!.id],
      Parameters: { component: ['storefront'], release: ['1.1.0'] },
    });
    expect(ssmMock).not.toHaveReceivedCommandWith(SendCommandCommand, { Parameters: { component: ['storefront'], release: ['2.0.0'] } });
    expect(phase.commandIds).toEqual(['cmd-1', 'cmd-2']);
  });

  /** SSM refuses a whole SendCommand call naming the hosts, as AWS does for a terminated instance. */
  function refuseCallsWith(badIds: readonly string[]): void {
    let n = 0;
    ssmMock.on(SendCommandCommand).callsFake((input: { InstanceIds: string[] }) => {
      const bad = input.InstanceIds.filter((id) => badIds.includes(id));
      if (bad.length > 0) {
        throw new InvalidInstanceId({ message: `Instances [[${bad.join(', ')}]] not in a valid state for account 123456789012`, $metadata: { httpStatusCode: 400 } });
      }
      return { Command: { CommandId: `cmd-${++n}` } };
    });
  }

  it('fails with PatchFailedError naming the terminated host when SSM refuses the only call: sent to none of the batch', async () => {
    // Prepare
    const hosts = [webHost(1), webHost(2), webHost(3)];
    refuseCallsWith([hosts[1]!.id]);

    // Act
    const act = installRelease(batchInput({ hosts }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(PatchFailedError);
    await expect(act).rejects.toThrow(
      'tier web: SSM refused the install of 2.0.0: web-2 (i-0a000000000000002) is not valid for Run Command (InvalidInstanceId:',
    );
    await expect(act).rejects.toThrow('the install of 2.0.0 was sent to none of the 3 host(s) it was for');
    await expect(act).rejects.not.toThrow('web-1');
  });

  it('says truthfully that the first 50 hosts already got the install when SSM refuses the second call of 50', async () => {
    // Prepare: 80 hosts go out in calls of 50 and 30; web-63 is terminated.
    const hosts = Array.from({ length: 80 }, (_, i) => webHost(i + 1));
    refuseCallsWith([hosts[62]!.id]);

    // Act
    const act = installRelease(batchInput({ hosts }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(PatchFailedError);
    await expect(act).rejects.toThrow('web-63 (i-0a000000000000063) is not valid for Run Command');
    await expect(act).rejects.toThrow(
      'the install of 2.0.0 was already sent to 50 host(s) (web-1 (i-0a000000000000001), web-2 (i-0a000000000000002), ' +
        'web-3 (i-0a000000000000003) and 47 more; command cmd-1) and not to the other 30 (web-51 (i-0a000000000000051),',
    );
    expect(ssmMock).toHaveReceivedCommandTimes(SendCommandCommand, 2);
  });

  it('names the whole refused call when SSM\'s message names no host', async () => {
    // Prepare
    const hosts = [webHost(1), webHost(2)];
    ssmMock.on(SendCommandCommand).rejects(new InvalidInstanceId({ message: '', $metadata: { httpStatusCode: 400 } }));

    // Act
    const act = installRelease(batchInput({ hosts }));

    // Assess
    await expect(act).rejects.toThrow(
      'SSM refused the install of 2.0.0: one or more of web-1 (i-0a000000000000001), web-2 (i-0a000000000000002) (SSM did not say which) is not valid',
    );
  });

  it('in a rollback, counts the hosts of releases already sent when a later release\'s call is refused', async () => {
    // Prepare: 1.0.0 goes to web-1 and web-3 first, then 1.1.0 to web-2, which is gone.
    const hosts = [webHost(1, '1.0.0'), webHost(2, '1.1.0'), webHost(3, '1.0.0')];
    refuseCallsWith([hosts[1]!.id]);

    // Act
    const act = installRelease(batchInput({ hosts, rollback: true }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(PatchFailedError);
    await expect(act).rejects.toThrow(
      'the reinstall of the previous release was already sent to 2 host(s) (web-1 (i-0a000000000000001), web-3 (i-0a000000000000003); ' +
        'command cmd-1) and not to the other 1 (web-2 (i-0a000000000000002))',
    );
  });

  it('lets any other SendCommand error through unchanged', async () => {
    // Prepare
    const error = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ssmMock.on(SendCommandCommand).rejects(error);

    // Act
    const act = installRelease(batchInput());

    // Assess
    await expect(act).rejects.toHaveProperty('name', 'ThrottlingException');
  });
});

describe('checkInstall', () => {
  const hosts = [webHost(1), webHost(2)];

  it('fails with PatchFailedError naming the failed host and its status', async () => {
    // Prepare
    invocations([
      { InstanceId: hosts[0]!.id, Status: 'Success', StatusDetails: 'Success' },
      { InstanceId: hosts[1]!.id, Status: 'Failed', StatusDetails: 'Failed' },
    ]);
    const event = batchInput({ hosts, phase: phaseAt(60, 840, ['cmd-1']) });

    // Act
    const act = checkInstall(event);

    // Assess
    await expect(act).rejects.toBeInstanceOf(PatchFailedError);
    await expect(act).rejects.toThrow('tier web: install failed on web-2 (i-0a000000000000002): Failed');
    await expect(act).rejects.not.toThrow('web-1');
    expect(ec2Mock).not.toHaveReceivedCommand(CreateTagsCommand);
  });

  it('names the status details of a host the command could not reach', async () => {
    // Prepare
    invocations([
      { InstanceId: hosts[0]!.id, Status: 'Success' },
      { InstanceId: hosts[1]!.id, Status: 'InProgress', StatusDetails: 'Undeliverable' },
    ]);

    // Act
    const act = checkInstall(batchInput({ hosts, phase: phaseAt(60, 840, ['cmd-1']) }));

    // Assess
    await expect(act).rejects.toThrow('tier web: install failed on web-2 (i-0a000000000000002): Undeliverable');
  });

  it('says a failed rollback install was of the previous release', async () => {
    // Prepare
    invocations([
      { InstanceId: hosts[0]!.id, Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut' },
      { InstanceId: hosts[1]!.id, Status: 'Success' },
    ]);

    // Act
    const act = checkInstall(batchInput({ hosts, rollback: true, phase: phaseAt(60, 840, ['cmd-1']) }));

    // Assess
    await expect(act).rejects.toThrow('tier web: install of the previous release failed on web-1 (i-0a000000000000001): ExecutionTimedOut');
  });

  it('records the installed release on every host once all succeeded', async () => {
    // Prepare
    invocations(hosts.map((h) => ({ InstanceId: h.id, Status: 'Success' })));
    const phase = phaseAt(60, 840, ['cmd-1']);

    // Act
    const result = await checkInstall(batchInput({ hosts, phase }));

    // Assess: the 60 s it took is what the next batch of the tier expects
    expect(result).toEqual({ ...phase, done: true, waitSeconds: 0, tookSeconds: 60 });
    expect(ec2Mock).toHaveReceivedCommandExactlyOnceWith(CreateTagsCommand, {
      Resources: [hosts[0]!.id, hosts[1]!.id],
      Tags: [
        { Key: 'fleetflow:release', Value: '2.0.0' },
        { Key: 'fleetflow:previous-release', Value: hosts[0]!.previous },
      ],
    });
  });

  it('removes the record that the install was sent once the release is recorded', async () => {
    // Prepare
    const batch = [webHost(1), webHost(2)];
    invocations(batch.map((h) => ({ InstanceId: h.id, Status: 'Success' })));

    // Act
    await checkInstall(batchInput({ hosts: batch, phase: phaseAt(60, 840, ['cmd-1']) }));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandWith(DeleteTagsCommand, {
      Resources: batch.map((h) => h.id),
      Tags: [{ Key: 'fleetflow:installing' }, { Key: 'fleetflow:reinstalling' }],
    });
    expect(ec2Mock.commandCalls(CreateTagsCommand)[0]!.calledBefore(ec2Mock.commandCalls(DeleteTagsCommand)[0]!)).toBe(true);
  });

  it('records, per host, the release each one came from, for a rollback after a restart', async () => {
    // Prepare: one host came from 1.0.0, the other from 1.1.0
    const mixed = [webHost(1, '1.0.0'), webHost(2, '1.1.0')];
    invocations(mixed.map((h) => ({ InstanceId: h.id, Status: 'Success' })));

    // Act
    await checkInstall(batchInput({ hosts: mixed, phase: phaseAt(60, 840, ['cmd-1']) }));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateTagsCommand, 2);
    for (const host of mixed) {
      expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
        Resources: [host.id],
        Tags: [
          { Key: 'fleetflow:release', Value: '2.0.0' },
          { Key: 'fleetflow:previous-release', Value: host.previous },
        ],
      });
    }
  });

  it('in a rollback, tags each host with the release it was restored to', async () => {
    // Prepare
    const mixed = [webHost(1, '1.0.0'), webHost(2, '1.1.0'), webHost(3, '1.0.0')];
    invocations(mixed.map((h) => ({ InstanceId: h.id, Status: 'Success' })));
    // Two commands: one ListCommands call says both succeeded on every host they were sent to.
    ssmMock.on(ListCommandsCommand).resolves({
      Commands: [
        { CommandId: 'cmd-1', Status: 'Success', InstanceIds: [mixed[0]!.id, mixed[1]!.id] },
        { CommandId: 'cmd-2', Status: 'Success', InstanceIds: [mixed[2]!.id] },
      ],
    });

    // Act
    await checkInstall(batchInput({ hosts: mixed, rollback: true, phase: phaseAt(60, 840, ['cmd-1', 'cmd-2']) }));

    // Assess
    expect(ec2Mock).toHaveReceivedCommandTimes(CreateTagsCommand, 2);
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [mixed[0]!.id, mixed[2]!.id],
      Tags: [{ Key: 'fleetflow:release', Value: '1.0.0' }],
    });
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [mixed[1]!.id],
      Tags: [{ Key: 'fleetflow:release', Value: '1.1.0' }],
    });
    expect(ec2Mock).not.toHaveReceivedCommandWith(CreateTagsCommand, { Tags: [{ Key: 'fleetflow:release', Value: '2.0.0' }] });
  });

  it('keeps polling without tagging while hosts are still installing', async () => {
    // Prepare
    invocations([
      { InstanceId: hosts[0]!.id, Status: 'Success' },
      { InstanceId: hosts[1]!.id, Status: 'InProgress' },
    ]);
    const phase = phaseAt(200, 700, ['cmd-1']);

    // Act
    const result = await checkInstall(batchInput({ hosts, phase }));

    // Assess: 20% of the 200 s spent is 40 s, capped at the 30 s polling maximum
    expect(result).toEqual({ ...phase, done: false, waitSeconds: 30 });
    expect(ec2Mock).not.toHaveReceivedAnyCommand();
    expect(ssmMock).not.toHaveReceivedCommand(CancelCommandCommand);
  });

  it('just past the duration the batch expected, watches (a pause of 0)', async () => {
    // Prepare
    invocations([
      { InstanceId: hosts[0]!.id, Status: 'Success' },
      { InstanceId: hosts[1]!.id, Status: 'InProgress' },
    ]);
    const phase = { ...phaseAt(250, 650, ['cmd-1']), expectedSeconds: 240 };

    // Act
    const result = await checkInstall(batchInput({ hosts, phase }));

    // Assess: within 240 + 120 s: the check watches
    expect(result).toEqual({ ...phase, done: false, waitSeconds: 0 });
  });

  it('waits for the rest of the batch before failing on one host', async () => {
    // Prepare
    invocations([
      { InstanceId: hosts[0]!.id, Status: 'Failed' },
      { InstanceId: hosts[1]!.id, Status: 'InProgress' },
    ]);

    // Act
    const result = await checkInstall(batchInput({ hosts, phase: phaseAt(60, 840, ['cmd-1']) }));

    // Assess
    expect(result.done).toBe(false);
    expect(ec2Mock).not.toHaveReceivedAnyCommand();
  });

  it('cancels the install commands and fails once past the deadline with hosts pending', async () => {
    // Prepare
    invocations([
      { InstanceId: hosts[0]!.id, Status: 'Success' },
      { InstanceId: hosts[1]!.id, Status: 'InProgress' },
    ]);

    // Act
    const act = checkInstall(batchInput({ hosts, phase: phaseAt(901, -1, ['cmd-1', 'cmd-2']) }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(PatchFailedError);
    await expect(act).rejects.toThrow('tier web: install did not finish within 900s on web-2 (i-0a000000000000002)');
    expect(ssmMock).toHaveReceivedCommandTimes(CancelCommandCommand, 2);
    expect(ssmMock).toHaveReceivedCommandWith(CancelCommandCommand, { CommandId: 'cmd-1' });
    expect(ssmMock).toHaveReceivedCommandWith(CancelCommandCommand, { CommandId: 'cmd-2' });
    expect(ec2Mock).not.toHaveReceivedAnyCommand();
  });

  it('counts a host with no invocation yet as pending', async () => {
    // Prepare
    invocations([{ InstanceId: hosts[0]!.id, Status: 'Success' }]);

    // Act
    const act = checkInstall(batchInput({ hosts, phase: phaseAt(900, 0, ['cmd-1']) }));

    // Assess
    await expect(act).rejects.toThrow('install did not finish within 900s on web-2 (i-0a000000000000002)');
  });
});
