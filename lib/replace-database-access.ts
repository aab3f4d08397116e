/**
 * Least privilege for replace-database's tasks:
 * - CreateBlueGreenDeployment only from the environment's database (as defined, or as a restore
 *   named it), only tagged with this environment (aws:RequestTag), with the dependent
 *   rds:CreateDBInstanceReadReplica RDS performs for the green;
 * - SwitchoverBlueGreenDeployment only on a deployment tagged with this environment
 *   (aws:ResourceTag), with the dependent rds:ModifyDBInstance and rds:PromoteReadReplica;
 *   no role holds any rds:Delete*
 *   action (no DeleteBlueGreenDeployment, no DeleteDBInstance), so neither the old (blue)
 *   instance nor a green is ever deleted by FleetFlow (test/infra/replace-database-iam.test.ts);
 * - the old instance (`<source>-old<n>`) only tagged, with the kept/replaced keys only;
 * - the check document only to the runner tier's hosts; ReplicaLag (or, in logical replication,
 *   the blue's OldestReplicationSlotLag and TransactionLogsGeneration) read from CloudWatch;
 * - DB parameter groups only read by the plan (a major upgrade: the blue's rds.logical_replication,
 *   the green's group's family), and named to CreateBlueGreenDeployment (TargetDBParameterGroupName),
 *   whose resource types include pg (Service Authorization Reference); never modified.
 *
 * The dependent actions are the RDS User Guide's ("Authorizing access to Amazon RDS blue/green
 * deployment operations"): creating needs "rds:CreateBlueGreenDeployment, rds:AddTagsToResource,
 * rds:CreateDBInstanceReadReplica"; switching over needs "rds:SwitchoverBlueGreenDeployment,
 * rds:ModifyDBInstance, rds:PromoteReadReplica". The same page: "attached IAM policies can't
 * contain partial resource name patterns such as my-db-prefix-*. Only wildcards (*) are
 * supported." So the green (named by RDS) is `db:*`, never `<source>-green-*`. The grant has not
 * been tried on a live account: see docs/workflows/replace-database.md.
 */
import { allowSendCommand, onlyTagKeys } from './iam-scopes';
import type { FleetFlowFunction } from './constructs/fleetflow-function';
import { restoredDatabaseArns } from './data-access';
import { isHostTier, type EnvironmentDefinition } from '../lambdas/domain/environment/model';
import { databaseParameterName } from '../lambdas/domain/contract/records';
import { CREATED_BY_TAG, ENVIRONMENT_TAG, KEPT_TAG, REPLACED_AT_TAG, REPLACED_BY_TAG, REPLACED_REASON_TAG } from '../lambdas/domain/contract/tags';

export interface ReplaceDatabaseFunctions {
  readonly planReplaceDatabase: FleetFlowFunction;
  readonly createGreen: FleetFlowFunction;
  readonly checkGreenDatabase: FleetFlowFunction;
  readonly checkReplicaLag: FleetFlowFunction;
  readonly switchOver: FleetFlowFunction;
  readonly recordReplacement: FleetFlowFunction;
}

const WHY = {
  describe: 'ec2:DescribeInstances and cloudwatch:GetMetricStatistics support no resource-level permissions',
  engineVersions: "rds:DescribeDBEngineVersions reads RDS's catalogue of engine versions, which is no resource of the account",
  deployments: 'RDS names a blue/green deployment by an ID it generates (deployment:bgd-...); creating and switching over are held to this environment by its tag',
  instances: "instances are matched by the tier's tags in the condition, not by ID, so hosts can be replaced",
  invocations: 'ssm:ListCommandInvocations and ssm:CancelCommand act on command IDs, which IAM cannot scope',
  names:
    "the environment's database may be one a restore named (<database>-snap-..., -pitr-...); the old instance is the one RDS renamed <source>-old<n> at switchover, which Record Replacement names itself",
  parameterGroups:
    "the blue's DB parameter group may be any the instance uses, and the green's is named by the execution input (a major upgrade's group of the new family); they are only read, or named to CreateBlueGreenDeployment, never modified",
  green:
    "RDS creates, promotes and renames the green's DB instances under names of its own, and the RDS User Guide (Authorizing access to Amazon RDS blue/green deployment operations) says attached policies \"can't contain partial resource name patterns such as my-db-prefix-*. Only wildcards (*) are supported\"; no rds:Delete* is granted on it",
};

