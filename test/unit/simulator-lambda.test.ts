/**
 * The simulator invokes a handler as Lambda does (issue 14): a handler still running at its
 * function's timeout is stopped there, and the task fails with what Lambda reports
 * (Sandbox.Timedout, the runtime's JSON without a trace); a handler's own error reaches Step
 * Functions as the runtime's JSON with its trace; the context's remaining time is the
 * function's, on the virtual clock.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { noFaults } from '../../lib/simulator/faults';
import { seedAccount } from '../../lib/simulator/fleet';
import { attachSimulator } from '../../lib/simulator/intercept';
import { invokeLikeLambda, SIMULATION_EPOCH } from '../../lib/simulator/simulate';
import { runOnVirtualClock } from '../../lib/simulator/virtual-clock';
import { PatchFailedError } from '../../lambdas/domain/contract/errors';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected the invocation to fail');
    },
    (err: unknown) => err as Error,
  );
}

describe('a Lambda invocation in the simulator', () => {
  it("stops a handler at its function's timeout: Sandbox.Timedout as Lambda reports it, and nothing the handler sends afterwards reaches the account", async () => {
    // Prepare: a client answered by the account, its configuration resolved before the clock starts.
    const account = seedAccount(canonical, noFaults());
    const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'ASIASIMULATED', secretAccessKey: 'simulated' } });
    const detach = attachSimulator({ ec2 } as never, account);
    await ec2.send(new DescribeInstancesCommand({}));
    const describes = () => account.calls.get('ec2:DescribeInstances') ?? 0;
    const before = describes();
    const seen = { remaining: [] as number[], answeredAfterTimeout: false };
    const handler = async (_event: unknown, context: unknown) => {
      const remaining = () => (context as { getRemainingTimeInMillis: () => number }).getRemainingTimeInMillis();
      seen.remaining.push(remaining());
      await ec2.send(new DescribeInstancesCommand({}));
      await sleep(8_000);
      seen.remaining.push(remaining());
      await sleep(8_000);
      // Past the 10 s timeout: Lambda has stopped the function, so this never gets out.
      await ec2.send(new DescribeInstancesCommand({}));
      seen.answeredAfterTimeout = true;
      return { done: true };
    };

    // Act: the invocation, then 20 s more on the clock for whatever the handler still does.
    const { failure, failedAfterMs } = await runOnVirtualClock(SIMULATION_EPOCH, async () => {
      const failure = await failureOf(invokeLikeLambda({ handler, timeoutSeconds: 10 }, {}, 'Launch Hosts', account));
      const failedAfterMs = Date.now() - SIMULATION_EPOCH;
      await sleep(20_000);
      return { failure, failedAfterMs };
    });
    detach();

    // Assess: stopped at its timeout, with Lambda's error and cause (no trace: the runtime never got to report one).
    expect(failedAfterMs).toBe(10_000);
    expect(failure.name).toBe('Sandbox.Timedout');
    expect(JSON.parse(failure.message)).toEqual({ errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: simulated-0001 Error: Task timed out after 10.00 seconds' });
    expect(seen.remaining).toEqual([10_000, 2_000]);
    expect(describes() - before, 'calls that reached the account').toBe(1);
    expect(seen.answeredAfterTimeout).toBe(false);
  });

  it("lets a handler that returns in time succeed, whatever its function's timeout, its result across a JSON boundary", async () => {
    // Prepare
    const account = seedAccount(canonical, noFaults());
    const handler = async () => {
      await sleep(9_999);
      return { at: new Date(0), skipped: undefined };
    };

    // Act
    const result = await runOnVirtualClock(SIMULATION_EPOCH, () => invokeLikeLambda({ handler, timeoutSeconds: 10 }, {}, 'Check Install', account));

    // Assess
    expect(result).toEqual({ at: '1970-01-01T00:00:00.000Z' });
  });

  it("delivers a handler's error as Lambda does: Error = its name, Cause = the runtime's JSON with the message and the stack as its trace", async () => {
    // Prepare
    const account = seedAccount(canonical, noFaults());
    const error = new PatchFailedError('tier web: install failed on web-2 (i-0a000000000000002): Failed');
    const handler = async () => {
      throw error;
    };

    // Act
    const failure = await runOnVirtualClock(SIMULATION_EPOCH, () => failureOf(invokeLikeLambda({ handler, timeoutSeconds: 100 }, {}, 'Check Install', account)));

    // Assess
    expect(failure.name).toBe('PatchFailedError');
    const cause = JSON.parse(failure.message) as { errorType: string; errorMessage: string; trace: string[] };
    expect(Object.keys(cause)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect(cause.errorType).toBe('PatchFailedError');
    expect(cause.errorMessage).toBe(error.message);
    expect(cause.trace).toEqual(error.stack!.split('\n'));
    expect(cause.trace[0]).toBe(`PatchFailedError: ${error.message}`);
    expect(cause.trace.slice(1).some((line) => /^\s+at .*\.ts:\d+:\d+\)?$/.test(line))).toBe(true);
  });
});
