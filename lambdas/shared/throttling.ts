/**
 * AWS's answer "too many requests, slow down", by error name and by the SDK's own
 * classification. The names are the ones the state machines retry (statemachines/fragments/
 * lambda-task.ts `THROTTLING_ERRORS`): EC2 RequestLimitExceeded, ELB, CloudWatch and RDS
 * Throttling, SSM and DynamoDB ThrottlingException, Lambda TooManyRequestsException.
 */
const THROTTLING_NAMES: ReadonlySet<string> = new Set(['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'TooManyRequestsException', 'Lambda.TooManyRequestsException']);

/** An AWS SDK error that is throttling (its name, or the SDK's `$retryable.throttling`). */
export function isThrottling(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return THROTTLING_NAMES.has(err.name) || (err as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true;
}
