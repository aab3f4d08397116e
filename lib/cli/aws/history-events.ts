/**
 * Step Functions' execution history, read as the simulator's engine logs it: each
 * GetExecutionHistory event becomes the ExecutionEvent(s) lib/simulator/progress.ts and
 * lib/simulator/timeline.ts read, so `start --wait`, `watch` and `status --report` print and
 * draw what `simulate` does for the same run.
 *
 * What the two logs have in common, and where they differ:
 * - `<Type>StateEntered` carries `stateEnteredEventDetails` {name, input}: the state's raw
 *   input, as the engine's StateEntered `state.input` (the AWS type prefix gives `state.type`).
 * - `<Type>StateExited` carries {name, output} but not the input the engine also gives; the
 *   input is that of the StateEntered it ends, found through `previousEventId` (each event of a
 *   state points at the one before it in the same state: Entered, Scheduled, Started,
 *   Succeeded, Exited), or, when a Map or Parallel's end points into its branches, the newest
 *   open state of that name.
 * - AWS has no "retried" event: a task that failed and is scheduled again in the same state
 *   was retried (the engine's StateRetried, its attempt the number of failures so far).
 * - TaskFailed, TaskTimedOut and the Lambda and activity failures are the engine's StateFailed
 *   of a Task state, with `error` and `cause` as Error and Cause.
 * - Inline Map iterations and Parallel branches are in the same history (FleetFlow uses no
 *   distributed Map, so no MapRun executions to follow); their bookkeeping events carry no line.
 *
 * Memory is bounded by the states open at once: a state's bookkeeping is dropped when it exits,
 * and past MAX_OPEN_STATES (states that failed uncaught never exit) the oldest is dropped.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { ExecutionEvent } from '../../simulator/progress';

/** States tracked at once; a rollout runs one batch at a time, a release's Map a few tiers, so this is never reached by a healthy history. */
export const MAX_OPEN_STATES = 2_000;

interface OpenState {
  readonly name: string;
  readonly type: string;
  readonly input: unknown;
  /** Events of this state (the Entered first): every one maps back to it. */
  readonly ids: number[];
  /** Failed attempts of its task so far. */
  failures: number;
}

/** Failure events of a task, each with `<camelCaseType>EventDetails` {error, cause}. */
const TASK_FAILURES = new Set([
  'TaskFailed',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'TaskTimedOut',
  'LambdaFunctionFailed',
  'LambdaFunctionScheduleFailed',
  'LambdaFunctionStartFailed',
  'LambdaFunctionTimedOut',
  'ActivityFailed',
  'ActivityScheduleFailed',
  'ActivityTimedOut',
]);
/** A task asked to run: after a failure in the same state, a retry. */
const TASK_SCHEDULED = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled']);

/** Turns one execution's history events, read oldest first, into the engine's events. One mapper per execution. */
export class HistoryMapper {
  /** Entered event id → the open state. */
  private readonly open = new Map<number, OpenState>();
  /** Any event id of an open state → its Entered event id. */
  private readonly owner = new Map<number, number>();

  /** How many states are open (for the bounded-memory check). */
  get openStates(): number {
    return this.open.size;
  }

  map(event: HistoryEvent): ExecutionEvent[] {
    const type = event.type ?? '';
    const timestamp = event.timestamp?.getTime() ?? 0;
    const entered = /^(\w+)StateEntered$/.exec(type);
    if (entered) {
      const details = event.stateEnteredEventDetails;
      const state: OpenState = { name: details?.name ?? '', type: entered[1]!, input: parseJson(details?.input), ids: [event.id!], failures: 0 };
      this.remember(event.id!, state);
      return [{ type: 'StateEntered', timestamp, state: { name: state.name, type: state.type, input: state.input } }];
    }
    const exited = /^(\w+)StateExited$/.exec(type);
    if (exited) {
      const details = event.stateExitedEventDetails;
      const name = details?.name ?? '';
      const id = this.ownerOf(event) ?? this.newestOpen(name);
      const state = id === undefined ? undefined : this.open.get(id);
      if (id !== undefined) this.forget(id);
      return [{ type: 'StateExited', timestamp, state: { name, type: exited[1]!, input: state?.input, output: parseJson(details?.output) } }];
    }
    switch (type) {
      case 'ExecutionStarted':
        return [{ type, timestamp }];
      case 'ExecutionSucceeded':
        return [{ type, timestamp, output: parseJson(event.executionSucceededEventDetails?.output) }];
      case 'ExecutionFailed':
        return [{ type, timestamp, Error: event.executionFailedEventDetails?.error ?? 'unknown error', Cause: event.executionFailedEventDetails?.cause ?? '' }];
      case 'ExecutionAborted':
      case 'ExecutionTimedOut':
        return [{ type, timestamp }];
      default:
        break;
    }
    const id = this.ownerOf(event);
    const state = id === undefined ? undefined : this.open.get(id);
    if (id === undefined || !state) return [];
    this.owner.set(event.id!, id);
    state.ids.push(event.id!);
    const view = { name: state.name, type: state.type, input: state.input };
    if (TASK_FAILURES.has(type)) {
      state.failures += 1;
      const details = (event as unknown as Record<string, { error?: string; cause?: string } | undefined>)[`${type[0]!.toLowerCase()}${type.slice(1)}EventDetails`];
      return [{ type: 'StateFailed', timestamp, state: view, Error: details?.error ?? (type.endsWith('TimedOut') ? 'States.Timeout' : 'unknown error'), Cause: details?.cause ?? '' }];
    }
    if (TASK_SCHEDULED.has(type) && state.failures > 0) return [{ type: 'StateRetried', timestamp, state: view, retry: { attempt: state.failures } }];
    return [];
  }

  private ownerOf(event: HistoryEvent): number | undefined {
    return event.previousEventId === undefined ? undefined : this.owner.get(event.previousEventId);
  }

  /** The newest open state of this name (a Map or Parallel's end points into its branches, not at its start). */
  private newestOpen(name: string): number | undefined {
    let found: number | undefined;
    for (const [id, state] of this.open) if (state.name === name) found = id;
    return found;
  }

  private remember(id: number, state: OpenState): void {
    this.open.set(id, state);
    this.owner.set(id, id);
    // A state that failed uncaught never exits: past the cap, the oldest open state is dropped.
    if (this.open.size > MAX_OPEN_STATES) this.forget(this.open.keys().next().value!);
  }

  private forget(id: number): void {
    for (const eventId of this.open.get(id)?.ids ?? []) this.owner.delete(eventId);
    this.open.delete(id);
  }
}

/** The child execution a `states:startExecution` task started, from its TaskSubmitted or TaskSucceeded output ({"ExecutionArn": …}) or its TaskFailed cause (the child's DescribeExecution, as JSON). */
export function childExecutionOf(event: HistoryEvent): string | undefined {
  const details = event.taskSubmittedEventDetails ?? event.taskSucceededEventDetails ?? event.taskFailedEventDetails;
  if (details?.resourceType !== 'states' || !details.resource?.startsWith('startExecution')) return undefined;
  const text = 'output' in details ? details.output : 'cause' in details ? details.cause : undefined;
  const arn = (parseJson(text) as { ExecutionArn?: unknown } | undefined)?.ExecutionArn;
  return typeof arn === 'string' && arn.startsWith('arn:') ? arn : undefined;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // A payload that is not JSON (AWS would not write one; a hand-made history might): kept as text.
    return text;
  }
}
