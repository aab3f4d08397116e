/**
 * Following an execution on AWS (`start --wait`, `watch`): its history and its children's,
 * read with GetExecutionHistory (the SDK's paginator), turned into progress lines, until the
 * execution closes. The outcome is DescribeExecution's: SUCCEEDED exits 0; FAILED, ABORTED or
 * TIMED_OUT print the error name and cause and exit 1.
 *
 * Children are the rollout executions (one per segment of a tier's batches) and recover's
 * nested workflows, started with `arn:aws:states:::states:startExecution.sync:2`; each start
 * shows in the parent's history as a TaskSubmitted event whose output is StartExecution's
 * response, `{"ExecutionArn": …, "StartDate": …}`.
 */
import { DescribeExecutionCommand, paginateGetExecutionHistory, type DescribeExecutionCommandOutput, type HistoryEvent } from '@aws-sdk/client-sfn';
import type { AwsContext } from './context';
import { EXIT_OK, EXIT_WORKFLOW_FAILED } from './errors';

/** No progress line is longer than this (a person's terminal, a CI log), but the approval's command, which holds an ARN. */
export const MAX_LINE_CHARS = 200;
/** How the line that says how to answer a pending approval begins. */
const APPROVAL_LINE = 'waiting for approval:';
/** History events per GetExecutionHistory page (the API's maximum is 1,000). */
const PAGE_SIZE = 200;

interface Tracked {
  readonly arn: string;
  /** What the lines call it: a rollout child is named by its tier and batches once its input is read. */
  label: string;
  /** The last event already read: the next look reads only newer ones. */
  lastEventId: number;
  /** The last state whose entry was printed: a poll loop's repeated entries are printed once. */
  lastState?: string;
  /** The state a task belongs to, for naming the children it starts. */
  currentState?: string;
  closed: boolean;
}

export interface FollowResult {
  readonly exitCode: number;
  readonly execution: DescribeExecutionCommandOutput;
}

/** Follows `executionArn` and its children until it closes; returns the exit code and its description. */
export async function followExecution(context: AwsContext, executionArn: string): Promise<FollowResult> {
  const root: Tracked = { arn: executionArn, label: labelOf(executionArn), lastEventId: 0, closed: false };
  const tracked: Tracked[] = [root];
  let children = 0;
  for (;;) {
    // Described before the history is read: once it says closed, the history read next holds the end.
    const execution = await context.sfn.send(new DescribeExecutionCommand({ executionArn }));
    // One look at every open execution (children found on the way included), printed in time order.
    const lines: Array<{ at: number; seq: number; text: string }> = [];
    for (let i = 0; i < tracked.length; i++) {
      const item = tracked[i]!;
      if (item.closed) continue;
      for (const event of await newEvents(context, item)) {
        const child = childStarted(event);
        if (child) {
          children += 1;
          tracked.push({ arn: child, label: `${item.currentState ?? 'child'} #${children}`, lastEventId: 0, closed: false });
        }
        const line = describeEvent(item, event);
        if (line === undefined) continue;
        // The answer's command is printed whole: an ARN cut short cannot be pasted.
        const text = line.startsWith(APPROVAL_LINE) ? `${clock(event.timestamp)}  ${line}` : bounded(`${clock(event.timestamp)}  ${item.label}  ${line}`);
        lines.push({ at: event.timestamp?.getTime() ?? 0, seq: lines.length, text });
      }
    }
    lines.sort((a, b) => a.at - b.at || a.seq - b.seq);
    for (const line of lines) context.out(line.text);
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') return { exitCode: outcome(context, execution), execution };
    await context.sleep(context.pollMs);
  }
}

/** The exit code of a closed execution, with its error and cause printed when it did not succeed. */
export function outcome(context: AwsContext, execution: DescribeExecutionCommandOutput): number {
  if (execution.status === 'SUCCEEDED') {
    context.out(`${execution.name ?? 'execution'} SUCCEEDED`);
    return EXIT_OK;
  }
  const error = execution.error ?? (execution.status === 'TIMED_OUT' ? 'States.Timeout' : execution.status === 'ABORTED' ? 'Aborted' : 'unknown error');
  const cause = execution.cause ?? (execution.status === 'ABORTED' ? 'the execution was stopped' : 'no cause recorded');
  context.err(`${execution.name ?? 'execution'} ${execution.status}: ${error}: ${bounded(cause, 1000)}`);
  return EXIT_WORKFLOW_FAILED;
}

