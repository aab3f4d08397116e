/**
 * AWS's answer "too many requests, slow down", by error name and by the SDK's own
 * classification, for each AWS service FleetFlow's handlers call. A Lambda task's throttling
 * retrier lists the names of the services its handler calls and no others
 * (statemachines/constructs/lambda-task.ts, statemachines/constructs/handler-services.ts).
 */

/**
 * The AWS services FleetFlow's handlers call: one SDK client each, created in
 * lambdas/shared/aws/<service>.ts (test/unit/handler-services.test.ts holds this list to those modules).
 */
export const AWS_SERVICES = ['acm', 'cloudwatch', 'dynamodb', 'ec2', 'elbv2', 'events', 'rds', 'route53', 'secretsmanager', 'ssm'] as const;
export type AwsService = (typeof AWS_SERVICES)[number];

/**
 * The names each service's throttling reaches a handler as. The SDK for JavaScript v3 names a
 * service error after the code in the response (its modeled exceptions' `name`, e.g.
 * @aws-sdk/client-ssm's and client-dynamodb's errors.d.ts: `readonly name: "ThrottlingException"`),
 * and once its own retries are spent throws it, which fails the invocation with that errorType.
 * - EC2: "RequestLimitExceeded: The maximum request rate permitted by the Amazon EC2 APIs has been
 *   exceeded for your account" (Amazon EC2 API Reference, "Error codes": common client errors).
 * - ELBv2, CloudWatch, RDS (query APIs): `Throttling`, the code they return (the simulator's, and the
 *   SDK's THROTTLING_ERROR_CODES), and `ThrottlingException`, which their API references list under
 *   "Common Errors" ("ThrottlingException: The request was denied due to request throttling") and
 *   the RDS guide quotes ("An error occurred (ThrottlingException) when calling the API_name
 *   operation: Rate exceeded", Amazon RDS User Guide, "Request throttling for the Amazon RDS API").
 * - SSM: `ThrottlingException` (modeled, @aws-sdk/client-ssm).
 * - DynamoDB: `ThrottlingException`, `RequestLimitExceeded` and `ProvisionedThroughputExceededException`
 *   (all three modeled, @aws-sdk/client-dynamodb): "ProvisionedThroughputExceededException: The
 *   request was denied due to request throttling ... Reduce the frequency of requests and use
 *   exponential backoff" (DynamoDB API Reference).
 */
export const THROTTLING_ERRORS_BY_SERVICE: Readonly<Record<AwsService, readonly string[]>> = {
  // ACM: the modeled ThrottlingException of @aws-sdk/client-acm (errors.d.ts), the code the simulator raises for it.
  acm: ['ThrottlingException'],
  // Route 53: "Throttling" (Rate exceeded, HTTP 400), the modeled ThrottlingException, and PriorRequestNotComplete,
  // "If Route 53 returns this error repeatedly for the same request, we recommend that you wait, in intervals of increasing duration, before you try the request again."
  route53: ['Throttling', 'ThrottlingException', 'PriorRequestNotComplete'],
  cloudwatch: ['Throttling', 'ThrottlingException'],
  dynamodb: ['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded'],
  ec2: ['RequestLimitExceeded'],
  elbv2: ['Throttling', 'ThrottlingException'],
  // EventBridge: "ThrottlingException: The request was denied due to request throttling" (PutEvents' common
  // errors). The batch events never fail a task (../shared/batch-events.ts catches them); every task that puts
  // them also calls SSM or ELB, whose lists hold this name already, so listing it adds no retrier byte.
  events: ['ThrottlingException'],
  rds: ['Throttling', 'ThrottlingException'],
  // Secrets Manager (JSON protocol, as SSM): its throttling reaches the SDK as ThrottlingException, the code the
  // simulator raises for it; Create Database's one GetSecretValue is covered by the task's retrier.
  secretsmanager: ['ThrottlingException'],
  ssm: ['ThrottlingException'],
};

/** Every throttling name a handler may see: the services' names, and Lambda's TooManyRequestsException. */
export const THROTTLING_ERRORS: readonly string[] = [...new Set([...Object.values(THROTTLING_ERRORS_BY_SERVICE).flat(), 'TooManyRequestsException'])];
const THROTTLING_NAMES: ReadonlySet<string> = new Set(THROTTLING_ERRORS);

/** An AWS SDK error that is throttling (its name, or the SDK's `$retryable.throttling`). */
export function isThrottling(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return THROTTLING_NAMES.has(err.name) || (err as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true;
}
