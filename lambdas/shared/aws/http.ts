/**
 * Timeouts of every FleetFlow SDK client. Without them a connection that hangs (a
 * half-open socket, a black-holed endpoint) holds a read-only check until the Lambda
 * timeout kills the task, which then counts as a task failure rather than an SDK error
 * the retry strategy could have retried.
 *
 * Budget: a FleetFlow function runs for at most 100 s (FUNCTION_TIMEOUT, lib/constructs/fleetflow-function.ts)
 * and the state machine gives each Lambda task 2 minutes. With the SDK's standard retry
 * strategy (3 attempts; 4 for DynamoDB; the backoff before a retry is under a second at
 * these attempt numbers), a call that hangs on every attempt gives up after about
 * 3 × 10 s = 30 s (DynamoDB about 41 s): inside the function timeout, so the failure
 * surfaces as the SDK's TimeoutError, which the task's retries see, instead of a
 * Lambda timeout. A healthy call to these APIs answers in well
 * under a second; the largest pages FleetFlow asks for (DescribeInstances 1,000 results)
 * in a few seconds.
 */
/** Establishing the TCP + TLS connection to a regional endpoint takes milliseconds; 3 s means it is not coming. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/** One attempt, from sending the request to receiving the response. */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The `requestHandler` option of a client, as constructor options (the SDK builds its
 * Node.js handler from them; region, credentials and endpoint stay the SDK defaults).
 * `throwOnRequestTimeout` is required: since @smithy/node-http-handler 4.4 a request
 * past `requestTimeout` only logs a warning unless it is set.
 */
export function requestHandlerOptions(): { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: boolean } {
  return { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true };
}
