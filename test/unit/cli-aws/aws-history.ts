/**
 * The simulator's event log written as Step Functions writes an execution's history
 * (GetExecutionHistory's HistoryEvent): `<Type>StateEntered` {name, input} and
 * `<Type>StateExited` {name, output} as JSON strings; a Task's TaskScheduled, TaskStarted and
 * TaskSucceeded or TaskFailed {error, cause} between them, chained by previousEventId; a retry
 * as the task scheduled again (AWS has no "retried" event); a `startExecution.sync:2` task's
 * TaskSubmitted with StartExecution's {ExecutionArn, StartDate}; a Map's or Parallel's end
 * pointing into its branches, as AWS does, not at its start. Written independently of
 * lib/cli/aws/history-events.ts (which reads the other way), so a test that round-trips a
 * recorded run through both checks the reader against this account of the format.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { ExecutionEvent } from '../../../lib/simulator/progress';

export interface HistoryOptions {
  /** The child execution a Task state's entry starts (a `states:startExecution.sync:2` task), if any. */
  readonly childOf?: (event: ExecutionEvent) => string | undefined;
  /** The resource of a Task state that is neither a child's start nor a Lambda function (an SNS publish waiting for a task token, say). */
  readonly resourceOf?: (event: ExecutionEvent) => { resourceType: string; resource: string } | undefined;
}

export function toAwsHistory(events: readonly ExecutionEvent[], options: HistoryOptions = {}): HistoryEvent[] {
  const history: HistoryEvent[] = [];
  // The last event id of each open state, by name and input (concurrent iterations differ in their input).
  const open = new Map<string, { last: number; failed: boolean; resource: { resourceType: string; resource: string } }>();
  const keyOf = (e: ExecutionEvent) => `${e.state!.name}|${JSON.stringify(e.state!.input)}`;
  const push = (e: ExecutionEvent, fields: Partial<HistoryEvent>, previous?: number): number => {
    const id = history.length + 1;
    history.push({ id, previousEventId: previous ?? history.length, timestamp: new Date(e.timestamp), ...fields } as HistoryEvent);
    return id;
  };
  const json = (value: unknown) => (value === undefined ? undefined : JSON.stringify(value));
  for (const e of events) {
    const state = e.state;
    switch (e.type) {
      case 'ExecutionStarted':
        push(e, { type: 'ExecutionStarted', executionStartedEventDetails: { input: json((e as { input?: unknown }).input) ?? '{}', roleArn: 'arn:aws:iam::123456789012:role/fleetflow' } });
        break;
      case 'StateEntered': {
        const entered = push(e, { type: `${state!.type}StateEntered` as HistoryEvent['type'], stateEnteredEventDetails: { name: state!.name, input: json(state!.input) } });
        const child = state!.type === 'Task' ? options.childOf?.(e) : undefined;
        const resource = child ? { resourceType: 'states', resource: 'startExecution.sync:2' } : (options.resourceOf?.(e) ?? { resourceType: 'lambda', resource: 'invoke' });
        let last = entered;
        if (state!.type === 'Task') {
          last = push(e, { type: 'TaskScheduled', taskScheduledEventDetails: { ...resource, region: 'eu-west-1', parameters: '{}' } }, last);
          last = push(e, { type: 'TaskStarted', taskStartedEventDetails: resource }, last);
          if (child) last = push(e, { type: 'TaskSubmitted', taskSubmittedEventDetails: { ...resource, output: JSON.stringify({ ExecutionArn: child, StartDate: new Date(e.timestamp).toISOString() }) } }, last);
        }
        if (state!.type === 'Map') last = push(e, { type: 'MapStateStarted', mapStateStartedEventDetails: { length: 1 } }, last);
        if (state!.type === 'Parallel') last = push(e, { type: 'ParallelStateStarted' }, last);
        open.set(keyOf(e), { last, failed: false, resource });
        break;
      }
      case 'StateFailed': {
        const known = open.get(keyOf(e));
        if (known && (state!.type === 'Map' || state!.type === 'Parallel')) known.failed = true;
        if (!known || state!.type !== 'Task') break;
        const cause = typeof e.Cause === 'string' ? e.Cause : JSON.stringify(e.Cause ?? '');
        known.last = push(e, { type: 'TaskFailed', taskFailedEventDetails: { ...known.resource, error: e.Error, cause } }, known.last);
        known.failed = true;
        break;
      }
      case 'StateRetried': {
        const known = open.get(keyOf(e));
        if (!known) break;
        known.last = push(e, { type: 'TaskScheduled', taskScheduledEventDetails: { ...known.resource, region: 'eu-west-1', parameters: '{}' } }, known.last);
        known.last = push(e, { type: 'TaskStarted', taskStartedEventDetails: known.resource }, known.last);
        known.failed = false;
        break;
      }
      case 'StateExited': {
        const known = open.get(keyOf(e));
        let last = known?.last;
        if (state!.type === 'Task' && known && !known.failed) last = push(e, { type: 'TaskSucceeded', taskSucceededEventDetails: { ...known.resource, output: json(state!.output) } }, last);
        // A Map's or Parallel's end follows its branches' last event, not its own start.
        if (state!.type === 'Map') last = push(e, { type: known?.failed ? 'MapStateFailed' : 'MapStateSucceeded' });
        if (state!.type === 'Parallel') last = push(e, { type: known?.failed ? 'ParallelStateFailed' : 'ParallelStateSucceeded' });
        push(e, { type: `${state!.type}StateExited` as HistoryEvent['type'], stateExitedEventDetails: { name: state!.name, output: json(state!.output) } }, last);
        open.delete(keyOf(e));
        break;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        push(e, { type: e.type, [`${e.type[0]!.toLowerCase()}${e.type.slice(1)}EventDetails`]: { name: 'iteration', index: 0 } });
        break;
      case 'ExecutionSucceeded':
        push(e, { type: 'ExecutionSucceeded', executionSucceededEventDetails: { output: json(e.output) ?? '{}' } });
        break;
      case 'ExecutionFailed':
        push(e, { type: 'ExecutionFailed', executionFailedEventDetails: { error: e.Error, cause: String(e.Cause ?? '') } });
        break;
      default:
        // StateCaught, ParallelBranch*: the engine's bookkeeping; AWS writes nothing of its own for them.
        break;
    }
  }
  return history;
}
