/**
 * Step Functions' history of an execution, counted from the local engine's events by
 * AWS's event model, in one place: the JSON report, the bench and the tests all read
 * these figures, and the simulator fails an execution at the quotas as AWS does.
 *
 * - a Lambda task attempt: TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted,
 *   LambdaFunctionSucceeded/Failed, TaskStateExited (a retry adds Scheduled/Started/Failed);
 * - an optimized integration (DynamoDB, EventBridge, SNS, startExecution): TaskStateEntered,
 *   TaskScheduled, TaskStarted, TaskSucceeded/Failed (plus TaskSubmitted for .sync and
 *   .waitForTaskToken), TaskStateExited;
 * - Map and Parallel: Entered, Started, Succeeded/Failed, Exited, and one event per
 *   iteration or branch start and end;
 * - Pass, Wait, Choice, Succeed, Fail: Entered and Exited (Fail only Entered);
 * - the execution: Started, and Succeeded/Failed/Aborted.
 */
import type { ExecutionEvent } from './progress';

/** Step Functions quota: "Maximum execution history size", 25,000 events (hard). */
export const MAX_HISTORY_EVENTS = 25_000;
/** Step Functions quota: the input or output of a state, 256 KiB (262,144 bytes, hard). */
export const MAX_PAYLOAD_BYTES = 262_144;

export interface StateKinds {
  /** Task states whose resource waits for a result (.sync or .waitForTaskToken): one more event. */
  readonly waitingTasks: ReadonlySet<string>;
}

export function historyEventsOf(event: ExecutionEvent, kinds: StateKinds): number {
  const state = event.state;
  switch (event.type) {
    case 'ExecutionStarted':
    case 'ExecutionSucceeded':
    case 'ExecutionFailed':
    case 'ExecutionAborted':
    case 'ExecutionTimeout':
      return 1;
    case 'StateEntered':
      if (state?.type === 'Task') return 3 + (kinds.waitingTasks.has(state.name) ? 1 : 0);
      if (state?.type === 'Map' || state?.type === 'Parallel') return 2;
      return 1;
    case 'StateExited':
      if (state?.type === 'Task' || state?.type === 'Map' || state?.type === 'Parallel') return 2;
      return 1;
    case 'StateRetried':
      return 3;
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
    case 'ParallelBranchStarted':
    case 'ParallelBranchSucceeded':
    case 'ParallelBranchFailed':
      return 1;
    default:
      return 0;
  }
}

/** Bytes of a state's input or output as Step Functions measures it (UTF-8 JSON). */
export function payloadBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
}

/** What one execution's history came to. */
export interface ExecutionFigures {
  readonly arn: string;
  readonly stateMachine: string;
  historyEvents: number;
  stateTransitions: number;
  largestPayloadBytes: number;
}

export function newFigures(arn: string, stateMachine: string): ExecutionFigures {
  return { arn, stateMachine, historyEvents: 0, stateTransitions: 0, largestPayloadBytes: 0 };
}

/**
 * Adds one engine event to the figures; returns the quota it breaks, if any, as the
 * error Step Functions ends the execution with (neither can be caught).
 */
export function record(figures: ExecutionFigures, event: ExecutionEvent, kinds: StateKinds): { Error: string; Cause: string } | undefined {
  figures.historyEvents += historyEventsOf(event, kinds);
  if (event.type === 'StateEntered') figures.stateTransitions += 1;
  for (const payload of [event.state?.input, event.state?.output]) {
    const bytes = payloadBytes(payload);
    figures.largestPayloadBytes = Math.max(figures.largestPayloadBytes, bytes);
    if (bytes > MAX_PAYLOAD_BYTES) {
      return {
        Error: 'States.DataLimitExceeded',
        Cause: `The state/task '${event.state?.name}' returned a result with a size exceeding the maximum number of bytes service limit (${bytes} > ${MAX_PAYLOAD_BYTES}).`,
      };
    }
  }
  if (figures.historyEvents > MAX_HISTORY_EVENTS) {
    return { Error: 'States.Runtime', Cause: `The execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).` };
  }
  return undefined;
}
