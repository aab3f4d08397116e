/**
 * `approve|reject --execution ARN`: the pending Request Approval's task token is read from the
 * execution's history (TaskScheduled's parameters, where Step Functions records it), answered,
 * and never printed; the approver is the caller's identity unless named; `--token` still works.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { ACCOUNT, CALLER_ARN, REGION, runAws } from './harness';

const sfnMock = mockClient(SFNClient);

const EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:fleetflow-canonical-deploy:1_2_3-abc`;
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAcOk0xJ2lAx1aJcu6sq8Rl0xRkAIXNg0example';

/** Request Approval as the deploy workflow defines it: SNS publish, waiting for the token, the message an object. */
function requestApproval(id: number): HistoryEvent {
  return {
    id,
    timestamp: new Date(),
    type: 'TaskScheduled',
    taskScheduledEventDetails: {
      resourceType: 'sns',
      resource: 'publish.waitForTaskToken',
      region: REGION,
      parameters: JSON.stringify({
        TopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:notifications`,
        Subject: 'FleetFlow: approve a release of canonical?',
        Message: { summary: 'Release 1.2.3 of canonical passed its bake and waits for approval.', token: TOKEN, execution: EXECUTION },
      }),
    },
  };
}

/** The history newest first, as reverseOrder asks, in one page. */
function history(events: HistoryEvent[], status = 'RUNNING'): void {
  sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, name: '1_2_3-abc', status: status as 'RUNNING' });
  sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [...events].reverse() });
}

const waiting: HistoryEvent[] = [
  { id: 40, timestamp: new Date(), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Request Approval' } },
  requestApproval(41),
  { id: 42, timestamp: new Date(), type: 'TaskStarted', taskStartedEventDetails: { resourceType: 'sns', resource: 'publish.waitForTaskToken' } },
  { id: 43, timestamp: new Date(), type: 'TaskSubmitted', taskSubmittedEventDetails: { resourceType: 'sns', resource: 'publish.waitForTaskToken', output: '{"MessageId":"m"}' } },
];

beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  sfnMock.on(SendTaskFailureCommand).resolves({});
});

describe('approve --execution', () => {
  it('answers the pending approval with its token, as the caller, without printing the token', async () => {
    // Prepare
    history(waiting);

    // Act
    const run = await runAws(['approve', '--execution', EXECUTION]);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, { taskToken: TOKEN, output: JSON.stringify({ approvedBy: CALLER_ARN }) });
    expect(sfnMock).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: EXECUTION, reverseOrder: true, includeExecutionData: true });
    expect(run.out).toEqual([`approved by ${CALLER_ARN}: ${EXECUTION}`]);
    expect([...run.out, ...run.err].join('\n')).not.toContain(TOKEN);
  });

  it('reads a message given as JSON text too, and names the approver given', async () => {
    // Prepare
    const event = requestApproval(41);
    const params = JSON.parse(event.taskScheduledEventDetails!.parameters!) as { Message: unknown };
    event.taskScheduledEventDetails!.parameters = JSON.stringify({ ...params, Message: JSON.stringify(params.Message) });
    history([event]);

    // Act
    const run = await runAws(['approve', '--execution', EXECUTION, '--approver', 'release-manager']);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(sfnMock).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: TOKEN, output: '{"approvedBy":"release-manager"}' });
  });

  it('reject --execution fails the task with ApprovalRejectedError, the caller and the reason', async () => {
    // Prepare
    history(waiting);

    // Act
    const run = await runAws(['reject', '--execution', EXECUTION, '--reason', 'checkout conversion dropped']);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, {
      taskToken: TOKEN,
      error: 'ApprovalRejectedError',
      cause: `rejected by ${CALLER_ARN}: checkout conversion dropped`,
    });
  });

  it('retried after the approval was answered, reports it (exit 0) and sends nothing', async () => {
    // Prepare: Request Approval closed by SendTaskSuccess, then the release went on.
    history([
      ...waiting,
      { id: 44, timestamp: new Date(), type: 'TaskSucceeded', taskSucceededEventDetails: { resourceType: 'sns', resource: 'publish.waitForTaskToken', output: '{"approvedBy":"arn:aws:sts::123456789012:assumed-role/Releasers/bob"}' } },
      { id: 45, timestamp: new Date(), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Confirm Alarms' } },
      { id: 46, timestamp: new Date(), type: 'TaskScheduled', taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke', region: REGION, parameters: '{}' } },
      { id: 47, timestamp: new Date(), type: 'TaskSucceeded', taskSucceededEventDetails: { resourceType: 'lambda', resource: 'invoke', output: '{}' } },
    ]);

    // Act
    const approved = await runAws(['approve', '--execution', EXECUTION]);
    const rejected = await runAws(['reject', '--execution', EXECUTION]);

    // Assess
    expect(approved.exitCode).toBe(0);
    expect(approved.out).toEqual([`already approved by arn:aws:sts::123456789012:assumed-role/Releasers/bob: ${EXECUTION}`]);
    expect(rejected.thrown).toBeInstanceOf(InvalidInputError);
    expect(rejected.thrown!.message).toBe('1_2_3-abc (RUNNING): its approval was already approved by arn:aws:sts::123456789012:assumed-role/Releasers/bob; it cannot be rejected now');
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  it('reports a rejection retried, naming who rejected', async () => {
    // Prepare
    history([
      ...waiting,
      { id: 44, timestamp: new Date(), type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'sns', resource: 'publish.waitForTaskToken', error: 'ApprovalRejectedError', cause: 'rejected by carol: too risky' } },
    ], 'FAILED');

    // Act
    const run = await runAws(['reject', '--execution', EXECUTION]);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.out).toEqual([`already rejected by carol: ${EXECUTION}`]);
  });

  it('finds a rejection however far back a long revert pushed it, reading the history page by page', async () => {
    // Prepare: the rejection, then 2,500 events of the revert after it; pages of the size asked for, newest first.
    const after: HistoryEvent[] = Array.from({ length: 2_500 }, (_, i) => ({ id: 45 + i, timestamp: new Date(), type: 'PassStateEntered' }));
    const newestFirst = [
      ...waiting,
      { id: 44, timestamp: new Date(), type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'sns', resource: 'publish.waitForTaskToken', error: 'ApprovalRejectedError', cause: 'rejected by carol: too risky' } },
      ...after,
    ].reverse() as HistoryEvent[];
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, name: '1_2_3-abc', status: 'FAILED' });
    sfnMock.on(GetExecutionHistoryCommand).callsFake((input: { maxResults?: number; nextToken?: string }) => {
      const from = Number(input.nextToken ?? 0);
      const to = from + (input.maxResults ?? 1_000);
      return { events: newestFirst.slice(from, to), ...(to < newestFirst.length ? { nextToken: String(to) } : {}) };
    });

    // Act
    const run = await runAws(['reject', '--execution', EXECUTION]);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(run.out).toEqual([`already rejected by carol: ${EXECUTION}`]);
    expect(sfnMock.commandCalls(GetExecutionHistoryCommand).length).toBeGreaterThan(10);
  });

  it('refuses an execution that never asked for an approval', async () => {
    // Prepare
    history([{ id: 1, timestamp: new Date(), type: 'ExecutionStarted' }, { id: 2, timestamp: new Date(), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Plan Release' } }]);

    // Act
    const run = await runAws(['approve', '--execution', EXECUTION]);

    // Assess
    expect(run.thrown!.message).toBe('1_2_3-abc (RUNNING) has no approval in its 2 history events: nothing to answer');
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('refuses an execution that is no longer running', async () => {
    // Prepare
    history(waiting, 'SUCCEEDED');

    // Act
    const run = await runAws(['reject', '--execution', EXECUTION]);

    // Assess
    expect(run.thrown!.message).toBe('1_2_3-abc is SUCCEEDED: no approval is pending');
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });
});

describe('approve --token', () => {
  it('keeps working, and the approver is the caller unless named', async () => {
    // Act
    const run = await runAws(['approve', '--token', TOKEN]);

    // Assess
    expect(run.exitCode).toBe(0);
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, { taskToken: TOKEN, output: JSON.stringify({ approvedBy: CALLER_ARN }) });
    expect(run.out.join('\n')).not.toContain(TOKEN);
  });

  it.each([
    { args: ['approve'], message: 'give --execution ARN (the waiting execution) or --token TOKEN, one of them' },
    { args: ['approve', '--token', TOKEN, '--execution', EXECUTION], message: 'give --execution ARN (the waiting execution) or --token TOKEN, one of them' },
    { args: ['approve', '--token', 't'.repeat(2049)], message: '--token is required' },
    { args: ['approve', '--execution', 'arn:aws:states:eu-west-1:123:execution:x:y'], message: '--execution must be an execution ARN' },
    { args: ['approve', '--token', TOKEN, '--approver', ''], message: '--approver must be 1-256 characters' },
    { args: ['reject', '--token', TOKEN, '--reason', 'x'.repeat(1001)], message: '--reason must be 1-1000 characters' },
  ])('refuses $args.1 … before any call', async ({ args, message }) => {
    // Act
    const run = await runAws(args);

    // Assess
    expect(run.thrown).toBeInstanceOf(InvalidInputError);
    expect(run.thrown!.message).toContain(message);
    expect(sfnMock.calls()).toHaveLength(0);
  });
});
