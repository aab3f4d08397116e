/**
 * `fleetflow plan --workflow replace-database`: Plan Replace Database's own checks
 * (lambdas/replace-database/plan.ts), as a person reads them. Every refusal is the planner's
 * (engine, RDS-managed master password, automated backups off, a cluster or replica member, a
 * lower engine version or less storage, an engine version RDS cannot upgrade to, another
 * blue/green deployment open, no host to check the green from; for a major upgrade, no parameter
 * group of the new family, or a blue not prepared for logical replication); a plan that returns
 * means RDS Blue/Green Deployments support the replacement as asked, and it says which
 * replication keeps the green in sync and what that implies.
 */
import type { ReplaceDatabasePlan, Replication } from '../../lambdas/replace-database/types';

/** An instance's settings, as the blue has them or the green will. */
export interface DatabaseSettings {
  readonly engine: string;
  /** '' when RDS reported none. */
  readonly engineVersion: string;
  readonly instanceClass: string;
  readonly allocatedStorage: number;
}

/** What Plan Replace Database checked and decided. */
export interface ReplaceDatabaseSummary {
  /** Always true in a plan: an unsupported replacement is the planner's refusal, not a plan. */
  readonly supported: true;
  readonly current: DatabaseSettings & { readonly identifier: string; readonly endpoint: string };
  /** The green: the blue's settings with the input's changes (its parameter group when one is given). */
  readonly green: DatabaseSettings & { readonly parameterGroup?: string };
  /** How RDS keeps the green in sync: physical or logical (PostgreSQL; logical for a major upgrade), binlog (MySQL, MariaDB). */
  readonly replication: Replication;
  readonly majorUpgrade: boolean;
  /** The settings the input changes (left out: kept as the blue has them). */
  readonly changes: ReplaceDatabasePlan['target'];
  /** The switchover is asked for once the green is at most this many seconds behind (its ReplicaLag; in logical replication, the blue's slot lag over its WAL rate). */
  readonly maxLagSeconds: number;
  /** How long the lag may take to come under it, and the green to be created. */
  readonly lagTimeoutSeconds: number;
  readonly provisionTimeoutSeconds: number;
  /** SwitchoverTimeout: past it RDS rolls the switchover back and the blue serves on. */
  readonly switchoverTimeoutSeconds: number;
  /** The environment's check document, run against the green's endpoint on this host. */
  readonly check: { readonly document: string; readonly runner: string };
}

/** A replace-database's part of its plan report (plan-workflow.ts puts it together): the figures, the one-line summary, the database step. */
export interface ReplaceDatabaseParts {
  readonly summary: ReplaceDatabaseSummary;
  readonly sentence: string;
  readonly database: string;
}

export function replaceDatabaseParts(plan: ReplaceDatabasePlan): ReplaceDatabaseParts {
  const { current, target } = plan;
  const blue: DatabaseSettings = { engine: current.engine, engineVersion: current.engineVersion, instanceClass: current.instanceClass, allocatedStorage: current.allocatedStorage };
  const green: ReplaceDatabaseSummary['green'] = {
    engine: current.engine,
    engineVersion: target.engineVersion ?? current.engineVersion,
    instanceClass: target.instanceClass ?? current.instanceClass,
    allocatedStorage: target.allocatedStorage ?? current.allocatedStorage,
    ...(target.parameterGroup !== undefined ? { parameterGroup: target.parameterGroup } : {}),
  };
  const summary: ReplaceDatabaseSummary = {
    supported: true,
    current: { identifier: current.identifier, endpoint: current.endpoint, ...blue },
    green,
    changes: target,
    replication: plan.replication,
    majorUpgrade: plan.majorUpgrade,
    maxLagSeconds: plan.maxLagSeconds,
    lagTimeoutSeconds: plan.lagTimeoutSeconds,
    provisionTimeoutSeconds: plan.provisionTimeoutSeconds,
    switchoverTimeoutSeconds: plan.switchoverTimeoutSeconds,
    check: { document: plan.check.document, runner: plan.check.runner.name },
  };
  const changed = Object.keys(target).length > 0 ? `green ${settings(green)}` : 'green with the same settings (no change asked for)';
  return {
    summary,
    sentence: `replace ${current.identifier} (${settings(blue)}) through an RDS blue/green deployment, ${changed}; supported: RDS Blue/Green Deployments can replace it`,
    // One clause a line (format-plan.ts splits on '; '): no clause holds one.
    database:
      `create a blue/green deployment of ${current.identifier}: its green a copy kept in sync while ${current.identifier} serves, unchanged (up to ${plan.provisionTimeoutSeconds} s to be available); ` +
      replicationClauses(plan) +
      `check the green with ${plan.check.document} on ${plan.check.runner.name}, against the green's endpoint; ` +
      `switch over once ${caughtUp(plan)} (waiting up to ${plan.lagTimeoutSeconds} s), with SwitchoverTimeout ${plan.switchoverTimeoutSeconds} s (past it RDS rolls back and ${current.identifier} serves on); ` +
      `writes pause during the switchover, and ${current.endpoint} then answers from the green: no host is repointed; ` +
      `the old instance, renamed ${current.identifier}-old<n> by RDS, is kept and tagged so`,
  };
}

/**
 * What the replication implies, a clause each. Logical replication (RDS User Guide, "Logical
 * replication-specific limitations"): DDL "aren't replicated from the blue environment to the
 * green environment", and "If Amazon RDS detects a DDL change in the blue environment, your green
 * databases enter a state of Replication degraded" and the switchover guardrails refuse it. A
 * release's migration is DDL; replace-database holds the environment's lock from before Create
 * Green until it unlocks, and deploy takes the same lock, so no release migrates meanwhile.
 */
function replicationClauses(plan: ReplaceDatabasePlan): string {
  const blue = plan.current.identifier;
  const group = plan.target.parameterGroup !== undefined ? ` on parameter group ${plan.target.parameterGroup}` : '';
  switch (plan.replication) {
    case 'logical':
      return (
        `the green runs ${plan.current.engine} ${plan.target.engineVersion}${group}, a major version upgrade: RDS keeps it in sync by logical replication (rds.logical_replication = 1 on ${blue}, checked) instead of physical; ` +
        `DDL on ${blue} (CREATE, ALTER, a migration) is not replicated and makes RDS refuse the switchover (REPLICATION_DEGRADED): no schema change until the run ends ` +
        `(replace-database holds the environment's lock throughout, so no release can migrate meanwhile, though a person's own DDL is not stopped by it); ` +
        `tables need a primary key or REPLICA IDENTITY FULL for their UPDATE and DELETE to replicate, large objects and unlogged tables are not replicated, and sequences are set at the switchover; `
      );
    case 'physical':
      return `RDS keeps the green in sync by physical replication${group ? ` (the green${group})` : ''}: the green is read-only, and DDL on ${blue} replicates; `;
    default:
      return `RDS keeps the green in sync by ${plan.current.engine === 'mysql' ? 'MySQL' : 'MariaDB'} binary log replication${group ? ` (the green${group})` : ''}; `;
  }
}

function caughtUp(plan: ReplaceDatabasePlan): string {
  return plan.replication === 'logical'
    ? `the blue's OldestReplicationSlotLag is at most ${plan.maxLagSeconds} s of its WAL (over TransactionLogsGeneration)`
    : `the green's ReplicaLag is at most ${plan.maxLagSeconds} s`;
}

function settings(s: DatabaseSettings): string {
  return `${[s.engine, s.engineVersion].filter(Boolean).join(' ')}, ${s.instanceClass}, ${s.allocatedStorage} GiB`;
}
