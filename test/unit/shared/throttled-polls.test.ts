/**
 * A poll whose look AWS throttled learned nothing about the operation: it looks again
 * later, backing off, until its phase's own deadline, and only then lets the throttling
 * error reach the task's retries and catch (lambdas/shared/phase.ts `watchPhase`).
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as checkHostsReadyHandler } from '../../../lambdas/compute/check-hosts-ready';
import { handler as cleanUpHandler } from '../../../lambdas/compute/terminate-launched';
import type { ProvisionTaskInput, RestoreTaskInput, PhaseState } from '../../../lambdas/domain/contract/payloads';
import { handler as checkRestoreHandler } from '../../../lambdas/restore-data/check-restore';
import { watchPhase, THROTTLED_LOOK_MAX_SECONDS } from '../../../lambdas/shared/phase';
import { NOW, phaseAt } from '../fixtures';

const rdsMock = mockClient(RDSClient);
const ec2Mock = mockClient(EC2Client);
const POLLING = { minSeconds: 2, maxSeconds: 30 };

/** An error as the SDK throws it after its own retries, with AWS's throttling code. */
function throttled(name = 'Throttling'): Error {
  const err = new Error('Rate exceeded');
  err.name = name;
  return err;
}

/** A look that always fails with `err`. */
const failingLook = (err: Error) => watchPhase(async (_event: { phase?: PhaseState }): Promise<PhaseState> => { throw err; }, () => POLLING);

beforeEach(() => {
  rdsMock.reset();
  ec2Mock.reset();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('a throttled look', () => {
  it('keeps the phase going: not done, the same deadline, one more throttled look, and a pause inside the deadline', async () => {
    // Prepare
    const phase = phaseAt(600, 3000);

    // Act
    const next = await failingLook(throttled())({ phase });

    // Assess
    expect(next).toMatchObject({ startedAt: phase.startedAt, deadline: phase.deadline, done: false, throttledLooks: 1 });
    expect(next.waitSeconds).toBeGreaterThanOrEqual(1);
    expect(next.waitSeconds).toBeLessThanOrEqual(3000);
  });

  it.each(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException'])('is recognised by its AWS code %s', async (name) => {
    const next = await failingLook(throttled(name))({ phase: phaseAt(60, 600) });

    expect(next.done).toBe(false);
  });

  it('backs off: each further throttled look of the phase pauses at least as long, up to the cap, and never past the deadline', async () => {
    // Prepare: a phase just started, so its usual schedule would look again after the shortest poll.
    let phase: PhaseState = phaseAt(1, 7200);
    const pauses: number[] = [];

    // Act
    for (let i = 0; i < 8; i += 1) {
      phase = await failingLook(throttled())({ phase });
      pauses.push(phase.waitSeconds);
    }
    const nearDeadline = await failingLook(throttled())({ phase: { ...phaseAt(600, 5), throttledLooks: 7 } });

    // Assess
    expect(phase.throttledLooks).toBe(8);
    expect(Math.max(...pauses)).toBeLessThanOrEqual(THROTTLED_LOOK_MAX_SECONDS);
    expect(pauses.at(-1)!).toBeGreaterThan(pauses[0]!);
    expect(pauses.at(-1)!).toBeGreaterThanOrEqual(THROTTLED_LOOK_MAX_SECONDS / 2);
    expect(nearDeadline.waitSeconds).toBeLessThanOrEqual(5);
  });

  it('at or past the deadline, throws the throttling error as it is: the look cannot say the operation finished', async () => {
    const act = failingLook(throttled())({ phase: phaseAt(3600, 0) });

    await expect(act).rejects.toThrow('Rate exceeded');
    await expect(act).rejects.toMatchObject({ name: 'Throttling' });
  });

  it('without a phase yet (the first look), throws: the task retries it', async () => {
    await expect(failingLook(throttled())({})).rejects.toMatchObject({ name: 'Throttling' });
  });

  it('does not hide any other error', async () => {
    const denied = new Error('not authorized to perform rds:DescribeDBInstances');
    denied.name = 'AccessDenied';

    await expect(failingLook(denied)({ phase: phaseAt(60, 600) })).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});

describe('Check Restore under RDS throttling', () => {
  const event = (phase: PhaseState) =>
    ({
      execution: 'restore-1',
      phase,
      plan: {
        target: { identifier: 'canonical-db-snap-1', timeoutSeconds: 3600 },
        current: { identifier: 'canonical-db' },
        polling: POLLING,
      },
    }) as unknown as RestoreTaskInput;

  it('looks again later instead of failing the restore, while its hour lasts', async () => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).rejects(throttled());

    // Act
    const next = await checkRestoreHandler(event(phaseAt(700, 2900)));

    // Assess
    expect(next).toMatchObject({ done: false, throttledLooks: 1 });
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand)).toHaveLength(1);
  });

  it('finishes the phase on the next look that RDS answers', async () => {
    // Prepare
    rdsMock.on(DescribeDBInstancesCommand).rejectsOnce(throttled()).resolves({ DBInstances: [{ DBInstanceIdentifier: 'canonical-db-snap-1', DBInstanceStatus: 'available' }] });
    const throttledLook = await checkRestoreHandler(event(phaseAt(700, 2900)));

    // Act
    const next = await checkRestoreHandler(event(throttledLook));

    // Assess
    expect(next.done).toBe(true);
  });
});

describe('Check Hosts Ready under EC2 throttling', () => {
  it('starts its phase at a first look that EC2 throttled, and looks again within the ready timeout', async () => {
    // Prepare
    ec2Mock.on(DescribeInstancesCommand).rejects(throttled('RequestLimitExceeded'));
    const event = { execution: 'allocate-1', tier: { spec: { name: 'web', polling: POLLING }, perSubnet: [1, 1], readyTimeoutSeconds: 900 } } as unknown as ProvisionTaskInput;

    // Act
    const phase = await checkHostsReadyHandler(event);

    // Assess
    expect(phase).toMatchObject({ startedAt: NOW, deadline: NOW + 900_000, done: false, throttledLooks: 1 });
  });
});

describe('Clean Up Launched under EC2 throttling', () => {
  it('keeps cleaning up from a throttled first look, within its deadline, instead of leaving what it launched running', async () => {
    // Prepare
    ec2Mock.on(DescribeInstancesCommand).rejects(throttled('RequestLimitExceeded'));

    // Act
    const phase = await cleanUpHandler({ execution: 'allocate-1', plan: { tiers: [] } });

    // Assess
    expect(phase).toMatchObject({ startedAt: NOW, deadline: NOW + 900_000, done: false, throttledLooks: 1 });
  });

  it('does not hide throttling from Terminate Leftovers, which the task retries', async () => {
    ec2Mock.on(DescribeInstancesCommand).rejects(throttled('RequestLimitExceeded'));

    await expect(cleanUpHandler({ execution: 'allocate-2', leftovers: [{ tier: 'web', hostTags: { 'fleetflow:tier': 'web' }, count: 1, sample: 'web-2' }] })).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });
});