export function grantReplaceDatabaseAccess(environment: EnvironmentDefinition, f: ReplaceDatabaseFunctions): void {
  const data = environment.tiers.find((t) => !isHostTier(t));
  if (!data || isHostTier(data) || !data.database.restore) return;
  const arn = (service: string, resource: string) => f.planReplaceDatabase.arn(service, resource);
  const defined = data.database.instanceIdentifier;
  const current = [arn('rds', `db:${defined}`), ...restoredDatabaseArns(f.planReplaceDatabase, defined)];
  // Only `*` names a green's instance (see WHY.green); the source's ARNs are scoped.
  const anyInstance = arn('rds', 'db:*');
  const olds = [arn('rds', `db:${defined}-old*`)];
  const deployments = arn('rds', 'deployment:*');
  const ofEnvironment = (prefix: string) => ({ StringEquals: { [`${prefix}/${ENVIRONMENT_TAG}`]: environment.name } });
  const runner = environment.tiers.filter(isHostTier).find((t) => t.name === data.database.migration.runnerTier);

  // Planning reads the database, its deployments, the record, and the runner's hosts.
  f.planReplaceDatabase.allow({ actions: ['ec2:DescribeInstances'], resources: ['*'], wildcardReason: WHY.describe });
  f.planReplaceDatabase.allow({ actions: ['rds:DescribeDBEngineVersions'], resources: ['*'], wildcardReason: WHY.engineVersions });
  // A major upgrade: the blue's group's rds.logical_replication, and the green's group's family.
  const parameterGroups = arn('rds', 'pg:*');
  f.planReplaceDatabase.allow({ actions: ['rds:DescribeDBParameters', 'rds:DescribeDBParameterGroups'], resources: [parameterGroups], wildcardReason: WHY.parameterGroups });
  f.planReplaceDatabase.allow({ actions: ['ssm:GetParameter'], resources: [arn('ssm', `parameter${databaseParameterName(environment.name)}`)] });
  for (const fun of [f.planReplaceDatabase, f.createGreen, f.switchOver, f.recordReplacement]) {
    fun.allow({ actions: ['rds:DescribeBlueGreenDeployments'], resources: [deployments], wildcardReason: WHY.deployments });
  }
  // The plan reads the old instance of a switched-over deployment too: is it tagged kept?
  f.planReplaceDatabase.allow({ actions: ['rds:DescribeDBInstances'], resources: [...current, ...olds], wildcardReason: WHY.names });
  // Create Green reads the green by the name RDS reported (<source>-green-<random>): its own call, so a pattern serves.
  f.createGreen.allow({ actions: ['rds:DescribeDBInstances'], resources: [...current, arn('rds', `db:${defined}-green-*`)], wildcardReason: WHY.names });
  f.recordReplacement.allow({ actions: ['rds:DescribeDBInstances'], resources: [...current, ...olds], wildcardReason: WHY.names });

  // The deployment: only tagged with this environment at creation, from this environment's database;
  // RDS then creates the green as a read replica of it under a name of its own (the dependent action).
  f.createGreen.allow({ actions: ['rds:CreateBlueGreenDeployment'], resources: [deployments], conditions: ofEnvironment('aws:RequestTag'), wildcardReason: WHY.deployments });
  f.createGreen.allow({ actions: ['rds:CreateBlueGreenDeployment'], resources: current, wildcardReason: WHY.names });
  f.createGreen.allow({ actions: ['rds:CreateBlueGreenDeployment'], resources: [parameterGroups], wildcardReason: WHY.parameterGroups });
  f.createGreen.allow({ actions: ['rds:CreateDBInstanceReadReplica'], resources: [anyInstance], wildcardReason: WHY.green });
  f.createGreen.allow({ actions: ['rds:AddTagsToResource'], resources: [deployments], conditions: onlyTagKeys([CREATED_BY_TAG, ENVIRONMENT_TAG]), wildcardReason: WHY.deployments });

  // The switchover: only of a deployment tagged with this environment (which only Create Green tags so).
  f.switchOver.allow({ actions: ['rds:SwitchoverBlueGreenDeployment'], resources: [deployments], conditions: ofEnvironment('aws:ResourceTag'), wildcardReason: WHY.deployments });
  // The dependent actions RDS performs at switchover: promoting the green and renaming both sides.
  f.switchOver.allow({ actions: ['rds:ModifyDBInstance', 'rds:PromoteReadReplica'], resources: [anyInstance], wildcardReason: WHY.green });

  // The lag, the check, the record.
  f.checkReplicaLag.allow({ actions: ['cloudwatch:GetMetricStatistics'], resources: ['*'], wildcardReason: WHY.describe });
  if (runner) allowSendCommand(f.checkGreenDatabase, runner, [data.database.restore.check.document], WHY.instances);
  f.checkGreenDatabase.allow({ actions: ['ssm:ListCommandInvocations', 'ssm:CancelCommand'], resources: ['*'], wildcardReason: WHY.invocations });
  f.recordReplacement.allow({ actions: ['rds:AddTagsToResource'], resources: olds, conditions: onlyTagKeys([KEPT_TAG, REPLACED_BY_TAG, REPLACED_AT_TAG, REPLACED_REASON_TAG]), wildcardReason: WHY.names });
}
