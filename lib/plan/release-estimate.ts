/**
 * What a release plan will take, before it starts: its duration and its state transitions
 * (Step Functions bills standard workflows per transition), from the plan itself and the
 * environment's declared durations. A model, not a measurement: each polled phase is
 * assumed to take what the environment declares (`expectedSeconds`, the deregistration
 * delay, the health-check threshold) and to be seen done on its first or second look; a phase with no
 * declared duration is counted at its first look only, and the figures say so
 * (`undeclared`). Held to the simulator by test/unit/plan/release-estimate.test.ts.
 */
import { protectionReadsOf, type ProtectionReads } from './protection-reads';
import type { CommandSpec, DeployPlan, TierPlan } from '../../lambdas/domain/contract/payloads';
import { isHostTier, type EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { BAKE_CHECK_SECONDS } from '../../lambdas/shared/poll-schedule';
import { batchesPerSegment, HISTORY_BUDGET, segmentsOf, worstBatchEvents, worstParentEvents } from '../../lambdas/shared/history-budget';

/**
 * Seconds from SendCommand to the command running on the host. Run Command delivers through
 * the SSM Agent's long poll; a few seconds is typical, and the figure only shifts the estimate.
 */
export const DELIVERY_SECONDS = 2;
/**
 * An RDS snapshot's duration is not known in advance (the first is a full copy, later ones
 * incremental, "the first snapshot of a DB instance contains the data for the full DB
 * instance. Subsequent snapshots of the same DB instance are incremental": RDS User Guide,
 * Creating a DB snapshot). Counted at two minutes, and the plan says so.
 */
const SNAPSHOT_ASSUMED_SECONDS = 120;
/**
 * Looks a polled phase takes when its hosts end around the declared duration: a Wait until
 * shortly before it, then one check that watches to the end (lambdas/shared/poll-schedule.ts).
 */
const LOOKS_PER_PHASE = 1;
/** Each look is a Choice, a Wait and a check task (lambdas/shared/poll-schedule.ts). */
const TRANSITIONS_PER_LOOK = 3;
/**
 * The states a batch passes through outside its looks (statemachines/rollout): Load Batch (or
 * Load Next Batch), Check Capacity, Capacity Kept?, Take Batch Out, the drain's first choice,
 * Install Release, Return Batch To Traffic, Check Alarms (the gate is a rule of Batch Healthy?),
 * More Batches?. The install and the put-into-service never report done
 * at their start: no first choice before their looks (LongOperation `start.neverDone`).
 */
const TRANSITIONS_PER_BATCH = 9;
/** A segment's child execution: Batch Mode? (once a segment), Segment Done; in the parent, its Map iteration and task. */
const TRANSITIONS_PER_SEGMENT = 2 + 2;
/**
 * The release's own states (statemachines/deploy): Start, Plan Release, Acquire Lock, Run
 * Release, Up To Date?, Notify Started, Preflight, Database Step?, Roll Tiers, Start Bake,
 * Approval Required?, Record Release, Unlock, Notify Succeeded, Release Complete; and Terminate
 * Surged Hosts where the environment has a surge tier (the state exists only there).
 */
const TRANSITIONS_PER_RELEASE = 15;
/**
 * A release with nothing to do (upToDate: every host runs it already): Start, Plan Release,
 * Acquire Lock, Run Release, Up To Date?, Record Release, Unlock, Notify Succeeded, Release
 * Complete (statemachines/deploy/deploy-workflow.ts); and Terminate Surged Hosts with a surge tier.
 */
const TRANSITIONS_UP_TO_DATE = 9;
/**
 * Check Database and its choice, Create Snapshot, Run Migration, Recheck Database and its choice (the snapshot's and
 * the migration's starts never report done: their looks start with the Wait, without a first choice).
 */
const TRANSITIONS_PER_DATABASE_STEP = 6;
/** Step Functions standard workflows, us-east-1: USD 0.025 per 1,000 state transitions (AWS Step Functions pricing). */
export const USD_PER_TRANSITION = 0.025 / 1000;

export interface ReleaseEstimate {
  /** Seconds from start to the release recorded, if every phase takes what is declared. */
  readonly expectedSeconds: number;
  readonly stateTransitions: number;
  readonly costUsd: number;
  /** Child executions (segments) the rollout runs, and the most batches one holds within the history budget. */
  readonly segments: number;
  /** Phases whose duration nothing declares: the estimate counts them as instant, or as it says. */
  readonly undeclared: string[];
  /**
   * History budget: the most events the release execution and its fullest child could need
   * (every phase polled to its timeout, then reverted: what the plan's segments are cut by),
   * against what one execution is planned with.
   */
  readonly history: { readonly worstParentEvents: number; readonly worstChildEvents: number; readonly budget: number };
  /** Plan Release's protection reads of the surge tiers' old hosts (retire-guards.ts), counted in `expectedSeconds`; absent with none. */
  readonly protectionReads?: ProtectionReads;
}

/** A child execution's events outside its batches (lambdas/shared/history-budget.ts plans with the same). */
const CHILD_OVERHEAD_EVENTS = 12;

/** Whether the environment has a surge tier, so its deploy workflow holds Terminate Surged Hosts. */
export function hasSurgeTier(environment: EnvironmentDefinition): boolean {
  return environment.tiers.some((t) => isHostTier(t) && t.batch.strategy === 'surge');
}

/**
 * `surgeCleanup`: the environment has a surge tier, so its deploy workflow runs Terminate Surged Hosts
 * after recording the release (statemachines/deploy/deploy-workflow.ts `releasesBySurge`).
 */
export function estimateRelease(plan: DeployPlan, surgeCleanup = false): ReleaseEstimate {
  const cleanup = surgeCleanup ? 1 : 0;
  if (plan.upToDate) {
    const history = { worstParentEvents: worstParentEvents({ segments: 0, validation: plan.validation }), worstChildEvents: 0, budget: HISTORY_BUDGET };
    const upToDate = TRANSITIONS_UP_TO_DATE + cleanup;
    return { expectedSeconds: 0, stateTransitions: upToDate, costUsd: upToDate * USD_PER_TRANSITION, segments: 0, undeclared: [], history };
  }
  const undeclared: string[] = [];
  // Plan Release reads the protection of every surge tier's old hosts (both: they are stopped, then terminated) before it returns.
  const reads = protectionReadsOf(plan.tiers.filter((t) => t.spec.surge).map((t) => ({ hosts: t.batches.reduce((n, b) => n + b.length, 0), policy: 'terminate' as const })));
  let seconds = reads?.seconds ?? 0;
  let transitions = TRANSITIONS_PER_RELEASE + cleanup;
  if (plan.database) {
    transitions += TRANSITIONS_PER_DATABASE_STEP + 2 * LOOKS_PER_PHASE * TRANSITIONS_PER_LOOK;
    seconds += SNAPSHOT_ASSUMED_SECONDS + DELIVERY_SECONDS + declared(plan.database.migration, 'the migration', undeclared);
    undeclared.push(`the database snapshot, counted as ${SNAPSHOT_ASSUMED_SECONDS / 60} min (RDS: the first is a full copy, later ones incremental)`);
  }
  seconds += plan.validation.bakeSeconds;
  // A bake of some length starts straight into its Wait (statemachines/constructs/bake.ts): each look a Wait, a check and a Choice.
  const bakeLooks = Math.ceil(plan.validation.bakeSeconds / BAKE_CHECK_SECONDS);
  transitions += bakeLooks > 0 ? bakeLooks * TRANSITIONS_PER_LOOK : 1;
  if (plan.validation.approval.required) undeclared.push('the approver\'s answer');
  let segments = 0;
  let worstChildEvents = 0;
  for (const tier of plan.tiers) {
    const batch = batchSeconds(tier.spec, undeclared);
    seconds += tier.batchCount * batch.seconds;
    transitions += tier.batchCount * (TRANSITIONS_PER_BATCH + batch.looks * TRANSITIONS_PER_LOOK);
    const perSegment = Math.max(1, batchesPerSegment(tier.spec));
    const tierSegments = segmentsOf(tier.batchCount, perSegment).length;
    worstChildEvents = Math.max(worstChildEvents, CHILD_OVERHEAD_EVENTS + Math.min(tier.batchCount, perSegment) * worstBatchEvents(tier.spec));
    segments += tierSegments;
    transitions += tierSegments * TRANSITIONS_PER_SEGMENT;
  }
  const database = plan.database
    ? { snapshotTimeoutSeconds: plan.database.snapshotTimeoutSeconds, migrationTimeoutSeconds: plan.database.migration.timeoutSeconds, polling: plan.database.polling }
    : undefined;
  const history = { worstParentEvents: worstParentEvents({ segments, validation: plan.validation, database }), worstChildEvents, budget: HISTORY_BUDGET };
  return { expectedSeconds: Math.round(seconds), stateTransitions: Math.round(transitions), costUsd: Math.round(transitions) * USD_PER_TRANSITION, segments, undeclared: [...new Set(undeclared)], history, ...(reads ? { protectionReads: reads } : {}) };
}

/** One batch of the tier: out of traffic, installed, back and healthy. */
function batchSeconds(tier: TierPlan, undeclared: string[]): { seconds: number; looks: number } {
  let seconds = DELIVERY_SECONDS + declared(tier.install, `${tier.name}'s install`, undeclared);
  let looks = LOOKS_PER_PHASE; // the install
  switch (tier.traffic.kind) {
    case 'target-group':
      // Drained once the host-side check says its connections closed, else when ELB stops showing it draining.
      seconds += tier.drainCheck ? DELIVERY_SECONDS + declared(tier.drainCheck, `${tier.name}'s drain check`, undeclared) : (tier.traffic.deregistrationDelaySeconds ?? 300);
      seconds += tier.healthyAfterSeconds;
      looks += 2 * LOOKS_PER_PHASE;
      break;
    case 'drain-command':
      // Drained and undrained by their documents, each polled to its end.
      seconds += 2 * DELIVERY_SECONDS + declared(tier.traffic.drain, `${tier.name}'s drain`, undeclared) + declared(tier.traffic.undrain, `${tier.name}'s undrain`, undeclared);
      looks += 2 * LOOKS_PER_PHASE;
      if (tier.healthCommand) seconds += DELIVERY_SECONDS + declared(tier.healthCommand, `${tier.name}'s health command`, undeclared);
      looks += LOOKS_PER_PHASE;
      break;
    default:
      if (tier.healthCommand) seconds += DELIVERY_SECONDS + declared(tier.healthCommand, `${tier.name}'s health command`, undeclared);
      looks += LOOKS_PER_PHASE;
  }
  if (tier.surge) undeclared.push(`${tier.name}'s surge hosts booting and being set up`);
  return { seconds, looks };
}

function declared(command: CommandSpec, what: string, undeclared: string[]): number {
  if (command.expectedSeconds === undefined) undeclared.push(`${what} (${command.document}: no expectedSeconds)`);
  return command.expectedSeconds ?? 0;
}
