/**
 * Access denied by IAM is one line and exit 3, as AWS names it (AccessDeniedException, from
 * Step Functions' JSON protocol), and an unexpected error is not turned into one.
 */
import { SendTaskSuccessCommand, SFNClient, SFNServiceException, StartExecutionCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { runAws } from './harness';

const sfnMock = mockClient(SFNClient);

beforeEach(() => sfnMock.reset());

describe('access denied', () => {
  it('prints one line naming the error and IAM\'s message, exit 3', async () => {
    // Prepare
    const message = 'User: arn:aws:sts::123456789012:assumed-role/ReadOnly/alice is not authorized to perform: states:StartExecution on resource: arn:aws:states:eu-west-1:123456789012:stateMachine:fleetflow-canonical-deploy';
    // The SDK names a service error by the protocol's error code; Step Functions has no modelled class for it.
    sfnMock.on(StartExecutionCommand).rejects(new SFNServiceException({ name: 'AccessDeniedException', $fault: 'client', message, $metadata: { httpStatusCode: 400 } }));

    // Act
    const run = await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3']);

    // Assess
    expect(run.exitCode).toBe(3);
    expect(run.err).toEqual([`fleetflow: access denied by AWS (AccessDeniedException): ${message}`]);
    expect(run.out).toEqual([]);
  });

  it.each([
    // Keys AWS does not know, or a signature that does not match: the person's credentials, exit 2.
    ['UnrecognizedClientException', 'The security token included in the request is invalid.', 2, /^fleetflow: no usable AWS credentials \(UnrecognizedClientException\): /],
    // Throttled past the SDK's retries: AWS could not do it now, exit 3.
    ['ThrottlingException', 'Rate exceeded', 3, /^fleetflow: AWS refused the call \(ThrottlingException\): Rate exceeded$/],
  ])('%s is one line, exit %i', async (name, message, code, line) => {
    sfnMock.on(StartExecutionCommand).rejects(new SFNServiceException({ name, $fault: 'client', message, $metadata: { httpStatusCode: 400 } }));

    const run = await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3']);

    expect(run.exitCode).toBe(code);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(line);
  });

  it('lets a bug be a bug: an error that is not AWS\'s is thrown on', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).rejects(new TypeError('cannot read properties of undefined'));

    // Act
    const run = await runAws(['start', 'deploy', '--env', 'canonical', '--release', '1.2.3']);

    // Assess
    expect(run.thrown).toBeInstanceOf(TypeError);
  });

  it('an expired or already answered token is bad input (exit 2), not an unreachable AWS', async () => {
    // Prepare
    sfnMock.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: { httpStatusCode: 400 } }));

    // Act
    const run = await runAws(['approve', '--token', 'AQCEAAAAKgAAAAMAAAAA', '--approver', 'alice']);

    // Assess
    expect(run.thrown).toBeInstanceOf(InvalidInputError);
    expect(run.thrown!.message).toBe('TaskTimedOut: Task Timed Out');
  });
});
