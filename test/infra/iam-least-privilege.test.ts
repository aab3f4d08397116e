/**
 * Least privilege of the canonical stack: every mutating call is scoped to the
 * environment's own target groups, documents, tagged hosts, database, release record and
 * lock; each is held by the tasks that make it; secrets stay out of reach of every
 * function; wildcards are kept to actions that AWS offers no resource-level permissions for.
 * The compute workflows' own grants (launching, stopping, terminating, passing roles,
 * creating the database) are checked in detail in compute-iam.test.ts, the data workflows'
 * (restoring into a new instance, the connection parameter and database record, the check
 * and reconfigure documents, what recover may start) in data-iam.test.ts.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allIdentityStatements,
  allowing,
  canonicalEnvironment,
  expectedArn,
  expectedDocumentArn,
  lambdaByHandler,
  lambdaFunctions,
  roleStatements,
  onlyResourceOfType,
  resourceCovers,
  rolesAllowing,
  stateMachineRoleId,
  sharedCanonical,
  TEST_ENV,
  type PolicyStatement,
  type CanonicalTemplate,
  resourceOfType,
  stateMachineId,
  stateMachines,
} from './support';
import { fromTemplate } from '../../lib/simulator/definition';

/** Actions that change something (or reach into another resource), none of which may be granted on "*". */
const MUTATING_ACTIONS = [
  'elasticloadbalancing:RegisterTargets',
  'elasticloadbalancing:DeregisterTargets',
  'ssm:SendCommand',
  'ec2:CreateTags',
  'ec2:DeleteTags',
  'rds:CreateDBSnapshot',
  'rds:AddTagsToResource',
  'ssm:PutParameter',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'sns:Publish',
  'events:PutEvents',
  'states:DescribeExecution',
  'states:StartExecution',
  'states:StopExecution',
  'events:PutRule',
  'events:PutTargets',
  'lambda:InvokeFunction',
  'dynamodb:BatchWriteItem',
  'ec2:RunInstances',
  'ec2:StartInstances',
  'ec2:StopInstances',
  'ec2:TerminateInstances',
  'iam:PassRole',
  'rds:CreateDBInstance',
  'rds:RestoreDBInstanceFromDBSnapshot',
  'rds:RestoreDBInstanceToPointInTime',
  'secretsmanager:CreateSecret',
  'secretsmanager:TagResource',
];

/** The batch tasks that put the per-batch progress events (lambdas/shared/batch-events.ts; test/infra/batch-events-access.test.ts). */
const BATCH_EVENT_TASKS = ['rollout/check-healthy.ts', 'rollout/check-install.ts', 'rollout/take-out-of-traffic.ts'];

/** Stand for the state machines' roles (and the release windows' scheduler role) in the grantee lists below. */
const DEPLOY = 'the deploy state machine';
const ROLLOUT = 'the rollout state machine';
const ALLOCATE = 'the allocate state machine';
const SCALE_OUT = 'the scale-out state machine';
const SCALE_IN = 'the scale-in state machine';
const REPLACE = 'the replace state machine';
const RESTORE_DATA = 'the restore-data state machine';
const RECOVER = 'the recover state machine';
const REPLACE_DATABASE = 'the replace-database state machine';
const SCHEDULER = 'the release window scheduler';
type Machine = typeof DEPLOY | typeof ROLLOUT | typeof ALLOCATE | typeof SCALE_OUT | typeof SCALE_IN | typeof REPLACE | typeof RESTORE_DATA | typeof RECOVER | typeof REPLACE_DATABASE;
/** The workflows that take the environment's one lock, start rollout children and notify: all but the rollout child and recover. */
const LOCKING = [DEPLOY, ALLOCATE, SCALE_OUT, SCALE_IN, REPLACE, RESTORE_DATA] as const;
/**
 * Recover takes no lock and starts no rollout child: it starts allocate, restore-data and deploy as its parts, follows
 * them (startExecution.sync:2: describe, stop, the EventBridge rule) and notifies.
 */
const STARTS_PARTS = [RECOVER] as const;
/** Every workflow that takes the lock: the above, and replace-database, which starts no child (RDS switches the database over). */
const LOCK_HOLDERS = [...LOCKING, REPLACE_DATABASE] as const;

/**
 * The only actions a FleetFlow function may hold on Resource "*": reads and X-Ray writes that
 * support no resource-level permissions, listing and cancelling SSM commands, and reading alarm
 * states (DescribeAlarms returns composite alarms only to callers allowed it on "*").
 */
const UNSCOPABLE_ACTIONS = new Set([
  'cloudwatch:DescribeAlarms',
  // Composite alarms' history, like their states, only to callers allowed it on "*" (DescribeAlarmHistory API reference).
  'cloudwatch:DescribeAlarmHistory',
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceStatus',
  // The planners read the stop and termination protection of the hosts they would retire (lambdas/compute/retire-guards.ts).
  'ec2:DescribeInstanceAttribute',
  'ssm:DescribeInstanceInformation',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'elasticloadbalancing:DescribeTargetHealth',
  'elasticloadbalancing:DescribeLoadBalancers',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
  'elasticloadbalancing:DescribeListenerCertificates',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVpcs',
  'ssm:ListCommandInvocations',
  // A batch's many commands read 50 a call: ListCommands' request names no resource (lambdas/shared/ssm-commands.ts).
  'ssm:ListCommands',
  'ssm:CancelCommand',
  // Replace-database reads the green's ReplicaLag: GetMetricStatistics has no resource-level permissions.
  'cloudwatch:GetMetricStatistics',
  // Replace-database checks a requested engine version against RDS's catalogue, which is no resource of the account.
  'rds:DescribeDBEngineVersions',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
]);

/**
 * The only actions a state machine's role may hold on Resource "*": X-Ray tracing and the
 * CloudWatch Logs delivery that execution logging needs, none of which can be scoped.
 */
const STATE_MACHINE_UNSCOPABLE_ACTIONS = new Set([
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
]);

/**
 * The only RDS actions granted anywhere: describe (instances, snapshots, the restorable window), snapshot (and tag the
 * snapshot), create the environment's own instance when allocate finds it missing, restore into a new instance
 * (restore-data: from a snapshot or to a point in time; tagged as it is created, its tags read back on a retry), and tag
 * the instance a restore replaced.
 */
const RDS_ALLOWED = [
  'rds:AddTagsToResource',
  // Replace-database: its blue/green deployment (test/infra/replace-database-iam.test.ts holds each to the environment).
  'rds:CreateBlueGreenDeployment',
  'rds:CreateDBInstance',
  // CreateDBInstanceReadReplica, ModifyDBInstance, PromoteReadReplica: what RDS performs for a blue/green deployment under the
  // caller's permissions (RDS User Guide, "Authorizing access to Amazon RDS blue/green deployment operations"); held by
  // Create Green and Switch Over only (replace-database-iam.test.ts).
  'rds:CreateDBInstanceReadReplica',
  'rds:CreateDBSnapshot',
  'rds:DescribeBlueGreenDeployments',
  'rds:DescribeDBEngineVersions',
  'rds:DescribeDBInstanceAutomatedBackups',
  'rds:DescribeDBInstances',
  // Replace-database's plan reads a major upgrade's parameter groups (replace-database-iam.test.ts: nothing modifies one).
  'rds:DescribeDBParameterGroups',
  'rds:DescribeDBParameters',
  'rds:DescribeDBSnapshots',
  'rds:ListTagsForResource',
  'rds:ModifyDBInstance',
  'rds:PromoteReadReplica',
  'rds:RestoreDBInstanceFromDBSnapshot',
  'rds:RestoreDBInstanceToPointInTime',
  'rds:SwitchoverBlueGreenDeployment',
];
/**
 * The database is never restarted, stopped, failed over or deleted by FleetFlow (modified and promoted only by RDS
 * switching a blue/green deployment over, which needs Switch Over to hold both: replace-database-iam.test.ts), nor its snapshots
 * or automated backups deleted or shared, nor restored from anything but its own snapshots and backups.
 */
const RDS_FORBIDDEN = [
  'rds:RebootDBInstance',
  'rds:StopDBInstance',
  'rds:DeleteDBInstance',
  'rds:FailoverDBCluster',
  'rds:RestoreDBInstanceFromS3',
  'rds:DeleteDBSnapshot',
  'rds:ModifyDBSnapshotAttribute',
  'rds:DeleteDBInstanceAutomatedBackup',
];

/** Every action that reads an SSM parameter or a secret value. */
const SECRET_READING_ACTIONS = [
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:GetParametersByPath',
  'ssm:GetParameterHistory',
  'secretsmanager:GetSecretValue',
];

