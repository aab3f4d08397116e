/**
 * How a plan is cut so that every execution stays inside Step Functions' quotas, and
 * the refusal of a plan that cannot fit. Standard workflows fail, with no Catch run, once
 * an execution's history reaches 25,000 events (Step Functions quotas: "Maximum execution
 * history size"); FleetFlow plans each child execution to the worst case of its batches,
 * where every phase polls until its timeout and the batch is rolled back. A check that
 * watches (shared/phase.ts `watchPhase`) covers a minute of it in one invocation, so
 * `maxChecksWithin` counts one check per watch, and each check as a full loop (Choice, Wait,
 * task) though a watch that asks for no Wait skips the Wait's two events.
 *
 * Event counts follow Step Functions' history model: a Lambda task is 5 events
 * (TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunction
 * Succeeded/Failed, TaskStateExited) and 3 more per retry; Pass, Wait and Choice states 2;
 * a child execution started with startExecution.sync:2 is 6 in the parent (TaskStateEntered,
 * TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded, TaskStateExited) plus the two
 * Map iteration events around it.
 */
import type { TierPlan, ValidationPlan } from '../domain/contract/payloads';
import { BAKE_CHECK_SECONDS, DATABASE_WAIT_SECONDS, maxChecksWithin } from './poll-schedule';

/** Step Functions' hard quota on one execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;
/** What a plan may use of it: the rest absorbs retries beyond the allowance below. */
export const HISTORY_BUDGET = 22_000;
/** Each planned Lambda task may be retried this many times (throttling, timeouts). */
const RETRIES_PER_TASK = 2;
const TASK_EVENTS = 5 + 3 * RETRIES_PER_TASK;
const POLL_EVENTS = 2 /* Choice */ + 2 /* Wait */ + TASK_EVENTS;
const STATE_EVENTS = 2;
/** Events of one child execution outside its batches (start, the last choice, the end). */
const CHILD_OVERHEAD_EVENTS = 12;
/** Events of one segment in its parent: the child task and its Map iteration. */
export const PARENT_EVENTS_PER_SEGMENT = 8 + 3 * 2;
/** At most this many segments in one plan, so the plan itself stays a few tens of KB in the state. */
export const MAX_SEGMENTS = 1_000;

/** The most history events one batch of the tier can add to its child execution. */
export function worstBatchEvents(tier: TierPlan): number {
  const checks = (timeoutSeconds: number) => maxChecksWithin(timeoutSeconds, tier.polling);
  const pollsOneWay = checks(tier.drainTimeoutSeconds) + checks(tier.install.timeoutSeconds) + checks(tier.healthTimeoutSeconds);
  // Forward: load, take out, install, return, alarms; rollback: take out, install, return, restore.
  const tasks = 5 + 4;
  // Mark Install Started, the three loop choices each way, the alarm gate, Next Batch, More Batches?, Install Started?
  const states = 1 + 3 * 2 + 1 + 1 + 1 + 1;
  return 2 * pollsOneWay * POLL_EVENTS + tasks * TASK_EVENTS + states * STATE_EVENTS;
}

/** How many consecutive batches of the tier one child execution can hold, whatever happens. */
export function batchesPerSegment(tier: TierPlan): number {
  return Math.floor((HISTORY_BUDGET - CHILD_OVERHEAD_EVENTS) / worstBatchEvents(tier));
}

export interface Segment {
  readonly first: number;
  readonly last: number;
}

export function segmentsOf(batchCount: number, perSegment: number): Segment[] {
  const segments: Segment[] = [];
  for (let first = 0; first < batchCount; first += perSegment) segments.push({ first, last: Math.min(batchCount, first + perSegment) - 1 });
  return segments;
}

/** The most events the parent's own states can take outside the segments (lock, database, bakes, approval). */
export function worstParentEvents(args: {
  readonly segments: number;
  readonly validation: ValidationPlan;
  readonly database?: { readonly snapshotTimeoutSeconds: number; readonly migrationTimeoutSeconds: number; readonly polling: TierPlan['polling'] };
}): number {
  const { validation, database } = args;
  const bakePolls = Math.ceil(validation.bakeSeconds / BAKE_CHECK_SECONDS) + 2;
  const databasePolls = database
    ? maxChecksWithin(database.snapshotTimeoutSeconds, database.polling) +
      maxChecksWithin(database.migrationTimeoutSeconds, database.polling) +
      // Check Database before the snapshot and after the migration.
      2 * maxChecksWithin(DATABASE_WAIT_SECONDS, database.polling)
    : 0;
  const fixed = 60 * STATE_EVENTS + 12 * TASK_EVENTS;
  // The release's segments, and as many again for a revert of all of them.
  return fixed + 2 * bakePolls * POLL_EVENTS + databasePolls * POLL_EVENTS + 2 * args.segments * PARENT_EVENTS_PER_SEGMENT;
}

/**
 * The shortest a batch can take: a target must pass its health checks (interval x
 * healthy threshold); other tiers at least run one health command.
 */
export function fastestBatchSeconds(tier: TierPlan): number {
  return Math.max(tier.healthyAfterSeconds, 10);
}
