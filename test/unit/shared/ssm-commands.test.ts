import {
  CancelCommandCommand,
  InvalidInstanceId,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  type Command,
  type CommandInvocation,
  type SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  cancelCommands,
  CommandRefusedError,
  describeRefusal,
  invokedAfterValue,
  MAX_INSTANCES_PER_COMMAND,
  readProgress,
  SEND_LEAD_MS,
  sendToHosts,
} from '../../../lambdas/shared/ssm-commands';

const ssmMock = mockClient(SSMClient);

const install = { document: 'FleetFlow-InstallRelease', parameters: { component: ['storefront'] }, timeoutSeconds: 900 };
const ids = (count: number) => Array.from({ length: count }, (_, i) => `i-${String(i).padStart(17, '0')}`);

function sentInputs(): SendCommandCommandInput[] {
  return ssmMock.commandCalls(SendCommandCommand).map((call) => call.args[0].input);
}

describe('sendToHosts', () => {
  beforeEach(() => {
    ssmMock.reset();
    let n = 0;
    ssmMock.on(SendCommandCommand).callsFake(() => ({ Command: { CommandId: `cmd-${++n}` } }));
  });

  it('splits 120 hosts into 3 commands of at most 50 instance IDs', async () => {
    // Prepare
    const instanceIds = ids(120);

    // Act
    const commandIds = await sendToHosts({ command: install, instanceIds, parameters: { release: ['2.0.0'] }, comment: 'install' });

    // Assess
    expect(ssmMock).toHaveReceivedCommandTimes(SendCommandCommand, 3);
    const sent = sentInputs();
    expect(sent.map((input) => input.InstanceIds?.length)).toEqual([50, 50, 20]);
    expect(sent.flatMap((input) => input.InstanceIds)).toEqual(instanceIds);
    expect(sent.every((input) => (input.InstanceIds?.length ?? 0) <= MAX_INSTANCES_PER_COMMAND)).toBe(true);
    expect(commandIds).toEqual(['cmd-1', 'cmd-2', 'cmd-3']);
  });

  it('merges the release into the document parameters of every command', async () => {
    // Act
    await sendToHosts({ command: install, instanceIds: ids(60), parameters: { release: ['2.0.0'] }, comment: 'install' });

    // Assess
    expect(ssmMock).toHaveReceivedNthCommandWith(SendCommandCommand, 1, {
      DocumentName: 'FleetFlow-InstallRelease',
      Parameters: { component: ['storefront'], release: ['2.0.0'] },
    });
    expect(ssmMock).toHaveReceivedNthCommandWith(SendCommandCommand, 2, {
      DocumentName: 'FleetFlow-InstallRelease',
      Parameters: { component: ['storefront'], release: ['2.0.0'] },
    });
  });

  it('lets the per-send parameters override a document parameter of the same name', async () => {
    // Prepare
    const command = { ...install, parameters: { component: ['storefront'], release: ['latest'] } };

    // Act
    await sendToHosts({ command, instanceIds: ids(1), parameters: { release: ['2.0.0'] }, comment: 'install' });

    // Assess
    expect(ssmMock).toReceiveCommandWith(SendCommandCommand, { Parameters: { component: ['storefront'], release: ['2.0.0'] } });
  });

  it('does not modify the tier\'s command spec', async () => {
    // Prepare
    const command = { ...install, parameters: { component: ['storefront'] } };

    // Act
    await sendToHosts({ command, instanceIds: ids(1), parameters: { release: ['2.0.0'] }, comment: 'install' });

    // Assess
    expect(command.parameters).toEqual({ component: ['storefront'] });
  });

  it('cuts the comment to the 100 characters SSM accepts', async () => {
    // Prepare
    const comment = `fleetflow canonical/web install ${'x'.repeat(150)}`;

    // Act
    await sendToHosts({ command: install, instanceIds: ids(51), comment });

    // Assess
    for (const input of sentInputs()) {
      expect(input.Comment).toHaveLength(100);
      expect(input.Comment).toBe(comment.slice(0, 100));
    }
  });

  it('lets every host of a command run and report on its own', async () => {
    // Act
    await sendToHosts({ command: install, instanceIds: ids(70), comment: 'install' });

    // Assess
    expect(ssmMock).toHaveReceivedNthCommandWith(SendCommandCommand, 1, { MaxConcurrency: '50', MaxErrors: '50', TimeoutSeconds: 900 });
    expect(ssmMock).toHaveReceivedNthCommandWith(SendCommandCommand, 2, { MaxConcurrency: '20', MaxErrors: '20', TimeoutSeconds: 900 });
  });

  it('sends nothing for an empty batch', async () => {
    // Act
    const commandIds = await sendToHosts({ command: install, instanceIds: [], comment: 'install' });

    // Assess
    expect(commandIds).toEqual([]);
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });

  it('fails when SSM returns no command ID', async () => {
    // Prepare
    ssmMock.on(SendCommandCommand).resolves({});

    // Act
    const act = sendToHosts({ command: install, instanceIds: ids(2), comment: 'install' });

    // Assess
    await expect(act).rejects.toThrow('SendCommand for FleetFlow-InstallRelease returned no CommandId');
  });

  it('reports what was and was not sent when SSM refuses the second of three calls (InvalidInstanceId)', async () => {
    // Prepare: SSM refuses a whole call when one of its instances is terminated.
    const instanceIds = ids(120);
    const terminated = instanceIds[73]!;
    let n = 0;
    ssmMock.on(SendCommandCommand).callsFake((input: SendCommandCommandInput) => {
      if (input.InstanceIds?.includes(terminated)) {
        throw new InvalidInstanceId({ message: `Instances [[${terminated}]] not in a valid state for account 123456789012`, $metadata: {} });
      }
      return { Command: { CommandId: `cmd-${++n}` } };
    });

    // Act
    const error = await sendToHosts({ command: install, instanceIds, comment: 'install' }).catch((err: unknown) => err);

    // Assess: the first call went out, the refused one and the one after it did not.
    expect(error).toBeInstanceOf(CommandRefusedError);
    const refusal = error as CommandRefusedError;
    expect(refusal.sentCommandIds).toEqual(['cmd-1']);
    expect(refusal.sentTo).toEqual(instanceIds.slice(0, 50));
    expect(refusal.refused).toEqual(instanceIds.slice(50, 100));
    expect(refusal.named).toEqual([terminated]);
    expect(refusal.notSent).toEqual(instanceIds.slice(50));
    expect(ssmMock).toHaveReceivedCommandTimes(SendCommandCommand, 2);
  });

  it('names no host when SSM\'s message names none', async () => {
    // Prepare
    ssmMock.on(SendCommandCommand).rejects(new InvalidInstanceId({ message: '', $metadata: {} }));

    // Act
    const error = (await sendToHosts({ command: install, instanceIds: ids(3), comment: 'install' }).catch((err: unknown) => err)) as CommandRefusedError;

    // Assess
    expect(error).toBeInstanceOf(CommandRefusedError);
    expect(error.named).toEqual([]);
    expect(error.refused).toEqual(ids(3));
    expect(error.sentTo).toEqual([]);
  });
});