const canonical = canonicalEnvironment();
/** The state machines of the stack, by the names they are deployed under. */
const MACHINE_NAMES: Record<Machine, string> = {
  [DEPLOY]: `fleetflow-${canonical.name}-deploy`,
  [ROLLOUT]: `fleetflow-${canonical.name}-rollout`,
  [ALLOCATE]: `fleetflow-${canonical.name}-allocate`,
  [SCALE_OUT]: `fleetflow-${canonical.name}-scale-out`,
  [SCALE_IN]: `fleetflow-${canonical.name}-scale-in`,
  [REPLACE]: `fleetflow-${canonical.name}-replace`,
  [RESTORE_DATA]: `fleetflow-${canonical.name}-restore-data`,
  [RECOVER]: `fleetflow-${canonical.name}-recover`,
  [REPLACE_DATABASE]: `fleetflow-${canonical.name}-replace-database`,
};
const MACHINES = [DEPLOY, ROLLOUT, ALLOCATE, SCALE_OUT, SCALE_IN, REPLACE, RESTORE_DATA, RECOVER, REPLACE_DATABASE] as const;
const isMachine = (name: string): name is Machine => (MACHINES as readonly string[]).includes(name);
/** What the lock holder may be: an execution of any locking workflow of the environment. */
const LOCK_HOLDER_ARNS = LOCK_HOLDERS.map((machine) => expectedArn('states', `execution:${MACHINE_NAMES[machine]}:*`)).sort();
const hostTiers = canonical.tiers.filter((t) => t.role !== 'data');
const TARGET_GROUP_ARNS = hostTiers
  .flatMap((t) => t.traffic?.targetGroups ?? [])
  .map((name) => expectedArn('elasticloadbalancing', `targetgroup/${name}/*`))
  .sort();
const INSTANCE_ARN = expectedArn('ec2', 'instance/*');
const INSTALL_DOCUMENT_ARNS = [...new Set(hostTiers.map((t) => expectedDocumentArn(t.install!.document)))].sort();
/** Host tiers that no target group checks, and so run a health command (environments/canonical.json: monitoring). */
const HEALTH_CHECKED_TIERS = hostTiers.filter((t) => t.health?.command);
const HEALTH_DOCUMENT_ARNS = [...new Set(HEALTH_CHECKED_TIERS.map((t) => expectedDocumentArn(t.health!.command!.document)))].sort();
/** The setup steps new hosts run before their first install (Set Up Hosts). */
const PREREQUISITE_DOCUMENT_ARNS = [...new Set(hostTiers.flatMap((t) => (t.prerequisites ?? []).map((p) => expectedDocumentArn(p.document))))].sort();
/**
 * The one document the environment does not name: Set Up Hosts probes a target-group tier's health check path on
 * new hosts with AWS-RunShellScript (compute-access.ts), and only Set Up Hosts may send it.
 */
const PROBE_DOCUMENT_ARN = expectedDocumentArn('AWS-RunShellScript');
/** The data tier's restore: the check document (Validate Data) and the reconfigure document (Reconfigure Hosts). */
const RESTORE = canonical.tiers.find((t) => t.role === 'data')!.database!.restore!;
/** Every SSM document the environment names: installs, drain commands, health commands, migrations, prerequisites, the restore's check and reconfigure. */
/** Target-group tiers with a host-side drain check (environments/canonical.json: middle and web), sent by Take Batch Out. */
const DRAIN_CHECKED_TIERS = hostTiers.filter((t) => t.traffic?.kind === 'target-group' && t.drain?.check);
const DRAIN_CHECK_DOCUMENT_ARNS = [...new Set(DRAIN_CHECKED_TIERS.map((t) => expectedDocumentArn(t.drain!.check!.document)))].sort();
const NAMED_DOCUMENT_ARNS = new Set([
  ...INSTALL_DOCUMENT_ARNS,
  ...hostTiers.flatMap((t) => [t.traffic?.drain, t.traffic?.undrain]).flatMap((c) => (c ? [expectedDocumentArn(c.document)] : [])),
  ...HEALTH_DOCUMENT_ARNS,
  ...DRAIN_CHECK_DOCUMENT_ARNS,
  ...canonical.tiers.flatMap((t) => (t.database?.migration ? [expectedDocumentArn(t.database.migration.document)] : [])),
  ...PREREQUISITE_DOCUMENT_ARNS,
  expectedDocumentArn(RESTORE.check.document),
  expectedDocumentArn(RESTORE.reconfigure.document),
]);
/** Each host tier's tag selector, e.g. { "fleetflow:environment": "canonical", "fleetflow:tier": "web" }. */
const TIER_TAGS = hostTiers.map((t) => t.hosts!.tags);
const hasDrainCommands = hostTiers.some((t) => t.traffic?.kind === 'drain-command');
/** Host tiers that FleetFlow takes out of traffic (and marks while they are out): all but those with traffic kind none. */
const TRAFFIC_TIERS = hostTiers.filter((t) => t.traffic?.kind !== 'none');
/** The tags FleetFlow writes on hosts: the release record (by Check Install), and the out-of-traffic marker. */
const RELEASE_RECORD_TAGS = ['fleetflow:previous-release', 'fleetflow:release'];
const OUT_OF_TRAFFIC_TAG = 'fleetflow:out-of-traffic';
/** The record that an install was sent (by Install Release), removed once recorded (by Check Install). */
const INSTALL_SENT_TAGS = ['fleetflow:installing', 'fleetflow:reinstalling'];
/** Why a host was retired (by Retire Hosts, or by Terminate Launched cleaning up what a failed execution launched). */
const RETIRED_TAGS = ['fleetflow:retired-by', 'fleetflow:retired-at', 'fleetflow:retired-reason'];
/** The database a host was pointed to: sent (by Reconfigure Hosts), then recorded once it succeeded (by Check Reconfigured). */
const DATABASE_SENT_TAG = 'fleetflow:database-sent';
const DATABASE_TAG = 'fleetflow:database';
/** The host tiers that use the database, which a restore repoints (environments/canonical.json: middle and web). */
const REPOINTED_TIERS = hostTiers.filter((t) => RESTORE.tiers.includes(t.name));

const databaseTier = canonical.tiers.find((t) => t.role === 'data')!;
const DB_ARN = expectedArn('rds', `db:${databaseTier.database!.instanceIdentifier}`);
/** The instances restore-data may create, and which may then be current: <identifier>-snap-*, <identifier>-pitr-*. */
const RESTORED_DB_ARNS = ['snap', 'pitr'].map((kind) => expectedArn('rds', `db:${databaseTier.database!.instanceIdentifier}-${kind}-*`));
const SNAPSHOT_ARN = expectedArn('rds', `snapshot:fleetflow-${canonical.name}-*`);
/** RDS's automated snapshots of the instance (and of those restored from it): rds:<instance>-<time>. */
const AUTOMATED_SNAPSHOT_ARN = expectedArn('rds', `snapshot:rds:${databaseTier.database!.instanceIdentifier}-*`);
/** Manual snapshots people took of the database, named after it: <identifier>-<anything>. */
const MANUAL_SNAPSHOT_ARN = expectedArn('rds', `snapshot:${databaseTier.database!.instanceIdentifier}-*`);
/** The record of which instance is the environment's database (written by Record Database, read by the planners). */
const DATABASE_RECORD_ARN = expectedArn('ssm', `parameter/fleetflow/${canonical.name}/database/current`);
/** The connection parameter the hosts that use the database read (written by Write Connection). */
const CONNECTION_ARN = expectedArn('ssm', `parameter${RESTORE.connectionParameter}`);
const MIGRATION = databaseTier.database!.migration!;
const RUNNER_TAGS = hostTiers.find((t) => t.name === MIGRATION.runnerTier)!.hosts!.tags;
/** The components the environment's host tiers release: monitoring tiers their own, every other tier the application. */
const COMPONENTS = [...new Set(hostTiers.map((t) => (t.role === 'monitoring' ? 'monitoring' : 'application')))].sort();
/** The release record parameters of every component: `/fleetflow/<environment>/<component>/<which>`. */
const recordArns = (...which: Array<'current' | 'previous' | 'next'>) =>
  COMPONENTS.flatMap((component) => which.map((w) => expectedArn('ssm', `parameter/fleetflow/${canonical.name}/${component}/${w}`))).sort();

/** The tasks that read alarm states: the plan, the batch alarm gate, the preflight and the bake. */
const ALARM_READERS = ['deploy/check-bake.ts', 'deploy/plan-release.ts', 'deploy/preflight.ts', 'rollout/check-alarms.ts'];
/** CloudWatch actions that change alarms, their actions, dashboards or metrics. */
const CLOUDWATCH_WRITES = [
  'cloudwatch:PutMetricAlarm',
  'cloudwatch:PutCompositeAlarm',
  'cloudwatch:DeleteAlarms',
  'cloudwatch:SetAlarmState',
  'cloudwatch:DisableAlarmActions',
  'cloudwatch:EnableAlarmActions',
  'cloudwatch:PutMetricData',
  'cloudwatch:PutDashboard',
  'cloudwatch:TagResource',
];

