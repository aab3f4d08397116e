/**
 * `fleetflow start`: the execution name comes from the input, so a start retried by a CI step
 * finds the first execution instead of starting a second. Step Functions is played by a small
 * fake that follows StartExecution's documented rules for a name used before: open with the
 * same input, the same response; open with another input, or closed, ExecutionAlreadyExists.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand, type StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { executionName, EXECUTION_NAME } from '../../../lib/cli/aws/names';
import { DEPLOY_MACHINE, runAws } from './harness';

const sfnMock = mockClient(SFNClient);

interface FakeExecution {
  readonly arn: string;
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  readonly startDate: Date;
}

/** Executions by ARN, and how many StartExecution calls created one. */
let executions: Map<string, FakeExecution>;
let created: number;

function fakeStepFunctions(): void {
  executions = new Map();
  created = 0;
  sfnMock.on(StartExecutionCommand).callsFake((input: StartExecutionCommandInput) => {
    const arn = `${input.stateMachineArn!.replace(':stateMachine:', ':execution:')}:${input.name}`;
    const existing = executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input.input) return { executionArn: arn, startDate: existing.startDate };
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${arn}'`, $metadata: { httpStatusCode: 400 } });
    }
    const execution: FakeExecution = { arn, input: input.input ?? '{}', status: 'RUNNING', startDate: new Date('2026-12-07T09:00:00Z') };
    executions.set(arn, execution);
    created += 1;
    return { executionArn: arn, startDate: execution.startDate };
  });
  sfnMock.on(DescribeExecutionCommand).callsFake(({ executionArn }: { executionArn: string }) => {
    const execution = executions.get(executionArn)!;
    return { executionArn, name: executionArn.split(':').at(-1), status: execution.status, input: execution.input, startDate: execution.startDate };
  });
}

beforeEach(() => {
  sfnMock.reset();
  fakeStepFunctions();
});

