/**
 * Least privilege for the data workflows' tasks (restore-data, recover):
 * - restores only INTO new instances named after the environment's database
 *   (`db:<identifier>-*`), from its own snapshots, with its own subnet group, parameter group
 *   and security groups; the current instance is only described, read for a point-in-time
 *   restore, and tagged once replaced. No role of the stack has any action that modifies,
 *   renames, stops, reboots or deletes a DB instance (test/infra/data-iam.test.ts);
 * - the connection parameter written only by Write Connection, the current-database record
 *   only by Record Database;
 * - SendCommand of the check document only to the runner tier's hosts, of the reconfigure
 *   document only to the hosts of the tiers that use the database; the host records
 *   (fleetflow:database, fleetflow:database-sent) only on those hosts.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { allowSendCommand, allowTagKeys, onlyTagKeys } from './iam-scopes';
import type { FleetFlowFunction } from './constructs/fleetflow-function';
import { isHostTier, type EnvironmentDefinition } from '../lambdas/domain/environment/model';
import { releaseParameterName, databaseParameterName, restoredPrefix, snapshotNamePatterns } from '../lambdas/domain/contract/records';
import { CREATED_BY_TAG, DATABASE_SENT_TAG, DATABASE_TAG, REPLACED_AT_TAG, REPLACED_BY_TAG, REPLACED_REASON_TAG, RESTORED_FROM_TAG } from '../lambdas/domain/contract/tags';

export interface DataTaskFunctions {
  readonly planRestoreData: FleetFlowFunction;
  readonly restoreDatabase: FleetFlowFunction;
  readonly checkRestore: FleetFlowFunction;
  readonly validateData: FleetFlowFunction;
  readonly checkValidation: FleetFlowFunction;
  readonly writeConnection: FleetFlowFunction;
  readonly reconfigureHosts: FleetFlowFunction;
  readonly checkReconfigured: FleetFlowFunction;
  readonly planRepointBack: FleetFlowFunction;
  readonly recordDatabase: FleetFlowFunction;
  readonly planRecover: FleetFlowFunction;
  readonly reportRecovery: FleetFlowFunction;
  /** Allocate plans a restore for the hosts it launches ("database": "restore", what recover sends when nothing serves). */
  readonly planAllocation: FleetFlowFunction;
}

const WHY = {
  describe: 'ec2:DescribeInstances and elasticloadbalancing:Describe* support no resource-level permissions',
  instances: "instances are matched by the tier's tags in the condition, not by ID, so hosts can be replaced",
  invocations: 'ssm:ListCommandInvocations and ssm:CancelCommand act on command IDs, which IAM cannot scope',
  listCommands: "ssm:ListCommands lists the account's commands; its request names no resource IAM could scope (only a command ID, a node ID and filters)",
  restored:
    "a restore creates a new instance named <database>-<source>-<execution> and reads the database's own snapshots (automated rds:<instance>-<time>, manual ones FleetFlow or people took); the prefix pins both to this environment's database",
  optionGroup: "a restore also authorizes the engine's default option group, which RDS names og:default:<engine>-<version>",
  snapshotNames:
    "a snapshot the operator names is looked up before its name is checked against the restore grant, so one that does not exist is refused NoSnapshotError and only one that exists outside the grant is told to be copied; IAM denies a Describe of an ungranted name before RDS says whether it exists, so the planners read snapshot metadata (read-only) on snapshot:*, while restoring stays limited to the database's names",
  backups:
    "DescribeDBInstanceAutomatedBackups is authorized on the automated backup resource (auto-backup:<ID RDS generates>), whose only condition key is its tags, which an instance created outside FleetFlow does not give it; read-only, and the planners ask only for the current instance's backups",
};

