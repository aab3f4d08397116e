/**
 * What a compute or data workflow's plan will take, before it starts: its duration and its
 * state transitions, from the plan itself, the environment's declared durations and the
 * polling schedule the handlers use (lambdas/shared/poll-schedule.ts). Like the release's
 * (release-estimate.ts) it is a model, not a measurement: each phase is assumed to take what
 * the environment declares (`expectedSeconds`, the health-check threshold), and what nothing
 * declares (a host booting, RDS creating or restoring an instance, ELB's deregistration delay)
 * is counted at what the handler's first look expects, and listed in `undeclared`.
 * Held to the simulator by test/e2e/compute/plan.test.ts, test/e2e/restore-data/plan.test.ts and
 * test/e2e/replace-database/plan.test.ts.
 *
 * The transition counts follow the state machines (statemachines/constructs/compute-run.ts,
 * provision-tiers.ts, statemachines/rollout/, statemachines/restore-data/, statemachines/recover/,
 * statemachines/scale-in/, statemachines/replace-database/):
 * a polled phase is its start task, one Choice + Wait + check task per look, and the last Choice.
 */
import type { CommandSpec, ComputePlan, ProvisionTier, RestorePlan, StoredTier, TierPlan } from '../../lambdas/domain/contract/payloads';
import type { PollingBounds } from '../../lambdas/shared/polling';
import { BAKE_CHECK_SECONDS, nextWaitSeconds } from '../../lambdas/shared/poll-schedule';
import { TIME_BUDGET_MS, WATCH_INTERVAL_MS } from '../../lambdas/shared/phase';
import { batchesPerSegment, HISTORY_BUDGET, worstBatchEvents } from '../../lambdas/shared/history-budget';
import { EXPECTED_READY_SECONDS } from '../../lambdas/compute/hosts-ready';
import { EXPECTED_CREATE_SECONDS } from '../../lambdas/compute/database-creation';
import { EXPECTED_RESTORE_SECONDS } from '../../lambdas/restore-data/restore';
import { EXPECTED_PROVISION_SECONDS } from '../../lambdas/replace-database/green';
import { EXPECTED_SWITCHOVER_SECONDS } from '../../lambdas/replace-database/switchover';
import type { ReplaceDatabasePlan } from '../../lambdas/replace-database/types';
import { DELIVERY_SECONDS, USD_PER_TRANSITION } from './release-estimate';
import { protectionReadsOf, type ProtectionReads } from './protection-reads';

export type { ProtectionReads } from './protection-reads';

/**
 * A new instance with automated backups is backed up before it is first available ("backing-up:
 * The DB instance is currently being backed up": RDS User Guide, Viewing Amazon RDS DB instance
 * status). How long depends on the data; a new, empty instance's is assumed to take a minute.
 */
const FIRST_BACKUP_ASSUMED_SECONDS = 60;
/** The probe of the health check path (curl with a 5 s limit, lambdas/shared/provision-plan.ts): counted at 2 s. */
const PROBE_ASSUMED_SECONDS = 2;
/**
 * A deregistered target drains for the target group's deregistration delay: "The range is
 * 0-3600 seconds. The default value is 300 seconds." (Elastic Load Balancing API reference,
 * TargetGroupAttribute deregistration_delay.timeout_seconds). Counted at the default only for a
 * plan that did not read it.
 */
const DEREGISTRATION_DELAY_ASSUMED_SECONDS = 300;
/** Stopping or terminating a replaced host: what Retire Hosts' first look expects (lambdas/compute/retiring.ts). */
const RETIRE_ASSUMED_SECONDS = 20;
/**
 * A new green replays the writes the blue took while it was created, then keeps up. How long
 * that takes depends on the write load, which nothing declares, and Check Replica Lag reads the
 * metric per one-minute period (lambdas/replace-database/replica-lag.ts), so the lag is first
 * seen under the threshold some datapoints after the green is available: counted as 4 min after
 * it is, and listed as assumed. (No AWS figure was found for it: a person's own measurement of a
 * green's catch-up is the better number.)
 */
const GREEN_CATCH_UP_ASSUMED_SECONDS = 240;
/**
 * With logical replication (a PostgreSQL major upgrade), twice that, also assumed: "The logical
 * replication apply process in the green environment is single-threaded" (RDS User Guide,
 * limitations with logical replication), so it catches up no faster than physical replay.
 */
