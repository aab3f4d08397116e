/**
 * The replace-database workflow's payload: the plan (what Plan Replace Database decided, read
 * by every task), and the phases of its long operations. IDs and numbers only.
 */
import type { CommandSpec, HostRef, PhaseState } from '../domain/contract/payloads';

export interface ReplaceDatabasePlan {
  readonly environment: string;
  /** The blue: the environment's current instance, as it is when planned. */
  readonly current: {
    readonly identifier: string;
    readonly arn: string;
    /** "<address>:<port>": what the hosts use, and what the green answers at once switched over. */
    readonly endpoint: string;
    readonly engine: string;
    readonly engineVersion: string;
    readonly instanceClass: string;
    readonly allocatedStorage: number;
  };
  /** The blue/green deployment's name: one per execution (or runId), so a retried task finds the one it created. */
  readonly deploymentName: string;
  /** What the green changes; each field left out stays as the blue has it. */
  readonly target: { readonly instanceClass?: string; readonly allocatedStorage?: number; readonly engineVersion?: string; readonly parameterGroup?: string };
  /**
   * How RDS keeps the green in sync (plan.ts, replicationOf): PostgreSQL "primarily uses physical
   * replication", and logical replication when the green is on a higher major version; MySQL and
   * MariaDB replicate by their binary log. Logical replication does not carry DDL, so the catch-up
   * is read on the blue (OldestReplicationSlotLag) instead of the green's ReplicaLag.
   */
  readonly replication: Replication;
  /** The green runs a higher major engine version than the blue. */
  readonly majorUpgrade: boolean;
  readonly switchoverTimeoutSeconds: number;
  readonly maxLagSeconds: number;
  /** How long the green may take to become AVAILABLE, and its lag to settle. */
  readonly provisionTimeoutSeconds: number;
  readonly lagTimeoutSeconds: number;
  /** The environment's check document, run on `runner` against the green's endpoint. */
  readonly check: CommandSpec & { readonly runner: HostRef };
  readonly polling: { readonly minSeconds: number; readonly maxSeconds: number };
}

export type Replication = 'physical' | 'logical' | 'binlog';

export interface ReplaceTaskInput {
  readonly execution: string;
  readonly plan: ReplaceDatabasePlan;
}

/** The blue/green deployment being created, once RDS answered: its ID and, once AVAILABLE, the green. */
export interface GreenPhase extends PhaseState {
  readonly deploymentId: string;
  readonly greenIdentifier?: string;
  readonly greenEndpoint?: string;
}

export interface GreenCheckPhase extends PhaseState {
  readonly greenEndpoint: string;
}

export interface LagPhase extends PhaseState {
  /** The last ReplicaLag datapoint read (seconds), or null when CloudWatch had none yet. */
  readonly lagSeconds: number | null;
}

export interface SwitchoverPhase extends PhaseState {
  readonly deploymentId: string;
}

export interface ReplaceOutcome {
  readonly environment: string;
  readonly deploymentId: string;
  /** The instance that now serves: the green, under the blue's identifier and endpoint. */
  readonly newDatabase: { readonly identifier: string; readonly endpoint: string };
  /** The blue, renamed by RDS (`<identifier>-old<n>`), tagged kept. */
  readonly oldDatabase: { readonly identifier: string; readonly kept: boolean };
  readonly endpointUnchanged: boolean;
}