describe('describeRefusal', () => {
  const hosts = ids(80).map((id, i) => ({ id, name: `web-${i + 1}` }));
  const refusal = (sent: number, named: string[]) =>
    new CommandRefusedError('FleetFlow-InstallRelease', sent ? ['cmd-1'] : [], ids(sent), ids(80).slice(sent, sent + 50), named, ids(80).slice(sent), new Error('x'));

  it('says the command reached none of the hosts when the first call was refused', () => {
    // Act
    const message = describeRefusal('install of 2.0.0', hosts.slice(0, 2), refusal(0, [hosts[1]!.id]));

    // Assess
    expect(message).toBe(
      `SSM refused the install of 2.0.0: web-2 (${hosts[1]!.id}) is not valid for Run Command (InvalidInstanceId: shutting-down or terminated, ` +
        'SSM Agent not running or not registered, or not permitted); the install of 2.0.0 was sent to none of the 2 host(s) it was for',
    );
  });

  it('says which hosts already got the command when a later call was refused, naming only a few', () => {
    // Act
    const message = describeRefusal('install of 2.0.0', hosts, refusal(50, [hosts[60]!.id]));

    // Assess
    expect(message).toContain(`web-61 (${hosts[60]!.id}) is not valid for Run Command`);
    expect(message).toContain(`was already sent to 50 host(s) (web-1 (${hosts[0]!.id}), web-2 (${hosts[1]!.id}), web-3 (${hosts[2]!.id}) and 47 more; command cmd-1)`);
    expect(message).toContain(`and not to the other 30 (web-51 (${hosts[50]!.id}),`);
    expect(message.length).toBeLessThan(1024);
  });
});

