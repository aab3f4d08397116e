/**
 * Least privilege for replace-database's tasks:
 * - CreateBlueGreenDeployment only from the environment's database (as defined, or as a restore
 *   named it), only tagged with this environment (aws:RequestTag), its green only under the
 *   names RDS gives greens (`<source>-green-<random>`);
 * - SwitchoverBlueGreenDeployment only on a deployment tagged with this environment
 *   (aws:ResourceTag); no role holds any rds:Delete*
 *   action (no DeleteBlueGreenDeployment, no DeleteDBInstance), so neither the old (blue)
 *   instance nor a green is ever deleted by FleetFlow (test/infra/replace-database-iam.test.ts);
 * - the old instance (`<source>-old<n>`) only tagged, with the kept/replaced keys only;
 * - the check document only to the runner tier's hosts; ReplicaLag read from CloudWatch.
 *
 * The Service Authorization Reference's dependent actions of the two blue/green actions were not
 * confirmed from documentation, and the grant has not been tried on a live account: see
 * docs/workflows/replace-database.md.
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
  deployments: 'RDS names a blue/green deployment by an ID it generates (deployment:bgd-...); creating and switching over are held to this environment by its tag',
  instances: "instances are matched by the tier's tags in the condition, not by ID, so hosts can be replaced",
  invocations: 'ssm:ListCommandInvocations and ssm:CancelCommand act on command IDs, which IAM cannot scope',
  names:
    "the environment's database may be one a restore named (<database>-snap-..., -pitr-...); RDS names a green <source>-green-<random> and renames the blue <source>-old<n> at switchover",
};

export function grantReplaceDatabaseAccess(environment: EnvironmentDefinition, f: ReplaceDatabaseFunctions): void {
  const data = environment.tiers.find((t) => !isHostTier(t));
  if (!data || isHostTier(data) || !data.database.restore) return;
  const arn = (service: string, resource: string) => f.planReplaceDatabase.arn(service, resource);
  const defined = data.database.instanceIdentifier;
  const current = [arn('rds', `db:${defined}`), ...restoredDatabaseArns(f.planReplaceDatabase, defined)];
  const greens = [arn('rds', `db:${defined}-green-*`)];
  const olds = [arn('rds', `db:${defined}-old*`)];
  const deployments = arn('rds', 'deployment:*');
  const ofEnvironment = (prefix: string) => ({ StringEquals: { [`${prefix}/${ENVIRONMENT_TAG}`]: environment.name } });
  const runner = environment.tiers.filter(isHostTier).find((t) => t.name === data.database.migration.runnerTier);

  // Planning reads the database, its deployments, the record, and the runner's hosts.
  f.planReplaceDatabase.allow({ actions: ['ec2:DescribeInstances'], resources: ['*'], wildcardReason: WHY.describe });
  f.planReplaceDatabase.allow({ actions: ['ssm:GetParameter'], resources: [arn('ssm', `parameter${databaseParameterName(environment.name)}`)] });
  for (const fun of [f.planReplaceDatabase, f.createGreen, f.switchOver, f.recordReplacement]) {
    fun.allow({ actions: ['rds:DescribeBlueGreenDeployments'], resources: [deployments], wildcardReason: WHY.deployments });
  }
  f.planReplaceDatabase.allow({ actions: ['rds:DescribeDBInstances'], resources: current, wildcardReason: WHY.names });
  f.createGreen.allow({ actions: ['rds:DescribeDBInstances'], resources: [...current, ...greens], wildcardReason: WHY.names });
  f.recordReplacement.allow({ actions: ['rds:DescribeDBInstances'], resources: [...current, ...olds], wildcardReason: WHY.names });

  // The deployment: only tagged with this environment at creation, from this environment's database, into a green.
  f.createGreen.allow({ actions: ['rds:CreateBlueGreenDeployment'], resources: [deployments], conditions: ofEnvironment('aws:RequestTag'), wildcardReason: WHY.deployments });
  f.createGreen.allow({ actions: ['rds:CreateBlueGreenDeployment'], resources: [...current, ...greens], wildcardReason: WHY.names });
  f.createGreen.allow({ actions: ['rds:AddTagsToResource'], resources: [deployments], conditions: onlyTagKeys([CREATED_BY_TAG, ENVIRONMENT_TAG]), wildcardReason: WHY.deployments });

  // The switchover: only of a deployment tagged with this environment (which only Create Green tags so).
  f.switchOver.allow({ actions: ['rds:SwitchoverBlueGreenDeployment'], resources: [deployments], conditions: ofEnvironment('aws:ResourceTag'), wildcardReason: WHY.deployments });

  // The lag, the check, the record.
  f.checkReplicaLag.allow({ actions: ['cloudwatch:GetMetricStatistics'], resources: ['*'], wildcardReason: WHY.describe });
  if (runner) allowSendCommand(f.checkGreenDatabase, runner, [data.database.restore.check.document], WHY.instances);
  f.checkGreenDatabase.allow({ actions: ['ssm:ListCommandInvocations', 'ssm:CancelCommand'], resources: ['*'], wildcardReason: WHY.invocations });
  f.recordReplacement.allow({ actions: ['rds:AddTagsToResource'], resources: olds, conditions: onlyTagKeys([KEPT_TAG, REPLACED_BY_TAG, REPLACED_AT_TAG, REPLACED_REASON_TAG]), wildcardReason: WHY.names });
}