export function grantDataAccess(environment: EnvironmentDefinition, f: DataTaskFunctions, planTable: dynamodb.ITable): void {
  const data = environment.tiers.find((t) => !isHostTier(t));
  if (!data || isHostTier(data) || !data.database.restore) return;
  const restore = data.database.restore;
  const arn = (service: string, resource: string) => f.planRestoreData.arn(service, resource);
  const defined = data.database.instanceIdentifier;
  const current = arn('rds', `db:${defined}`);
  // Only instances a restore named: <database>-snap-... and <database>-pitr-..., never another database's.
  const restoredArns = restoredDatabaseArns(f.planRestoreData, defined);
  // Its snapshots: automated (rds:<instance>-<time>, also of restored instances, whose names may be cut
  // shorter than the database's), people's (<instance>-...), FleetFlow's. Plan Restore Data refuses others by name.
  const snapshots = databaseSnapshotArns(f.planRestoreData, defined, environment.name);
  const tiers = environment.tiers.filter(isHostTier);
  const usesDatabase = tiers.filter((t) => restore.tiers.includes(t.name));
  const runner = tiers.find((t) => t.name === data.database.migration.runnerTier);

  // Planning reads hosts, target groups, the database, its snapshots and window, and the records.
  // Plan Recover counts the hosts that use the database: none serving, allocate restores while it launches.
  for (const fun of [f.planRestoreData, f.planRepointBack, f.planRecover]) fun.allow({ actions: ['ec2:DescribeInstances'], resources: ['*'], wildcardReason: WHY.describe });
  f.planRestoreData.allow({ actions: ['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth'], resources: ['*'], wildcardReason: WHY.describe });
  // Plan Recover counts live hosts with the compute planners' leftover rule (lambdas/compute/leftovers.ts `liveHosts`),
  // the release tag alone: it reads no target registration, so it is granted none.
  // The repoint drains too: the plan reads each target group's deregistration delay (resolveTraffic).
  f.planRestoreData.allow({ actions: ['elasticloadbalancing:DescribeTargetGroupAttributes'], resources: ['*'], wildcardReason: WHY.describe });
  for (const fun of [f.planRestoreData, f.planRecover, f.recordDatabase]) {
    fun.allow({ actions: ['rds:DescribeDBInstances'], resources: [current, ...restoredArns], wildcardReason: WHY.restored });
  }
  // The restored instance only: its status, its endpoint.
  for (const fun of [f.restoreDatabase, f.checkRestore, f.validateData]) {
    fun.allow({ actions: ['rds:DescribeDBInstances'], resources: restoredArns, wildcardReason: WHY.restored });
  }
  for (const fun of [f.planRestoreData, f.planRecover]) {
    fun.allow({ actions: ['rds:DescribeDBSnapshots'], resources: [current, ...restoredArns, ...snapshots], wildcardReason: WHY.restored });
    fun.allow({ actions: ['rds:DescribeDBSnapshots'], resources: [arn('rds', 'snapshot:*')], wildcardReason: WHY.snapshotNames });
    fun.allow({ actions: ['rds:DescribeDBInstanceAutomatedBackups'], resources: [arn('rds', 'auto-backup:*'), current, ...restoredArns], wildcardReason: WHY.backups });
  }
  // Each planner reads only what it reads: restore-data the current record and the connection; recover the current record and release.
  const databaseRecord = arn('ssm', `parameter${databaseParameterName(environment.name)}`);
  f.planRestoreData.allow({ actions: ['ssm:GetParameter'], resources: [databaseRecord, arn('ssm', `parameter${restore.connectionParameter}`)] });
  f.planRecover.allow({ actions: ['ssm:GetParameter'], resources: [databaseRecord, arn('ssm', `parameter${releaseParameterName(environment.name, 'application', 'current')}`)] });
  // Allocate's restore ("database": "restore", only once the current instance is gone: no restorable window to
  // read) reads the snapshots of the instances a restore made, and the connection parameter's value before;
  // the defined instance's snapshots and the current record it reads anyway (compute-access.ts).
  f.planAllocation.allow({ actions: ['rds:DescribeDBSnapshots'], resources: restoredArns, wildcardReason: WHY.restored });
  f.planAllocation.allow({ actions: ['ssm:GetParameter'], resources: [arn('ssm', `parameter${restore.connectionParameter}`)] });
  for (const fun of [f.planRestoreData, f.planRepointBack]) {
    fun.allow({ actions: ['dynamodb:BatchWriteItem'], resources: [planTable.tableArn] });
    fun.function.addEnvironment('PLAN_TABLE', planTable.tableName);
  }

  // The restore: only into a new instance of the environment's name, with its groups.
  const settings = data.database.create;
  const groups = [
    arn('rds', 'og:default:*'),
    ...(settings ? [arn('rds', `subgrp:${settings.subnetGroup}`), ...settings.securityGroups.map((sg) => arn('ec2', `security-group/${sg}`))] : [arn('rds', 'subgrp:*')]),
    ...(settings?.parameterGroup ? [arn('rds', `pg:${settings.parameterGroup}`)] : []),
    // Without database.create the restore copies whatever parameter group the live instance has.
    ...(settings ? [] : [arn('rds', 'pg:*')]),
  ];
  // No condition on the class, Multi-AZ, engine or encryption: the Service Authorization Reference lists only
  // rds:BackupTarget and the tag keys for the two restore actions, and a condition on a key the request does
  // not carry would deny every restore. Plan Restore Data refuses a live instance that drifted from the
  // definition and restore-database.ts sends the declared class and Multi-AZ, and PubliclyAccessible false.
  // From a snapshot: the only instance is the new one.
  f.restoreDatabase.allow({
    actions: ['rds:RestoreDBInstanceFromDBSnapshot'],
    resources: [...restoredArns, ...snapshots, ...groups],
    wildcardReason: `${WHY.restored}; ${WHY.optionGroup}`,
  });
  // To a point in time: the source (the current instance, or a restored one that is current now) is read, not changed.
  f.restoreDatabase.allow({
    actions: ['rds:RestoreDBInstanceToPointInTime'],
    resources: [current, ...restoredArns, ...groups],
    wildcardReason: `${WHY.restored}; ${WHY.optionGroup}`,
  });
  // Tags at creation (those keys only), and reading them back to recognise a retry of its own.
  f.restoreDatabase.allow({ actions: ['rds:AddTagsToResource'], resources: restoredArns, conditions: onlyTagKeys([CREATED_BY_TAG, RESTORED_FROM_TAG]), wildcardReason: WHY.restored });
  f.restoreDatabase.allow({ actions: ['rds:ListTagsForResource'], resources: restoredArns, wildcardReason: WHY.restored });
  // The replaced instance is tagged (when, by whom, why) with those tags only; it is never modified.
  f.recordDatabase.allow({
    actions: ['rds:AddTagsToResource'],
    resources: [current, ...restoredArns],
    conditions: onlyTagKeys([REPLACED_BY_TAG, REPLACED_AT_TAG, REPLACED_REASON_TAG]),
    wildcardReason: WHY.restored,
  });

  // Records: the connection parameter, then the current database.
  f.writeConnection.allow({ actions: ['ssm:PutParameter'], resources: [arn('ssm', `parameter${restore.connectionParameter}`)] });
  f.recordDatabase.allow({ actions: ['ssm:PutParameter'], resources: [arn('ssm', `parameter${databaseParameterName(environment.name)}`)] });

  // Commands: the check on the runner tier's hosts, the reconfigure on the hosts that use the database.
  if (runner) allowSendCommand(f.validateData, runner, [restore.check.document], WHY.instances);
  for (const tier of usesDatabase) {
    allowSendCommand(f.reconfigureHosts, tier, [restore.reconfigure.document], WHY.instances);
    allowTagKeys(f.reconfigureHosts, tier, 'ec2:CreateTags', [DATABASE_SENT_TAG], WHY.instances);
    allowTagKeys(f.checkReconfigured, tier, 'ec2:CreateTags', [DATABASE_TAG], WHY.instances);
    allowTagKeys(f.checkReconfigured, tier, 'ec2:DeleteTags', [DATABASE_SENT_TAG], WHY.instances);
  }
  for (const fun of [f.checkValidation, f.checkReconfigured]) {
    fun.allow({ actions: ['ssm:ListCommandInvocations', 'ssm:CancelCommand'], resources: ['*'], wildcardReason: WHY.invocations });
  }
  // A repoint batch's reconfigure is many commands, read 50 a call (lambdas/shared/ssm-commands.ts readProgress).
  f.checkReconfigured.allow({ actions: ['ssm:ListCommands'], resources: ['*'], wildcardReason: WHY.listCommands });
}

/** The instances a restore of database `defined` may create (and which may then be current): `db:<defined>-snap-*`, `db:<defined>-pitr-*`. */
export function restoredDatabaseArns(fun: FleetFlowFunction, defined: string): string[] {
  return (['snapshot', 'point-in-time'] as const).map((kind) => fun.arn('rds', `db:${restoredPrefix(defined, kind)}*`));
}

/** The snapshots of database `defined` FleetFlow may read and restore (`snapshotNamePatterns`). */
export function databaseSnapshotArns(fun: FleetFlowFunction, defined: string, environment: string): string[] {
  return snapshotNamePatterns(defined, environment).map((name) => fun.arn('rds', `snapshot:${name}`));
}
