/**
 * `fleetflow history` (every workflow's latest executions, newest first, with the release
 * from each input) and `fleetflow rollback` (a release of the recorded previous release,
 * read from Parameter Store, read-only, started once however often it is retried).
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  type ListExecutionsCommandInput,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { ACCOUNT, DEPLOY_MACHINE, REGION, runAws } from './harness';

const sfnMock = mockClient(SFNClient);
const ssmMock = mockClient(SSMClient);

const machine = (workflow: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:fleetflow-canonical-${workflow}`;
const execution = (workflow: string, name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:fleetflow-canonical-${workflow}:${name}`;

beforeEach(() => {
  sfnMock.reset();
  ssmMock.reset();
});

describe('fleetflow history', () => {
  beforeEach(() => {
    const listed: Record<string, Array<{ name: string; status: string; start: string; stop?: string }>> = {
      deploy: [
        { name: 'd2', status: 'RUNNING', start: '2026-12-07T09:50:00.250Z' },
        { name: 'd1', status: 'FAILED', start: '2026-12-06T10:00:00Z', stop: '2026-12-06T10:42:05Z' },
      ],
      allocate: [{ name: 'a1', status: 'SUCCEEDED', start: '2026-12-07T08:00:00Z', stop: '2026-12-07T08:20:00Z' }],
    };
    sfnMock.on(ListExecutionsCommand).callsFake((input: ListExecutionsCommandInput) => {
      const workflow = input.stateMachineArn!.split(':').at(-1)!.replace('fleetflow-canonical-', '');
      // This environment defines no restore: its state machines do not exist.
      if (workflow === 'restore-data' || workflow === 'recover') throw new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: {} });
      return {
        executions: (listed[workflow] ?? []).slice(0, input.maxResults).map((e) => ({
          executionArn: execution(workflow, e.name),
          stateMachineArn: input.stateMachineArn,
          name: e.name,
          status: e.status as 'RUNNING',
          startDate: new Date(e.start),
          ...(e.stop ? { stopDate: new Date(e.stop) } : {}),
        })),
      };
    });
    const inputs: Record<string, string> = { d2: '{"release":"1.3.0"}', d1: '{"release":"1.2.9"}', a1: '{"tiers":{"web":4}}' };
    sfnMock.on(DescribeExecutionCommand).callsFake(({ executionArn }: { executionArn: string }) => ({ executionArn, input: inputs[executionArn.split(':').at(-1)!] }));
  });

  it('lists every workflow\'s executions newest first, with status, release and duration, skipping workflows the environment lacks', async () => {
    // Act
    const run = await runAws(['history', '--env', 'canonical']);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.out).toEqual([
      'STARTED               WORKFLOW  STATUS     RELEASE  DURATION  EXECUTION',
      // Whole seconds: a start's milliseconds are left out.
      '2026-12-07T09:50:00Z  deploy    RUNNING    1.3.0    10m 00s   d2',
      '2026-12-07T08:00:00Z  allocate  SUCCEEDED  -        20m 00s   a1',
      '2026-12-06T10:00:00Z  deploy    FAILED     1.2.9    42m 05s   d1',
    ]);
    for (const workflow of ['deploy', 'allocate', 'scale-out', 'replace', 'restore-data', 'recover', 'replace-database']) {
      expect(sfnMock).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: machine(workflow), maxResults: 20 });
    }
  });

  it('keeps to --limit', async () => {
    // Act
    const run = await runAws(['history', '--env', 'canonical', '--limit', '1']);

    // Assess
    expect(run.out).toHaveLength(2);
    expect(run.out[1]).toContain('d2');
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 1);
  });

  it.each(['0', '101', '1e2', '-3', 'ten'])('refuses --limit %s before any call', async (limit) => {
    // Act
    const run = await runAws(['history', '--env', 'canonical', '--limit', limit]);

    // Assess
    expect(run.thrown).toBeInstanceOf(InvalidInputError);
    expect(run.thrown!.message).toContain('--limit must be a whole number from 1 to 100');
    expect(sfnMock.calls()).toHaveLength(0);
  });
});

describe('fleetflow rollback', () => {
  const parameters: Record<string, string> = { '/fleetflow/canonical/application/current': '1.3.0', '/fleetflow/canonical/application/previous': '1.2.9' };
  let started: Map<string, string>;

  beforeEach(() => {
    ssmMock.on(GetParameterCommand).callsFake(({ Name }: { Name: string }) => {
      if (!(Name in parameters)) throw new ParameterNotFound({ message: 'not found', $metadata: {} });
      return { Parameter: { Name, Value: parameters[Name] } };
    });
    started = new Map();
    sfnMock.on(StartExecutionCommand).callsFake(({ stateMachineArn, name, input }: { stateMachineArn: string; name: string; input: string }) => {
      const arn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      // Open with the same input: Step Functions answers as it did the first time.
      if (started.has(arn) && started.get(arn) !== input) throw new Error('the fake saw one name with two inputs');
      started.set(arn, input);
      return { executionArn: arn, startDate: new Date() };
    });
  });

  it('starts a release of the previous release, once however often it is run, reading the record only', async () => {
    // Act
    const first = await runAws(['rollback', '--env', 'canonical']);
    const again = await runAws(['rollback', '--env', 'canonical']);

    // Assess
    expect(first.exitCode).toBe(0);
    expect(first.out[0]).toBe('rolling canonical back from 1.3.0 to 1.2.9');
    expect(started.size).toBe(1);
    const [arn, input] = [...started.entries()][0]!;
    expect(input).toBe('{"release":"1.2.9"}');
    expect(arn.startsWith(`${DEPLOY_MACHINE.replace(':stateMachine:', ':execution:')}:rollback-`)).toBe(true);
    expect(again.out).toEqual(first.out);
    expect(ssmMock).not.toHaveReceivedCommand(PutParameterCommand);
  });

  it('is not mistaken for the earlier release of the same version: its name is not a start\'s', async () => {
    // Act
    await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.9']);
    await runAws(['rollback', '--env', 'canonical']);

    // Assess
    expect(started.size).toBe(2);
  });

  it('refuses, exit 2, when no previous release is recorded', async () => {
    // Act
    const run = await runAws(['rollback', '--env', 'canonical', '--component', 'monitoring']);

    // Assess
    expect(run.thrown).toBeInstanceOf(InvalidInputError);
    expect(run.thrown!.message).toBe('canonical has no previous monitoring release recorded (/fleetflow/canonical/monitoring/previous): nothing to roll back to');
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
