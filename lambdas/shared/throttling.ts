/**
 * AWS's answer "too many requests, slow down", by error name and by the SDK's own
 * classification. The state machines retry the same names (statemachines/constructs/lambda-task.ts
 * imports this list): EC2 RequestLimitExceeded, ELB, CloudWatch and RDS
 * Throttling, SSM and DynamoDB ThrottlingException, Lambda TooManyRequestsException.
 */
export const THROTTLING_ERRORS: readonly string[] = ['ThrottlingException', 'Throttling', 'RequestLimitExceeded', 'TooManyRequestsException', 'Lambda.TooManyRequestsException'];
const THROTTLING_NAMES: ReadonlySet<string> = new Set(THROTTLING_ERRORS);

/** An AWS SDK error that is throttling (its name, or the SDK's `$retryable.throttling`). */
export function isThrottling(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return THROTTLING_NAMES.has(err.name) || (err as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true;
}
