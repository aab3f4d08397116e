/**
 * SSM ListCommands in the simulated account: each command's Status, StatusDetails and counts
 * derived from its invocations as the API reference's Command defines them, its filters and
 * pages, and its refusals. readProgress (lambdas/shared/ssm-commands.ts) trusts a Success to
 * mean every host succeeded, and a running command with no error counted to mean none failed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SSM_DELIVERY_SECONDS, type SimHost, type SimulatedAccount } from '../../lib/simulator/account';
import { call, refusal, seedWithFaults as seed } from './simulated-calls';
import { NOW } from './fixtures';

const INSTALL = 'FleetFlow-InstallRelease';

const host = (account: SimulatedAccount, name: string): SimHost => [...account.hosts.values()].find((h) => h.name === name)!;
const webs = (account: SimulatedAccount) => [host(account, 'web-1'), host(account, 'web-2')];
const elapse = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

/** An install to the hosts in one command, with FleetFlow's error control (every host runs and reports on its own). */
function install(account: SimulatedAccount, hosts: readonly SimHost[], maxErrors = String(hosts.length)): string {
  return call(account, 'ssm', 'SendCommand', {
    DocumentName: INSTALL,
    InstanceIds: hosts.map((h) => h.id),
    Parameters: { component: ['storefront'], release: ['2.0.0'] },
    MaxConcurrency: String(hosts.length),
    MaxErrors: maxErrors,
  }).Command.CommandId;
}

function listed(account: SimulatedAccount, commandId: string) {
  const [command] = call(account, 'ssm', 'ListCommands', { CommandId: commandId }).Commands;
  return command;
}

const summary = (c: Record<string, unknown>) => [c.Status, c.StatusDetails, c.TargetCount, c.CompletedCount, c.ErrorCount, c.DeliveryTimedOutCount];
const slowest = (hosts: readonly SimHost[]) => Math.max(...hosts.map((h) => h.profile.installSeconds));

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('a command\'s status and counts, from its invocations', () => {
  it('is Pending when sent, InProgress once delivered, Success with every target completed when all succeeded', () => {
    // Prepare
    const account = seed();
    const hosts = webs(account);

    // Act
    const commandId = install(account, hosts);
    const sent = summary(listed(account, commandId));
    elapse(SSM_DELIVERY_SECONDS);
    const running = summary(listed(account, commandId));
    elapse(slowest(hosts));
    const done = listed(account, commandId);

    // Assess
    expect(sent).toEqual(['Pending', 'Pending', 2, 0, 0, 0]);
    expect(running).toEqual(['InProgress', 'In Progress', 2, 0, 0, 0]);
    expect(summary(done)).toEqual(['Success', 'Success', 2, 2, 0, 0]);
    expect(done).toMatchObject({ CommandId: commandId, DocumentName: INSTALL, InstanceIds: hosts.map((h) => h.id), MaxConcurrency: '2', MaxErrors: '2' });
    expect(done.RequestedDateTime).toEqual(new Date(NOW));
  });

  it('counts a failed host as an error: Failed/Incomplete under MaxErrors, Failed/Failed at it (never Success)', () => {
    // Prepare: web-2's install fails
    const account = seed(['patch-fail:web-2']);
    const hosts = webs(account);

    // Act: the same failure, with MaxErrors 2 (FleetFlow's) and 0 (SSM's default)
    const tolerant = install(account, hosts, '2');
    const strict = install(account, hosts, '0');
    elapse(SSM_DELIVERY_SECONDS + slowest(hosts));

    // Assess
    expect(summary(listed(account, tolerant))).toEqual(['Failed', 'Incomplete', 2, 2, 1, 0]);
    expect(summary(listed(account, strict))).toEqual(['Failed', 'Failed', 2, 2, 1, 0]);
  });

  it('counts an undeliverable host as completed, not as an error, keeps the command InProgress while another host runs, and ends it Success (it does not count against Success)', () => {
    // Prepare: web-2 is stopped, its agent cannot take the command
    const account = seed();
    const hosts = webs(account);
    account.setHostState(hosts[1]!.id, 'stopped');

    // Act
    const commandId = install(account, hosts);
    elapse(SSM_DELIVERY_SECONDS);
    const running = summary(listed(account, commandId));
    elapse(slowest(hosts));
    const ended = summary(listed(account, commandId));

    // Assess
    expect(running).toEqual(['InProgress', 'In Progress', 2, 1, 0, 0]);
    // "Undeliverable invocations … don't contribute to whether the parent command status is Success or Incomplete".
    expect(ended).toEqual(['Success', 'Success', 2, 2, 0, 0]);
  });

  it('is Cancelled once CancelCommand stopped its running invocations', () => {
    // Prepare
    const account = seed();
    const commandId = install(account, webs(account));
    elapse(SSM_DELIVERY_SECONDS);

    // Act
    call(account, 'ssm', 'CancelCommand', { CommandId: commandId });

    // Assess
    expect(summary(listed(account, commandId))).toEqual(['Cancelled', 'Cancelled', 2, 2, 0, 0]);
  });

  it('is TimedOut when its invocations ran out of time', () => {
    // Prepare: web-1's install ends Execution Timed Out
    const account = seed(['ssm-status:web-1@TimedOut']);

    // Act
    const commandId = install(account, [host(account, 'web-1')]);
    elapse(SSM_DELIVERY_SECONDS + slowest(webs(account)));

    // Assess
    expect(summary(listed(account, commandId))).toEqual(['TimedOut', 'Execution Timed Out', 1, 1, 1, 0]);
  });
});

