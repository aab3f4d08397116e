/**
 * FleetFlow as a construct: every workflow of one environment (deploy, rollout, allocate,
 * scale-out, replace, restore-data, recover), their functions, the lock and plan tables, and
 * notifications, for any CDK app to drop into a stack of its own.
 *
 * ```ts
 * const topic = sns.Topic.fromTopicArn(this, 'Ops', 'arn:aws:sns:eu-west-1:111122223333:ops');
 * const fleetflow = new FleetFlow(this, 'FleetFlow', { environment: readEnvironmentFile('canonical.json'), notificationTopic: topic });
 * fleetflow.grantStartExecution(pipelineRole, 'deploy');
 * ```
 */
import { CfnOutput, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { AllocateWorkflow } from '../statemachines/allocate/allocate-workflow';
import { NOTIFICATION_SOURCE } from '../statemachines/constructs/notify';
import { LOCKING_WORKFLOWS, workflowExecutionsArn, type LockingWorkflowProps } from '../statemachines/constructs/workflow';
import { DEPLOY_INVOKES, DeployWorkflow, releasesBySurge } from '../statemachines/deploy/deploy-workflow';
import { DEPLOY_FUNCTION_SPECS } from '../statemachines/deploy/functions';
import { RecoverWorkflow } from '../statemachines/recover/recover-workflow';
import { ReplaceWorkflow } from '../statemachines/replace/replace-workflow';
import { RESTORE_DATA_FUNCTION_SPECS } from '../statemachines/restore-data/functions';
import { RestoreDataWorkflow } from '../statemachines/restore-data/restore-data-workflow';
import { REPLACE_DATABASE_FUNCTION_SPECS } from '../statemachines/replace-database/functions';
import { ReplaceDatabaseWorkflow } from '../statemachines/replace-database/replace-database-workflow';
import { ROLLOUT_INVOKES, RolloutWorkflow } from '../statemachines/rollout/rollout-workflow';
import { ScaleOutWorkflow } from '../statemachines/scale-out/scale-out-workflow';
import { ScaleInWorkflow } from '../statemachines/scale-in/scale-in-workflow';
import { SCALE_IN_FUNCTION_SPECS } from '../statemachines/scale-in/functions';
import { ALLOCATE_FUNCTION_SPECS } from '../statemachines/allocate/functions';
import { COMPUTE_FUNCTION_SPECS } from '../statemachines/constructs/compute-functions';
import { RECOVER_FUNCTION_SPECS } from '../statemachines/recover/functions';
import { REPLACE_FUNCTION_SPECS } from '../statemachines/replace/functions';
import { SCALE_OUT_FUNCTION_SPECS } from '../statemachines/scale-out/functions';
import { SURGE_BATCH_FUNCTION_SPECS, SURGE_FUNCTION_SPECS } from '../statemachines/surge/functions';
import { releaseParameterName, databaseParameterName } from '../lambdas/domain/contract/records';
import { BATCH_EVENT_SOURCE, EVENT_BUS_ENV } from '../lambdas/domain/contract/batch-events';
import { INSTALL_SENT_TAGS, OUT_OF_TRAFFIC_TAG, PREVIOUS_RELEASE_TAG, RELEASE_TAG } from '../lambdas/domain/contract/tags';
import { grantComputeAccess } from './compute-access';
import { databaseMasterSecret } from './constructs/database-master-secret';
import { grantScaleInAccess } from './scale-in-access';
import type { FleetFlowFunction } from './constructs/fleetflow-function';
import { FunctionCatalog, type FleetFlowFunctions } from './constructs/function-catalog';
import type { FleetFlowStateMachine } from './constructs/fleetflow-state-machine';
import { grantDataAccess, restoredDatabaseArns } from './data-access';
import { grantReplaceDatabaseAccess } from './replace-database-access';
import { componentOf, isHostTier, type EnvironmentDefinition, type HostTierDefinition, type SsmCommandDefinition } from '../lambdas/domain/environment/model';
import { parseEnvironment } from '../lambdas/domain/environment/parse';
import { allowSendCommand, allowTagKeys, onlyTagKeys } from './iam-scopes';
import { releaseWindowInput } from '../lambdas/domain/release-windows';

/** A FleetFlow workflow, by the last part of its state machine's name (`fleetflow-<environment>-<workflow>`). */
export type FleetFlowWorkflow = 'deploy' | 'rollout' | 'allocate' | 'scale-out' | 'scale-in' | 'replace' | 'restore-data' | 'recover' | 'replace-database';

/** The workflows a person, a schedule or a pipeline starts; rollout is started by the others, per segment of a tier. */
export const STARTABLE_WORKFLOWS: readonly FleetFlowWorkflow[] = ['deploy', 'allocate', 'scale-out', 'scale-in', 'replace', 'restore-data', 'recover', 'replace-database'];

export interface FleetFlowProps {
  /**
   * The environment FleetFlow releases onto: an `EnvironmentDefinition`, or the parsed JSON of
   * an environment file (`readEnvironmentFile`). Validated by every rule of lib/environment, so
   * a bad definition fails synth, naming the field.
   */
  readonly environment: unknown;
  /**
   * Where notifications (start, success, failure, rollback, approval requests) and the
   * execution alarms go. A topic of your own must let `events.amazonaws.com` and
   * `cloudwatch.amazonaws.com` publish (and, if encrypted, use its key); FleetFlow cannot
   * change the policy of a topic it did not create. If it is encrypted, the release workflow's
   * role is granted its key when the topic carries it (`masterKey`, a topic of the same app);
   * for a topic imported by ARN, the key's policy must let that role use it.
   * @default a new topic, encrypted with a new KMS key, that only this FleetFlow's rule and alarms may publish to
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * The event bus FleetFlow's workflows put their notification events on (source `fleetflow`),
   * and where the rule that forwards them to `notificationTopic` listens.
   * @default the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
}

/**
 * Every FleetFlow workflow of one environment, with its state machine, functions, lock,
 * plan table, notifications and release windows.
 *
 * - State machines are named `fleetflow-<environment>-<workflow>`, so one environment per
 *   account and region; restore-data and recover exist only when the data tier defines `restore`.
 * - Each function has its own role, granted only what its task does in this environment.
 * - Each state machine logs every event (without execution data) to a log group of its own,
 *   is traced with X-Ray, and alarms to the notification topic when an execution fails, is
 *   aborted, times out or is throttled.
 */
export class FleetFlow extends Construct {
  /** The environment, validated. */
  readonly environment: EnvironmentDefinition;
  /** Where notifications and alarms go: `notificationTopic`, or the topic FleetFlow created. */
  readonly notifications: sns.ITopic;
  /** One item per environment: which execution is changing it. */
  readonly lockTable: dynamodb.Table;
  /** Each batch's hosts, written by the planners, read per batch; kept a week. */
  readonly planTable: dynamodb.Table;
  /** Every FleetFlow function, each created once. */
  readonly functions: FunctionCatalog;
  /** The child workflow that rolls a segment of a tier's batches; the others start it. */
  readonly rollout: RolloutWorkflow;
  /** The release workflow (`fleetflow-<environment>-deploy`): what people, release windows and pipelines start. */
  readonly deploy: DeployWorkflow;
  /** Hosts for every tier (and the database), on a fresh or partly lost environment. */
  readonly allocate: AllocateWorkflow;
  /** New hosts for one tier. */
  readonly scaleOut: ScaleOutWorkflow;
  readonly scaleIn: ScaleInWorkflow;
  /** New hosts for given or unhealthy ones, without downtime. */
  readonly replace: ReplaceWorkflow;
  /** Only when the data tier defines `restore`. */
  readonly restoreData?: RestoreDataWorkflow;
  /** Only when the data tier defines `restore`. */
  readonly recover?: RecoverWorkflow;
  /** Only when the data tier defines `restore` (its check document runs against the green). */
  readonly replaceDatabase?: ReplaceDatabaseWorkflow;
  /** The KMS key of the notification topic, when FleetFlow created the topic. */
  readonly notificationsKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: FleetFlowProps) {
    super(scope, id);
    const environment = parseEnvironment(props.environment, `environment of ${this.node.path || 'FleetFlow'}`);
    this.environment = environment;

    this.functions = new FunctionCatalog(this, 'Functions');
    this.planTable = new dynamodb.Table(this, 'PlanTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const data = environment.tiers.find((t) => !isHostTier(t));
    const restores = data !== undefined && !isHostTier(data) && data.database.restore !== undefined;
    this.grantFunctionAccess(restores);
    this.grantBatchEvents(props.eventBus);

    this.lockTable = new dynamodb.Table(this, 'LockTable', {
      partitionKey: { name: 'environment', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    let owned: { topic: sns.Topic; key: kms.Key } | undefined;
    if (props.notificationTopic) {
      this.notifications = props.notificationTopic;
    } else {
      owned = this.ownTopic(environment);
      this.notifications = owned.topic;
      this.notificationsKey = owned.key;
    }
    const rule = new events.Rule(this, 'NotificationsRule', {
      description: `FleetFlow release events of ${environment.name} to the notifications topic`,
      eventPattern: { source: [NOTIFICATION_SOURCE], detail: { environment: [environment.name] } },
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
    });
    // Bound by hand: the SnsTopic target would let any EventBridge rule, of any account, publish.
    rule.addTarget({ bind: () => ({ arn: this.notifications.topicArn }) });
    // A topic FleetFlow did not create keeps its own policy (addToResourcePolicy does nothing on an imported topic).
    owned?.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        resources: [owned.topic.topicArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );

    const shared = { environment, functions: this.functions, alarmTopic: this.notifications, ...(props.eventBus ? { eventBus: props.eventBus } : {}) };
    // The batches of a tier run in child executions of their own state machine, so no history grows with the fleet.
    this.rollout = new RolloutWorkflow(this, 'Rollout', shared);
    // One lock per environment: any of its locking workflows may hold it.
    const locking: LockingWorkflowProps = {
      ...shared,
      rollout: this.rollout.stateMachine.stateMachine,
      lockTable: this.lockTable,
      lockHolderExecutionArns: LOCKING_WORKFLOWS.map((workflow) => workflowExecutionsArn(this, environment.name, workflow)),
    };
    this.deploy = new DeployWorkflow(this, 'Deploy', { ...locking, approvalTopic: this.notifications });
    // Request Approval publishes to the topic: an encrypted one's key must let it (SNS encrypts with the
    // publisher's kms:GenerateDataKey). FleetFlow's own key, or a given topic's when the app knows it.
    (owned?.key ?? props.notificationTopic?.masterKey)?.grant(this.deploy.stateMachine.role, 'kms:Decrypt', 'kms:GenerateDataKey');
    this.allocate = new AllocateWorkflow(this, 'Allocate', locking);
    this.scaleOut = new ScaleOutWorkflow(this, 'ScaleOut', locking);
    this.scaleIn = new ScaleInWorkflow(this, 'ScaleIn', locking);
    this.replace = new ReplaceWorkflow(this, 'Replace', locking);
    if (restores) {
      // Restore-data runs its repoint batches in the rollout child and takes the lock; recover starts
      // allocate, restore-data and deploy as nested executions and takes none itself.
      this.restoreData = new RestoreDataWorkflow(this, 'RestoreData', locking);
      this.recover = new RecoverWorkflow(this, 'Recover', {
        ...shared,
        allocate: this.allocate.stateMachine.stateMachine,
        restoreData: this.restoreData.stateMachine.stateMachine,
        deploy: this.deploy.stateMachine.stateMachine,
      });
      this.replaceDatabase = new ReplaceDatabaseWorkflow(this, 'ReplaceDatabase', locking);
    }
    // A topic with its own policy must let CloudWatch publish, and only for these alarms.
    owned?.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: [owned.topic.topicArn],
        conditions: { ArnLike: { 'aws:SourceArn': this.workflowStateMachines().flatMap((machine) => machine.alarms.map((alarm) => alarm.alarmArn)) } },
      }),
    );
    this.addReleaseWindows();
    this.addOutputs(props.eventBus);
  }

  /** Every state machine, by workflow: restore-data and recover only when the data tier defines `restore`. */
  get stateMachines(): Partial<Record<FleetFlowWorkflow, sfn.StateMachine>> {
    const machines: Partial<Record<FleetFlowWorkflow, sfn.StateMachine>> = {};
    for (const [workflow, machine] of this.workflowEntries()) machines[workflow] = machine.stateMachine;
    return machines;
  }

  /** The state machine of `workflow`; throws when this environment has none (restore-data, recover without `restore`). */
  stateMachine(workflow: FleetFlowWorkflow): sfn.StateMachine {
    const machine = this.stateMachines[workflow];
    if (!machine) throw new Error(`${this.node.path}: environment ${this.environment.name} has no ${workflow} workflow (its data tier defines no restore)`);
    return machine;
  }

  /**
   * Lets `grantee` start executions of `workflow`, or of every workflow a person starts
   * (all but rollout, which only the workflows start) when none is given.
   */
  grantStartExecution(grantee: iam.IGrantable, workflow?: FleetFlowWorkflow): iam.Grant {
    const machines = workflow ? [this.stateMachine(workflow)] : STARTABLE_WORKFLOWS.flatMap((w) => this.stateMachines[w] ?? []);
    return iam.Grant.addToPrincipal({ grantee, actions: ['states:StartExecution'], resourceArns: machines.map((m) => m.stateMachineArn) });
  }

  /**
   * Lets `grantee` answer the release's approvals, by execution (`fleetflow approve --execution`)
   * or by token. The pending task token is in Request Approval's parameters, which the deploy
   * execution's history records (lib/cli/aws/approval.ts): reading that history is reading the
   * token, so it is granted here with the answer and on the deploy workflow's executions only.
   * SendTaskSuccess/SendTaskFailure are scoped to the deploy state machine, as CDK's own
   * `grantTaskResponse` scopes them (without SendTaskHeartbeat: an approval sends none).
   */
  grantApprove(grantee: iam.IGrantable): iam.Grant {
    const deploy = this.deploy.stateMachine.stateMachine;
    const read = iam.Grant.addToPrincipal({
      grantee,
      actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
      resourceArns: [workflowExecutionsArn(this, this.environment.name, 'deploy')],
    });
    return read.combine(iam.Grant.addToPrincipal({ grantee, actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resourceArns: [deploy.stateMachineArn] }));
  }

  /**
   * Stack Outputs a pipeline reads instead of building ARNs: each state machine's ARN, the
   * notification topic's and the event bus's. Short IDs, no descriptions or exports: every
   * byte counts against the template budget (test/infra/template-size.test.ts).
   */
  private addOutputs(eventBus: events.IEventBus | undefined): void {
    for (const [workflow, machine] of this.workflowEntries()) {
      new CfnOutput(this, `${workflow.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}Arn`, { value: machine.stateMachine.stateMachineArn });
    }
    new CfnOutput(this, 'TopicArn', { value: this.notifications.topicArn });
    const bus = eventBus?.eventBusArn ?? Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
    new CfnOutput(this, 'EventBusArn', { value: bus });
  }

  /** The workflows' state machine constructs, deploy first: the order of the topic policy's alarms. */
  private workflowStateMachines(): FleetFlowStateMachine[] {
    return this.workflowEntries().map(([, machine]) => machine);
  }

  private workflowEntries(): Array<[FleetFlowWorkflow, FleetFlowStateMachine]> {
    const entries: Array<[FleetFlowWorkflow, FleetFlowStateMachine | undefined]> = [
      ['deploy', this.deploy.stateMachine],
      ['rollout', this.rollout.stateMachine],
      ['allocate', this.allocate.stateMachine],
      ['scale-out', this.scaleOut.stateMachine],
      ['scale-in', this.scaleIn.stateMachine],
      ['replace', this.replace.stateMachine],
      ['restore-data', this.restoreData?.stateMachine],
      ['recover', this.recover?.stateMachine],
      ['replace-database', this.replaceDatabase?.stateMachine],
    ];
    return entries.flatMap(([workflow, machine]) => (machine ? [[workflow, machine] as [FleetFlowWorkflow, FleetFlowStateMachine]] : []));
  }

  /** What each function may do in this environment: only what its task does here. */
  private grantFunctionAccess(restores: boolean): void {
    const environment = this.environment;
    const release = this.functions.functions({ ...(releasesBySurge(environment) ? DEPLOY_INVOKES : DEPLOY_FUNCTION_SPECS), ...ROLLOUT_INVOKES });
    grantEnvironmentAccess(environment, environment.tiers.filter(isHostTier), release);
    for (const fun of [release.planRelease, release.planRollback]) fun.allow({ actions: ['dynamodb:BatchWriteItem'], resources: [this.planTable.tableArn] });
    release.planRollback.allow({ actions: ['dynamodb:BatchGetItem'], resources: [this.planTable.tableArn] });
    release.loadBatch.allow({ actions: ['dynamodb:GetItem'], resources: [this.planTable.tableArn] });
    for (const fun of [release.planRelease, release.planRollback, release.loadBatch]) fun.function.addEnvironment('PLAN_TABLE', this.planTable.tableName);
    const compute = this.functions.functions({ ...COMPUTE_FUNCTION_SPECS, ...ALLOCATE_FUNCTION_SPECS, ...SCALE_OUT_FUNCTION_SPECS, ...REPLACE_FUNCTION_SPECS, ...SURGE_BATCH_FUNCTION_SPECS });
    // Terminate Surged exists only where a release can end a surge (the deploy workflow invokes it only there).
    const terminateSurged = releasesBySurge(environment) ? this.functions.functions({ terminateSurged: SURGE_FUNCTION_SPECS.terminateSurged }).terminateSurged : undefined;
    const masterSecret = databaseMasterSecret(this, environment);
    grantComputeAccess(environment, { ...compute, ...(terminateSurged ? { terminateSurged } : {}) }, this.planTable, masterSecret && { arn: masterSecret.secret.secretArn, name: masterSecret.secretName });
    grantScaleInAccess(this.functions.functions(SCALE_IN_FUNCTION_SPECS).planScaleIn, this.planTable);
    // The data workflows' functions exist only with the workflows that invoke them.
    if (restores) grantDataAccess(environment, this.functions.functions({ ...RESTORE_DATA_FUNCTION_SPECS, ...RECOVER_FUNCTION_SPECS, ...ALLOCATE_FUNCTION_SPECS }), this.planTable);
    if (restores) grantReplaceDatabaseAccess(environment, this.functions.functions(REPLACE_DATABASE_FUNCTION_SPECS));
  }

  /**
   * The batch tasks that end a phase (out of traffic, installed, back in service) put a progress
   * event on the environment's bus (lambdas/shared/batch-events.ts): events:PutEvents on that bus
   * only, restricted to the batch events' source, and the bus's name in their environment.
   */
  private grantBatchEvents(eventBus: events.IEventBus | undefined): void {
    const bus = eventBus?.eventBusArn ?? Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
    const emitting = this.functions.functions({ takeOutOfTraffic: ROLLOUT_INVOKES.takeOutOfTraffic, checkInstall: ROLLOUT_INVOKES.checkInstall, checkHealthy: ROLLOUT_INVOKES.checkHealthy });
    for (const fun of Object.values(emitting)) {
      fun.allow({ actions: ['events:PutEvents'], resources: [bus], conditions: { StringEquals: { 'events:source': BATCH_EVENT_SOURCE } } });
      fun.function.addEnvironment(EVENT_BUS_ENV, eventBus?.eventBusName ?? 'default');
    }
  }

  /** A topic encrypted with a key of its own, which CloudWatch alarms and EventBridge of this account may use. */
  private ownTopic(environment: EnvironmentDefinition): { topic: sns.Topic; key: kms.Key } {
    const key = new kms.Key(this, 'NotificationsKey', { enableKeyRotation: true, description: 'FleetFlow notifications' });
    const topic = new sns.Topic(this, 'Notifications', { displayName: `FleetFlow ${environment.name}`, masterKey: key, enforceSSL: true });
    // CloudWatch alarm actions and EventBridge deliver to the encrypted topic from this account only.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com'), new iam.ServicePrincipal('events.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    return { topic, key };
  }

  /** Each release window starts the release a pipeline queued for it (input `releaseFrom: "next"`). */
  private addReleaseWindows(): void {
    for (const window of this.environment.releaseWindows) {
      new scheduler.Schedule(this, `ReleaseWindow-${window.name}`, {
        description: `FleetFlow release window ${window.name} of ${this.environment.name} (${window.component})`,
        schedule: scheduler.ScheduleExpression.expression(window.schedule, TimeZone.of(window.timezone)),
        target: new schedulerTargets.StepFunctionsStartExecution(this.deploy.stateMachine.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject(releaseWindowInput(window)),
          retryAttempts: 2,
        }),
      });
    }
  }
}

const WHY = {
  describe: 'ec2:DescribeInstances, ec2:DescribeInstanceAttribute and elasticloadbalancing:Describe* support no resource-level permissions',
  invocations: 'ssm:ListCommandInvocations and ssm:CancelCommand act on command IDs, which IAM cannot scope',
  listCommands: "ssm:ListCommands lists the account's commands; its request names no resource IAM could scope (only a command ID, a node ID and filters)",
  targetGroups: "a target group ARN ends in an ID AWS generates; the name part pins it to this environment's groups",
  instances: "instances are matched by the tier's tags in the condition, not by ID, so hosts can be replaced",
  snapshots: "snapshot names carry the release and execution; the prefix pins them to this environment's snapshots",
  compositeAlarms: 'cloudwatch:DescribeAlarms and DescribeAlarmHistory return composite alarms only when allowed on "*" (see their API reference); they only read alarm states and their history',
  restored: "a restore creates a new instance named <database>-<source>-<execution>, which becomes the current one; the prefix pins it to this environment's database",
};

/** The release's and the rollout child's functions: what each may do to the environment's hosts, target groups, database and records. */
function grantEnvironmentAccess(
  environment: EnvironmentDefinition,
  tiers: HostTierDefinition[],
  f: FleetFlowFunctions<keyof typeof DEPLOY_FUNCTION_SPECS | keyof typeof ROLLOUT_INVOKES>,
): void {
  const arn = (service: string, resource: string) => f.planRelease.arn(service, resource);
  const targetGroupArns = tiers.flatMap((t) =>
    t.traffic.kind === 'target-group' ? t.traffic.targetGroups.map((name) => arn('elasticloadbalancing', `targetgroup/${name}/*`)) : [],
  );
  const describeElb = ['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth'];

  // Each ELB describe only where the handler calls it (test/infra/iam-conditions.test.ts reads the bundles).
  f.planRelease.allow({ actions: ['ec2:DescribeInstances', ...describeElb], resources: ['*'], wildcardReason: WHY.describe });
  // Each target group's deregistration delay, which the tier's drain timeout must cover. The
  // Service Authorization Reference lists no resource type for it, like the other Describe*.
  f.planRelease.allow({ actions: ['elasticloadbalancing:DescribeTargetGroupAttributes'], resources: ['*'], wildcardReason: WHY.describe });
  // A surge tier's old hosts: their stop and termination protection, read before the lock (lambdas/compute/retire-guards.ts).
  if (releasesBySurge(environment)) f.planRelease.allow({ actions: ['ec2:DescribeInstanceAttribute'], resources: ['*'], wildcardReason: WHY.describe });
  f.planRollback.allow({ actions: ['ec2:DescribeInstances', 'elasticloadbalancing:DescribeTargetHealth'], resources: ['*'], wildcardReason: WHY.describe });
  for (const fun of [f.checkCapacity, f.takeOutOfTraffic, f.checkDrained, f.checkHealthy]) {
    fun.allow({ actions: ['elasticloadbalancing:DescribeTargetHealth'], resources: ['*'], wildcardReason: WHY.describe });
  }
  // Tiers no load balancer watches are counted by finding their hosts and running their health command.
  f.checkCapacity.allow({ actions: ['ec2:DescribeInstances'], resources: ['*'], wildcardReason: WHY.describe });
  for (const fun of [f.checkCapacity, f.checkDrained, f.checkInstall, f.checkHealthy, f.checkMigration]) {
    fun.allow({ actions: ['ssm:ListCommandInvocations'], resources: ['*'], wildcardReason: WHY.invocations });
  }
  for (const fun of [f.checkDrained, f.checkInstall, f.checkMigration]) {
    fun.allow({ actions: ['ssm:CancelCommand'], resources: ['*'], wildcardReason: WHY.invocations });
  }
  // The checks that read a batch's many commands at once, 50 a call (lambdas/shared/ssm-commands.ts readProgress).
  for (const fun of [f.checkCapacity, f.checkDrained, f.checkInstall, f.checkHealthy]) {
    fun.allow({ actions: ['ssm:ListCommands'], resources: ['*'], wildcardReason: WHY.listCommands });
  }
  // DescribeAlarms returns composite alarms only to callers allowed it on "*"; it reads states, changes nothing.
  for (const fun of [f.planRelease, f.checkAlarms, f.preflight, f.checkBake]) {
    fun.allow({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'], wildcardReason: WHY.compositeAlarms });
  }
  // The bake reads what the alarms went through between its looks; composite alarms' history too only on "*".
  f.checkBake.allow({ actions: ['cloudwatch:DescribeAlarmHistory'], resources: ['*'], wildcardReason: WHY.compositeAlarms });
  if (targetGroupArns.length > 0) {
    f.takeOutOfTraffic.allow({ actions: ['elasticloadbalancing:DeregisterTargets'], resources: targetGroupArns, wildcardReason: WHY.targetGroups });
    f.returnToTraffic.allow({ actions: ['elasticloadbalancing:RegisterTargets'], resources: targetGroupArns, wildcardReason: WHY.targetGroups });
  }
  const sendCommand = (fun: FleetFlowFunction, tier: HostTierDefinition, commands: SsmCommandDefinition[]) =>
    allowSendCommand(fun, tier, commands.map((c) => c.document), WHY.instances);
  for (const tier of tiers) {
    sendCommand(f.installRelease, tier, [tier.install]);
    // The host-side drain check, sent to a batch's hosts once they are deregistered.
    if (tier.drain.check && tier.traffic.kind === 'target-group') sendCommand(f.takeOutOfTraffic, tier, [tier.drain.check]);
    if (tier.traffic.kind === 'drain-command') {
      sendCommand(f.takeOutOfTraffic, tier, [tier.traffic.drain]);
      sendCommand(f.returnToTraffic, tier, [tier.traffic.undrain]);
    }
    // Only tiers no target group checks run their health command.
    if (tier.health.command && tier.traffic.kind !== 'target-group') {
      sendCommand(f.checkHealthy, tier, [tier.health.command]);
      sendCommand(f.checkCapacity, tier, [tier.health.command]);
    }
    // Host records other than the release: the out-of-traffic marker (set by the task that takes
    // hosts out, removed by the one that puts them back) and the record that an install was sent.
    const marker = (fun: FleetFlowFunction, action: string, tagKeys: string[]) => allowTagKeys(fun, tier, action, tagKeys, WHY.instances);
    if (tier.traffic.kind !== 'none') {
      marker(f.takeOutOfTraffic, 'ec2:CreateTags', [OUT_OF_TRAFFIC_TAG]);
      marker(f.returnToTraffic, 'ec2:DeleteTags', [OUT_OF_TRAFFIC_TAG]);
    }
    // The record that an install was sent: written by Install Release, removed by Check Install.
    marker(f.installRelease, 'ec2:CreateTags', [...INSTALL_SENT_TAGS]);
    marker(f.checkInstall, 'ec2:DeleteTags', [...INSTALL_SENT_TAGS]);
    // The only other tag FleetFlow writes is the release record, and only on the tier's hosts.
    marker(f.checkInstall, 'ec2:CreateTags', [RELEASE_TAG, PREVIOUS_RELEASE_TAG]);
  }

  // Release record: the plan reads current and next; only Record Release writes, only current and previous.
  const components = [...new Set(tiers.map((t) => componentOf(t)))];
  const record = (which: 'current' | 'previous' | 'next') =>
    components.map((component) => arn('ssm', `parameter${releaseParameterName(environment.name, component, which)}`));
  f.planRelease.allow({ actions: ['ssm:GetParameter'], resources: [...record('current'), ...record('next')] });
  f.recordRelease.allow({ actions: ['ssm:PutParameter'], resources: [...record('current'), ...record('previous')] });

  // The database: described, snapshotted, migrated through a runner host; never modified.
  for (const data of environment.tiers) {
    if (isHostTier(data)) continue;
    // The current instance: the defined one, or one a restore created (<identifier>-<source>-<execution>).
    const dbArns = [arn('rds', `db:${data.database.instanceIdentifier}`), ...restoredDatabaseArns(f.planRelease, data.database.instanceIdentifier)];
    const snapshotArn = arn('rds', `snapshot:fleetflow-${environment.name}-*`);
    f.checkDatabase.allow({ actions: ['rds:DescribeDBInstances'], resources: dbArns, wildcardReason: WHY.restored });
    f.createSnapshot.allow({ actions: ['rds:CreateDBSnapshot'], resources: [...dbArns, snapshotArn], wildcardReason: WHY.snapshots });
    // The snapshot's tags at creation (database/create-snapshot.ts), those keys only.
    f.createSnapshot.allow({ actions: ['rds:AddTagsToResource'], resources: [snapshotArn], conditions: onlyTagKeys(['fleetflow:release', 'fleetflow:execution']), wildcardReason: WHY.snapshots });
    f.checkSnapshot.allow({ actions: ['rds:DescribeDBSnapshots'], resources: [...dbArns, snapshotArn], wildcardReason: WHY.snapshots });
    // Which instance is current, after a restore.
    f.planRelease.allow({ actions: ['ssm:GetParameter'], resources: [arn('ssm', `parameter${databaseParameterName(environment.name)}`)] });
    const runner = tiers.find((t) => t.name === data.database.migration.runnerTier);
    if (runner) sendCommand(f.runMigration, runner, [data.database.migration]);
  }
}