describe('readProgress', () => {
  beforeEach(() => {
    ssmMock.reset();
  });

  it('reads every page of invocations of every command', async () => {
    // Prepare
    const invocations: Record<string, CommandInvocation[][]> = {
      'cmd-1': [
        [{ InstanceId: 'i-1', Status: 'Success' }],
        [{ InstanceId: 'i-2', Status: 'Success' }],
      ],
      'cmd-2': [[{ InstanceId: 'i-3', Status: 'Success' }]],
    };
    ssmMock.on(ListCommandInvocationsCommand).callsFake((input: { CommandId: string; NextToken?: string }) => {
      const pages = invocations[input.CommandId] ?? [];
      const index = input.NextToken ? Number(input.NextToken) : 0;
      return { CommandInvocations: pages[index], NextToken: index + 1 < pages.length ? String(index + 1) : undefined };
    });

    // Act
    const progress = await readProgress(['cmd-1', 'cmd-2'], ['i-1', 'i-2', 'i-3']);

    // Assess
    expect(progress).toEqual({ pending: [], succeeded: ['i-1', 'i-2', 'i-3'], failed: [] });
    expect(ssmMock).toHaveReceivedCommandTimes(ListCommandInvocationsCommand, 3);
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-1', NextToken: '1' });
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-2' });
  });

  it('asks for pages of at most 50 invocations', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });

    // Act
    await readProgress(['cmd-1'], ['i-1']);

    // Assess
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-1', MaxResults: 50 });
  });

  it('sorts hosts into succeeded, failed and pending by invocation status', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { InstanceId: 'i-success', Status: 'Success', StatusDetails: 'Success' },
        { InstanceId: 'i-failed', Status: 'Failed', StatusDetails: 'Failed' },
        { InstanceId: 'i-timedout', Status: 'TimedOut', StatusDetails: 'ExecutionTimedOut' },
        { InstanceId: 'i-cancelled', Status: 'Cancelled', StatusDetails: 'Cancelled' },
        { InstanceId: 'i-undeliverable', Status: 'InProgress', StatusDetails: 'Undeliverable' },
        { InstanceId: 'i-inprogress', Status: 'InProgress', StatusDetails: 'InProgress' },
        { InstanceId: 'i-pending', Status: 'Pending', StatusDetails: 'Pending' },
        { InstanceId: 'i-delayed', Status: 'Delayed', StatusDetails: 'Delayed' },
      ],
    });
    const hosts = [
      'i-success', 'i-failed', 'i-timedout', 'i-cancelled', 'i-undeliverable',
      'i-inprogress', 'i-pending', 'i-delayed', 'i-missing',
    ];

    // Act
    const progress = await readProgress(['cmd-1'], hosts);

    // Assess
    expect(progress.succeeded).toEqual(['i-success']);
    expect(progress.failed).toEqual([
      { instanceId: 'i-failed', status: 'Failed', details: 'Failed' },
      { instanceId: 'i-timedout', status: 'TimedOut', details: 'ExecutionTimedOut' },
      { instanceId: 'i-cancelled', status: 'Cancelled', details: 'Cancelled' },
      { instanceId: 'i-undeliverable', status: 'InProgress', details: 'Undeliverable' },
    ]);
    expect(progress.pending).toEqual(['i-inprogress', 'i-pending', 'i-delayed', 'i-missing']);
  });

  it.each(['Delivery Timed Out', 'Execution Timed Out'])(
    'counts a host whose StatusDetails read "%s", as AWS spells them, as failed while the status still reads otherwise',
    async (details) => {
      // Prepare
      ssmMock.on(ListCommandInvocationsCommand).resolves({
        CommandInvocations: [
          { InstanceId: 'i-pending', Status: 'Pending', StatusDetails: details },
          { InstanceId: 'i-inprogress', Status: 'InProgress', StatusDetails: details },
          { InstanceId: 'i-ok', Status: 'Success', StatusDetails: 'Success' },
        ],
      });

      // Act
      const progress = await readProgress(['cmd-1'], ['i-pending', 'i-inprogress', 'i-ok']);

      // Assess
      expect(progress).toEqual({
        pending: [],
        succeeded: ['i-ok'],
        failed: [
          { instanceId: 'i-pending', status: 'Pending', details },
          { instanceId: 'i-inprogress', status: 'InProgress', details },
        ],
      });
    },
  );

  it('counts a host timed out as SSM reports it, status TimedOut and details with spaces, as failed', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { InstanceId: 'i-delivery', Status: 'TimedOut', StatusDetails: 'Delivery Timed Out' },
        { InstanceId: 'i-execution', Status: 'TimedOut', StatusDetails: 'Execution Timed Out' },
      ],
    });

    // Act
    const progress = await readProgress(['cmd-1'], ['i-delivery', 'i-execution']);

    // Assess
    expect(progress.failed).toEqual([
      { instanceId: 'i-delivery', status: 'TimedOut', details: 'Delivery Timed Out' },
      { instanceId: 'i-execution', status: 'TimedOut', details: 'Execution Timed Out' },
    ]);
    expect(progress.pending).toEqual([]);
  });

  it('reports the status as details when SSM gives no status details', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-1', Status: 'Failed' }] });

    // Act
    const progress = await readProgress(['cmd-1'], ['i-1']);

    // Assess
    expect(progress.failed).toEqual([{ instanceId: 'i-1', status: 'Failed', details: 'Failed' }]);
  });

  it('only reports the hosts it was asked about', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { InstanceId: 'i-1', Status: 'Success' },
        { InstanceId: 'i-other', Status: 'Failed' },
      ],
    });

    // Act
    const progress = await readProgress(['cmd-1'], ['i-1']);

    // Assess
    expect(progress).toEqual({ pending: [], succeeded: ['i-1'], failed: [] });
  });
});

