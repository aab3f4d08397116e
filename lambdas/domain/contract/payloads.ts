/**
 * The payload that flows between the states of the deploy workflow. It stays small:
 * IDs, names, counts and timestamps, never whole API responses.
 */

/** Execution input, as typed into the console or sent by StartExecution. */
export interface DeployInput {
  /** The release to install, e.g. "2026.11.25-1". */
  readonly release: string;
  /** Release windows send `"next"`: install the release queued in /fleetflow/<env>/<component>/next. */
  readonly releaseFrom?: 'next';
  /** What the release is of. @default "application" */
  readonly component: 'application' | 'monitoring';
  /** Overrides the environment's policy for a failed validation. */
  readonly onValidationFailure?: 'rollback' | 'halt';
  /** Overrides whether a person must approve the release after the bake. */
  readonly requireApproval?: boolean;
}

/** What a release window sends instead of a release: take the one queued for the window. */
export const QUEUED_RELEASE = 'next';

export interface CommandSpec {
  readonly document: string;
  readonly parameters: Record<string, string[]>;
  readonly timeoutSeconds: number;
  /** How long the document usually runs, when the environment says: the first look of the first batch. */
  readonly expectedSeconds?: number;
}

export type TrafficPlan =
  | {
      readonly kind: 'target-group';
      readonly targetGroupArns: string[];
      /**
       * The largest `deregistration_delay.timeout_seconds` of the tier's target groups: ELB shows a
       * deregistered target `draining` until it has elapsed. The first drain look comes then
       * (without a host-side check). Absent from plans that did not read it.
       */
      readonly deregistrationDelaySeconds?: number;
      /** The target groups' ports (the service port a host-side drain check watches). */
      readonly ports?: number[];
    }
  | { readonly kind: 'drain-command'; readonly drain: CommandSpec; readonly undrain: CommandSpec }
  | { readonly kind: 'none' };

export interface HostRef {
  readonly id: string;
  /** The Name tag, for people reading errors and progress. */
  readonly name: string;
  /** The release the host had when the execution planned it: what a rollback restores. */
  readonly previous: string;
  /** The release this host must end up on, when it is not the execution's release (release rollback). */
  readonly target?: string;
}

/** Everything a batch needs to know about its tier, resolved against the live account. */
export interface TierPlan {
  readonly environment: string;
  readonly name: string;
  readonly role: 'web' | 'middle' | 'monitoring';
  /** The tags that select the tier's hosts (every one must match). */
  readonly hostTags?: Record<string, string>;
  readonly traffic: TrafficPlan;
  readonly install: CommandSpec;
  readonly drainTimeoutSeconds: number;
  /**
   * Target-group tiers: the host-side drain check (`drain.check`), sent to a batch's hosts once
   * they are deregistered; a host whose check succeeded counts as drained while ELB still
   * shows it `draining`.
   */
  readonly drainCheck?: CommandSpec;
  readonly healthTimeoutSeconds: number;
  /** Run on each host to check its service, for tiers no target group checks. */
  readonly healthCommand?: CommandSpec;
  /** Soonest a registered target can pass its health checks (interval x healthy threshold). */
  readonly healthyAfterSeconds: number;
  readonly alarms: string[];
  readonly hostCount: number;
  readonly minHealthy: number;
  /**
   * The largest batch of the rollout: `min(maxUnavailable, hostCount - minHealthy)`, or with
   * `batch.waves` the largest wave after that cap. Batches may be smaller (waves, the last one).
   */
  readonly batchSize: number;
  /**
   * Hosts the revert of a failed release moves at once (Plan Rollback): the tier's
   * `batch.rollback.maxUnavailable` capped by `hostCount - minHealthy`, else `batchSize`.
   * Absent from plans made before it existed; those revert by `batchSize`.
   */
  readonly rollbackBatchSize?: number;
  readonly polling: { readonly minSeconds: number; readonly maxSeconds: number };
  /** What retiring a host of this tier does once it is out of traffic (replace, surge). */
  readonly retire?: 'stop' | 'terminate';
  /**
   * `batch.strategy: "surge"`: each batch launches new hosts on the release (from the tier's
   * launch template, in the old hosts' subnets), sets them up and puts them in service, then
   * stops the batch's old hosts (kept until the release is validated).
   */
  readonly surge?: SurgePlan;
  /**
   * Repoint (restore-data): each batch runs `command` (the environment's reconfigure
   * document), so its hosts read the connection parameter again and use `database`.
   */
  readonly reconfigure?: { readonly command: CommandSpec; readonly database: string };
}

/** How a surge batch launches and sets up its new hosts (compute/types.ts ProvisionTier, less what the batch knows). */
export interface SurgePlan {
  readonly launch: import('../../compute/types').LaunchSpec;
  readonly setup: ReadonlyArray<import('../../compute/types').SetupStep>;
  readonly readyTimeoutSeconds: number;
}

export interface PlannedTier {
  readonly spec: TierPlan;
  readonly mode?: RolloutInput['mode'];
  readonly reason?: string;
  readonly batchCount: number;
  readonly batches: HostRef[][];
}

/** Consecutive batches of a tier that one child execution of the rollout workflow runs. */
export interface Segment {
  readonly first: number;
  readonly last: number;
}

/**
 * A tier as it travels through the execution: its batches' hosts are in the plan table
 * under `<keyPrefix>#<index>`, so the state grows with segments, never with hosts.
 */
