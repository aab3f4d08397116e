/**
 * Failures of an invocation that say nothing about the request: asking again may succeed.
 * The state machines retry an idempotent task on these names (statemachines/constructs/lambda-task.ts),
 * beside the throttling names of ./throttling.ts and Lambda's own service errors, and never
 * on FleetFlow's own errors, which are answers, not accidents (a test keeps the lists apart).
 */
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
  // What the AWS SDK for JavaScript v3 retries itself as transient and throws once its attempts
  // are spent (@smithy/core service-error-classification: TRANSIENT_ERROR_CODES, and the 500,
  // 502, 503 and 504 statuses): the timeouts by name, and the 5xx names of the services FleetFlow
  // calls (EC2 InternalError and Unavailable, the query APIs' InternalFailure and
  // ServiceUnavailable, DynamoDB's and SSM's InternalServerError).
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
];