/** Parameter names that announce a secret (the environment model's rule). */
const SECRET_NAME = /(secret|password|passwd|token|apikey|credential|privatekey)/i;
/** Every secret reference in the environment's SSM command parameters, e.g. /canonical/monitoring/collector-api-key. */
const SECRET_REFERENCES = [
  ...hostTiers.flatMap((t) => [t.install, t.traffic?.drain, t.traffic?.undrain, t.health?.command, ...(t.prerequisites ?? [])]),
  ...canonical.tiers.flatMap((t) => [t.database?.migration, t.database?.restore?.check, t.database?.restore?.reconfigure]),
]
  .flatMap((command) => Object.entries(command?.parameters ?? {}))
  .filter(([name]) => SECRET_NAME.test(name))
  .flatMap(([, values]) => values);
/** The ARN each reference resolves to: an SSM parameter (names start with "/") or a Secrets Manager secret. */
const secretArn = (reference: string) => (reference.startsWith('arn:') ? reference : expectedArn('ssm', `parameter${reference}`));

/** Key policy statements in the shape `allowing` reads, with their principal kept aside. */
function normalizeKeyPolicy(statements: unknown[]): Array<PolicyStatement & { principal: unknown }> {
  return (statements as Array<{ Effect: 'Allow' | 'Deny'; Action: string | string[]; Resource: unknown; Principal: unknown }>).map((s) => ({
    Effect: s.Effect,
    Action: Array.isArray(s.Action) ? s.Action : [s.Action],
    Resource: ['*'],
    source: 'key policy',
    principal: s.Principal,
  }));
}

const withPrefix = (prefix: string, tags: Record<string, string>) =>
  Object.fromEntries(Object.entries(tags).map(([key, value]) => [`${prefix}/${key}`, value]));
const describeStatement = (s: PolicyStatement) => `${s.source}: ${s.Action.join(',')} on ${s.Resource.join(',')}`;