const LOGICAL_CATCH_UP_ASSUMED_SECONDS = 2 * GREEN_CATCH_UP_ASSUMED_SECONDS;

/** Scale-out's and replace's own states, outside their tiers (statemachines/constructs/compute-run.ts): Start, Plan, Acquire Lock, Notify Started, Leftovers?, Database Needed?, Provision, Provision Tiers, Unlock, Notify Succeeded, Complete. */
const COMPUTE_RUN_STATES = 11;
/**
 * Allocate and replace also pass Anything To Do? after their plan (a plan that finds nothing ends there,
 * before the lock: compute-run.ts); a plan with nothing to do runs Start, Plan, Anything To Do?, Notify
 * Succeeded, Complete (allocate also Nothing Allocated).
 */
const NOTHING_TO_DO_CHOICE = 1;
const NOTHING_TO_DO_STATES = 5;
/**
 * Allocate's own states (compute-run.ts allocateStages): Start, Plan Allocate, Acquire Lock,
 * Notify Started, Leftovers?, Prepare, Database Needed?, Prepare Tiers, Hosts Prepared,
 * Database Ready, Prepared, Prepared?, Both Prepared, Restore To Check?, Provision, Provision
 * Tiers, Restored?, Nothing Restored (or Record Database), Unlock, Notify Succeeded, Complete.
 * (Restore To Check? exists only where the environment defines database.restore: one transition
 * more than the run of one that does not.)
 */
const ALLOCATE_RUN_STATES = 21;
/** Allocate restoring for the hosts it launches, after the join and besides the check's looks: Point At Restored, Write Connection. */
const POINT_AT_RESTORED_STATES = 2;
/** Per provisioned tier: Launch Hosts, Hosts Launched?, Verify Dependencies, Store New Hosts, New Hosts To Segments, Provision Roll Segments (the ready looks and the segments apart). */
const PROVISION_TIER_STATES = 6;
/** Per segment, in the parent (its Map iteration's task) and the child: Batch Mode? (once a segment), Segment Done. */
const SEGMENT_STATES = 1 + 2;
/** Per new-host batch: Load Batch (or Load Next New Batch), Start Set Up, Install On New Hosts, Put New Hosts In Service, More New Batches?. */
const PROVISION_BATCH_STATES = 5;
/** Per setup step, besides its looks: its start (Set Up Hosts, then Set Up Next Step), its last Choice, More Set Up?. */
const SETUP_STEP_STATES = 3;
/** A child execution's events outside its batches (lambdas/shared/history-budget.ts plans with the same). */
const CHILD_OVERHEAD_EVENTS = 12;
/** Replace: Disaster Recovery?, Old Hosts Still In Place?, Retire Replaced, Retire Roll Tiers. */
const REPLACE_STATES = 4;
/** Per retire batch: Load Batch (or Load Next Retired Batch), Check Retire Capacity, Retire Capacity Kept?, Take Retiring Hosts Out, Retire Hosts, More Retired Batches?. */
const RETIRE_BATCH_STATES = 6;
/** Restore-data: Start, Plan, Acquire Lock, Notify Started, Run Restore, Restore Database, Validate Data, Repoint, Write Connection, Repoint Roll Tiers, Repoint Start Bake, Repoint Baked, Record Database, Unlock, Notify Succeeded, Complete. */
const RESTORE_STATES = 16;
/** Per repoint batch: Load Batch (or Load Next Repointed Batch), Check Repoint Capacity, Repoint Capacity Kept?, Take Repoint Batch Out, Reconfigure, Return, Check Alarms (in Repoint Batch Healthy?'s gate), More Repointed Batches?. */
const REPOINT_BATCH_STATES = 8;
/**
 * Recover's own states (statemachines/recover/recover-workflow.ts): Start, Plan Recover, Notify
 * Started, Allocate Environment, Hosts To Repoint?, Restore Environment Data (or, when allocate
 * restored, Restored By Allocate), Release Recorded Release, Report Recovery, Notify Succeeded,
 * Complete.
 */
const RECOVER_STATES = 10;
/**
 * Scale-in's own states (statemachines/scale-in/scale-in-workflow.ts): Start, Plan Scale In,
 * Acquire Lock, Notify Started, Remove Hosts, Remove Roll Tiers, Unlock, Notify Succeeded,
 * Scale In Complete (the tier's Remove Roll Segments and its segments are retire()'s).
 */
