/**
 * Following an execution on AWS (`start --wait`, `watch`) and reading one (`status --report`):
 * its history and its children's, read with GetExecutionHistory, mapped to the simulator's
 * events (history-events.ts) and described by the same code that prints `simulate`'s progress
 * (lib/simulator/progress.ts), so a person sees the same lines for the same run: tier,
 * batch n of m, hosts by name, the rollback labelled. The outcome is DescribeExecution's:
 * SUCCEEDED exits 0; FAILED, ABORTED or TIMED_OUT print the error name and cause and exit 1.
 *
 * Children are the rollout executions (one per segment of a tier's batches) and recover's
 * nested workflows, started with `arn:aws:states:::states:startExecution.sync:2`; each start
 * shows in the parent's history as a TaskSubmitted event whose output is StartExecution's
 * response, `{"ExecutionArn": …, "StartDate": …}` (and the task's TaskSucceeded output, or
 * TaskFailed cause, is the child's DescribeExecution, with its ExecutionArn too).
 *
 * Each event is read once: a look reads only the events after the last one read (newest
 * first, stopping there), so no line is printed twice; the first look at an execution reads
 * its history oldest first, a page at a time, so a history of 25,000 events is never held whole.
 */
import { DescribeExecutionCommand, paginateGetExecutionHistory, type DescribeExecutionCommandOutput, type HistoryEvent } from '@aws-sdk/client-sfn';
import { describeEvent, formatElapsed, MAX_LINE_CHARS, type ExecutionEvent } from '../../simulator/progress';
import type { AwsContext } from './context';
import { EXIT_OK, EXIT_WORKFLOW_FAILED } from './errors';
import { childExecutionOf, HistoryMapper } from './history-events';

export { MAX_LINE_CHARS };
/** How the line that says how to answer a pending approval begins (after its time stamp). */
const APPROVAL_LINE = 'waiting for approval:';
/**
 * History events per GetExecutionHistory page. The API reference: "The default is 100 and the
 * maximum allowed page size is 1000 ... This is only an upper limit. The actual number of
 * results returned per call might be fewer than the specified maximum" (so every page is read
 * until no nextToken comes back, never assumed full).
 */
export const PAGE_SIZE = 1_000;
const CLOSING = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

interface Tracked {
  readonly arn: string;
  readonly root: boolean;
  readonly mapper: HistoryMapper;
  /**
   * Where its lines sort among the others at the same instant: a child's come after the
   * parent's events up to the one that started it and before the ones after (its end).
   */
  readonly order: readonly number[];
  /** The last event already read: the next look reads only newer ones. */
  lastEventId: number;
  closed: boolean;
  /** What the timeline reads of its events, kept only for `--report`. */
  readonly events?: ExecutionEvent[];
}

interface Line {
  readonly key: readonly number[];
  readonly text: string;
}

/** The events a run's timeline is built from (lib/simulator/timeline.ts), read from AWS. */
export interface ReadRun {
  /** The root execution's start (ms since the epoch): every line's and the timeline's zero. */
  readonly startedAt: number;
  readonly events: ExecutionEvent[];
  /** Each child execution's events, in the order the children were found. */
  readonly childEvents: ExecutionEvent[][];
}

/** The histories of an execution and of every execution it started, read look by look. */
export class ExecutionReader {
  startedAt?: number;
  private readonly open: Tracked[];
  private readonly known = new Set<string>();
  private readonly root: Tracked;
  private readonly children: Tracked[] = [];

  constructor(
    private readonly context: AwsContext,
    readonly executionArn: string,
    /** Keep what the timeline reads (`--report`); without it nothing is kept past a look but the bookkeeping of open states. */
    private readonly collect = false,
  ) {
    this.root = this.track(executionArn, true, []);
    this.open = [this.root];
  }

  /** One look at every open execution (children found on the way included): the new lines, in time order. */
  async look(): Promise<string[]> {
    const lines: Line[] = [];
    for (let i = 0; i < this.open.length; i++) {
      const item = this.open[i]!;
      await this.read(item, (event) => this.take(item, event, lines));
    }
    // A closed child has nothing more to read: it leaves the list (its ARN stays known, so it is
    // never followed again). The root stays: a redriven execution's history goes on after its end.
    for (let i = this.open.length - 1; i >= 1; i--) if (this.open[i]!.closed) this.open.splice(i, 1);
    return lines.sort((a, b) => compareKeys(a.key, b.key)).map((line) => line.text);
  }

  /** What was read so far, for the timeline (with `collect`). */
  run(startDate: Date | undefined): ReadRun {
    return {
      startedAt: this.startedAt ?? startDate?.getTime() ?? 0,
      events: this.root.events ?? [],
      childEvents: this.children.map((child) => child.events ?? []),
    };
  }

  private track(arn: string, root: boolean, order: readonly number[]): Tracked {
    this.known.add(arn);
    return { arn, root, mapper: new HistoryMapper(), order, lastEventId: 0, closed: false, ...(this.collect ? { events: [] } : {}) };
  }