describe('filters and pages', () => {
  it('lists the commands requested at or after InvokedAfter, before InvokedBefore, to the second', () => {
    // Prepare: one command now, one 10 s later
    const account = seed();
    const first = install(account, webs(account));
    elapse(10);
    const second = install(account, webs(account));
    const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ids = (filters: Array<{ key: string; value: string }>) => call(account, 'ssm', 'ListCommands', { Filters: filters }).Commands.map((c: { CommandId: string }) => c.CommandId);

    // Act / Assess
    expect(ids([{ key: 'InvokedAfter', value: at(NOW) }])).toEqual([first, second]);
    expect(ids([{ key: 'InvokedAfter', value: at(NOW + 1000) }])).toEqual([second]);
    expect(ids([{ key: 'InvokedBefore', value: at(NOW + 10_000) }])).toEqual([first]);
    expect(ids([{ key: 'InvokedAfter', value: at(NOW + 11_000) }])).toEqual([]);
  });

  it('filters by Status (a status or a detailed one), ExecutionStage and DocumentName', () => {
    // Prepare: a finished install with a failed host, and one still running
    const account = seed(['patch-fail:web-2']);
    const failed = install(account, webs(account));
    elapse(SSM_DELIVERY_SECONDS + slowest(webs(account)));
    const running = install(account, webs(account));
    const ids = (key: string, value: string) => call(account, 'ssm', 'ListCommands', { Filters: [{ key, value }] }).Commands.map((c: { CommandId: string }) => c.CommandId);

    // Act / Assess
    expect(ids('Status', 'Failed')).toEqual([failed]);
    expect(ids('Status', 'Incomplete')).toEqual([failed]);
    expect(ids('Status', 'Success')).toEqual([]);
    expect(ids('Status', 'Pending')).toEqual([running]);
    expect(ids('ExecutionStage', 'Complete')).toEqual([failed]);
    expect(ids('ExecutionStage', 'Executing')).toEqual([running]);
    expect(ids('DocumentName', INSTALL)).toEqual([failed, running]);
    expect(ids('DocumentName', 'AWS-RunShellScript')).toEqual([]);
  });

  it('pages MaxResults at a time with NextToken', () => {
    // Prepare
    const account = seed();
    const sent = [install(account, webs(account)), install(account, webs(account)), install(account, webs(account))];

    // Act
    const first = call(account, 'ssm', 'ListCommands', { MaxResults: 2 });
    const second = call(account, 'ssm', 'ListCommands', { MaxResults: 2, NextToken: first.NextToken });

    // Assess
    expect(first.Commands.map((c: { CommandId: string }) => c.CommandId)).toEqual(sent.slice(0, 2));
    expect(second.Commands.map((c: { CommandId: string }) => c.CommandId)).toEqual(sent.slice(2));
    expect(second.NextToken).toBeUndefined();
  });

  it('lists only the commands sent to InstanceId', () => {
    // Prepare
    const account = seed();
    const [web1, web2] = webs(account);
    const toWeb1 = install(account, [web1!]);
    install(account, [web2!]);

    // Act
    const { Commands } = call(account, 'ssm', 'ListCommands', { InstanceId: web1!.id });

    // Assess
    expect(Commands.map((c: { CommandId: string }) => c.CommandId)).toEqual([toWeb1]);
  });
});

describe('what it refuses, as AWS does', () => {
  it.each([
    ['MaxResults 0', { MaxResults: 0 }, 'ValidationException'],
    ['MaxResults 51', { MaxResults: 51 }, 'ValidationException'],
    ['an unknown filter key', { Filters: [{ key: 'InstanceIds', value: 'i-1' }] }, 'InvalidFilterKey'],
    ['a timestamp not in the documented form', { Filters: [{ key: 'InvokedAfter', value: '07/07/2024' }] }, 'ValidationException'],
    ['a status ListCommands does not filter by', { Filters: [{ key: 'Status', value: 'Delayed' }] }, 'ValidationException'],
    ['an ExecutionStage other than Executing or Complete', { Filters: [{ key: 'ExecutionStage', value: 'Running' }] }, 'ValidationException'],
    ['six filters', { Filters: Array.from({ length: 6 }, () => ({ key: 'DocumentName', value: INSTALL })) }, 'ValidationException'],
    ['no filter in Filters', { Filters: [] }, 'ValidationException'],
    ['Status Pending with a managed node ID', { InstanceId: 'i-0a000000000000001', Filters: [{ key: 'Status', value: 'Pending' }] }, 'ValidationException'],
    ['an unknown command ID', { CommandId: 'sim-cmd-999999' }, 'InvalidCommandId'],
  ])('refuses %s', (_, input, name) => {
    // Prepare: refused before anything is read, with no command in the account
    const account = seed();

    // Act
    const error = refusal(() => call(account, 'ssm', 'ListCommands', input));

    // Assess
    expect(error.name).toBe(name);
  });

  it('is throttled like every SSM call (throttle:ssm)', () => {
    // Prepare: SSM answers two calls, then throttles a burst
    const account = seed(['throttle:ssm']);
    call(account, 'ssm', 'ListCommands', {});
    call(account, 'ssm', 'ListCommands', {});

    // Act
    const error = refusal(() => call(account, 'ssm', 'ListCommands', {}));

    // Assess: a throttling error the SDK's retry strategy backs off on (its code is the caller's: simulated-calls.ts)
    expect(error).toMatchObject({ message: 'Rate exceeded', $retryable: { throttling: true } });
  });
});