const SCALE_IN_STATES = 9;
/**
 * Replace-database's own states (statemachines/replace-database/replace-database-workflow.ts):
 * Start, Plan Replace Database, Acquire Lock, Notify Started, Run Replacement, Record
 * Replacement, Unlock, Notify Succeeded, Replace Database Complete.
 */
const REPLACE_DATABASE_STATES = 9;

export interface WorkflowEstimate {
  /** Seconds from start to the end, if every phase takes what is declared or assumed. */
  readonly expectedSeconds: number;
  readonly stateTransitions: number;
  readonly costUsd: number;
  /** Child executions (rollout segments) the run starts. */
  readonly childExecutions: number;
  /**
   * History budget: the most events the fullest child execution could need (every phase polled
   * to its timeout, as the plan's segments are cut), against what one execution is planned with.
   */
  readonly history: { readonly worstChildEvents: number; readonly budget: number };
  /** What nothing declares, and what it is counted as. */
  readonly undeclared: string[];
  /**
   * The retire guards' protection reads the planner makes before anything else (retire-guards.ts),
   * counted in `expectedSeconds` at the guard's pace (ATTRIBUTE_PACE). Absent when it reads none.
   * `atMost`: a stop skips hosts already stopped, which the plan does not say: the count is the most.
   */
  readonly protectionReads?: ProtectionReads;
}

/**
 * A polled phase as the handlers poll it: its start task sets the first pause
 * (lambdas/shared/poll-schedule.ts nextWaitSeconds); each look is the Choice, a Wait unless the
 * pause is 0, and a check invocation, which keeps looking every WATCH_INTERVAL_MS while the
 * schedule says 0, for up to its TIME_BUDGET_MS (lambdas/shared/phase.ts watchPhase), and
 * returns done, the next pause, or 0 (the Choice runs it again, without a Wait). When it is
 * seen done, with how many check invocations and loop transitions, if it takes `seconds` and
 * the handler expects `expected`.
 */
export function seenDone(seconds: number, expected: number | undefined, bounds: PollingBounds): Seen {
  const pauseAt = (elapsed: number) => nextWaitSeconds({ elapsedMs: elapsed * 1000, untilDeadlineMs: Number.MAX_SAFE_INTEGER, bounds, expectedSeconds: expected });
  const interval = WATCH_INTERVAL_MS / 1000;
  const budget = TIME_BUDGET_MS / 1000;
  let elapsed = 0;
  let looks = 0;
  let loop = 0;
  let pause = pauseAt(0);
  let firstPause = 0;
  for (;;) {
    // The Choice, the Wait when there is a pause, the check.
    loop += pause > 0 ? 3 : 2;
    if (looks === 0) firstPause = pause;
    elapsed += pause;
    looks += 1;
    const watchStarted = elapsed;
    for (;;) {
      if (elapsed >= seconds) return { seconds: elapsed, looks, loop, took: seconds, firstPause };
      pause = pauseAt(elapsed);
      if (pause > 0 || elapsed + interval > watchStarted + budget) break;
      elapsed += interval;
    }
  }
}

/** When a polled phase is seen done, with how many check invocations, the transitions of its looks (Choice, Wait, check each), and what it took. */
interface Seen {
  readonly seconds: number;
  readonly looks: number;
  readonly loop: number;
  readonly took: number;
  /** The pause before the first look: a start that never reports done goes straight to its Wait, without the first Choice. */
  readonly firstPause: number;
}

/**
 * A phase's looks after a start that never reports done (LongOperation `start.neverDone`): the first look's Wait stands
 * where its Choice was, so a first look after a pause has one transition fewer (a Wait of 0 costs what the Choice did).
 */
const afterNeverDone = (seen: Seen) => seen.loop - (seen.firstPause > 0 ? 1 : 0);

/** A Run Command phase: delivered, then run for what it declares. */
function command(spec: CommandSpec, bounds: PollingBounds, what: string, undeclared: string[]): Seen {
  if (spec.expectedSeconds === undefined) undeclared.push(`${what} (${spec.document}: no expectedSeconds)`);
  return seenDone(DELIVERY_SECONDS + (spec.expectedSeconds ?? 0), spec.expectedSeconds, bounds);
}