  private take(item: Tracked, event: HistoryEvent, lines: Line[]): void {
    const child = childExecutionOf(event);
    if (child !== undefined && !this.known.has(child)) {
      const tracked = this.track(child, false, [...item.order, event.id! + 0.5]);
      this.open.push(tracked);
      if (this.collect) this.children.push(tracked);
    }
    const at = event.timestamp?.getTime() ?? 0;
    const key = (n: number) => [at, ...item.order, event.id!, n];
    for (const mapped of item.mapper.map(event)) {
      if (item.root && mapped.type === 'ExecutionStarted') this.startedAt ??= mapped.timestamp;
      if (CLOSING.has(mapped.type)) item.closed = true;
      const kept = item.events && forTimeline(mapped);
      if (kept) item.events!.push(kept);
      // As simulate prints: a child's own start and end are not news (its batches are; the parent reports the outcome).
      if (!item.root && mapped.type.startsWith('Execution')) continue;
      const text = describeEvent(mapped, this.startedAt ?? mapped.timestamp);
      if (text !== undefined) lines.push({ key: key(0), text });
    }
    // Request Approval: the person is told how to answer the execution that waits (recover's is
    // its deploy child), without the token (it stays in the history). The ARN is printed whole:
    // one cut short cannot be pasted.
    if (event.type === 'TaskScheduled' && event.taskScheduledEventDetails?.resource?.endsWith('.waitForTaskToken')) {
      lines.push({ key: key(1), text: `[${formatElapsed(at - (this.startedAt ?? at))}] ${APPROVAL_LINE} fleetflow approve --execution ${item.arn} (or reject)` });
    }
  }

  /** Reads the events after `item.lastEventId`, oldest first, into `each`. */
  private async read(item: Tracked, each: (event: HistoryEvent) => void): Promise<void> {
    if (item.lastEventId === 0) {
      // The first look: oldest first, page by page, each page handled as it comes.
      const pages = paginateGetExecutionHistory({ client: this.context.sfn, pageSize: PAGE_SIZE }, { executionArn: item.arn, includeExecutionData: true });
      for await (const page of pages) {
        for (const event of page.events ?? []) {
          each(event);
          item.lastEventId = event.id!;
        }
      }
      return;
    }
    // Later looks: newest first until the last event read, so a look costs the new events only.
    const fresh: HistoryEvent[] = [];
    const pages = paginateGetExecutionHistory({ client: this.context.sfn, pageSize: PAGE_SIZE }, { executionArn: item.arn, reverseOrder: true, includeExecutionData: true });
    outer: for await (const page of pages) {
      for (const event of page.events ?? []) {
        if (event.id! <= item.lastEventId) break outer;
        fresh.push(event);
      }
    }
    for (let i = fresh.length - 1; i >= 0; i--) {
      each(fresh[i]!);
      item.lastEventId = fresh[i]!.id!;
    }
  }
}

/** Lexicographic: the instant first, then the place in the parent-child order, then the event. */
function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

interface BatchView {
  tier?: { name?: unknown };
  keyPrefix?: unknown;
  batch?: { index?: unknown; count?: unknown; hosts?: Array<{ id?: string; name: string }> };
}

/**
 * What the timeline reads of an event, and nothing else (a rollout's payloads carry its whole
 * tier): a state's name and type, a batch's tier, key prefix, index, count and host names, a
 * failure's error and cause. A state's end matters only for a batch (when its phase was last seen).
 */
function forTimeline(event: ExecutionEvent): ExecutionEvent | undefined {
  const failure = event.Error === undefined ? {} : { Error: event.Error, Cause: event.Cause };
  if (!event.state) return { type: event.type, timestamp: event.timestamp, ...failure };
  if (event.type === 'StateRetried') return undefined;
  const view = event.state.input as BatchView | undefined;
  const batch =
    view?.batch && typeof view.tier?.name === 'string'
      ? {
          tier: { name: view.tier.name },
          ...(typeof view.keyPrefix === 'string' ? { keyPrefix: view.keyPrefix } : {}),
          batch: { index: view.batch.index, count: view.batch.count, hosts: (view.batch.hosts ?? []).map((h) => ({ ...(h.id === undefined ? {} : { id: h.id }), name: h.name })) },
        }
      : undefined;
  if (event.type === 'StateExited' && !batch) return undefined;
  return { type: event.type, timestamp: event.timestamp, state: { name: event.state.name, type: event.state.type, input: batch }, ...failure };
}

export interface FollowResult {
  readonly exitCode: number;
  readonly execution: DescribeExecutionCommandOutput;
  readonly reader: ExecutionReader;
}

/** Follows `executionArn` and its children until it closes; returns the exit code, its description and what was read. */
export async function followExecution(context: AwsContext, executionArn: string, collect = false): Promise<FollowResult> {
  const reader = new ExecutionReader(context, executionArn, collect);
  for (;;) {
    // Described before the histories are read: once it says closed, the history read next holds the end.
    const execution = await context.sfn.send(new DescribeExecutionCommand({ executionArn }));
    for (const line of await reader.look()) context.out(line);
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') return { exitCode: outcome(context, execution), execution, reader };
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

export function bounded(line: string, max = MAX_LINE_CHARS): string {
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
