/**
 * The one way a workflow calls a FleetFlow Lambda: payload in, result at a path, the
 * standard Lambda retry (Lambda service errors, as CDK's default lists them) and the AWS
 * throttling of the services its handler calls retried with full-jitter backoff, and a static
 * task timeout.
 */
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
// Throttling by name, per service: the handlers' own table (lambdas/shared/throttling.ts), so both sides agree.
import { THROTTLING_ERRORS_BY_SERVICE } from '../../lambdas/shared/throttling';
// A failed invocation worth asking again, by name: the handlers' shared module beside it.
import { SDK_TRANSIENT_ERRORS, TRANSIENT_ERRORS, TRANSIENT_ERRORS_BY_SERVICE } from '../../lambdas/shared/transient';
import { servicesOfFunction } from './handler-services';

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

/** Step Functions' name for an invocation Lambda throttled (the function's or the account's concurrency). */
export const LAMBDA_THROTTLING_ERROR = 'Lambda.TooManyRequestsException';

/** How long one invocation may take before Step Functions fails the task with States.Timeout. */
export const LAMBDA_TASK_TIMEOUT = Duration.minutes(2);

/** How much longer a task waits than its function may run, so that an overrun fails as Lambda reports it (Sandbox.Timedout). */
const TASK_TIMEOUT_MARGIN = Duration.seconds(20);

/**
 * A task's timeout: LAMBDA_TASK_TIMEOUT, or, for a function given a longer timeout of its own (the
 * planners that read every retired host's protection: RETIRE_GUARD_PLANNER_TIMEOUT), 20 s past it.
 */
export function taskTimeoutFor(fn: lambda.IFunction): Duration {
  const own = fn instanceof lambda.Function ? fn.timeout : undefined;
  return own && own.toSeconds() + TASK_TIMEOUT_MARGIN.toSeconds() > LAMBDA_TASK_TIMEOUT.toSeconds() ? own.plus(TASK_TIMEOUT_MARGIN) : LAMBDA_TASK_TIMEOUT;
}

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

/**
 * `resultPath` is where the result goes in the state; `undefined` makes the result the state, Step Functions' default
 * ("If you don't specify a ResultPath, the default behavior is as if you had specified "ResultPath": "$"": the state
 * input is replaced by the result; Step Functions Developer Guide, "Specifying state output using ResultPath"). It is
 * left out rather than written "$", which aws-local-stepfunctions would read as a field named "$".
 */
export function lambdaTask(
  scope: Construct,
  name: string,
  fn: lambda.IFunction,
  payload: Record<string, unknown>,
  resultPath: string | undefined,
  options: LambdaTaskOptions = {},
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: fn,
    payload: sfn.TaskInput.fromObject(payload),
    payloadResponseOnly: true,
    ...(resultPath !== undefined ? { resultPath } : {}),
    taskTimeout: sfn.Timeout.duration(taskTimeoutFor(fn)),
    retryOnServiceExceptions: false,
  });
  // Only the names this task can raise: those of the services its handler calls, read from its import
  // graph (./handler-services.ts). A name no call of the task can produce would only lengthen the template.
  const services = servicesOfFunction(fn);
  const throttling = new Set([LAMBDA_THROTTLING_ERROR, ...services.flatMap((s) => THROTTLING_ERRORS_BY_SERVICE[s])]);
  // Both retriers double their pause after each attempt, Step Functions' own default, so their
  // BackoffRate is left out of every Lambda task (4,752 bytes of the canonical template): "BackoffRate
  // (Optional) The multiplier by which the retry interval increases during each attempt (2.0 by
  // default)" (Step Functions Developer Guide, "Handling errors in Step Functions workflows").
  task.addRetry({
    errors: [...LAMBDA_SERVICE_ERRORS, ...throttling],
    interval: Duration.seconds(2),
    maxAttempts: options.restoring ? THROTTLE_ATTEMPTS.restoring : THROTTLE_ATTEMPTS.usual,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
  if (options.idempotent) {
    // A hung connection, a cold start past the timeout, a one-off exception: asked again, twice.
    // By name, not States.ALL: a States.ALL retrier would need FleetFlow's 33 names before it to stop them.
    const transient = new Set([...TRANSIENT_ERRORS, ...(services.length > 0 ? SDK_TRANSIENT_ERRORS : []), ...services.flatMap((s) => TRANSIENT_ERRORS_BY_SERVICE[s])]);
    task.addRetry({ errors: [...transient], interval: Duration.seconds(5), maxAttempts: 2 });
  }
  return task;
}