describe('fleetflow start', () => {
  it('run twice, starts one execution and names the same one both times', async () => {
    // Act
    const first = await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3']);
    const second = await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3']);

    // Assess
    expect(created).toBe(1);
    expect(first.exitCode).toBe(0);
    expect(second.exitCode).toBe(0);
    const arn = [...executions.keys()][0]!;
    expect(first.out).toEqual([`started ${arn}`]);
    expect(second.out).toEqual([`started ${arn}`]);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: DEPLOY_MACHINE, input: '{"release":"1.2.3"}' });
  });

  it('run again after the first execution failed, reports that execution instead of starting another, and exits 1', async () => {
    // Prepare
    await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3']);
    const first = [...executions.values()][0]!;
    first.status = 'FAILED';

    // Act
    const again = await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3']);

    // Assess
    expect(created).toBe(1);
    expect(again.exitCode).toBe(1);
    expect(again.out[0]).toBe(`already started by an earlier identical start, FAILED: ${first.arn}`);
  });

  it('run again after the first execution succeeded, says nothing was started and how to run it again', async () => {
    await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3']);
    const first = [...executions.values()][0]!;
    first.status = 'SUCCEEDED';

    const again = await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3']);

    expect(created).toBe(1);
    expect(again.exitCode).toBe(0);
    expect(again.out).toEqual([`nothing started: an earlier identical start already ran and SUCCEEDED (${first.arn}); to run it again, give a new --run-id`]);
  });

  it('refuses a run id already used for another input, exit 2, naming the execution', async () => {
    // Prepare
    await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3', '--run-id', 'pipeline-42']);

    // Act
    const other = await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.4', '--run-id', 'pipeline-42']);

    // Assess
    expect(created).toBe(1);
    expect(other.thrown).toBeInstanceOf(InvalidInputError);
    expect(other.thrown!.message).toContain('execution name pipeline-42 was already used for another input');
  });

  it('a new run id starts a new execution of the same release', async () => {
    // Act
    await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3', '--run-id', 'pipeline-42']);
    await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3', '--run-id', 'pipeline-43']);

    // Assess
    expect(created).toBe(2);
    expect([...executions.keys()].map((arn) => arn.split(':').at(-1))).toEqual(['pipeline-42', 'pipeline-43']);
  });

  it('names the execution from the input alone: the same fields in another order, the same name; another release, another', () => {
    // Act
    const a = executionName('scale-out', { tier: 'web', add: 2 });
    const b = executionName('scale-out', { add: 2, tier: 'web' });
    const c = executionName('scale-out', { tier: 'web', add: 3 });
    const d = executionName('deploy', { release: '1.2.3+build.7' });

    // Assess
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    // Step Functions' rules: 1-80 characters, and only 0-9 A-Z a-z - _ for CloudWatch Logs.
    for (const name of [a, c, d, executionName('deploy', { release: 'r'.repeat(64) })]) expect(name).toMatch(EXECUTION_NAME);
    expect(d.startsWith('1_2_3_build_7-')).toBe(true);
  });

  it('starts a workflow with its --input, checked as its planner checks it', async () => {
    // Act
    const run = await runAws(['start', 'scale-out', '--env', 'canonical', '--input', '{"tier":"web","add":2}']);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: DEPLOY_MACHINE.replace('-deploy', '-scale-out'),
      input: '{"add":2,"tier":"web"}',
    });
  });

  it('starts a scale-in on fleetflow-<env>-scale-in, with its --input', async () => {
    // Act
    const run = await runAws(['start', 'scale-in', '--env', 'canonical', '--input', '{"tier":"web","remove":2,"runId":"shrink-1"}']);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: DEPLOY_MACHINE.replace('-deploy', '-scale-in'),
      input: '{"remove":2,"runId":"shrink-1","tier":"web"}',
    });
  });

  it.each([
    { args: ['start', 'ship', '--env', 'canonical'], message: 'workflow must be one of deploy, allocate, scale-out, scale-in, replace, restore-data, recover' },
    { args: ['start', 'deploy', '--env', 'Canonical', '--release', '1'], message: '--env must be an environment name' },
    { args: ['start', 'deploy', '--env', 'canonical', '--release', ''], message: 'deploy input: release must be 1-64' },
    { args: ['start', 'deploy', '--env', 'canonical'], message: 'deploy input: release must be 1-64' },
    { args: ['start', 'scale-out', '--env', 'canonical', '--input', '{"tier":"web"}'], message: 'scale-out input' },
    { args: ['start', 'scale-out', '--env', 'canonical', '--release', '1.0'], message: '--release is not an input of scale-out' },
    { args: ['start', 'scale-in', '--env', 'canonical', '--input', '{"tier":"web","remove":0}'], message: 'scale-in input: scale-in input: remove' },
    { args: ['start', 'deploy', '--env', 'canonical', '--release', '1', '--run-id', 'has space'], message: '--run-id must be 1-80 letters' },
    { args: ['start', 'deploy', '--env', 'canonical', '--release', '1', '--run-id', 'x'.repeat(81)], message: '--run-id must be 1-80 letters' },
    { args: ['start', 'deploy', '--env', 'canonical', '--input', '[1]'], message: '--input must be a JSON object' },
    { args: ['start', 'deploy', '--env', 'canonical', '--release', '1', '--state-machine-arn', 'fleetflow-canonical-deploy'], message: '--state-machine-arn must be' },
  ])('refuses $args.1 $args.3 … before any call: $message', async ({ args, message }) => {
    // Act
    const run = await runAws(args);

    // Assess
    expect(run.thrown).toBeInstanceOf(InvalidInputError);
    expect(run.thrown!.message).toContain(message);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('uses the given --state-machine-arn', async () => {
    // Prepare
    const machine = 'arn:aws:states:us-east-2:210987654321:stateMachine:platform-release';

    // Act
    const run = await runAws(['start', 'deploy', '--env', 'canonical', '--release', '2.0.0', '--state-machine-arn', machine]);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: machine });
  });
});
