/**
 * SSM Run Command in the simulated account, as the API reference describes an invocation's
 * Status and StatusDetails: Pending until the agent takes it, InProgress while the document
 * runs, then a terminal status (Success, Failed, Cancelled, TimedOut), or Failed with
 * details Undeliverable when it can never be delivered; Delayed while SSM holds it. These
 * are what Check Install, Check Drain and Check Health read (lambdas/shared/ssm-commands.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DELAYED_SECONDS, SSM_DELIVERY_SECONDS, type SimHost, type SimulatedAccount } from '../../lib/simulator/account';
import { call, seedWithFaults as seed } from './simulated-calls';
import { NOW } from './fixtures';

const INSTALL = 'FleetFlow-InstallRelease';

const web1 = (account: SimulatedAccount): SimHost => [...account.hosts.values()].find((h) => h.name === 'web-1')!;
const elapse = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

function install(account: SimulatedAccount, host: SimHost, release = '2.0.0'): string {
  return call(account, 'ssm', 'SendCommand', { DocumentName: INSTALL, InstanceIds: [host.id], Parameters: { component: ['storefront'], release: [release] } }).Command.CommandId;
}

/** Status and StatusDetails of the host's invocation, as ListCommandInvocations reports them. */
function statusOf(account: SimulatedAccount, commandId: string, host: SimHost): [string, string] {
  const { CommandInvocations } = call(account, 'ssm', 'ListCommandInvocations', { CommandId: commandId });
  const invocation = CommandInvocations.find((i: { InstanceId: string }) => i.InstanceId === host.id);
  return [invocation.Status, invocation.StatusDetails];
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('an invocation\'s statuses over time', () => {
  it('is Pending when sent, InProgress once delivered, and Success when the document has run its time', () => {
    // Prepare
    const account = seed();
    const host = web1(account);

    // Act
    const commandId = install(account, host);
    const sent = statusOf(account, commandId, host);
    elapse(SSM_DELIVERY_SECONDS);
    const delivered = statusOf(account, commandId, host);
    elapse(host.profile.installSeconds - 1);
    const running = statusOf(account, commandId, host);
    elapse(1);
    const done = statusOf(account, commandId, host);

    // Assess
    expect([sent, delivered, running, done]).toEqual([
      ['Pending', 'Pending'],
      ['InProgress', 'InProgress'],
      ['InProgress', 'InProgress'],
      ['Success', 'Success'],
    ]);
  });

  it('is Cancelled when CancelCommand reaches it before it ends, and stays so', () => {
    // Prepare
    const account = seed();
    const host = web1(account);
    const commandId = install(account, host);
    elapse(SSM_DELIVERY_SECONDS);

    // Act
    call(account, 'ssm', 'CancelCommand', { CommandId: commandId });
    const cancelled = statusOf(account, commandId, host);
    elapse(host.profile.installSeconds);
    const later = statusOf(account, commandId, host);

    // Assess
    expect([cancelled, later]).toEqual([['Cancelled', 'Cancelled'], ['Cancelled', 'Cancelled']]);
  });

  it('is Failed, Undeliverable, at once for a stopped host, whose agent cannot take it', () => {
    // Prepare
    const account = seed();
    const host = web1(account);
    account.setHostState(host.id, 'stopped');

    // Act
    const commandId = install(account, host);

    // Assess
    expect(statusOf(account, commandId, host)).toEqual(['Failed', 'Undeliverable']);
  });

  it.each([
    ['Undeliverable', ['Failed', 'Undeliverable']],
    ['Cancelled', ['Cancelled', 'Cancelled']],
    ['TimedOut', ['TimedOut', 'Execution Timed Out']],
  ] as const)('ends %s under the ssm-status fault, never Success', (status, expected) => {
    // Prepare
    const account = seed([`ssm-status:web-1@${status}`]);
    const host = web1(account);

    // Act
    const commandId = install(account, host);
    elapse(SSM_DELIVERY_SECONDS + host.profile.installSeconds);

    // Assess
    expect(statusOf(account, commandId, host)).toEqual(expected);
  });

  it('is Delayed while SSM holds it, then runs and succeeds', () => {
    // Prepare
    const account = seed(['ssm-status:web-1@Delayed']);
    const host = web1(account);

    // Act
    const commandId = install(account, host);
    elapse(SSM_DELIVERY_SECONDS);
    const held = statusOf(account, commandId, host);
    elapse(DELAYED_SECONDS + host.profile.installSeconds);
    const done = statusOf(account, commandId, host);

    // Assess
    expect([held, done]).toEqual([['Delayed', 'Delayed'], ['Success', 'Success']]);
  });
});

describe('SendCommand requests SSM refuses', () => {
  it('refuses a document that does not exist (InvalidDocument), sending nothing', () => {
    // Prepare
    const account = seed();

    // Act
    const act = () => call(account, 'ssm', 'SendCommand', { DocumentName: 'FleetFlow-NoSuchDocument', InstanceIds: [web1(account).id] });

    // Assess
    expect(act).toThrow(expect.objectContaining({ name: 'InvalidDocument' }));
    expect(account.commands.size).toBe(0);
  });

  it('refuses an install without its required release parameter (InvalidParameters)', () => {
    // Prepare
    const account = seed();

    // Act
    const act = () => call(account, 'ssm', 'SendCommand', { DocumentName: INSTALL, InstanceIds: [web1(account).id], Parameters: { component: ['storefront'] } });

    // Assess
    expect(act).toThrow(expect.objectContaining({ name: 'InvalidParameters' }));
  });

  it('gives each send its own command ID: a second send of the same request runs the document again', () => {
    // Prepare
    const account = seed();
    const host = web1(account);

    // Act
    const first = install(account, host);
    const second = install(account, host);

    // Assess: SendCommand has no idempotency token.
    expect(second).not.toBe(first);
    expect(account.commands.size).toBe(2);
  });
});
