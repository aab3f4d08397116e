/**
 * Failures of an invocation that say nothing about the request: asking again may succeed.
 * The state machines retry an idempotent task on these names (statemachines/constructs/lambda-task.ts):
 * TRANSIENT_ERRORS always, and the AWS SDK's transient names only for the services its handler
 * calls (statemachines/constructs/handler-services.ts), beside the throttling names of
 * ./throttling.ts and Lambda's own service errors. Never on FleetFlow's own errors, which are
 * answers, not accidents (a test keeps the lists apart).
 */
import type { AwsService } from './throttling';

/** What every idempotent Lambda task retries, whatever its handler calls. */
export const TRANSIENT_ERRORS: readonly string[] = [
  // The invocation did not answer or did not finish. States.Timeout: the task's TimeoutSeconds
  // passed (Step Functions Developer Guide, "Error names"). Lambda.Unknown: "Unhandled errors in
  // Lambda are reported as Lambda.Unknown ... These include out-of-memory errors and function
  // timeouts" ("Handle Lambda service exceptions"). Sandbox.Timedout and Runtime.ExitError: the
  // errorType Lambda gives a function that ran out of time or whose runtime process exited
  // (Lambda Developer Guide, "Troubleshoot invocation issues").
  'States.Timeout',
  'Lambda.Unknown',
  'Sandbox.Timedout',
  'Runtime.ExitError',
  // A one-off exception of the Node.js runtime: the names of its built-in errors (a plain Error
  // is also what the SDK throws for a reset connection, ECONNRESET in its `code`).
  'Error',
  'TypeError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
];

/**
 * What the AWS SDK for JavaScript v3 retries itself as transient, whatever the service, and throws
 * once its attempts are spent (@smithy/core service-error-classification: `TRANSIENT_ERROR_CODES =
 * ["TimeoutError", "RequestTimeout", "RequestTimeoutException"]`): a task whose handler calls any
 * AWS service retries them.
 */
export const SDK_TRANSIENT_ERRORS: readonly string[] = ['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'];

/**
 * Each service's 5xx names (the SDK retries the 500, 502, 503 and 504 statuses, TRANSIENT_ERROR_STATUS_CODES,
 * then throws the error by the code of the response).
 * - EC2: "InternalError: An internal error has occurred" and "Unavailable: The server is overloaded
 *   and can't handle the request" (Amazon EC2 API Reference, "Error codes": server error codes).
 * - ELBv2, RDS, CloudWatch, SSM, DynamoDB: "InternalFailure: The request processing has failed because
 *   of an unknown error, exception or failure. HTTP Status Code: 500" and "ServiceUnavailable: The
 *   request has failed due to a temporary failure of the server. HTTP Status Code: 503" (each API
 *   reference's "Common Errors"); SSM's and DynamoDB's modeled `InternalServerError` and CloudWatch's
 *   `InternalServiceFault` (@aws-sdk/client-ssm, client-dynamodb, client-cloudwatch errors.d.ts).
 */
export const TRANSIENT_ERRORS_BY_SERVICE: Readonly<Record<AwsService, readonly string[]>> = {
  // client-acm and client-route-53 model no 5xx exception: the SDK's generic names for a 5xx.
  acm: ['InternalFailure', 'ServiceUnavailable'],
  route53: ['InternalFailure', 'ServiceUnavailable'],
  cloudwatch: ['InternalFailure', 'ServiceUnavailable', 'InternalServiceFault'],
  dynamodb: ['InternalFailure', 'ServiceUnavailable', 'InternalServerError'],
  ec2: ['InternalError', 'Unavailable'],
  elbv2: ['InternalFailure', 'ServiceUnavailable'],
  // EventBridge's common errors, as ELB's; caught by the batch events, and already listed for every task that puts them.
  events: ['InternalFailure', 'ServiceUnavailable'],
  rds: ['InternalFailure', 'ServiceUnavailable'],
  // Secrets Manager's Common Errors: "InternalFailure: The request processing has failed because of an unknown error,
  // exception or failure", "InternalServiceError: An error occurred on the server side" (its modeled exception).
  secretsmanager: ['InternalFailure', 'ServiceUnavailable', 'InternalServiceError'],
  ssm: ['InternalFailure', 'ServiceUnavailable', 'InternalServerError'],
};