/** A phase: its start, its looks, and its last Choice. */
const phaseTransitions = (seen: Seen) => 1 + seen.loop + 1;

class Tally {
  seconds = 0;
  transitions = 0;
  children = 0;
  worstChild = 0;
  readonly undeclared: string[] = [];

  segments(tier: { spec: TierPlan; batchCount: number }): void {
    const perSegment = Math.max(1, batchesPerSegment(tier.spec));
    const count = Math.ceil(tier.batchCount / perSegment);
    this.children += count;
    this.transitions += count * SEGMENT_STATES;
    this.worstChild = Math.max(this.worstChild, CHILD_OVERHEAD_EVENTS + Math.min(tier.batchCount, perSegment) * worstBatchEvents(tier.spec));
  }

  reads: ProtectionReads | undefined;

  /** The planner's protection reads, before anything else of the run. */
  protection(reads: ProtectionReads | undefined): void {
    this.reads = reads;
    this.seconds += reads?.seconds ?? 0;
  }

  result(): WorkflowEstimate {
    const transitions = Math.round(this.transitions);
    return {
      ...(this.reads ? { protectionReads: this.reads } : {}),
      expectedSeconds: Math.round(this.seconds),
      stateTransitions: transitions,
      costUsd: transitions * USD_PER_TRANSITION,
      childExecutions: this.children,
      history: { worstChildEvents: this.worstChild, budget: HISTORY_BUDGET },
      undeclared: [...new Set(this.undeclared)],
    };
  }
}

/**
 * Allocate, scale-out, replace. Scale-out and replace: each tier's new hosts side by side, then
 * (replace) the old ones retired; disaster recovery retires first. Allocate (compute-run.ts
 * allocateStages): the database branch (created, restored, or nothing) and every tier's launch,
 * readiness and checks are the two branches of one Parallel, so that part takes the slower of
 * the two; after the join, a restore's check and the connection written, then every tier's
 * batches set up, installed and put into service side by side.
 */
export function estimateCompute(plan: ComputePlan): WorkflowEstimate {
  const tally = new Tally();
  const allocate = plan.workflow === 'allocate';
  if (plan.nothingToDo) {
    tally.transitions += NOTHING_TO_DO_STATES + (allocate ? 1 : 0);
    return tally.result();
  }
  tally.transitions += (allocate ? ALLOCATE_RUN_STATES : COMPUTE_RUN_STATES) + (plan.workflow === 'scale-out' ? 0 : NOTHING_TO_DO_CHOICE);
  let database = 0;
  let afterJoin = 0;
  if (plan.database) {
    const assumed = plan.database.fromSnapshot ? EXPECTED_RESTORE_SECONDS : EXPECTED_CREATE_SECONDS + FIRST_BACKUP_ASSUMED_SECONDS;
    // Create Database looks first when a creation usually ends, restoring from a snapshot too (lambdas/compute/database-creation.ts).
    const seen = seenDone(assumed, EXPECTED_CREATE_SECONDS, plan.database.polling);
    database = seen.seconds;
    // Create Database never reports done: no Choice before its first look.
    tally.transitions += 1 + afterNeverDone(seen) + 1;
    tally.undeclared.push(
      plan.database.fromSnapshot
        ? `restoring ${plan.database.instanceIdentifier} from its snapshot, counted as ${assumed / 60} min`
        : `creating ${plan.database.instanceIdentifier} and its first backup, counted as ${assumed / 60} min`,
    );
  }
  if (plan.restore) {
    // Restore Database looks first when a restore usually ends (lambdas/restore-data/restore.ts), as restore-data's does.
    const restore = seenDone(EXPECTED_RESTORE_SECONDS, EXPECTED_RESTORE_SECONDS, plan.restore.polling);
    tally.undeclared.push(`RDS restoring ${plan.restore.target.identifier}, counted as ${EXPECTED_RESTORE_SECONDS / 60} min (it grows with the data)`);
    database = restore.seconds;
    tally.transitions += phaseTransitions(restore);
    // After the join, on the runner tier's first new host: the check, then Write Connection.
    const check = command(plan.restore.check, plan.restore.polling, 'the database check', tally.undeclared);
    afterJoin = check.seconds;
    tally.transitions += POINT_AT_RESTORED_STATES + 1 + afterNeverDone(check) + 1;
  }
  const provisioned = plan.tiers.map((tier) => provision(tier, tally));
  let retiring = 0;
  if (plan.retire) {
    // Plan Replace reads the targets' protection before it returns (replace may name a stopped host: a stop skips it).
    tally.protection(protectionReadsOf(plan.retire.tiers.map((t) => ({ hosts: t.spec.hostCount, policy: t.spec.retire ?? 'terminate', mayBeStopped: true }))));
    tally.transitions += REPLACE_STATES;
    for (const tier of plan.retire.tiers) retiring += retire(tier, tally);
  }
  if (allocate) {
    // Prepare: [database] || [every tier launched and ready]; then the batches of every tier at once.
    const launched = Math.max(0, ...provisioned.map((p) => p.ready));
    const rolled = Math.max(0, ...provisioned.map((p) => p.batches));
    tally.seconds += Math.max(database, launched) + afterJoin + rolled;
  } else {
    // Tiers are provisioned side by side (Provision Tiers), retired one at a time (Roll Tiers: statemachines/constructs/roll-tiers.ts).
    tally.seconds += database + Math.max(0, ...provisioned.map((p) => p.ready + p.batches)) + retiring;
  }
  return tally.result();
}