describe('FleetFlow IAM permissions', () => {
  let synth: CanonicalTemplate;
  let statements: PolicyStatement[];
  const machineRoleId = (machine: Machine) => stateMachineRoleId(synth.json, MACHINE_NAMES[machine]);
  const roleOf = (handler: string) => (isMachine(handler) ? machineRoleId(handler) : lambdaByHandler(synth.json, handler).roleLogicalId);
  /** Whether the role is one that EventBridge Scheduler assumes (a release window's). */
  const assumedByScheduler = (roleId: string) =>
    JSON.stringify(synth.json.Resources[roleId]?.Properties?.AssumeRolePolicyDocument ?? {}).includes('"scheduler.amazonaws.com"');
  /** The roles a policy (by logical ID) is attached to; an inline policy's source is its role. */
  const rolesOfPolicy = (source: string): string[] => {
    const resource = synth.json.Resources[source]!;
    if (resource.Type === 'AWS::IAM::Role') return [source];
    return ((resource.Properties?.Roles as Array<{ Ref: string }> | undefined) ?? []).map((r) => r.Ref);
  };
  const namesOf = (roleIds: string[]) =>
    roleIds
      .map(
        (id) =>
          MACHINES.find((machine) => machineRoleId(machine) === id) ??
          (assumedByScheduler(id) ? SCHEDULER : (lambdaFunctions(synth.json).find((f) => f.roleLogicalId === id)?.handler ?? id)),
      )
      .sort();

  beforeAll(() => {
    synth = sharedCanonical();
    statements = allIdentityStatements(synth.json);
  });
  afterAll(() => synth?.cleanup());

  describe('target group membership', () => {
    it("lets only Take Out Of Traffic (and Terminate Launched, before it terminates) deregister targets, and only from the environment's target groups", () => {
      const deregistering = ['rollout/take-out-of-traffic.ts', 'compute/terminate-launched.ts'];
      expect(namesOf(rolesAllowing(synth.json, 'elasticloadbalancing:DeregisterTargets'))).toEqual([...deregistering].sort());
      for (const handler of deregistering) {
        const grants = allowing(roleStatements(synth.json, roleOf(handler)), 'elasticloadbalancing:DeregisterTargets');
        expect(grants.flatMap((s) => s.Resource).sort(), handler).toEqual(TARGET_GROUP_ARNS);
      }
    });

    it("lets only Return To Traffic register targets, and only in the environment's target groups", () => {
      expect(rolesAllowing(synth.json, 'elasticloadbalancing:RegisterTargets')).toEqual([roleOf('return-to-traffic')]);
      const grants = allowing(statements, 'elasticloadbalancing:RegisterTargets');
      expect(grants.flatMap((s) => s.Resource).sort()).toEqual(TARGET_GROUP_ARNS);
    });

    it('names the target groups canonical-web and canonical-middle in the Return To Traffic policy', () => {
      const targetGroup = (name: string) => ({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:elasticloadbalancing:${TEST_ENV.region}:${TEST_ENV.account}:targetgroup/${name}/*`]],
      });
      synth.template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: lambdaByHandler(synth.json, 'return-to-traffic').roleLogicalId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            { Action: 'elasticloadbalancing:RegisterTargets', Effect: 'Allow', Resource: Match.arrayEquals([targetGroup('canonical-middle'), targetGroup('canonical-web')]) },
          ]),
        },
      });
    });
  });

  describe('Run Command', () => {
    it('lets Install Release send the install documents of every host tier', () => {
      const documents = allowing(roleStatements(synth.json, roleOf('install-release')), 'ssm:SendCommand')
        .flatMap((s) => s.Resource)
        .filter((r) => r.includes(':document/'));

      expect([...new Set(documents)].sort()).toEqual(INSTALL_DOCUMENT_ARNS);
    });

    it('allows sending only documents the environment names, by exact ARN, and the setup probe (AWS-RunShellScript) only from Set Up Hosts', () => {
      const documents = allowing(statements, 'ssm:SendCommand')
        .flatMap((s) => s.Resource)
        .filter((r) => r.includes(':document/'));
      const senders = (arn: string) => namesOf(rolesAllowing(synth.json, 'ssm:SendCommand').filter((id) => allowing(roleStatements(synth.json, id), 'ssm:SendCommand').some((s) => s.Resource.some((r) => resourceCovers(r, arn)))));

      expect(documents.length).toBeGreaterThan(0);
      expect(documents.filter((arn) => !NAMED_DOCUMENT_ARNS.has(arn) && arn !== PROBE_DOCUMENT_ARN)).toEqual([]);
      expect(documents.some((arn) => arn.includes('*')), 'a document pattern').toBe(false);
      expect(senders(PROBE_DOCUMENT_ARN)).toEqual(['compute/set-up-hosts.ts']);
    });

    it("lets Set Up Hosts send only the tiers' prerequisites and the probe, and only to hosts with a tier's tags", () => {
      const grants = allowing(roleStatements(synth.json, roleOf('compute/set-up-hosts.ts')), 'ssm:SendCommand');
      const toDocuments = grants.filter((s) => s.Resource.every((r) => r.includes(':document/')));
      const toInstances = grants.filter((s) => !toDocuments.includes(s));
      const tiersWithSetup = hostTiers.filter((t) => (t.prerequisites ?? []).length > 0 || t.traffic?.kind === 'target-group');

      expect(PREREQUISITE_DOCUMENT_ARNS.length).toBeGreaterThan(0);
      expect([...new Set(toDocuments.flatMap((s) => s.Resource))].sort()).toEqual([...PREREQUISITE_DOCUMENT_ARNS, PROBE_DOCUMENT_ARN].sort());
      expect(toInstances).toHaveLength(tiersWithSetup.length);
      for (const statement of toInstances) {
        expect(statement.Resource, describeStatement(statement)).toEqual([INSTANCE_ARN]);
        expect(Object.keys(statement.Condition ?? {}), describeStatement(statement)).toEqual(['StringEquals']);
      }
      expect(toInstances.map((s) => s.Condition!.StringEquals)).toEqual(expect.arrayContaining(tiersWithSetup.map((t) => withPrefix('ssm:resourceTag', t.hosts!.tags))));
    });

    it("allows sending to instances only when their ssm:resourceTag tags equal one host tier's tags", () => {
      const tierConditions = TIER_TAGS.map((tags) => withPrefix('ssm:resourceTag', tags));
      const toInstances = allowing(statements, 'ssm:SendCommand').filter((s) => !s.Resource.every((r) => r.includes(':document/')));

      expect(toInstances.length).toBeGreaterThan(0);
      for (const statement of toInstances) {
        expect(statement.Resource, describeStatement(statement)).toEqual([INSTANCE_ARN]);
        expect(Object.keys(statement.Condition ?? {}), describeStatement(statement)).toEqual(['StringEquals']);
        expect(tierConditions, describeStatement(statement)).toContainEqual(statement.Condition!.StringEquals);
      }
    });

    it('lets Install Release reach the hosts of every host tier, and no others', () => {
      const conditions = allowing(roleStatements(synth.json, roleOf('install-release')), 'ssm:SendCommand')
        .filter((s) => s.Resource.includes(INSTANCE_ARN))
        .map((s) => s.Condition?.StringEquals);

      expect(conditions).toHaveLength(TIER_TAGS.length);
      expect(conditions).toEqual(expect.arrayContaining(TIER_TAGS.map((tags) => withPrefix('ssm:resourceTag', tags))));
    });

    it(`lets Run Migration send only ${MIGRATION.document}, and only to hosts with the ${MIGRATION.runnerTier} tier's tags`, () => {
      const grants = allowing(roleStatements(synth.json, roleOf('database/run-migration.ts')), 'ssm:SendCommand');
      const toDocuments = grants.filter((s) => s.Resource.every((r) => r.includes(':document/')));
      const toInstances = grants.filter((s) => !toDocuments.includes(s));

      expect(toDocuments.flatMap((s) => s.Resource)).toEqual([expectedDocumentArn(MIGRATION.document)]);
      expect(toInstances).toHaveLength(1);
      expect(toInstances[0]!.Resource).toEqual([INSTANCE_ARN]);
      expect(toInstances[0]!.Condition).toEqual({ StringEquals: withPrefix('ssm:resourceTag', RUNNER_TAGS) });
    });

    it("lets Take Batch Out send only the drain checks, and only to hosts with a drain-checked tier's tags", () => {
      const grants = allowing(roleStatements(synth.json, roleOf('take-out-of-traffic')), 'ssm:SendCommand');
      const toDocuments = grants.filter((s) => s.Resource.every((r) => r.includes(':document/')));
      const toInstances = grants.filter((s) => !toDocuments.includes(s));

      expect(DRAIN_CHECKED_TIERS.map((t) => [t.name, t.drain!.check!.document])).toEqual([
        ['middle', 'FleetFlow-CheckConnectionsDrained'],
        ['web', 'FleetFlow-CheckConnectionsDrained'],
      ]);
      expect([...new Set(toDocuments.flatMap((s) => s.Resource))].sort()).toEqual(DRAIN_CHECK_DOCUMENT_ARNS);
      expect(toInstances.map((s) => s.Condition?.StringEquals)).toEqual(DRAIN_CHECKED_TIERS.map((t) => withPrefix('ssm:resourceTag', t.hosts!.tags)));
    });

    it('lets Plan Release, and the planners whose repoint or retire batches drain too, read the target groups\' deregistration delay', () => {
      const readers = namesOf(rolesAllowing(synth.json, 'elasticloadbalancing:DescribeTargetGroupAttributes'));

      expect(readers.sort()).toEqual(['compute/plan-replacement.ts', 'compute/plan-scale-in.ts', 'deploy/plan-release.ts', 'restore-data/plan-restore-data.ts']);
    });

    it('lets Plan Release read no instance attribute where no tier is released by surge (it retires no host)', () => {
      const readers = namesOf(rolesAllowing(synth.json, 'ec2:DescribeInstanceAttribute'));

      expect(readers.sort()).toEqual(['compute/plan-replacement.ts', 'compute/plan-scale-in.ts']);
    });

    it('finds the health command of environments/canonical.json (monitoring.health.command) to check', () => {
      expect(HEALTH_CHECKED_TIERS.map((t) => [t.name, t.health!.command!.document])).toEqual([['monitoring', 'FleetFlow-CheckHealth']]);
    });

    it("lets Check Health send only the health documents, and only to hosts with a health-checked tier's tags", () => {
      const grants = allowing(roleStatements(synth.json, roleOf('check-healthy')), 'ssm:SendCommand');
      const toDocuments = grants.filter((s) => s.Resource.every((r) => r.includes(':document/')));
      const toInstances = grants.filter((s) => !toDocuments.includes(s));

      expect([...new Set(toDocuments.flatMap((s) => s.Resource))].sort()).toEqual(HEALTH_DOCUMENT_ARNS);
      expect(toInstances).toHaveLength(HEALTH_CHECKED_TIERS.length);
      for (const statement of toInstances) {
        expect(statement.Resource, describeStatement(statement)).toEqual([INSTANCE_ARN]);
        expect(Object.keys(statement.Condition ?? {}), describeStatement(statement)).toEqual(['StringEquals']);
      }
      expect(toInstances.map((s) => s.Condition!.StringEquals)).toEqual(
        expect.arrayContaining(HEALTH_CHECKED_TIERS.map((t) => withPrefix('ssm:resourceTag', t.hosts!.tags))),
      );
    });
  });

  describe('who may change what', () => {
    /** Each mutating action, and exactly the tasks (by handler module) that may call it. */
    const GRANTEES: Array<[string, string[]]> = [
      // Out of traffic for a batch; before terminating what a failed execution launched.
      ['elasticloadbalancing:DeregisterTargets', ['rollout/take-out-of-traffic.ts', 'compute/terminate-launched.ts']],
      ['elasticloadbalancing:RegisterTargets', ['rollout/return-to-traffic.ts']],
      [
        'ssm:SendCommand',
        [
          'rollout/install-release.ts',
          'database/run-migration.ts',
          ...(hasDrainCommands ? ['rollout/take-out-of-traffic.ts', 'rollout/return-to-traffic.ts'] : []),
          // The host-side drain check, sent once a batch is deregistered.
          ...(DRAIN_CHECKED_TIERS.length > 0 && !hasDrainCommands ? ['rollout/take-out-of-traffic.ts'] : []),
          // Tiers no target group checks: the health command, after a batch and, for capacity, before one.
          ...(HEALTH_CHECKED_TIERS.length > 0 ? ['rollout/check-healthy.ts', 'rollout/check-capacity.ts'] : []),
          // New hosts: the tiers' prerequisites and the probe.
          'compute/set-up-hosts.ts',
          // A restore: the check document against the restored instance; the reconfigure document to the hosts that use it.
          'restore-data/validate-data.ts',
          'restore-data/reconfigure-hosts.ts',
          // Replace-database: the check document against the green.
          'replace-database/check-green-database.ts',
        ],
      ],
      [
        'ssm:CancelCommand',
        ['rollout/check-drained.ts', 'rollout/check-install.ts', 'database/check-migration.ts', 'compute/check-set-up.ts', 'surge/set-up-surge-hosts.ts', 'restore-data/check-validation.ts', 'restore-data/check-reconfigured.ts', 'replace-database/check-green-database.ts'],
      ],
      [
        'ec2:CreateTags',
        [
          'rollout/check-install.ts',
          'rollout/install-release.ts',
          ...(TRAFFIC_TIERS.length > 0 ? ['rollout/take-out-of-traffic.ts'] : []),
          // At launch only (ec2:CreateAction RunInstances); why a host was retired; why a launched host was terminated.
          'compute/launch-hosts.ts',
          'surge/launch-surge-hosts.ts',
          'compute/retire-hosts.ts',
          'compute/terminate-launched.ts',
          // The database a host is pointed to: sent, then recorded.
          'restore-data/reconfigure-hosts.ts',
          'restore-data/check-reconfigured.ts',
        ],
      ],
      // The install record; the out-of-traffic marker; the retired record of hosts a surge's rollback brings back; the reconfigure sent, once recorded.
      [
        'ec2:DeleteTags',
        ['rollout/check-install.ts', ...(TRAFFIC_TIERS.length > 0 ? ['rollout/return-to-traffic.ts'] : []), 'surge/start-hosts.ts', 'restore-data/check-reconfigured.ts'],
      ],
      // New hosts: a compute workflow's, a surge batch's.
      ['ec2:RunInstances', ['compute/launch-hosts.ts', 'surge/launch-surge-hosts.ts']],
      ['iam:PassRole', ['compute/launch-hosts.ts', 'surge/launch-surge-hosts.ts']],
      ['ec2:StopInstances', ['compute/retire-hosts.ts']],
      // What a failed execution (or surge batch) launched. The canonical tiers retire by stopping, so Retire Hosts
      // terminates none of their hosts; and none rolls by surge, so there is no Terminate Surged (iam-conditions.test.ts).
      ['ec2:TerminateInstances', ['compute/terminate-launched.ts']],
      // Only a surge's rollback starts hosts: the old ones it stopped.
      ['ec2:StartInstances', ['surge/start-hosts.ts', 'surge/check-started.ts']],
      ['rds:CreateDBSnapshot', ['database/create-snapshot.ts']],
      ['rds:CreateDBInstance', ['compute/create-database.ts']],
      // A missing database restored from its newest snapshot (allocate); restore-data's new instance (data-iam.test.ts).
      ['rds:RestoreDBInstanceFromDBSnapshot', ['compute/create-database.ts', 'restore-data/restore-database.ts']],
      ['rds:RestoreDBInstanceToPointInTime', ['restore-data/restore-database.ts']],
      // The snapshot's tags; the new instance's tags, given with CreateDBInstance or the restore; the replaced instance's record.
      // Replace-database: its blue/green deployment's tags at creation; the old instance kept (replace-database-iam.test.ts).
      ['rds:AddTagsToResource', ['database/create-snapshot.ts', 'compute/create-database.ts', 'restore-data/restore-database.ts', 'restore-data/record-database.ts', 'replace-database/create-green.ts', 'replace-database/record-replacement.ts']],
      // canonical keeps its master password in its own secret ("fleetflow-secret"): no role creates an RDS-managed one
      // (ManageMasterUserPassword), and only Create Database reads the environment's (compute-iam.test.ts).
      ['secretsmanager:CreateSecret', []],
      ['secretsmanager:TagResource', []],
      ['secretsmanager:GetSecretValue', ['compute/create-database.ts']],
      // The release record; the connection parameter; the current database record.
      ['ssm:PutParameter', ['deploy/record-release.ts', 'restore-data/write-connection.ts', 'restore-data/record-database.ts']],
      ['dynamodb:PutItem', [...LOCK_HOLDERS]],
      ['dynamodb:DeleteItem', [...LOCK_HOLDERS]],
      ['sns:Publish', [DEPLOY]],
      // The notifications (state machines); the batch progress events, by the tasks that end a batch's phases.
      ['events:PutEvents', [...LOCK_HOLDERS, ...STARTS_PARTS, ...BATCH_EVENT_TASKS]],
      // The lock holder (locking workflows); the children each follows (all of them).
      ['states:DescribeExecution', [...LOCK_HOLDERS, ...STARTS_PARTS]],
      ['states:ListExecutions', [...LOCK_HOLDERS]],
      // The release window starts a release; every locking workflow starts its rollout children, and may stop them; recover its parts.
      ['states:StartExecution', [...LOCKING, ...STARTS_PARTS, SCHEDULER]],
      ['states:StopExecution', [...LOCKING, ...STARTS_PARTS]],
      // startExecution.sync:2 follows its children through a rule Step Functions manages in the account.
      ['events:PutRule', [...LOCKING, ...STARTS_PARTS]],
      ['events:PutTargets', [...LOCKING, ...STARTS_PARTS]],
      ['lambda:InvokeFunction', [...MACHINES]],
    ];

    it.each(GRANTEES)('lets only the expected tasks call %s', (action, grantees) => {
      expect(namesOf(rolesAllowing(synth.json, action))).toEqual([...grantees].sort());
    });
  });

  describe('database', () => {
    it(`grants no RDS action but ${RDS_ALLOWED.join(', ')}`, () => {
      const granted = [...new Set(statements.flatMap((s) => s.Action).filter((a) => a.toLowerCase().startsWith('rds:')))].sort();

      expect(granted).toEqual(RDS_ALLOWED);
    });

    it.each(RDS_FORBIDDEN)('never allows %s, not even through a wildcard', (action) => {
      expect(allowing(statements, action).map(describeStatement)).toEqual([]);
    });

    // After a restore-data the environment's database is the restored instance (<identifier>-snap-* or -pitr-*): a release snapshots that one.
    it(`scopes rds:CreateDBSnapshot to the ${databaseTier.database!.instanceIdentifier} instance (or one restored from it) and snapshots named fleetflow-${canonical.name}-*`, () => {
      const grants = allowing(statements, 'rds:CreateDBSnapshot');

      expect(grants.length).toBeGreaterThan(0);
      for (const statement of grants) expect([...statement.Resource].sort(), describeStatement(statement)).toEqual([DB_ARN, ...RESTORED_DB_ARNS, SNAPSHOT_ARN].sort());
    });

    // Create Snapshot tags the snapshot it creates; Create Database and Restore Database tag the instance they create, in the
    // same call (CreateDBInstance or a restore with Tags needs rds:AddTagsToResource on the new instance); Record Database
    // tags the instance a restore replaced (the defined one, or an earlier restore's). Nothing else of RDS is ever tagged:
    // not an option group, parameter group, subnet group or DB security group.
    it("tags only the environment's snapshots (Create Snapshot), its own database instance as it is created or restored, and the one a restore replaced", () => {
      const tagged = (handler: string) =>
        allowing(roleStatements(synth.json, roleOf(handler)), 'rds:AddTagsToResource')
          .flatMap((s) => s.Resource)
          .sort();

      expect(tagged('database/create-snapshot.ts')).toEqual([SNAPSHOT_ARN]);
      expect(tagged('compute/create-database.ts')).toEqual([DB_ARN]);
      expect(tagged('restore-data/restore-database.ts')).toEqual([...RESTORED_DB_ARNS].sort());
      expect(tagged('restore-data/record-database.ts')).toEqual([DB_ARN, ...RESTORED_DB_ARNS].sort());
    });

    it("describes only the environment's database (and the instances restored from it) and its snapshots (FleetFlow's, the instances' automated ones, manual ones named after it)", () => {
      for (const action of ['rds:DescribeDBInstances', 'rds:DescribeDBSnapshots']) {
        const resources = allowing(statements, action).flatMap((s) => s.Resource);
        expect(resources.length, action).toBeGreaterThan(0);
        // Replace-database also reads its green (<identifier>-green-*) and, once switched over, the old instance (<identifier>-old<n>).
        const blueGreen = [expectedArn('rds', `db:${databaseTier.database!.instanceIdentifier}-green-*`), expectedArn('rds', `db:${databaseTier.database!.instanceIdentifier}-old*`)];
        const allowed = new Set([DB_ARN, ...RESTORED_DB_ARNS, SNAPSHOT_ARN, AUTOMATED_SNAPSHOT_ARN, MANUAL_SNAPSHOT_ARN, ...blueGreen]);
        // Except: the two planners read any snapshot's metadata, so a named snapshot that does not exist is told
        // apart (NoSnapshotError) from one outside the restore grant; IAM would deny the Describe of either alike.
        const anySnapshot = expectedArn('rds', 'snapshot:*');
        if (action === 'rds:DescribeDBSnapshots') allowed.add(anySnapshot);
        expect([...new Set(resources.filter((r) => !allowed.has(r)))], action).toEqual([]);
      }
      const readsAnySnapshot = rolesAllowing(synth.json, 'rds:DescribeDBSnapshots').filter((role) =>
        allowing(roleStatements(synth.json, role), 'rds:DescribeDBSnapshots').some((s) => s.Resource.includes(expectedArn('rds', 'snapshot:*'))),
      );
      expect(namesOf(readsAnySnapshot)).toEqual(['recover/plan-recover.ts', 'restore-data/plan-restore-data.ts']);
      // The restorable window (a point-in-time restore): RDS authorizes it on the instance and on its automated backup, whose ID it generates.
      // Plan Recover reads it too, so that a recovery whose point in time cannot be restored launches nothing.
      expect(namesOf(rolesAllowing(synth.json, 'rds:DescribeDBInstanceAutomatedBackups'))).toEqual(['recover/plan-recover.ts', 'restore-data/plan-restore-data.ts']);
      expect([...new Set(allowing(statements, 'rds:DescribeDBInstanceAutomatedBackups').flatMap((s) => s.Resource))].sort()).toEqual(
        [DB_ARN, ...RESTORED_DB_ARNS, expectedArn('rds', 'auto-backup:*')].sort(),
      );
    });

    it("restores only as the missing database of allocate (Create Database, onto the environment's instance identifier) and into restore-data's new instance (Restore Database)", () => {
      const restoring = [...allowing(statements, 'rds:RestoreDBInstanceFromDBSnapshot'), ...allowing(statements, 'rds:RestoreDBInstanceToPointInTime')];
      expect(namesOf([...new Set(restoring.flatMap((s) => rolesOfPolicy(s.source)))])).toEqual(['compute/create-database.ts', 'restore-data/restore-database.ts']);
      const dbs = allowing(roleStatements(synth.json, roleOf('compute/create-database.ts')), 'rds:RestoreDBInstanceFromDBSnapshot')
        .flatMap((s) => s.Resource)
        .filter((r) => /:rds:[^:]*:[^:]*:db:/.test(r));
      expect(dbs).toEqual([DB_ARN]);
      expect(allowing(roleStatements(synth.json, roleOf('compute/create-database.ts')), 'rds:RestoreDBInstanceToPointInTime')).toEqual([]);
      // Restore Database's resources, source and target, are checked in data-iam.test.ts.
    });
  });

  describe('release record and secrets', () => {
    it(`records releases for the components ${COMPONENTS.join(' and ')}`, () => {
      expect(COMPONENTS).toEqual(['application', 'monitoring']);
    });

    it(`lets only Record Release write the release record (parameter/fleetflow/${canonical.name}/<component>/current and .../previous), Write Connection the connection parameter, Record Database the database record`, () => {
      const writers: Record<string, string[]> = {
        'deploy/record-release.ts': recordArns('current', 'previous'),
        'restore-data/write-connection.ts': [CONNECTION_ARN],
        'restore-data/record-database.ts': [DATABASE_RECORD_ARN],
      };
      const resources = allowing(statements, 'ssm:PutParameter').flatMap((s) => s.Resource);

      expect(namesOf(rolesAllowing(synth.json, 'ssm:PutParameter'))).toEqual(Object.keys(writers).sort());
      for (const [handler, arns] of Object.entries(writers)) {
        const written = allowing(roleStatements(synth.json, roleOf(handler)), 'ssm:PutParameter').flatMap((s) => s.Resource);
        expect([...written].sort(), handler).toEqual([...arns].sort());
      }
      expect(resources.filter((r) => r.includes('*') || r.includes('?')), 'wildcards in the parameter grants').toEqual([]);
    });

    it(`lets only the planners (and Create Database its master password) read parameters (ssm:GetParameter): Plan Release parameter/fleetflow/${canonical.name}/<component>/current and .../next, the compute planners .../current, and each what it reads of the database record and connection parameter`, () => {
      const applicationCurrent = expectedArn('ssm', `parameter/fleetflow/${canonical.name}/application/current`);
      const readers: Record<string, string[]> = {
        // The release records; which instance is the database (after a restore-data, the restored one).
        'deploy/plan-release.ts': [...recordArns('current', 'next'), DATABASE_RECORD_ARN].sort(),
        // The release new hosts get: the recorded one; Plan Allocation also which instance is the database, and, for
        // "database": "restore", the endpoint the connection parameter held (its restore plan carries it, as restore-data's).
        'compute/plan-allocation.ts': [...recordArns('current'), DATABASE_RECORD_ARN, CONNECTION_ARN].sort(),
        'compute/plan-scale-out.ts': recordArns('current'),
        'compute/plan-replacement.ts': recordArns('current'),
        // Which instance is the database, and the endpoint the hosts use now (what a repoint back writes back).
        'restore-data/plan-restore-data.ts': [DATABASE_RECORD_ARN, CONNECTION_ARN].sort(),
        // The release to put back, and which instance is the database (whose snapshots it looks for).
        'recover/plan-recover.ts': [applicationCurrent, DATABASE_RECORD_ARN].sort(),
        // Which instance is the database (the blue of the blue/green deployment).
        'replace-database/plan-replace-database.ts': [DATABASE_RECORD_ARN],
      };
      const resources = allowing(statements, 'ssm:GetParameter').flatMap((s) => s.Resource);

      expect(namesOf(rolesAllowing(synth.json, 'ssm:GetParameter'))).toEqual(Object.keys(readers).sort());
      // All readers at once, so that the diff shows every one that reads more (or less) than it needs.
      const read = (handler: string) =>
        allowing(roleStatements(synth.json, roleOf(handler)), 'ssm:GetParameter')
          .flatMap((s) => s.Resource)
          .sort();
      expect(Object.fromEntries(Object.keys(readers).map((handler) => [handler, read(handler)]))).toEqual(readers);
      expect(resources.filter((r) => r.includes('*') || r.includes('?')), 'wildcards in the parameter read grants').toEqual([]);
    });

    it('lets no role write the queued release (.../next), which only a pipeline sets', () => {
      const writers = recordArns('next').flatMap((arn) =>
        allowing(statements, 'ssm:PutParameter')
          .filter((s) => s.Resource.some((pattern) => resourceCovers(pattern, arn)))
          .map(describeStatement),
      );

      expect(writers).toEqual([]);
    });

    it('finds the secret references of environments/canonical.json to check', () => {
      expect(SECRET_REFERENCES).toEqual(expect.arrayContaining(['/canonical/monitoring/collector-api-key', '/canonical/database/migrator-password']));
    });

    it.each(SECRET_REFERENCES)('lets no role read the secret %s: secrets are resolved on the hosts only', (reference) => {
      const arn = secretArn(reference);
      const readers = SECRET_READING_ACTIONS.flatMap((action) =>
        allowing(statements, action)
          .filter((s) => s.Resource.some((pattern) => resourceCovers(pattern, arn)))
          .map((s) => `${action} via ${describeStatement(s)}`),
      );

      expect(readers).toEqual([]);
    });

    it('gives no function kms:Decrypt, so no function can decrypt a SecureString', () => {
      const functionRoles = new Set(lambdaFunctions(synth.json).map((f) => f.roleLogicalId));

      expect(rolesAllowing(synth.json, 'kms:Decrypt').filter((id) => functionRoles.has(id))).toEqual([]);
    });
  });

  describe('state machines', () => {
    let deployStatements: PolicyStatement[];
    /** The handler modules each state machine's definition invokes, by the label of its machine. */
    let invokedModules: Map<Machine, Set<string>>;

    beforeAll(() => {
      deployStatements = roleStatements(synth.json, machineRoleId(DEPLOY));
      const { byArn } = fromTemplate(synth.json, MACHINE_NAMES[DEPLOY], synth.definitions);
      const modulesOf = (name: string) => {
        const machine = [...byArn.values()].find((m) => m.name === name);
        if (!machine) throw new Error(`no state machine named ${name}`);
        return new Set([...machine.taskHandlers.values()].flatMap((t) => (t.kind === 'lambda' ? [t.module] : [])));
      };
      invokedModules = new Map(MACHINES.map((machine) => [machine, modulesOf(MACHINE_NAMES[machine])]));
    });

    it('are the deploy, allocate, scale-out, replace, restore-data, recover, replace-database and rollout workflows of the environment, each with its own role', () => {
      const roles = MACHINES.map((machine) => machineRoleId(machine));

      expect([...stateMachines(synth.json).keys()].sort()).toEqual(Object.values(MACHINE_NAMES).sort());
      expect(new Set(roles).size).toBe(MACHINES.length);
    });

    it('may PutItem, GetItem and DeleteItem on the lock table, from the locking state machines only (deploy, allocate, scale-out, scale-in, replace, restore-data, replace-database)', () => {
      const lockArn = expectedArn('dynamodb', `table/\${${resourceOfType(synth.json, 'AWS::DynamoDB::Table', 'LockTable')}}`);
      const onLock = statements.filter((s) => s.Action.some((a) => a.toLowerCase().startsWith('dynamodb:')) && s.Resource.some((r) => r.includes('LockTable')));

      expect([...new Set(onLock.flatMap((s) => s.Action))].sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
      expect(namesOf([...new Set(onLock.map((s) => s.source))].flatMap((source) => rolesOfPolicy(source)))).toEqual([...LOCK_HOLDERS].sort());
      for (const statement of onLock) expect(statement.Resource, describeStatement(statement)).toEqual([lockArn]);
      // Each of them holds all three: take the lock, read who holds it, release it.
      for (const machine of LOCK_HOLDERS) {
        const own = roleStatements(synth.json, machineRoleId(machine)).filter((s) => s.Resource.includes(lockArn));
        expect([...new Set(own.flatMap((s) => s.Action))].sort(), machine).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
      }
    });

    it('writes the plan table only from the planners (Plan Repoint Back and Store New Hosts among them) and reads it only to plan a rollback or load a batch', () => {
      const planArn = `\${${resourceOfType(synth.json, 'AWS::DynamoDB::Table', 'PlanTable')}.Arn}`;
      const dynamo = statements.filter((s) => s.Action.some((a) => a.toLowerCase().startsWith('dynamodb:')));
      const onPlan = dynamo.filter((s) => !s.Resource.some((r) => r.includes('LockTable')));

      for (const statement of onPlan) expect(statement.Resource, describeStatement(statement)).toEqual([planArn]);
      expect(namesOf(rolesAllowing(synth.json, 'dynamodb:BatchWriteItem')).sort()).toEqual(
        ['deploy/plan-release.ts', 'deploy/plan-rollback.ts', 'compute/plan-replacement.ts', 'compute/plan-scale-in.ts', 'compute/store-new-hosts.ts', 'restore-data/plan-restore-data.ts', 'restore-data/plan-repoint-back.ts'].sort(),
      );
      expect(namesOf(rolesAllowing(synth.json, 'dynamodb:BatchGetItem'))).toEqual(['deploy/plan-rollback.ts']);
      // Reading the lock (the state machines) is checked above.
      // Launch Surge Hosts reads the next batch's old hosts, to launch its new ones into their subnets (a pipelined surge).
      expect(namesOf(rolesAllowing(synth.json, 'dynamodb:GetItem')).sort()).toEqual(['rollout/load-batch.ts', 'surge/launch-surge-hosts.ts', ...LOCK_HOLDERS].sort());
      expect([...new Set(dynamo.flatMap((s) => s.Action))].sort()).toEqual(
        ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
      );
    });

    /** The rollout state machine's name, as the template takes it out of its ARN (arn:partition:states:region:account:stateMachine:NAME). */
    const rolloutChildren = () => {
      const rolloutId = stateMachineId(synth.json, MACHINE_NAMES[ROLLOUT]);
      const rolloutName = JSON.stringify({ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: rolloutId }] }] });
      return expectedArn('states', `execution:${rolloutName}*`);
    };

    it.each(LOCKING)(
      `%s may describe only executions of the environment's seven locking workflows (the lock holder) and of its rollout children, never "*"`,
      (machine) => {
        const own = roleStatements(synth.json, machineRoleId(machine));

        expect(LOCK_HOLDER_ARNS).toHaveLength(7);
        expect(
          allowing(own, 'states:DescribeExecution')
            .flatMap((s) => s.Resource)
            .sort(),
        ).toEqual([...LOCK_HOLDER_ARNS, rolloutChildren()].sort());
        // Stopping is for its own children only: never the lock holder, never another workflow.
        expect(allowing(own, 'states:StopExecution').flatMap((s) => s.Resource)).toEqual([rolloutChildren()]);
      },
    );

    // Recover's own executions (its parts: allocate, restore-data, deploy) are checked in data-iam.test.ts.
    it('lets no other role describe or stop executions', () => {
      expect(namesOf(rolesAllowing(synth.json, 'states:DescribeExecution'))).toEqual([...LOCK_HOLDERS, ...STARTS_PARTS].sort());
      expect(namesOf(rolesAllowing(synth.json, 'states:StopExecution'))).toEqual([...LOCKING, ...STARTS_PARTS].sort());
    });

    it.each(LOCK_HOLDERS)('%s may list the executions of its own state machine only (is another one running, before a malformed lock is taken over)', (machine) => {
      expect(allowing(roleStatements(synth.json, machineRoleId(machine)), 'states:ListExecutions').flatMap((s) => s.Resource)).toEqual([
        expectedArn('states', `stateMachine:${MACHINE_NAMES[machine]}`),
      ]);
      expect(namesOf(rolesAllowing(synth.json, 'states:ListExecutions'))).toEqual([...LOCK_HOLDERS].sort());
    });

    it('starts only the rollout state machine from a locking workflow, only allocate, restore-data and deploy from recover, and only the deploy state machine from a release window', () => {
      const startable = (roleId: string) => allowing(roleStatements(synth.json, roleId), 'states:StartExecution').flatMap((s) => s.Resource);
      const schedulerRoles = rolesAllowing(synth.json, 'states:StartExecution').filter(assumedByScheduler);

      for (const machine of LOCKING) expect(startable(machineRoleId(machine)), machine).toEqual([`\${${stateMachineId(synth.json, MACHINE_NAMES[ROLLOUT])}}`]);
      expect([...startable(machineRoleId(RECOVER))].sort()).toEqual(
        ([ALLOCATE, RESTORE_DATA, DEPLOY] as Machine[]).map((machine) => `\${${stateMachineId(synth.json, MACHINE_NAMES[machine])}}`).sort(),
      );
      expect(startable(machineRoleId(ROLLOUT))).toEqual([]);
      expect(schedulerRoles.length).toBeGreaterThan(0);
      for (const roleId of schedulerRoles) expect(startable(roleId), roleId).toEqual([`\${${stateMachineId(synth.json, MACHINE_NAMES[DEPLOY])}}`]);
    });

    it('manages only the EventBridge rule Step Functions uses to follow child executions', () => {
      const rule = expectedArn('events', 'rule/StepFunctionsGetEventsForStepFunctionsExecutionRule');

      for (const action of ['events:PutRule', 'events:PutTargets', 'events:DescribeRule']) {
        const grants = allowing(statements, action);
        expect(grants.length, action).toBeGreaterThan(0);
        for (const statement of grants) expect(statement.Resource, `${action}: ${describeStatement(statement)}`).toEqual([rule]);
      }
    });

    it('publishes only to the notifications topic, and puts events only on the default bus', () => {
      const topicId = onlyResourceOfType(synth.json, 'AWS::SNS::Topic');

      expect(allowing(statements, 'sns:Publish').flatMap((s) => s.Resource)).toEqual([`\${${topicId}}`]);
      const putEvents = allowing(statements, 'events:PutEvents');
      expect(putEvents).toHaveLength(LOCK_HOLDERS.length + STARTS_PARTS.length + BATCH_EVENT_TASKS.length);
      for (const statement of putEvents) expect(statement.Resource, describeStatement(statement)).toEqual([expectedArn('events', 'event-bus/default')]);
    });

    // The topic is encrypted with a customer managed key; a publisher needs kms:GenerateDataKey and
    // kms:Decrypt on it, which tasks.SnsPublish does not grant. Without them an approval request would
    // fail (KMS access denied) and, through States.ALL, roll a good release back.
    it('lets the deploy state machine use the topic key to publish the approval request to the encrypted topic', () => {
      const topic = synth.json.Resources[onlyResourceOfType(synth.json, 'AWS::SNS::Topic')]!;
      const keyId = (topic.Properties!.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const roleId = machineRoleId(DEPLOY);
      // Either the role's own policy names the key, or the key policy names the role.
      const keyPolicy = (synth.json.Resources[keyId]!.Properties!.KeyPolicy as { Statement: unknown[] }).Statement;
      const keyPolicyStatements = normalizeKeyPolicy(keyPolicy).filter((s) => JSON.stringify(s.principal).includes(`"${roleId}"`));
      const onKey = (action: string) => [
        ...allowing(deployStatements, action).filter((s) => s.Resource.includes(`\${${keyId}.Arn}`)),
        ...allowing(keyPolicyStatements, action),
      ];

      expect(onKey('kms:GenerateDataKey').map(describeStatement), 'kms:GenerateDataKey on the topic key').not.toEqual([]);
      expect(onKey('kms:Decrypt').map(describeStatement), 'kms:Decrypt on the topic key').not.toEqual([]);
    });

    it.each(MACHINES)('lets %s invoke exactly the functions its definition calls, no other', (machine) => {
      const handlerById = new Map(lambdaFunctions(synth.json).map((f) => [f.logicalId, f.handler]));
      const invokable = allowing(roleStatements(synth.json, machineRoleId(machine)), 'lambda:InvokeFunction').flatMap((s) => s.Resource);
      const modules = invokable.map((resource) => handlerById.get(/^\$\{(\w+)\.Arn\}$/.exec(resource)?.[1] ?? '') ?? resource);

      expect(invokedModules.get(machine)!.size).toBeGreaterThan(0);
      expect([...new Set(modules)].sort()).toEqual([...invokedModules.get(machine)!].sort());
    });

    it('gives the rollout state machine nothing but the invocation of its functions, tracing and log delivery', () => {
      const actions = roleStatements(synth.json, machineRoleId(ROLLOUT)).flatMap((s) => s.Action);

      expect(actions).toContain('lambda:InvokeFunction');
      expect(actions.filter((a) => a !== 'lambda:InvokeFunction' && !STATE_MACHINE_UNSCOPABLE_ACTIONS.has(a))).toEqual([]);
    });

    it.each(MACHINES)('holds Resource "*" for %s only for X-Ray and execution log delivery, and no wildcard action', (machine) => {
      const machineStatements = roleStatements(synth.json, machineRoleId(machine));
      const onWildcard = machineStatements.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action);

      expect(machineStatements.length).toBeGreaterThan(0);
      expect(onWildcard.filter((a) => !STATE_MACHINE_UNSCOPABLE_ACTIONS.has(a))).toEqual([]);
      expect(machineStatements.flatMap((s) => s.Action).filter((a) => a.includes('*'))).toEqual([]);
    });
  });

  describe('host tags', () => {
    /** The tag statements of one role, each checked to name instances of one tier, by that tier's tags, and only the given tag keys. */
    const tagGrants = (action: string, handler: string, tiers: typeof hostTiers, tagKeys: string[]) => {
      const grants = allowing(roleStatements(synth.json, roleOf(handler)), action);
      expect(grants, `${handler} ${action}`).toHaveLength(tiers.length);
      for (const statement of grants) {
        expect(statement.Resource, describeStatement(statement)).toEqual([INSTANCE_ARN]);
        // Null aws:TagKeys false: a request naming no keys would satisfy ForAllValues alone.
        expect(Object.keys(statement.Condition ?? {}).sort(), describeStatement(statement)).toEqual(['ForAllValues:StringEquals', 'Null', 'StringEquals']);
        expect(statement.Condition!.Null, describeStatement(statement)).toEqual({ 'aws:TagKeys': 'false' });
        const keys = statement.Condition!['ForAllValues:StringEquals']!['aws:TagKeys'] as string[];
        expect([...keys].sort(), describeStatement(statement)).toEqual([...tagKeys].sort());
      }
      expect(grants.map((s) => s.Condition!.StringEquals)).toEqual(
        expect.arrayContaining(tiers.map((t) => withPrefix('aws:ResourceTag', t.hosts!.tags))),
      );
    };

    it('finds the tiers of environments/canonical.json that FleetFlow takes out of traffic', () => {
      expect(TRAFFIC_TIERS.length).toBeGreaterThan(0);
      expect(TRAFFIC_TIERS.length).toBeLessThan(hostTiers.length);
    });

    it("lets only Check Install write the release record (fleetflow:release, fleetflow:previous-release), only on the tier's hosts", () => {
      tagGrants('ec2:CreateTags', 'check-install', hostTiers, RELEASE_RECORD_TAGS);
    });

    it(`lets only Take Out Of Traffic set the ${OUT_OF_TRAFFIC_TAG} marker, only on hosts of tiers it takes out of traffic`, () => {
      tagGrants('ec2:CreateTags', 'take-out-of-traffic', TRAFFIC_TIERS, [OUT_OF_TRAFFIC_TAG]);
    });

    it(`lets only Return To Traffic remove a tag, and only the ${OUT_OF_TRAFFIC_TAG} marker of hosts of tiers it puts back`, () => {
      tagGrants('ec2:DeleteTags', 'return-to-traffic', TRAFFIC_TIERS, [OUT_OF_TRAFFIC_TAG]);
    });

    it(`lets only Install Release set, and only Check Install remove, the ${INSTALL_SENT_TAGS.join(' and ')} records, only on the tier's hosts`, () => {
      tagGrants('ec2:CreateTags', 'install-release', hostTiers, INSTALL_SENT_TAGS);
      tagGrants('ec2:DeleteTags', 'check-install', hostTiers, INSTALL_SENT_TAGS);
    });

    it(`lets only Retire Hosts and Terminate Launched write why a host was retired (${RETIRED_TAGS.join(', ')}), only on the tier's hosts`, () => {
      tagGrants('ec2:CreateTags', 'compute/retire-hosts.ts', hostTiers, RETIRED_TAGS);
      tagGrants('ec2:CreateTags', 'compute/terminate-launched.ts', hostTiers, RETIRED_TAGS);
    });

    it(`lets Start Hosts remove only the retired record (${RETIRED_TAGS.join(', ')}) of the hosts a surge's rollback brings back, only on the tier's hosts`, () => {
      tagGrants('ec2:DeleteTags', 'surge/start-hosts.ts', hostTiers, RETIRED_TAGS);
    });

    it.each(['compute/launch-hosts.ts', 'surge/launch-surge-hosts.ts'])('lets %s tag only as part of RunInstances (ec2:CreateAction), the instances and volumes it launches', (launcher) => {
      const grants = allowing(roleStatements(synth.json, roleOf(launcher)), 'ec2:CreateTags');

      expect(grants).toHaveLength(1);
      expect([...grants[0]!.Resource].sort()).toEqual([INSTANCE_ARN, expectedArn('ec2', 'volume/*')].sort());
      expect(grants[0]!.Condition).toEqual({ StringEquals: { 'ec2:CreateAction': 'RunInstances' } });
    });

    it(`lets only Reconfigure Hosts record the database a host is sent to (${DATABASE_SENT_TAG}) and only Check Reconfigured the one it uses (${DATABASE_TAG}) and remove the sent record, only on hosts of the tiers that use the database`, () => {
      expect(REPOINTED_TIERS.map((t) => t.name).sort()).toEqual(['middle', 'web']);
      tagGrants('ec2:CreateTags', 'restore-data/reconfigure-hosts.ts', REPOINTED_TIERS, [DATABASE_SENT_TAG]);
      tagGrants('ec2:CreateTags', 'restore-data/check-reconfigured.ts', REPOINTED_TIERS, [DATABASE_TAG]);
      tagGrants('ec2:DeleteTags', 'restore-data/check-reconfigured.ts', REPOINTED_TIERS, [DATABASE_SENT_TAG]);
      expect(allowing(roleStatements(synth.json, roleOf('restore-data/reconfigure-hosts.ts')), 'ec2:DeleteTags')).toEqual([]);
    });

    it('grants no other tag writes: every ec2:CreateTags and ec2:DeleteTags statement is one of those', () => {
      const writes = (action: string) => allowing(statements, action).length;

      // Check Install and Install Release per tier, Take Out Of Traffic per traffic tier, Retire Hosts and Terminate Launched per tier,
      // Launch Hosts and Launch Surge Hosts once each, Reconfigure Hosts and Check Reconfigured per tier that uses the database.
      expect(writes('ec2:CreateTags')).toBe(4 * hostTiers.length + TRAFFIC_TIERS.length + 2 + 2 * REPOINTED_TIERS.length);
      // Check Install and Start Hosts per tier, Return To Traffic per traffic tier, Check Reconfigured per tier that uses the database.
      expect(writes('ec2:DeleteTags')).toBe(2 * hostTiers.length + TRAFFIC_TIERS.length + REPOINTED_TIERS.length);
    });
  });

  describe('wildcards', () => {
    it.each(MUTATING_ACTIONS)('never allows %s on Resource "*"', (action) => {
      const wildcard = allowing(statements, action).filter((s) => s.Resource.includes('*'));

      expect(wildcard.map(describeStatement)).toEqual([]);
    });

    it('never grants a wildcard action to a FleetFlow function', () => {
      for (const fn of lambdaFunctions(synth.json)) {
        const wildcardActions = roleStatements(synth.json, fn.roleLogicalId).flatMap((s) => s.Action.filter((a) => a.includes('*')));
        expect(wildcardActions, fn.handler).toEqual([]);
      }
    });

    it('grants a FleetFlow function Resource "*" only for actions without resource-level permissions', () => {
      for (const fn of lambdaFunctions(synth.json)) {
        const onWildcard = roleStatements(synth.json, fn.roleLogicalId)
          .filter((s) => s.Resource.includes('*'))
          .flatMap((s) => s.Action);
        expect(onWildcard.filter((a) => !UNSCOPABLE_ACTIONS.has(a)), fn.handler).toEqual([]);
      }
    });

    it('lets only the tasks that read alarm states call cloudwatch:DescribeAlarms', () => {
      expect(namesOf(rolesAllowing(synth.json, 'cloudwatch:DescribeAlarms'))).toEqual(ALARM_READERS);
    });

    it('lets only the bake read the alarms\' history (what they went through between its looks)', () => {
      expect(namesOf(rolesAllowing(synth.json, 'cloudwatch:DescribeAlarmHistory'))).toEqual(['deploy/check-bake.ts']);
    });

    it('grants the functions no CloudWatch action but cloudwatch:DescribeAlarms, DescribeAlarmHistory and GetMetricStatistics, which only read', () => {
      const granted = new Set<string>();
      for (const fn of lambdaFunctions(synth.json)) {
        const fnStatements = roleStatements(synth.json, fn.roleLogicalId);
        for (const action of fnStatements.flatMap((s) => s.Action)) if (action.toLowerCase().startsWith('cloudwatch:')) granted.add(action);
        // Nor through a wildcard action: nothing that changes an alarm, its actions or a metric.
        const changes = CLOUDWATCH_WRITES.flatMap((action) => allowing(fnStatements, action).map((s) => `${action} via ${describeStatement(s)}`));
        expect(changes, fn.handler).toEqual([]);
      }
      // Describes and a Get (replace-database's ReplicaLag): they read, they change nothing.
      expect([...granted].sort()).toEqual(['cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms', 'cloudwatch:GetMetricStatistics']);
    });

    it("lets the state machines invoke only this stack's FleetFlow functions", () => {
      const functionIds = new Set(lambdaFunctions(synth.json).map((f) => f.logicalId));
      const invokable = allowing(statements, 'lambda:InvokeFunction').flatMap((s) => s.Resource);

      expect(invokable.length).toBeGreaterThan(0);
      for (const resource of invokable) {
        const match = /^\$\{(\w+)\.Arn\}$/.exec(resource);
        expect(match && functionIds.has(match[1]!), `${resource} is not a FleetFlow function of this stack`).toBe(true);
      }
    });
  });

  describe('roles', () => {
    it('attaches no managed policies to the Lambda roles', () => {
      for (const fn of lambdaFunctions(synth.json)) {
        const role = synth.json.Resources[fn.roleLogicalId]!;
        expect(role.Properties?.ManagedPolicyArns ?? [], fn.handler).toEqual([]);
      }
      synth.template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    });

    it('builds every ARN in a policy with the partition token, never a literal arn:aws:', () => {
      const policyTypes = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::KMS::Key', 'AWS::SNS::TopicPolicy']);
      const policies = Object.entries(synth.json.Resources).filter(([, r]) => policyTypes.has(r.Type));
      const literal = policies.filter(([, r]) => /arn:aws(-[a-z]+)*:/.test(JSON.stringify(r.Properties))).map(([id]) => id);
      expect(literal, 'policies with a hard-coded partition').toEqual([]);

      const arns = statements.flatMap((s) => s.Resource).filter((r) => r.startsWith('arn:'));
      expect(arns.length).toBeGreaterThan(0);
      for (const arn of arns) expect(arn).toMatch(/^arn:\$\{AWS::Partition\}:/);
    });
  });
});
