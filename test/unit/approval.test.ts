import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { approve, reject, validateToken } from '../../lib/cli/approval';

const sfnMock = mockClient(SFNClient);

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAcOk0xJ2lAx1aJcu6sq8Rl0xRkAIXNg0example';

beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  sfnMock.on(SendTaskFailureCommand).resolves({});
});

describe('approve', () => {
  it('answers the task token with success, naming the approver', async () => {
    // Act
    await approve(TOKEN, 'alice');

    // Assess
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskSuccessCommand, { taskToken: TOKEN });
    const output = sfnMock.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output ?? '';
    expect(JSON.parse(output)).toEqual({ approvedBy: 'alice' });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskFailureCommand);
  });

  it('fails with the Step Functions error when the token has expired', async () => {
    // Prepare
    const error = new TaskTimedOut({ message: 'Task Timed Out', $metadata: { httpStatusCode: 400 } });
    sfnMock.on(SendTaskSuccessCommand).rejects(error);

    // Act
    const act = approve(TOKEN, 'alice');

    // Assess
    await expect(act).rejects.toBe(error);
  });
});

describe('reject', () => {
  it('answers the task token with ApprovalRejectedError and a cause naming the approver and reason', async () => {
    // Act
    await reject(TOKEN, 'bob', 'checkout conversion dropped');

    // Assess
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, {
      taskToken: TOKEN,
      error: 'ApprovalRejectedError',
      cause: 'rejected by bob: checkout conversion dropped',
    });
    expect(sfnMock).not.toHaveReceivedCommand(SendTaskSuccessCommand);
  });

  it('keeps the cause within the 32,768 characters SendTaskFailure accepts', async () => {
    // Act
    await reject(TOKEN, 'bob', 'x'.repeat(40_000));

    // Assess
    const cause = sfnMock.commandCalls(SendTaskFailureCommand)[0]!.args[0].input.cause ?? '';
    expect(cause).toHaveLength(32_768);
    expect(cause.startsWith('rejected by bob: ')).toBe(true);
  });
});

describe('validateToken', () => {
  it.each([
    { label: 'missing', token: undefined },
    { label: 'empty', token: '' },
    { label: 'longer than 2,048 characters', token: 't'.repeat(2049) },
  ])('rejects a token that is $label', ({ token }) => {
    // Act
    const act = () => validateToken(token);

    // Assess
    expect(act).toThrow(TypeError);
    expect(act).toThrow('--token is required: the task token from the approval notification (1-2048 characters)');
  });

  it.each([1, 2048])('accepts a token of %i characters', (length) => {
    // Prepare
    const token = 't'.repeat(length);

    // Act
    const validated = validateToken(token);

    // Assess
    expect(validated).toBe(token);
  });
});
