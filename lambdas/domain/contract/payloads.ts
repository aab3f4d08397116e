/**
 * The payload that flows between the states of every workflow: one contract, so that a
 * handler, the state machines, the simulator and the CLI agree on it without importing one
 * another. It stays small: IDs, names, counts and timestamps, never whole API responses.
 *
 * Sections: the release (deploy and its rollout), the database and validation tasks, the
 * compute workflows (allocate, scale out, replace, and a surge's launches), the data
 * workflows (restore-data, recover).
 */
import type { DatabaseCreateDefinition } from '../environment/model';

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
  /**
   * A surge batch's old host already replaced by a serving new host of an earlier execution of the
   * release (a restart: lambdas/surge/replaced-hosts.ts): retired with the batch, launched for by none.
   */
  readonly replaced?: true;
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

/** How a surge batch launches and sets up its new hosts (a ProvisionTier, less what the batch knows). */
export interface SurgePlan {
  readonly launch: LaunchSpec;
  readonly setup: ReadonlyArray<SetupStep>;
  readonly readyTimeoutSeconds: number;
  /** `batch.maxSurge` in hosts: new hosts that may exist at once beyond the tier. Absent from plans made before it. */
  readonly maxSurge?: number;
  /** Two batches fit in maxSurge: each batch launches the next one's hosts once its own are set up and the previous batch's old hosts have stopped (statemachines/surge/surge-pipeline.ts). */
  readonly pipeline?: boolean;
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
  /** Provision: the setup steps every new host runs before the release (SetupStep, below). */
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
  /** Looks of this phase that AWS throttled (they learned nothing; lambdas/shared/phase.ts `watchPhase`). */
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

// ---- The database tasks of a release ----

/** Input of every database task: the plan's database section and, for checks, the phase polled. */
export interface DatabaseTaskInput {
  readonly release: string;
  readonly execution: string;
  readonly database: DatabasePlan;
  readonly phase?: PhaseState;
}

// ---- The validation tasks of a release (preflight, bake) ----

export interface ValidationTaskInput {
  readonly release: string;
  readonly validation: ValidationPlan;
  /** The bake being polled; absent on the first check, which starts it. */
  readonly phase?: PhaseState;
  /**
   * After a rollback, alarms need their evaluation periods to return to OK: only the
   * state at the end of the bake counts.
   */
  readonly recovering?: boolean;
}

/*
 * ---- The compute workflows ----
 *
 * The payload of the compute workflows (allocate, scale out, replace): what each tier
 * launches and how, and what the state carries. Like the release's, it holds counts and
 * references, never host lists: the hosts an execution launched are found by their
 * `fleetflow:launched-by` tag, and the batches that install them are in the plan table.
 */

export type ComputeWorkflow = 'allocate' | 'scale-out' | 'scale-in' | 'replace';

/** Where and from what a tier's hosts are launched. */
export interface LaunchSpec {
  readonly template: { readonly name: string } | { readonly id: string };
  readonly version: string;
  readonly subnets: ReadonlyArray<{ readonly id: string; readonly availabilityZone: string }>;
  /** Tried in order after the template's own type, in each subnet, when EC2 has no capacity. */
  readonly instanceTypes: readonly string[];
}

/** What one tier launches, sets up and puts into service. */
export interface ProvisionTier {
  /** The tier as the release's batch tasks know it (install, traffic, health). */
  readonly spec: TierPlan;
  /** The release the new hosts get: the component's recorded release. */
  readonly release: string;
  readonly launch: LaunchSpec;
  /** Hosts launched into each subnet, in the order of `launch.subnets`. */
  readonly perSubnet: readonly number[];
  /** The tier's target groups by name, checked before any new host goes into service. */
  readonly targetGroupNames: readonly string[];
  /** The port those target groups must use, when the definition says. */
  readonly port?: number;
  /** Run on each new host, in order, before the release: the prerequisites, then a probe of the health check path. */
  readonly setup: readonly SetupStep[];
  /** How long a new host may take to run, pass its status checks and come online in SSM. */
  readonly readyTimeoutSeconds: number;
}

export interface SetupStep extends CommandSpec {
  /** Prerequisite documents fail PrerequisiteFailedError; the probe fails DependencyCheckFailedError. */
  readonly purpose: 'prerequisite' | 'probe';
}

/** A tier's hosts being launched (Launch Hosts, called until done). */
export interface LaunchProgress {
  readonly done: boolean;
  readonly waitSeconds: number;
  /** Hosts of the tier this execution has launched so far (found by tag). */
  readonly launched: number;
  readonly requested: number;
}

export interface DatabaseCreatePlan {
  readonly instanceIdentifier: string;
  readonly create: DatabaseCreateDefinition;
  /**
   * "fleetflow-secret" mode: the Secrets Manager secret (its name, never its value) that Create
   * Database reads the master password from (lambdas/domain/environment/master-password.ts).
   */
  readonly masterSecret?: string;
  /** Restore from this snapshot (the newest available one of the instance) instead of creating it empty. */
  readonly fromSnapshot?: { readonly identifier: string; readonly createdAt: string };
  readonly timeoutSeconds: number;
  readonly polling: { readonly minSeconds: number; readonly maxSeconds: number };
}

/** A compute workflow's plan, as the state carries it. */
export interface ComputePlan {
  readonly environment: string;
  readonly workflow: ComputeWorkflow;
  readonly tiers: ProvisionTier[];
  /** Hosts launched in all, for people and the summary. */
  readonly launchCount: number;
  /** The data tier's instance, when allocate creates it. */
  readonly database?: DatabaseCreatePlan;
  /** Allocate with `"database": "restore"`: the data restored into a new instance the launched hosts first serve on. */
  readonly restore?: RestorePlan;
  /**
   * Hosts of the planned tiers that a stopped run launched and never set up (leftovers.ts):
   * not counted as the tier's, and terminated once the run holds the lock. Absent when none.
   */
  readonly leftovers?: LeftoverTier[];
  /**
   * The plan changes nothing (replace with `"targets": "unhealthy"` when no host is; allocate when every
   * tier has its hosts and the database exists), and says so: the run ends SUCCEEDED before the lock
   * (compute-run.ts). Absent whenever there is anything to do, leftovers to terminate included.
   */
  readonly nothingToDo?: string;
  /** Replace: the hosts replaced, by tier, in the plan table (taken out, drained, retired). */
  readonly retire?: {
    readonly tiers: StoredTier[];
    readonly hostCount: number;
    /** Disaster recovery: the old hosts go first. */
    readonly first: boolean;
    /** What the rollout's batch tasks carry as the release (retiring installs nothing). */
    readonly release: string;
  };
}

/** A tier's leftovers of stopped runs, as the plan carries them: how to find them again, and how many there were. */
export interface LeftoverTier {
  readonly tier: string;
  /** The tier's selector tags. */
  readonly hostTags: Record<string, string>;
  readonly count: number;
  /** The first few, by name and ID, for people. */
  readonly sample: string;
}

/** The state of one tier's provisioning inside the Provision Tiers map. */
export interface ProvisionTaskInput {
  readonly execution: string;
  readonly tier: ProvisionTier;
  readonly phase?: PhaseState;
  readonly launch?: LaunchProgress;
  /** Set when one execution launches for a tier more than once (a surge, batch by batch): tagged, and part of every token. */
  readonly scope?: string;
  /** More tags the launched hosts carry (a surge: the old hosts they replace); never used to find them. */
  readonly tags?: Record<string, string>;
}

/*
 * ---- The data workflows ----
 *
 * The payload of the data workflows (restore-data, recover). Like the release's, the state
 * carries the plan's tiers by reference (their hosts are in the plan table), never host lists.
 */

/** Where the restored data comes from, resolved by Plan Restore Data before anything changes. */
export type ResolvedSource =
  | { readonly kind: 'snapshot'; readonly snapshot: string; readonly instance: string; readonly snapshotType: string }
  | { readonly kind: 'point-in-time'; readonly instance: string };

/** The settings a restored instance gets, passed explicitly (RDS defaults a restore to Single-AZ and the default groups). */
export interface InstanceSettings {
  readonly instanceClass: string;
  readonly subnetGroup: string;
  readonly securityGroups: readonly string[];
  readonly parameterGroup?: string;
  readonly multiAz: boolean;
  /** Copied too: RDS would otherwise decide them (a public subnet group makes a restore public by default). */
  readonly publiclyAccessible: boolean;
  readonly deletionProtection: boolean;
  readonly copyTagsToSnapshot: boolean;
}

export interface RestorePlan {
  readonly environment: string;
  /** What the rollout's batch tasks carry as the release: the database the hosts move to. */
  readonly release: string;
  readonly source: ResolvedSource;
  /** The time of the data restored (ISO-8601): the snapshot's creation time, or the point in time. */
  readonly recoveryPointTime: string;
  /**
   * Seconds from the recovery point to the plan: writes in that span are not in the restored
   * database (nor any the current one takes until its hosts are repointed), said before anything starts.
   */
  readonly dataLossSeconds: number;
  /** The instance the hosts use now, and whether it still exists (disaster recovery: it may not). */
  readonly current: { readonly identifier: string; readonly exists: boolean };
  readonly target: { readonly identifier: string; readonly settings: InstanceSettings; readonly timeoutSeconds: number };
  readonly connectionParameter: string;
  /** The connection parameter's value before (null when it did not exist): what a repoint back writes. */
  readonly previousEndpoint: string | null;
  /**
   * The environment's check document, run on `runner` against the restored instance. Without
   * `runner` (allocate restoring for hosts it launches), on the first host it launched in the
   * runner tier, which the task is given as `runners`.
   */
  readonly check: CommandSpec & { readonly runner?: HostRef; readonly runnerTier?: string };
  readonly reconfigure: CommandSpec;
  /** The hosts to repoint, by tier, in the plan table (mode "repoint"). */
  readonly tiers: StoredTier[];
  readonly hostCount: number;
  readonly validation: ValidationPlan;
  readonly reason: string;
  readonly polling: { readonly minSeconds: number; readonly maxSeconds: number };
  /**
   * A restore an earlier execution stopped while repointing (lambdas/restore-data/earlier-restore.ts):
   * `target` is its instance, which Restore Database takes as it is; the hosts it moved stay on it.
   */
  readonly resume?: RestoreResume;
}

/** What the stopped restore being resumed left: counts and a few names (the hosts live in EC2 tags). */
export interface RestoreResume {
  /** The execution that restored the target instance (its `fleetflow:created-by` tag). */
  readonly execution: string;
  /** Hosts already on it and in traffic (not repointed again), and those a reconfigure for it was under way on. */
  readonly moved: number;
  readonly underway: number;
  /** Those hosts, the first few by name, for people. */
  readonly hosts: string;
  /** Whether the connection parameter already named it. */
  readonly connectionNamesTarget: boolean;
}

/** Input of the tasks that act on the restored instance. */
export interface RestoreTaskInput {
  readonly execution: string;
  readonly plan: RestorePlan;
  readonly phase?: PhaseState;
  /** Hosts that may run the check when the plan names no runner: the ones allocate launched in the runner tier. */
  readonly runners?: readonly HostRef[];
}

/** The validation phase also carries the endpoint of the restored instance, once it is available. */
export type ValidationPhase = PhaseState & { readonly endpoint: string };

/** What a restore reports. */
export interface RestoreOutcome {
  readonly environment: string;
  readonly newDatabase: { readonly identifier: string; readonly endpoint: string };
  readonly oldDatabase: { readonly identifier: string; readonly exists: boolean };
  readonly source: ResolvedSource;
  readonly recoveryPointTime: string;
  readonly hostCount: number;
}