/** One tier's new hosts: ready, then set up, installed, healthy in service (batches of up to 2,000, one after another). */
function provision(tier: ProvisionTier, tally: Tally): { ready: number; batches: number } {
  const { spec } = tier;
  const bounds = spec.polling;
  const ready = seenDone(EXPECTED_READY_SECONDS, EXPECTED_READY_SECONDS, bounds);
  tally.undeclared.push(`a new host booting, passing its status checks and coming online in SSM, counted as ${EXPECTED_READY_SECONDS / 60} min`);
  tally.transitions += PROVISION_TIER_STATES + phaseTransitions(ready);
  let batch = 0;
  let batchTransitions = PROVISION_BATCH_STATES;
  for (const step of tier.setup) {
    const seen =
      step.purpose === 'probe'
        ? seenDone(DELIVERY_SECONDS + PROBE_ASSUMED_SECONDS, undefined, bounds)
        : command(step, bounds, `${spec.name}'s prerequisite`, tally.undeclared);
    batch += seen.seconds;
    batchTransitions += seen.loop + SETUP_STEP_STATES;
  }
  const install = command(spec.install, bounds, `${spec.name}'s install`, tally.undeclared);
  const health = healthOf(spec, tally.undeclared);
  batch += install.seconds + health.seconds;
  batchTransitions += afterNeverDone(install) + 1 + afterNeverDone(health) + 1;
  const batchCount = Math.ceil(spec.hostCount / spec.batchSize);
  tally.transitions += spec.hostCount === 0 ? 0 : batchCount * batchTransitions;
  tally.segments({ spec, batchCount });
  return { ready: ready.seconds, batches: batchCount * batch };
}

/** A target passes its health checks (interval x healthy threshold); other tiers run their health command, or none. */
function healthOf(spec: TierPlan, undeclared: string[]): Seen {
  if (spec.traffic.kind === 'target-group') return seenDone(spec.healthyAfterSeconds, spec.healthyAfterSeconds, spec.polling);
  if (spec.healthCommand) return command(spec.healthCommand, spec.polling, `${spec.name}'s health command`, undeclared);
  return seenDone(0, undefined, spec.polling);
}

/**
 * A tier's replaced (or, scale-in, removed) hosts: taken out, drained as a release's batch is
 * (the host-side drain check on the groups' ports, else the deregistration delay the planner
 * read: lambdas/compute/retire-traffic.ts), stopped or terminated.
 */
function retire(tier: StoredTier, tally: Tally, why: 'replaced' | 'removed' = 'replaced'): number {
  const { spec } = tier;
  const drain = drainOf(spec, tally.undeclared);
  if (spec.traffic.kind === 'target-group' && !spec.drainCheck && spec.traffic.deregistrationDelaySeconds === undefined) {
    tally.undeclared.push(`a ${why} host's drain, counted as ELB's default deregistration delay (${DEREGISTRATION_DELAY_ASSUMED_SECONDS} s)`);
  }
  const stop = seenDone(RETIRE_ASSUMED_SECONDS, RETIRE_ASSUMED_SECONDS, spec.polling);
  tally.transitions += 1; // Retire Roll Segments
  tally.transitions += tier.batchCount * (RETIRE_BATCH_STATES + drain.loop + 1 + stop.loop + 1);
  tally.segments(tier);
  return tier.batchCount * (drain.seconds + stop.seconds);
}

