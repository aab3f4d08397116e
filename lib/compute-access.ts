/**
 * Least privilege for the compute workflows' tasks (allocate, scale out, replace):
 * - RunInstances only from the environment's launch templates, into its subnets, and only
 *   with the tier's tags on the request (aws:RequestTag), tagging only at launch;
 * - Stop and Terminate only instances carrying a tier's tags (aws:ResourceTag);
 * - iam:PassRole only for the tiers' instance roles, only to EC2;
 * - SendCommand only of the tiers' prerequisite documents and the probe, only to the
 *   tiers' instances; CreateDBInstance only of the environment's own database.
 * Describe calls support no resource-level permissions; each wildcard says why.
 */
import { Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { allowOnTierHosts, allowSendCommand, onlyTagKeys } from './iam-scopes';
import { databaseSnapshotArns, restoredDatabaseArns } from './data-access';
import type { FleetFlowFunction } from './constructs/fleetflow-function';
import { componentOf, isHostTier, type EnvironmentDefinition, type HostTierDefinition } from '../lambdas/domain/environment/model';
import { releaseParameterName, databaseParameterName } from '../lambdas/domain/contract/records';
import { usesFleetFlowSecret } from '../lambdas/domain/environment/master-password';
import { LAUNCH_GROUP_TAG, LAUNCH_SCOPE_TAG, LAUNCHED_BY_TAG, REPLACES_TAG, RETIRED_AT_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG, SURGE_REASON, CREATED_BY_TAG } from '../lambdas/domain/contract/tags';

export interface ComputeTaskFunctions {
  readonly planAllocation: FleetFlowFunction;
  readonly planScaleOut: FleetFlowFunction;
  readonly planReplacement: FleetFlowFunction;
  readonly launchHosts: FleetFlowFunction;
  readonly checkHostsReady: FleetFlowFunction;
  readonly verifyDependencies: FleetFlowFunction;
  readonly storeNewHosts: FleetFlowFunction;
  readonly setUpHosts: FleetFlowFunction;
  readonly checkSetUp: FleetFlowFunction;
  readonly retireHosts: FleetFlowFunction;
  readonly checkRetired: FleetFlowFunction;
  readonly terminateLaunched: FleetFlowFunction;
  readonly createDatabase: FleetFlowFunction;
  readonly checkDatabaseCreated: FleetFlowFunction;
  readonly launchSurgeHosts: FleetFlowFunction;
  readonly setUpSurgeHosts: FleetFlowFunction;
  readonly startHosts: FleetFlowFunction;
  readonly checkStarted: FleetFlowFunction;
  /** Only with a surge tier (statemachines/deploy/deploy-workflow.ts `releasesBySurge`). */
  readonly terminateSurged?: FleetFlowFunction;
}

const WHY = {
  describe: 'ec2:Describe*, ssm:DescribeInstanceInformation and elasticloadbalancing:Describe* support no resource-level permissions',
  instances: "instances are matched by the tier's tags in the condition, not by ID: they are created by the workflow",
  launchTemplate:
    'a launch template named in the definition (not given by ID) has an ARN ending in an ID AWS generates, so ec2:LaunchTemplate can only require that a template is used; give the template by ID to pin it. RunInstances is further limited by the tags it must carry and the subnets',
  launchResources: "RunInstances also authorizes the image, volumes, network interfaces and security groups the template names, whose IDs the definition does not hold; the instance itself must carry the tier's tags",
  invocations: 'ssm:ListCommandInvocations and ssm:CancelCommand act on command IDs, which IAM cannot scope',
  listCommands: "ssm:ListCommands lists the account's commands; its request names no resource IAM could scope (only a command ID, a node ID and filters)",
  targetGroups: "a target group ARN ends in an ID AWS generates; the name part pins it to this environment's groups",
  certificates: "a listener's certificates are whatever is attached to it (an ID ACM generates each), read from the listener: this account's and region's only",
  restored: "a restore-data creates a new instance named <database>-<source>-<execution>, which becomes the current one",
  databaseCreate:
    "CreateDBInstance and RestoreDBInstanceFromDBSnapshot also authorize the engine's default option group (og:default:<engine>-<version>, named by RDS) and the instance's own snapshots (automated: rds:<instance>-<time>; FleetFlow's: fleetflow-<env>-<release>-<execution>); the instance, subnet group, parameter group and security groups are exact",
};

/**
 * @param masterSecret the environment's master password secret ("fleetflow-secret" mode,
 * lib/constructs/database-master-secret.ts): its ARN and its name.
 */
export function grantComputeAccess(
  environment: EnvironmentDefinition,
  f: ComputeTaskFunctions,
  planTable: dynamodb.ITable,
  masterSecret?: { readonly arn: string; readonly name: string },
): void {
  const tiers = environment.tiers.filter(isHostTier);
  const launchable = tiers.filter((t) => t.launch);
  const arn = (service: string, resource: string) => f.launchHosts.arn(service, resource);
  const describeEc2 = ['ec2:DescribeInstances'];

  for (const fun of [
    f.planAllocation, f.planScaleOut, f.planReplacement, f.launchHosts, f.checkHostsReady, f.verifyDependencies, f.storeNewHosts, f.retireHosts,
    f.checkRetired, f.terminateLaunched, f.launchSurgeHosts, f.setUpSurgeHosts, f.startHosts, f.checkStarted, ...(f.terminateSurged ? [f.terminateSurged] : []),
  ]) {
    fun.allow({ actions: describeEc2, resources: ['*'], wildcardReason: WHY.describe });
  }
  // Each ELB describe only where the handler calls it: the planners and Verify Dependencies find target groups, Plan Replacement reads their health.
  for (const fun of [f.planAllocation, f.planScaleOut, f.planReplacement, f.verifyDependencies]) {
    fun.allow({ actions: ['elasticloadbalancing:DescribeTargetGroups'], resources: ['*'], wildcardReason: WHY.describe });
  }
  f.planReplacement.allow({ actions: ['elasticloadbalancing:DescribeTargetHealth'], resources: ['*'], wildcardReason: WHY.describe });
  // Whether a host set up by another run is registered (lambdas/compute/leftovers.ts `registeredHosts`): the planners
  // refuse one registered in no group. Terminate Leftovers terminates by the release tag alone and reads no
  // registration. Only with target groups.
  if (tiers.some((t) => t.traffic.kind === 'target-group')) {
    for (const fun of [f.planAllocation, f.planScaleOut]) {
      fun.allow({ actions: ['elasticloadbalancing:DescribeTargetHealth'], resources: ['*'], wildcardReason: WHY.describe });
    }
  }
  // The deregistration delay its retire batches drain by (lambdas/compute/retire-traffic.ts), as Plan Release reads it.
  f.planReplacement.allow({ actions: ['elasticloadbalancing:DescribeTargetGroupAttributes'], resources: ['*'], wildcardReason: WHY.describe });
  // The network checks of allocate and scale-out (lambdas/compute/network-checks.ts), in their planners only. The
  // Service Authorization Reference lists no resource type for these Describe actions ("If there is no value for
  // this column, you must specify all resources ("*")"), hence WHY.describe. DescribeVpcs only where a CIDR rule
  // is read, DescribeSecurityGroups only where a tier declares the hosts' groups.
  const networkChecked = tiers.some((t) => t.launch && t.traffic.kind === 'target-group');
  const securityGroupsChecked = tiers.some((t) => t.launch && t.traffic.kind === 'target-group' && t.traffic.hostSecurityGroups);
  const networkReads = [
    'elasticloadbalancing:DescribeLoadBalancers',
    'elasticloadbalancing:DescribeListeners',
    'elasticloadbalancing:DescribeRules',
    ...(securityGroupsChecked ? ['ec2:DescribeSecurityGroups', 'ec2:DescribeVpcs'] : []),
  ];
  for (const fun of networkChecked ? [f.planAllocation, f.planScaleOut] : []) {
    // DescribeListenerCertificates: the certificates of an HTTPS or TLS listener, which only AWS knows the listeners of.
    fun.allow({ actions: [...networkReads, 'elasticloadbalancing:DescribeListenerCertificates'], resources: ['*'], wildcardReason: WHY.describe });
    // The Service Authorization Reference lists acm:DescribeCertificate on the certificate resource type
    // (arn:${Partition}:acm:${Region}:${Account}:certificate/${CertificateId}): the listeners' certificates
    // are whatever was attached to them, so only this account's and region's can be named.
    fun.allow({ actions: ['acm:DescribeCertificate'], resources: [fun.arn('acm', 'certificate/*')], wildcardReason: WHY.certificates });
  }
  // route53:ListResourceRecordSets on the hostedzone resource type (arn:${Partition}:route53:::hostedzone/${Id}):
  // exactly the declared zones, nothing else.
  const zones = [...new Set(tiers.flatMap((t) => (t.launch && t.traffic.kind === 'target-group' && t.traffic.domain?.hostedZoneId ? [t.traffic.domain.hostedZoneId] : [])))];
  if (zones.length > 0) {
    const zoneArns = zones.map((id) => `arn:${Stack.of(f.planAllocation).partition}:route53:::hostedzone/${id}`);
    for (const fun of [f.planAllocation, f.planScaleOut]) fun.allow({ actions: ['route53:ListResourceRecordSets'], resources: zoneArns });
  }
  for (const fun of [f.planReplacement, f.checkHostsReady, f.setUpSurgeHosts]) fun.allow({ actions: ['ec2:DescribeInstanceStatus'], resources: ['*'], wildcardReason: WHY.describe });
  // The stop and termination protection of the hosts it would retire (lambdas/compute/retire-guards.ts).
  f.planReplacement.allow({ actions: ['ec2:DescribeInstanceAttribute'], resources: ['*'], wildcardReason: WHY.describe });
  for (const fun of [f.checkHostsReady, f.setUpSurgeHosts, f.checkStarted]) {
    fun.allow({ actions: ['ssm:DescribeInstanceInformation'], resources: ['*'], wildcardReason: WHY.describe });
  }
  for (const fun of [f.checkSetUp, f.setUpSurgeHosts]) fun.allow({ actions: ['ssm:ListCommandInvocations', 'ssm:CancelCommand'], resources: ['*'], wildcardReason: WHY.invocations });
  // A batch's setup step is many commands, read 50 a call (lambdas/shared/ssm-commands.ts readProgress).
  for (const fun of [f.checkSetUp, f.setUpSurgeHosts]) fun.allow({ actions: ['ssm:ListCommands'], resources: ['*'], wildcardReason: WHY.listCommands });
  // A pipelined surge launches the next batch's new hosts into its old hosts' subnets: that batch, read from the plan table.
  f.launchSurgeHosts.allow({ actions: ['dynamodb:GetItem'], resources: [planTable.tableArn] });
  f.launchSurgeHosts.function.addEnvironment('PLAN_TABLE', planTable.tableName);

  // The recorded release new hosts get.
  const components = [...new Set(tiers.map((t) => componentOf(t)))];
  const current = components.map((c) => arn('ssm', `parameter${releaseParameterName(environment.name, c, 'current')}`));
  for (const fun of [f.planAllocation, f.planScaleOut, f.planReplacement]) fun.allow({ actions: ['ssm:GetParameter'], resources: current });
  for (const fun of [f.planReplacement, f.storeNewHosts]) {
    fun.allow({ actions: ['dynamodb:BatchWriteItem'], resources: [planTable.tableArn] });
    fun.function.addEnvironment('PLAN_TABLE', planTable.tableName);
  }

  const targetGroupArns = tiers.flatMap((t) => (t.traffic.kind === 'target-group' ? t.traffic.targetGroups.map((name) => arn('elasticloadbalancing', `targetgroup/${name}/*`)) : []));
  if (targetGroupArns.length > 0) {
    f.terminateLaunched.allow({ actions: ['elasticloadbalancing:DeregisterTargets'], resources: targetGroupArns, wildcardReason: WHY.targetGroups });
  }

  for (const tier of launchable) {
    grantLaunch(f.launchHosts, tier);
    grantLaunch(f.launchSurgeHosts, tier);
  }
  for (const tier of tiers) {
    const onTierInstances = (fun: FleetFlowFunction, actions: string[], extra: Record<string, Record<string, string | string[]>> = {}) =>
      allowOnTierHosts(fun, tier, { actions, resources: [fun.arn('ec2', 'instance/*')], tagPrefix: 'aws:ResourceTag', conditions: extra, wildcardReason: WHY.instances });
    const retiredTags = onlyTagKeys([RETIRED_BY_TAG, RETIRED_AT_TAG, RETIRED_REASON_TAG]);
    onTierInstances(f.retireHosts, ['ec2:CreateTags'], retiredTags);
    // Retirement as the tier's policy says (a replacement's retire-hosts.ts), plus what a surge does: it stops
    // the old hosts of a batch whatever the policy, and its rollback terminates only the hosts it launched
    // (they carry the surge's launch scope).
    const surge = tier.batch.strategy === 'surge';
    if (tier.retire === 'stop' || surge) onTierInstances(f.retireHosts, ['ec2:StopInstances']);
    if (tier.retire === 'terminate') onTierInstances(f.retireHosts, ['ec2:TerminateInstances']);
    else if (surge) onTierInstances(f.retireHosts, ['ec2:TerminateInstances'], { Null: { [`aws:ResourceTag/${LAUNCH_SCOPE_TAG}`]: 'false' } });
    onTierInstances(f.terminateLaunched, ['ec2:CreateTags'], retiredTags);
    // A surge's rollback: the retired record removed, then the stopped hosts started again.
    onTierInstances(f.startHosts, ['ec2:DeleteTags'], retiredTags);
    onTierInstances(f.startHosts, ['ec2:StartInstances']);
    onTierInstances(f.checkStarted, ['ec2:StartInstances']);
    // Once a surge release is validated: only the old hosts it stopped, by their retired reason.
    if (f.terminateSurged) onTierInstances(f.terminateSurged, ['ec2:TerminateInstances'], { StringEquals: { [`aws:ResourceTag/${RETIRED_REASON_TAG}`]: SURGE_REASON } });
    // ...and the new hosts a stopped execution's surge launched and never set up: tagged why, then terminated (only hosts a surge launched).
    if (f.terminateSurged && surge) {
      onTierInstances(f.terminateSurged, ['ec2:CreateTags'], retiredTags);
      onTierInstances(f.terminateSurged, ['ec2:TerminateInstances'], { Null: { [`aws:ResourceTag/${LAUNCH_SCOPE_TAG}`]: 'false' } });
    }
    // Cleanup terminates only what this workflow launched: instances of the tier that carry a launched-by tag.
    onTierInstances(f.terminateLaunched, ['ec2:TerminateInstances'], { Null: { [`aws:ResourceTag/${LAUNCHED_BY_TAG}`]: 'false' } });
    const documents = [...tier.prerequisites.map((p) => p.document), ...(tier.traffic.kind === 'target-group' ? ['AWS-RunShellScript'] : [])];
    if (documents.length > 0) allowSendCommand(f.setUpHosts, tier, documents, WHY.instances);
    // A surge batch's new hosts are set up by Set Up Surge Hosts (the same steps), on surge tiers only.
    if (documents.length > 0 && surge) allowSendCommand(f.setUpSurgeHosts, tier, documents, WHY.instances);
  }

  // The database: created only as the definition says, and only under its own identifier.
  for (const data of environment.tiers) {
    if (isHostTier(data) || !data.database.create) continue;
    const c = data.database.create;
    const dbArn = arn('rds', `db:${data.database.instanceIdentifier}`);
    f.planAllocation.allow({ actions: ['rds:DescribeDBInstances'], resources: [dbArn, ...restoredDatabaseArns(f.planAllocation, data.database.instanceIdentifier)], wildcardReason: WHY.restored });
    // Which instance is current, after a restore-data.
    f.planAllocation.allow({ actions: ['ssm:GetParameter'], resources: [arn('ssm', `parameter${databaseParameterName(environment.name)}`)] });
    f.checkDatabaseCreated.allow({ actions: ['rds:DescribeDBInstances'], resources: [dbArn] });
    // What the definition declares, as RDS's condition keys for a DB instance carry it on CreateDBInstance (the
    // RDS user guide's identity-based policy examples condition CreateDBInstance on rds:DatabaseEngine and
    // rds:DatabaseClass). Public access has no condition key: create-database.ts always sends PubliclyAccessible
    // false, and the schema has no field that could ask otherwise. The restore carries no such condition: the
    // Service Authorization Reference lists only rds:BackupTarget and the tag keys for RestoreDBInstanceFromDBSnapshot,
    // and a condition on a key the request does not carry would deny every restore; the handler sends the declared class.
    const declared = { StringEquals: { 'rds:DatabaseClass': c.instanceClass }, Bool: { 'rds:MultiAz': String(c.multiAz) } };
    const createResources = [
        dbArn,
        arn('rds', `subgrp:${c.subnetGroup}`),
        ...(c.parameterGroup ? [arn('rds', `pg:${c.parameterGroup}`)] : []),
        ...c.securityGroups.map((sg) => arn('ec2', `security-group/${sg}`)),
        arn('rds', 'og:default:*'),
        // A restore reads the instance's own snapshots (automated ones are named rds:<instance>-<time>).
        ...databaseSnapshotArns(f.createDatabase, data.database.instanceIdentifier, environment.name),
    ];
    f.createDatabase.allow({
      actions: ['rds:CreateDBInstance'],
      resources: createResources,
      conditions: { StringEquals: { ...declared.StringEquals, 'rds:DatabaseEngine': c.engine }, Bool: { ...declared.Bool, 'rds:StorageEncrypted': 'true' } },
      wildcardReason: WHY.databaseCreate,
    });
    f.createDatabase.allow({ actions: ['rds:RestoreDBInstanceFromDBSnapshot'], resources: createResources, wildcardReason: WHY.databaseCreate });
    // The tag given at creation (its creator), on the new instance only, and no other key.
    f.createDatabase.allow({ actions: ['rds:AddTagsToResource'], resources: [dbArn], conditions: onlyTagKeys([CREATED_BY_TAG]) });
    f.planAllocation.allow({
      actions: ['rds:DescribeDBSnapshots'],
      resources: [dbArn, ...databaseSnapshotArns(f.planAllocation, data.database.instanceIdentifier, environment.name)],
      wildcardReason: WHY.databaseCreate,
    });
    if (usesFleetFlowSecret(c)) {
      // "fleetflow-secret": Create Database reads the environment's secret, this one only
      // (lambdas/shared/master-password.ts): secretsmanager:GetSecretValue on the secret, which Secrets Manager's
      // API reference requires of GetSecretValue ("Required permissions: secretsmanager:GetSecretValue"). No other
      // function holds it. The secret uses Secrets Manager's AWS managed key, whose key policy lets principals of
      // the account decrypt through Secrets Manager, so no kms grant is needed.
      if (!masterSecret) throw new Error(`${environment.name}: database.create.masterPassword is "fleetflow-secret" but the stack made no master password secret`);
      f.createDatabase.allow({ actions: ['secretsmanager:GetSecretValue'], resources: [masterSecret.arn] });
    } else {
      // "rds-managed" (ManageMasterUserPassword): RDS creates the secret with the caller's permissions, in secrets named rds!db-*.
      f.createDatabase.allow({
        actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource'],
        resources: [arn('secretsmanager', 'secret:rds!db-*')],
        wildcardReason: 'RDS names the master user secret it manages rds!db-<generated id>',
      });
    }
  }
}

function grantLaunch(fun: FleetFlowFunction, tier: HostTierDefinition): void {
  const launch = tier.launch!;
  // ec2:LaunchTemplate is the ARN of the template a RunInstances uses, on every resource it authorizes
  // (Service Authorization Reference, Amazon EC2). A template given by ID is pinned; one given by name has
  // an ARN ending in an ID AWS generates, so only "from a launch template" can be required of it. No
  // condition key names the version: launch-hosts.ts sends the definition's, which may not be $Latest.
  const template = 'id' in launch.template ? fun.arn('ec2', `launch-template/${launch.template.id}`) : fun.arn('ec2', 'launch-template/*');
  const fromTemplate = { ArnLike: { 'ec2:LaunchTemplate': template } };
  const reason = 'name' in launch.template ? { wildcardReason: WHY.launchTemplate } : {};
  fun.allow({ actions: ['ec2:RunInstances'], resources: [template], conditions: fromTemplate, ...reason });
  fun.allow({ actions: ['ec2:RunInstances'], resources: launch.subnets.map((s) => fun.arn('ec2', `subnet/${s.id}`)), conditions: fromTemplate, ...reason });
  // What the template creates with the instance.
  fun.allow({
    actions: ['ec2:RunInstances'],
    resources: ['volume/*', 'network-interface/*'].map((r) => fun.arn('ec2', r)),
    conditions: fromTemplate,
    wildcardReason: WHY.launchResources,
  });
  // What the template names: the image, security groups and key pair, only as the template names them
  // (ec2:IsLaunchTemplateResource), never overridden by the request.
  fun.allow({
    actions: ['ec2:RunInstances'],
    resources: ['security-group/*', 'key-pair/*'].map((r) => fun.arn('ec2', r)).concat([fun.arn('ec2', 'image/*', '')]),
    conditions: { ...fromTemplate, Bool: { 'ec2:IsLaunchTemplateResource': 'true' } },
    wildcardReason: WHY.launchResources,
  });
  // The instance must be launched carrying the tier's tags, and the launch tags only.
  allowOnTierHosts(fun, tier, {
    actions: ['ec2:RunInstances'],
    resources: [fun.arn('ec2', 'instance/*')],
    tagPrefix: 'aws:RequestTag',
    conditions: { ...fromTemplate, ...onlyTagKeys([...Object.keys(tier.hosts.tags), LAUNCHED_BY_TAG, LAUNCH_GROUP_TAG, LAUNCH_SCOPE_TAG, ...(tier.batch.strategy === 'surge' ? [REPLACES_TAG] : [])]) },
    wildcardReason: WHY.instances,
  });
  fun.allow({
    actions: ['ec2:CreateTags'],
    resources: [fun.arn('ec2', 'instance/*'), fun.arn('ec2', 'volume/*')],
    conditions: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    wildcardReason: 'tags are only written as part of RunInstances (ec2:CreateAction), on what it creates',
  });
  fun.allow({
    actions: ['iam:PassRole'],
    resources: [Stack.of(fun).formatArn({ service: 'iam', region: '', resource: 'role', resourceName: launch.instanceRole })],
    conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
  });
}