export interface StoredTier {
  readonly spec: TierPlan;
  /** What the rollout's batches of this tier do (RolloutInput.mode). @default "release" */
  readonly mode?: RolloutInput['mode'];
  /** Why hosts are retired (mode "retire"). */
  readonly reason?: string;
  readonly batchCount: number;
  readonly keyPrefix: string;
  readonly segments: Segment[];
}

/** A plan as it travels through the execution: batches by reference, host lists as counts. */
export type StoredPlan = Omit<DeployPlan, 'tiers' | 'alreadyReleased'> & {
  readonly tiers: StoredTier[];
  /** Hosts already on the release; the first few are named for people. */
  readonly alreadyReleasedCount: number;
  readonly alreadyReleasedSample: string[];
};

/** Input of the rollout workflow: one segment of one tier. */
export interface RolloutInput {
  readonly release: string;
  readonly execution: string;
  readonly tier: TierPlan;
  readonly keyPrefix: string;
  readonly batchCount: number;
  readonly checkAlarms: boolean;
  readonly segment: Segment;
  /**
   * What each batch does: "release" (out, install, back, healthy; rolled back on failure),
   * "provision" (new hosts: set up, install, into traffic, healthy) or "retire" (replaced
   * hosts: out, drained, stopped or terminated) or "restore" (hosts a surge stopped: started,
   * back into traffic, healthy) or "repoint" / "repoint-back" (out, reconfigure for another
   * database, back, healthy; forward, a failed batch stays out for the repoint back to take first).
   */
  readonly mode: 'release' | 'provision' | 'retire' | 'restore' | 'repoint' | 'repoint-back';
  /** Provision: the setup steps every new host runs before the release (compute/types.ts SetupStep). */
  readonly setup: ReadonlyArray<CommandSpec & { readonly purpose: 'prerequisite' | 'probe' }>;
  /** Retire: why, tagged on each retired host. */
  readonly reason: string;
}

export interface DatabasePlan {
  readonly instanceIdentifier: string;
  /** Ties the snapshot to the release and the execution. */
  readonly snapshotId: string;
  readonly snapshotTimeoutSeconds: number;
  readonly migration: CommandSpec;
  /** The middle-tier host that runs the migration. */
  readonly runner: HostRef;
  readonly polling: { readonly minSeconds: number; readonly maxSeconds: number };
}

export interface ValidationPlan {
  readonly alarms: string[];
  readonly alarmPrefixes: string[];
  readonly bakeSeconds: number;
  readonly approval: { readonly required: boolean; readonly timeoutSeconds: number };
  readonly onFailure: 'rollback' | 'halt';
  readonly polling: { readonly minSeconds: number; readonly maxSeconds: number };
}

export interface DeployPlan {
  readonly environment: string;
  readonly component: 'application' | 'monitoring';
  readonly release: string;
  /** The release recorded as current before this execution (null on a first release). */
  readonly recordedRelease: string | null;
  readonly database?: DatabasePlan;
  readonly validation: ValidationPlan;
  readonly tiers: PlannedTier[];
  readonly hostCount: number;
  readonly batchCount: number;
  /** Hosts already on the release (e.g. a re-run after a failure); they are not touched. */
  readonly alreadyReleased: string[];
  /** The release is recorded as current and every host runs it: there is nothing to do. */
  readonly upToDate: boolean;
}

/** Progress of one long operation (drain, install, health), polled by a Wait loop. */
export interface PhaseState {
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly deadline: number;
  readonly done: boolean;
  /** Seconds the Wait state pauses before the next check. */
  readonly waitSeconds: number;
  /** How long the operation usually takes (the tier's previous batch): the first look is then. */
  readonly expectedSeconds?: number;
  /** Set when done: seconds from start to the look that found it done. */
  readonly tookSeconds?: number;
  /** SSM commands behind the phase, when it runs through Run Command. */
  readonly commandIds?: string[];
  /** The health command currently checking the batch (tiers without a target group). */
  readonly healthCommandIds?: string[];
  /** Looks of this phase that AWS throttled (they learned nothing; lambdas/shared/phase.ts `lookAgainWhenThrottled`). */
  readonly throttledLooks?: number;
}

export interface StateError {
  readonly Error: string;
  readonly Cause: string;
}

/** State of one iteration of the batch loop. */
export interface BatchState {
  readonly release: string;
  readonly execution: string;
  readonly tier: TierPlan;
  readonly batch: {
    readonly index: number;
    readonly count: number;
    readonly hosts: HostRef[];
    /** The hosts as causes name them (`describeHosts`: at most 5, then "and N more"); set by Load Batch. */
    readonly label?: string;
  };
  readonly drain?: PhaseState;
  readonly install?: PhaseState;
  readonly health?: PhaseState;
  readonly failure?: StateError;
}

/** Input of the tasks that run in both directions: forward, or restoring `previous`. */
export interface BatchTaskInput {
  readonly release: string;
  readonly execution: string;
  readonly tier: TierPlan;
  readonly batch: BatchState['batch'];
  /** True when the task restores each host's previous release. */
  readonly rollback: boolean;
  /** The phase being polled, for check tasks. */
  readonly phase?: PhaseState;
  /** What the tier's previous batch took, so the first look of each phase is when it can be done. */
  readonly expected?: { readonly drainSeconds?: number; readonly installSeconds?: number };
}