/**
 * Scale-in: its own states, then the tier's chosen hosts retired batch by batch (the rollout's
 * retire mode: capacity checked, out of traffic, drained, stopped or terminated). Nothing launches.
 */
export function estimateScaleIn(plan: ComputePlan): WorkflowEstimate {
  const tally = new Tally();
  tally.transitions += SCALE_IN_STATES;
  // Plan Scale In reads the chosen hosts' protection before it returns: they are pending or running, so each is read.
  tally.protection(protectionReadsOf((plan.retire?.tiers ?? []).map((t) => ({ hosts: t.spec.hostCount, policy: t.spec.retire ?? 'terminate' }))));
  // Roll Tiers: one tier at a time (scale-in names one).
  for (const tier of plan.retire?.tiers ?? []) tally.seconds += retire(tier, tally, 'removed');
  return tally.result();
}

/**
 * Replace-database: one after another in the parent (no child execution), the green created
 * (Create Green looks first when RDS usually has the copy ready), checked by the environment's
 * check document, caught up (ReplicaLag under the threshold), switched over, recorded.
 */
export function estimateReplaceDatabase(plan: ReplaceDatabasePlan): WorkflowEstimate {
  const tally = new Tally();
  tally.transitions += REPLACE_DATABASE_STATES;
  const green = seenDone(EXPECTED_PROVISION_SECONDS, EXPECTED_PROVISION_SECONDS, plan.polling);
  tally.undeclared.push(`RDS creating the green copy of ${plan.current.identifier}, counted as ${EXPECTED_PROVISION_SECONDS / 60} min (it grows with the data)`);
  const check = command(plan.check, plan.polling, 'the database check', tally.undeclared);
  // The catch-up runs from when the green is available, so through its check too. Measure
  // Replica Lag is itself a watching look (lambdas/replace-database/check-replica-lag.ts: the
  // start and the check are one watchPhase handler, and a first look has no expectation, so it
  // watches at once): the first look's Choice and check are the start's.
  const logical = plan.replication === 'logical';
  const catchUp = logical ? LOGICAL_CATCH_UP_ASSUMED_SECONDS : GREEN_CATCH_UP_ASSUMED_SECONDS;
  const lag = seenDone(Math.max(0, catchUp - check.seconds), undefined, plan.polling);
  tally.undeclared.push(
    logical
      ? `the green catching up by logical replication to at most ${plan.maxLagSeconds} s of the blue's WAL (OldestReplicationSlotLag), counted as ${catchUp / 60} min after it is available (its apply is single-threaded; it grows with the writes)`
      : `the green catching up to a ReplicaLag of at most ${plan.maxLagSeconds} s, counted as ${catchUp / 60} min after it is available (it grows with the writes)`,
  );
  const switchoverSeconds = Math.min(EXPECTED_SWITCHOVER_SECONDS, plan.switchoverTimeoutSeconds);
  const switchover = seenDone(switchoverSeconds, switchoverSeconds, plan.polling);
  tally.undeclared.push(`the switchover, counted as ${switchoverSeconds} s (RDS: it "typically takes under a minute")`);
  tally.seconds += green.seconds + check.seconds + lag.seconds + switchover.seconds;
  tally.transitions += phaseTransitions(green) + phaseTransitions(check) + (phaseTransitions(lag) - 2) + phaseTransitions(switchover);
  return tally.result();
}