/** The events after `item.lastEventId`, oldest first; read newest first, so a look costs the new events only. */
async function newEvents(context: AwsContext, item: Tracked): Promise<HistoryEvent[]> {
  const fresh: HistoryEvent[] = [];
  const pages = paginateGetExecutionHistory({ client: context.sfn, pageSize: PAGE_SIZE }, { executionArn: item.arn, reverseOrder: true, includeExecutionData: true });
  outer: for await (const page of pages) {
    for (const event of page.events ?? []) {
      if (event.id! <= item.lastEventId) break outer;
      fresh.push(event);
    }
  }
  fresh.reverse();
  if (fresh.length > 0) item.lastEventId = fresh[fresh.length - 1]!.id!;
  return fresh;
}

/** The child execution a TaskSubmitted of `states:startExecution.sync` started, if this is one. */
function childStarted(event: HistoryEvent): string | undefined {
  const details = event.taskSubmittedEventDetails;
  if (event.type !== 'TaskSubmitted' || details?.resourceType !== 'states' || !details.resource?.startsWith('startExecution')) return undefined;
  try {
    const arn = (JSON.parse(details.output ?? '{}') as { ExecutionArn?: unknown }).ExecutionArn;
    return typeof arn === 'string' ? arn : undefined;
  } catch {
    return undefined;
  }
}

/** The line for one event, or undefined for the events a person need not see. */
function describeEvent(item: Tracked, event: HistoryEvent): string | undefined {
  switch (event.type) {
    case 'ExecutionStarted':
      item.label = segmentLabel(event.executionStartedEventDetails?.input) ?? item.label;
      return 'started';
    case 'TaskStateEntered':
    case 'ParallelStateEntered':
    case 'MapStateEntered': {
      const name = event.stateEnteredEventDetails?.name ?? '';
      item.currentState = name;
      if (name === item.lastState) return undefined;
      item.lastState = name;
      return name;
    }
    case 'FailStateEntered':
      return `failing at ${event.stateEnteredEventDetails?.name ?? 'a Fail state'}`;
    case 'TaskScheduled':
      // Request Approval: the person is told how to answer the execution that waits (recover's is
      // its deploy child), without the token (it stays in the history).
      if (event.taskScheduledEventDetails?.resource?.endsWith('.waitForTaskToken')) {
        return `${APPROVAL_LINE} fleetflow approve --execution ${item.arn} (or reject)`;
      }
      return undefined;
    case 'TaskFailed':
      return `${item.currentState ?? 'task'} failed: ${event.taskFailedEventDetails?.error ?? 'unknown error'}`;
    case 'LambdaFunctionFailed':
      return `${item.currentState ?? 'task'} failed: ${event.lambdaFunctionFailedEventDetails?.error ?? 'unknown error'}`;
    case 'TaskTimedOut':
      return `${item.currentState ?? 'task'} timed out`;
    case 'ExecutionSucceeded':
      item.closed = true;
      return 'succeeded';
    case 'ExecutionFailed':
      item.closed = true;
      return `failed: ${event.executionFailedEventDetails?.error ?? 'unknown error'}`;
    case 'ExecutionAborted':
      item.closed = true;
      return 'aborted';
    case 'ExecutionTimedOut':
      item.closed = true;
      return 'timed out';
    default:
      return undefined;
  }
}

/**
 * A rollout child's name for people: `web: batches 1-4 of 12`, read from its input (the
 * tier, its batch count and the segment, 0-based and inclusive: statemachines/constructs/roll-tiers.ts);
 * the mode when it is not a release (provision, retire, restore, repoint, repoint-back).
 */
function segmentLabel(input: string | undefined): string | undefined {
  try {
    const { tier, segment, batchCount, mode } = JSON.parse(input ?? '{}') as { tier?: { name?: unknown }; segment?: { first?: unknown; last?: unknown }; batchCount?: unknown; mode?: unknown };
    if (typeof tier?.name !== 'string' || typeof segment?.first !== 'number' || typeof segment.last !== 'number' || typeof batchCount !== 'number') return undefined;
    const batches = segment.first === segment.last ? `batch ${segment.first + 1}` : `batches ${segment.first + 1}-${segment.last + 1}`;
    return `${tier.name}${typeof mode === 'string' && mode !== 'release' ? ` ${mode}` : ''}: ${batches} of ${batchCount}`;
  } catch {
    return undefined;
  }
}

/** `fleetflow-canonical-deploy/1_2_3-…`: the state machine and the execution's name. */
function labelOf(arn: string): string {
  const parts = arn.split(':');
  return `${parts[6] ?? ''}/${parts[7] ?? arn}`;
}

function clock(timestamp: Date | undefined): string {
  return (timestamp ?? new Date(0)).toISOString().slice(11, 19);
}

export function bounded(line: string, max = MAX_LINE_CHARS): string {
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