describe('readProgress with the phase: ListCommands first, invocations only where needed', () => {
  const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
  const window = { startedAt: T0 - 30_000, deadline: T0 + 600_000 };
  /** Two commands of a batch: hosts i-1..i-3 in cmd-1, i-4..i-5 in cmd-2. */
  const batch = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'];
  const cmd1 = (over: Partial<Command>): Command => ({ CommandId: 'cmd-1', InstanceIds: ['i-1', 'i-2', 'i-3'], ErrorCount: 0, DeliveryTimedOutCount: 0, ...over });
  const cmd2 = (over: Partial<Command>): Command => ({ CommandId: 'cmd-2', InstanceIds: ['i-4', 'i-5'], ErrorCount: 0, DeliveryTimedOutCount: 0, ...over });

  beforeEach(() => {
    ssmMock.reset();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    // Unless a test says otherwise, every host of both commands succeeded.
    ssmMock.on(ListCommandInvocationsCommand).callsFake((input: { CommandId?: string }) => ({
      CommandInvocations: (input.CommandId === 'cmd-1' ? cmd1({}) : cmd2({})).InstanceIds!.map((id) => ({ InstanceId: id, Status: 'Success', StatusDetails: 'Success' })),
    }));
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads an ended Success command\'s invocations: a host SSM could not deliver to is not taken as succeeded', async () => {
    // Prepare: another command of the account comes first on the page; cmd-1 ended Success with i-3 undeliverable
    // ("Undeliverable invocations … don't contribute to whether the parent command status is Success or Incomplete")
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: 'other', Status: 'Failed', InstanceIds: ['i-9'] }, cmd1({ Status: 'Success' }), cmd2({ Status: 'InProgress' })] });
    ssmMock.on(ListCommandInvocationsCommand, { CommandId: 'cmd-1' }).resolves({
      CommandInvocations: [
        { InstanceId: 'i-1', Status: 'Success', StatusDetails: 'Success' },
        { InstanceId: 'i-2', Status: 'Success', StatusDetails: 'Success' },
        { InstanceId: 'i-3', Status: 'Failed', StatusDetails: 'Undeliverable' },
      ],
    });

    // Act
    const progress = await readProgress(['cmd-1', 'cmd-2'], batch, window);

    // Assess: one ListCommands for both; the ended command read by its invocations, the running one not
    expect(progress).toEqual({ pending: ['i-4', 'i-5'], succeeded: ['i-1', 'i-2'], failed: [{ instanceId: 'i-3', status: 'Failed', details: 'Undeliverable' }] });
    expect(ssmMock).toHaveReceivedCommandTimes(ListCommandsCommand, 1);
    expect(ssmMock).toHaveReceivedCommandTimes(ListCommandInvocationsCommand, 1);
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-1' });
  });

  it('filters by the phase\'s start less the sending task\'s time, to the second, 50 commands a page', async () => {
    // Prepare
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [cmd1({ Status: 'Success' }), cmd2({ Status: 'Success' })] });

    // Act
    await readProgress(['cmd-1', 'cmd-2'], batch, window);

    // Assess
    const value = new Date(window.startedAt - SEND_LEAD_MS).toISOString().replace(/\.000Z$/, 'Z');
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandsCommand, { Filters: [{ key: 'InvokedAfter', value }], MaxResults: 50 });
    expect(invokedAfterValue(Date.UTC(2026, 0, 5, 11, 59, 59, 999))).toBe('2026-01-05T11:59:59Z');
  });

  it('takes a running command with no error counted as pending, reading none of its invocations', async () => {
    // Prepare
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [cmd1({ Status: 'Success' }), cmd2({ Status: 'InProgress', CompletedCount: 1 })] });

    // Act
    const progress = await readProgress(['cmd-1', 'cmd-2'], batch, window);

    // Assess: only the ended command's invocations were read
    expect(progress).toEqual({ pending: ['i-4', 'i-5'], succeeded: ['i-1', 'i-2', 'i-3'], failed: [] });
    expect(ssmMock).toHaveReceivedCommandTimes(ListCommandInvocationsCommand, 1);
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-1' });
  });

  it.each([
    ['ended with an error (Failed / Incomplete)', { Status: 'Failed', StatusDetails: 'Incomplete', ErrorCount: 1 }],
    ['still running with an error counted', { Status: 'InProgress', ErrorCount: 1 }],
    ['still running with a delivery timed out', { Status: 'InProgress', DeliveryTimedOutCount: 1 }],
    ['cancelled', { Status: 'Cancelled' }],
    ['timed out', { Status: 'TimedOut' }],
  ] as const)('reads the invocations of a command %s, and only of it', async (_, state) => {
    // Prepare: cmd-1 still runs; cmd-2's i-5 failed
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [cmd1({ Status: 'InProgress' }), cmd2(state)] });
    ssmMock.on(ListCommandInvocationsCommand, { CommandId: 'cmd-2' }).resolves({
      CommandInvocations: [
        { InstanceId: 'i-4', Status: 'Success', StatusDetails: 'Success' },
        { InstanceId: 'i-5', Status: 'Failed', StatusDetails: 'Failed' },
      ],
    });

    // Act
    const progress = await readProgress(['cmd-1', 'cmd-2'], batch, window);

    // Assess: the failed host named with its own outcome
    expect(progress).toEqual({ pending: ['i-1', 'i-2', 'i-3'], succeeded: ['i-4'], failed: [{ instanceId: 'i-5', status: 'Failed', details: 'Failed' }] });
    expect(ssmMock).toHaveReceivedCommandTimes(ListCommandInvocationsCommand, 1);
    expect(ssmMock).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-2' });
  });

  it('reads a command ListCommands did not list (sent before the window) by its invocations', async () => {
    // Prepare
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [cmd1({ Status: 'Success' })] });
    ssmMock.on(ListCommandInvocationsCommand, { CommandId: 'cmd-2' }).resolves({ CommandInvocations: [{ InstanceId: 'i-4', Status: 'Success' }, { InstanceId: 'i-5', Status: 'InProgress' }] });

    // Act
    const progress = await readProgress(['cmd-1', 'cmd-2'], batch, window);

    // Assess
    expect(progress).toEqual({ pending: ['i-5'], succeeded: ['i-1', 'i-2', 'i-3', 'i-4'], failed: [] });
  });

  it('stops paging once every command is found', async () => {
    // Prepare: cmd-1 on the first page, cmd-2 on the second, a third page never needed
    ssmMock.on(ListCommandsCommand).callsFake((input: { NextToken?: string }) => {
      if (!input.NextToken) return { Commands: [cmd1({ Status: 'Success' })], NextToken: 'p2' };
      if (input.NextToken === 'p2') return { Commands: [cmd2({ Status: 'Success' })], NextToken: 'p3' };
      throw new Error('read a page it did not need');
    });

    // Act
    const progress = await readProgress(['cmd-1', 'cmd-2'], batch, window);

    // Assess
    expect(progress.succeeded).toEqual(batch);
    expect(ssmMock).toHaveReceivedCommandTimes(ListCommandsCommand, 2);
  });

  it('past the deadline, reads every invocation, so that only the hosts still running are named late', async () => {
    // Prepare: cmd-2 still runs, but i-4 has finished
    vi.setSystemTime(window.deadline);
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [cmd1({ Status: 'Success' }), cmd2({ Status: 'InProgress' })] });
    ssmMock.on(ListCommandInvocationsCommand, { CommandId: 'cmd-1' }).resolves({ CommandInvocations: ['i-1', 'i-2', 'i-3'].map((id) => ({ InstanceId: id, Status: 'Success' as const })) });
    ssmMock.on(ListCommandInvocationsCommand, { CommandId: 'cmd-2' }).resolves({ CommandInvocations: [{ InstanceId: 'i-4', Status: 'Success' }, { InstanceId: 'i-5', Status: 'InProgress' }] });

    // Act
    const progress = await readProgress(['cmd-1', 'cmd-2'], batch, window);

    // Assess
    expect(progress.pending).toEqual(['i-5']);
    expect(ssmMock).not.toHaveReceivedCommand(ListCommandsCommand);
  });

  it('reads a single command by its invocations: one call either way, and each host told apart', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-1', Status: 'Success' }, { InstanceId: 'i-2', Status: 'InProgress' }] });

    // Act
    const progress = await readProgress(['cmd-1'], ['i-1', 'i-2'], window);

    // Assess
    expect(progress).toEqual({ pending: ['i-2'], succeeded: ['i-1'], failed: [] });
    expect(ssmMock).not.toHaveReceivedCommand(ListCommandsCommand);
  });
});

describe('cancelCommands', () => {
  beforeEach(() => {
    ssmMock.reset();
    ssmMock.on(CancelCommandCommand).resolves({});
  });

  it('cancels each command', async () => {
    // Act
    await cancelCommands(['cmd-1', 'cmd-2']);

    // Assess
    expect(ssmMock).toHaveReceivedCommandTimes(CancelCommandCommand, 2);
    expect(ssmMock).toHaveReceivedNthCommandWith(CancelCommandCommand, 1, { CommandId: 'cmd-1' });
    expect(ssmMock).toHaveReceivedNthCommandWith(CancelCommandCommand, 2, { CommandId: 'cmd-2' });
  });
});
