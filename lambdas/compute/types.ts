/**
 * The payload of the compute workflows (allocate, scale out, replace): what each tier
 * launches and how, and what the state carries. Like the release's, it holds counts and
 * references, never host lists: the hosts an execution launched are found by their
 * `fleetflow:launched-by` tag, and the batches that install them are in the plan table.
 */
import type { CommandSpec, StoredTier, TierPlan } from '../domain/contract/payloads';

export type ComputeWorkflow = 'allocate' | 'scale-out' | 'replace';

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
  readonly create: import('../domain/environment/model').DatabaseCreateDefinition;
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
  /**
   * Hosts of the planned tiers that a stopped run launched and never set up (leftovers.ts):
   * not counted as the tier's, and terminated once the run holds the lock. Absent when none.
   */
  readonly leftovers?: LeftoverTier[];
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
  readonly phase?: import('../domain/contract/payloads').PhaseState;
  readonly launch?: LaunchProgress;
  /** Set when one execution launches for a tier more than once (a surge, batch by batch): tagged, and part of every token. */
  readonly scope?: string;
}