/** Restore-data: the restore, the check from a middle host, the hosts repointed tier by tier in batches, the bake. */
export function estimateRestore(plan: {
  readonly target: { readonly identifier: string };
  readonly check: CommandSpec;
  readonly reconfigure: CommandSpec;
  readonly validation: { readonly bakeSeconds: number };
  readonly polling: RestorePlan['polling'];
  readonly tiers: ReadonlyArray<RepointTier>;
}): WorkflowEstimate {
  const tally = new Tally();
  tally.transitions += RESTORE_STATES;
  const restore = seenDone(EXPECTED_RESTORE_SECONDS, EXPECTED_RESTORE_SECONDS, plan.polling);
  tally.undeclared.push(`RDS restoring ${plan.target.identifier}, counted as ${EXPECTED_RESTORE_SECONDS / 60} min (it grows with the data)`);
  const check = command(plan.check, plan.polling, 'the database check', tally.undeclared);
  tally.seconds += restore.seconds + check.seconds;
  tally.transitions += restore.loop + 1 + afterNeverDone(check) + 1;
  // One tier at a time (Roll Tiers). The first batch of a tier expects what the environment
  // declares of each phase; the next ones what the batch before took (the rollout passes its
  // tookSeconds on as `expected`), so they wait until shortly before it and watch to the end.
  for (const tier of plan.tiers) {
    const { spec } = tier;
    tally.transitions += 1; // Repoint Roll Segments
    const phases = [drainOf(spec, tally.undeclared), command(plan.reconfigure, spec.polling, 'the reconfigure', tally.undeclared), healthOf(spec, tally.undeclared)];
    const later = phases.map((p) => seenDone(p.took, p.seconds, spec.polling));
    const sum = (seen: Seen[], of: (s: Seen) => number) => seen.reduce((n, x) => n + of(x), 0);
    tally.seconds += sum(phases, (p) => p.seconds) + (tier.batchCount - 1) * sum(later, (p) => p.seconds);
    // The reconfigure and the return never report done at their start (no Choice before their first look); the take-out may.
    const loops = (seen: Seen[]) => seen.reduce((n, x, i) => n + (i === 0 ? x.loop : afterNeverDone(x)), 0);
    tally.transitions += tier.batchCount * (REPOINT_BATCH_STATES + 3) + loops(phases) + (tier.batchCount - 1) * loops(later);
    tally.segments(tier);
  }
  const bakeLooks = Math.ceil(plan.validation.bakeSeconds / BAKE_CHECK_SECONDS);
  tally.seconds += plan.validation.bakeSeconds;
  // A bake of some length starts straight into its Wait (statemachines/constructs/bake.ts): a Wait, a check and a Choice a look.
  tally.transitions += bakeLooks > 0 ? 3 * bakeLooks : 1;
  return tally.result();
}

/** A tier whose hosts are repointed, by batch (stored, or as they will be once launched). */
export interface RepointTier {
  readonly spec: TierPlan;
  readonly batchCount: number;
}

/** Out of traffic: the host-side drain check when declared, else the deregistration delay (release-estimate.ts does the same). */
function drainOf(spec: TierPlan, undeclared: string[]): Seen {
  if (spec.traffic.kind !== 'target-group') return seenDone(0, undefined, spec.polling);
  if (spec.drainCheck) return command(spec.drainCheck, spec.polling, `${spec.name}'s drain check`, undeclared);
  const delay = spec.traffic.deregistrationDelaySeconds ?? DEREGISTRATION_DELAY_ASSUMED_SECONDS;
  return seenDone(delay, delay, spec.polling);
}

/**
 * Recover: allocate, then (when hosts remained to repoint) restore-data, then a release of the
 * recorded release (up to date when the new hosts got it), one after another. Without a
 * restore-data part, allocate restored the data while its hosts launched (its own estimate).
 */
export function estimateRecover(parts: { allocate: WorkflowEstimate; restore?: WorkflowEstimate; release: { expectedSeconds: number; stateTransitions: number; segments: number; undeclared: string[] } }): WorkflowEstimate {
  const { allocate, restore, release } = parts;
  const transitions = RECOVER_STATES + allocate.stateTransitions + (restore?.stateTransitions ?? 0) + release.stateTransitions;
  return {
    expectedSeconds: allocate.expectedSeconds + (restore?.expectedSeconds ?? 0) + release.expectedSeconds,
    stateTransitions: transitions,
    costUsd: transitions * USD_PER_TRANSITION,
    // Each part is a child execution of its own, besides the segments they start.
    childExecutions: (restore ? 3 : 2) + allocate.childExecutions + (restore?.childExecutions ?? 0) + release.segments,
    history: { worstChildEvents: Math.max(allocate.history.worstChildEvents, restore?.history.worstChildEvents ?? 0), budget: HISTORY_BUDGET },
    undeclared: [...new Set([...allocate.undeclared, ...(restore?.undeclared ?? []), ...release.undeclared])],
  };
}
