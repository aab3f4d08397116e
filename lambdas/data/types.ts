/**
 * The payload of the data workflows (restore-data, recover). Like the release's, the state
 * carries the plan's tiers by reference (their hosts are in the plan table), never host lists.
 */
import type { CommandSpec, HostRef, StoredTier, ValidationPlan, PhaseState } from '../domain/contract/payloads';

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
  /** The instance the hosts use now, and whether it still exists (disaster recovery: it may not). */
  readonly current: { readonly identifier: string; readonly exists: boolean };
  readonly target: { readonly identifier: string; readonly settings: InstanceSettings; readonly timeoutSeconds: number };
  readonly connectionParameter: string;
  /** The connection parameter's value before (null when it did not exist): what a repoint back writes. */
  readonly previousEndpoint: string | null;
  /** The environment's check document, run on `runner` against the restored instance. */
  readonly check: CommandSpec & { readonly runner: HostRef };
  readonly reconfigure: CommandSpec;
  /** The hosts to repoint, by tier, in the plan table (mode "repoint"). */
  readonly tiers: StoredTier[];
  readonly hostCount: number;
  readonly validation: ValidationPlan;
  readonly reason: string;
  readonly polling: { readonly minSeconds: number; readonly maxSeconds: number };
}

/** Input of the tasks that act on the restored instance. */
export interface RestoreTaskInput {
  readonly execution: string;
  readonly plan: RestorePlan;
  readonly phase?: PhaseState;
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
