/**
 * Lambda's side of an invocation, as Step Functions sees it: a function that runs past its
 * configured timeout is stopped, and the task fails as Lambda reports it.
 *
 * - Lambda: "Timeout is the maximum amount of time in seconds that a Lambda function can run"
 *   (Configure Lambda function timeout, https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
 * - The Invoke response of a timed-out function is a function error whose payload names the
 *   error type `Sandbox.Timedout` and says "Task timed out after N.NN seconds", without a trace:
 *   `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: <id> Error: Task timed out after 3.00 seconds"}`
 *   (Lambda's troubleshooting guide, "Lambda: Function times out during Init phase (Sandbox.Timedout)",
 *   https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html#troubleshooting-timeouts).
 *   Step Functions' Lambda integration fails the task with Error = the payload's errorType and
 *   Cause = the payload, as for any function error.
 * - The execution environment is stopped at the timeout: nothing the handler still had in
 *   flight reaches AWS afterwards. In process, the handler's promise cannot be killed; instead
 *   every SDK call made from a timed-out invocation is left unanswered (`isStopped`, read by the
 *   simulator's middleware), so its work has no effect on the account.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Lambda's error type for an invocation that ran past its function's timeout. */
export const LAMBDA_TIMEOUT_ERROR = 'Sandbox.Timedout';

interface Invocation {
  stopped: boolean;
}

const current = new AsyncLocalStorage<Invocation>();

/** True inside an invocation that Lambda has stopped at its timeout: its calls go nowhere. */
export function isStopped(): boolean {
  return current.getStore()?.stopped === true;
}

/** What the Node.js runtime sends for an error the handler threw: `{errorType, errorMessage, trace}`, the trace the stack line by line. */
export function runtimeError(err: unknown): Error {
  const error = err instanceof Error ? err : new Error(String(err));
  const trace = typeof error.stack === 'string' ? error.stack.split('\n') : [];
  return functionError(error.name, JSON.stringify({ errorType: error.name, errorMessage: error.message, trace }));
}

/** What Lambda sends for an invocation stopped at the function's timeout. */
export function timeoutError(requestId: string, timeoutSeconds: number): Error {
  const payload = { errorType: LAMBDA_TIMEOUT_ERROR, errorMessage: `RequestId: ${requestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds` };
  return functionError(LAMBDA_TIMEOUT_ERROR, JSON.stringify(payload));
}

/** An error as the local engine hands it to Step Functions: its name is the Error, its message the Cause. */
function functionError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

export interface LambdaContext {
  readonly functionName: string;
  readonly awsRequestId: string;
  /** Lambda's: the milliseconds left before the function's timeout. */
  getRemainingTimeInMillis(): number;
}

/**
 * Runs `handler` as Lambda would within `timeoutSeconds` (on whatever clock `Date` and
 * `setTimeout` are: the simulation's virtual one): the context's remaining time counts down
 * to the timeout, and at the timeout the invocation fails with Sandbox.Timedout and is stopped.
 * A handler's own error becomes the runtime's error document.
 */
export async function runWithTimeout<T>(
  handler: (context: LambdaContext) => Promise<T>,
  options: { functionName: string; requestId: string; timeoutSeconds: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const context: LambdaContext = {
    functionName: options.functionName,
    awsRequestId: options.requestId,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const invocation: Invocation = { stopped: false };
  const running = current.run(invocation, () => handler(context));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      invocation.stopped = true;
      reject(timeoutError(options.requestId, options.timeoutSeconds));
    }, options.timeoutSeconds * 1000);
  });
  // Whatever the handler does once stopped is nobody's business: its outcome is dropped.
  running.catch(() => {});
  try {
    return await Promise.race([running.catch((err: unknown) => Promise.reject(runtimeError(err))), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
