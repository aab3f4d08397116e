/**
 * A failure's cause stays small at any batch size. Lambda reports a thrown error as
 * {"errorType","errorMessage","trace":[stack lines]}; Step Functions makes that the cause,
 * and a Catch puts it into the state, which fails with the uncatchable
 * States.DataLimitExceeded past 256 KiB. A 2,000-host batch whose message listed every
 * host measured 300-440 KB.
 */
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, type TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CancelCommandCommand, ListCommandInvocationsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkDrained } from '../../../lambdas/rollout/check-drained';
import { checkHealthy } from '../../../lambdas/rollout/check-healthy';
import { checkInstall } from '../../../lambdas/rollout/check-install';
import { DrainTimeoutError, HostUnhealthyError, MAX_MESSAGE_BYTES, PatchFailedError, ValidationFailedError } from '../../../lambdas/domain/contract/errors';
import { batchInput, NOW, phaseAt, webHost } from '../fixtures';

const ssmMock = mockClient(SSMClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);

const BATCH = Array.from({ length: 2_000 }, (_, i) => webHost(i + 1));
/** Far below the 262,144 bytes a state may hold, even nested twice in a composed cause. */
const MAX_CAUSE_BYTES = 8 * 1024;

/** The cause Step Functions receives for an error thrown by a Node.js Lambda handler. */
function lambdaCause(error: Error): string {
  return JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') });
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  if (!outcome) throw new Error('expected the handler to fail');
  return outcome;
}

function expectBounded(error: Error): void {
  expect(Buffer.byteLength(error.message, 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
  expect(Buffer.byteLength(lambdaCause(error), 'utf8')).toBeLessThan(MAX_CAUSE_BYTES);
}

/** Names web-1 … web-5 by Name tag and instance ID, then counts the other 1,995. */
function expectFiveNamed(message: string): void {
  for (const host of BATCH.slice(0, 5)) expect(message).toContain(`${host.name} (${host.id})`);
  expect(message).not.toContain('web-6 ');
  expect(message).not.toContain(BATCH[5]!.id);
  expect(message).toMatch(/ and 1,995 more/);
}

beforeEach(() => {
  ssmMock.reset();
  elbMock.reset();
  ssmMock.on(CancelCommandCommand).resolves({});
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('a failed 2,000-host batch', () => {
  it('install failure names 5 hosts with their outcome and counts the rest', async () => {
    // Prepare
    ssmMock
      .on(ListCommandInvocationsCommand)
      .resolves({ CommandInvocations: BATCH.map((h) => ({ InstanceId: h.id, Status: 'Failed', StatusDetails: 'Failed' })) });

    // Act
    const error = await failureOf(checkInstall(batchInput({ hosts: BATCH, phase: phaseAt(60, 840, ['cmd-1']) })));

    // Assess
    expect(error).toBeInstanceOf(PatchFailedError);
    expect(error.message).toMatch(/^tier web: install failed on web-1 \(i-0a000000000000001\): Failed; web-2 /);
    expectFiveNamed(error.message);
    expectBounded(error);
  });

  it('install timeout names 5 hosts and counts the rest', async () => {
    // Prepare
    ssmMock
      .on(ListCommandInvocationsCommand)
      .resolves({ CommandInvocations: BATCH.map((h) => ({ InstanceId: h.id, Status: 'InProgress', StatusDetails: 'InProgress' })) });

    // Act
    const error = await failureOf(checkInstall(batchInput({ hosts: BATCH, phase: phaseAt(901, -1, ['cmd-1']) })));

    // Assess
    expect(error).toBeInstanceOf(PatchFailedError);
    expect(error.message).toContain('web-1 (i-0a000000000000001), web-2 (i-0a000000000000002), web-3');
    expectFiveNamed(error.message);
    expectBounded(error);
  });

  it('drain timeout names 5 hosts and counts the rest', async () => {
    // Prepare
    elbMock.on(DescribeTargetHealthCommand).callsFake((input: { Targets?: Array<{ Id?: string }> }) => ({
      TargetHealthDescriptions: (input.Targets ?? []).map(
        (t): TargetHealthDescription => ({ Target: { Id: t.Id, Port: 80 }, TargetHealth: { State: 'draining' } }),
      ),
    }));

    // Act
    const error = await failureOf(checkDrained(batchInput({ hosts: BATCH, phase: phaseAt(181, -1) })));

    // Assess
    expect(error).toBeInstanceOf(DrainTimeoutError);
    expect(error.message).toBe(
      'tier web: web-1 (i-0a000000000000001), web-2 (i-0a000000000000002), web-3 (i-0a000000000000003), ' +
        'web-4 (i-0a000000000000004), web-5 (i-0a000000000000005) and 1,995 more still draining after 180s',
    );
    expectBounded(error);
  });

  it('health timeout names 5 hosts with their state and counts the rest', async () => {
    // Prepare
    elbMock.on(DescribeTargetHealthCommand).callsFake((input: { Targets?: Array<{ Id?: string }> }) => ({
      TargetHealthDescriptions: (input.Targets ?? []).map(
        (t): TargetHealthDescription => ({ Target: { Id: t.Id, Port: 80 }, TargetHealth: { State: 'unhealthy' } }),
      ),
    }));

    // Act
    const error = await failureOf(checkHealthy(batchInput({ hosts: BATCH, phase: phaseAt(301, -1) })));

    // Assess
    expect(error).toBeInstanceOf(HostUnhealthyError);
    expect(error.message).toMatch(/^tier web: not healthy after 300s: web-1 \(i-0a000000000000001\): unhealthy; web-2 /);
    expectFiveNamed(error.message);
    expectBounded(error);
  });
});

describe('FleetFlow errors', () => {
  it('cap a huge message at MAX_MESSAGE_BYTES and say how much was cut', () => {
    // Prepare
    const huge = `release 2.0.0: ${'x'.repeat(440_000)}`;

    // Act
    const error = new ValidationFailedError(huge);

    // Assess
    expect(Buffer.byteLength(error.message, 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(error.message).toMatch(/^release 2\.0\.0: x+ … \(message cut at 1024 of 440015 bytes\)$/);
    expect(error.name).toBe('ValidationFailedError');
    // The stack (Lambda's trace) repeats the capped message, not the original.
    expect(error.stack!.split('\n')[0]).toBe(`ValidationFailedError: ${error.message}`);
    expect(Buffer.byteLength(lambdaCause(error), 'utf8')).toBeLessThan(MAX_CAUSE_BYTES);
  });

  it('count the cap in UTF-8 bytes and never split a character', () => {
    // Act
    const accented = new PatchFailedError('é'.repeat(5_000));
    const emoji = new PatchFailedError('🚀'.repeat(5_000));

    // Assess
    for (const error of [accented, emoji]) {
      expect(Buffer.byteLength(error.message, 'utf8')).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      expect(error.message).toContain('message cut at 1024');
      // No lone surrogate: the message survives a UTF-8 round trip unchanged.
      expect(Buffer.from(error.message, 'utf8').toString('utf8')).toBe(error.message);
    }
    expect(emoji.message.startsWith('🚀'.repeat(200))).toBe(true);
  });

  it('leave a message within the cap as it is', () => {
    // Prepare
    const message = `tier web: ${'a'.repeat(MAX_MESSAGE_BYTES - 10)}`;

    // Act
    const error = new PatchFailedError(message);

    // Assess
    expect(error.message).toBe(message);
  });
});
