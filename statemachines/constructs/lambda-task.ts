/**
 * The one way a workflow calls a FleetFlow Lambda: payload in, result at a path, the
 * standard Lambda retry (Lambda service errors, as CDK's default lists them) and AWS
 * throttling retried with full-jitter backoff, and a static task timeout.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
// Throttling by name: the handlers' own list (lambdas/shared/throttling.ts), so both sides agree.
import { THROTTLING_ERRORS } from '../../lambdas/shared/throttling';
// A failed invocation worth asking again, by name: the handlers' shared module beside it.
import { TRANSIENT_ERRORS } from '../../lambdas/shared/transient';

/**
 * The errors the Lambda service itself raises for a transient failure of an invocation
 * (AWS, "Handle transient Lambda service exceptions": retry them, from 2 s, backing off), the
 * same list CDK's LambdaInvoke retries by default. FleetFlow retries them with its throttling
 * retrier, one retrier for both (the same backoff, with full jitter), which keeps every
 * Lambda task of the template a retrier shorter.
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
];

/** How long one invocation may take before Step Functions fails the task with States.Timeout. */
export const LAMBDA_TASK_TIMEOUT = Duration.minutes(2);

export interface LambdaTaskOptions {
  /**
   * The task may run twice with the same effect (reads, tags, cancels, health checks, the
   * plans, the release record): a transient failure (a timed-out or crashed invocation,
   * Lambda.Unknown, a one-off exception of the runtime, an AWS 5xx the SDK gave up on; the
   * names of lambdas/shared/transient.ts) is retried before it fails the task, since running
   * it again changes nothing. FleetFlow's errors are answers, not accidents: they are never
   * retried (none of them is in that list).
   * @default false
   */
  readonly idempotent?: boolean;
  /**
   * The task puts hosts back where they were (a batch's rollback): it rides out throttling
   * for up to about a quarter of an hour instead of about two minutes, because giving up
   * leaves hosts out of traffic or on the wrong release.
   * @default false
   */
  readonly restoring?: boolean;
}

/** Throttling retries: about two minutes of full-jitter backoff, or about fifteen when restoring. */
const THROTTLE_ATTEMPTS = { usual: 6, restoring: 20 };

export function lambdaTask(
  scope: Construct,
  name: string,
  fn: lambda.IFunction,
  payload: Record<string, unknown>,
  resultPath: string,
  options: LambdaTaskOptions = {},
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject(payload),
    payloadResponseOnly: true,
    resultPath,
    taskTimeout: sfn.Timeout.duration(LAMBDA_TASK_TIMEOUT),
    retryOnServiceExceptions: false,
  });
  // Both retriers double their pause after each attempt, Step Functions' own default, so their
  // BackoffRate is left out of every Lambda task (4,752 bytes of the canonical template): "BackoffRate
  // (Optional) The multiplier by which the retry interval increases during each attempt (2.0 by
  // default)" (Step Functions Developer Guide, "Handling errors in Step Functions workflows").
  task.addRetry({
    errors: [...LAMBDA_SERVICE_ERRORS, ...THROTTLING_ERRORS],
    interval: Duration.seconds(2),
    maxAttempts: options.restoring ? THROTTLE_ATTEMPTS.restoring : THROTTLE_ATTEMPTS.usual,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  if (options.idempotent) {
    // A hung connection, a cold start past the timeout, a one-off exception: asked again, twice.
    // By name, not States.ALL: a States.ALL retrier would need FleetFlow's 33 names before it to stop them.
    task.addRetry({ errors: [...TRANSIENT_ERRORS], interval: Duration.seconds(5), maxAttempts: 2 });
  }
  return task;
}
