/**
 * One stack per environment: the release workflow's Lambda tasks, each with a role
 * scoped to the environment's own target groups, instances, SSM documents, database,
 * alarms and release record; the lock table; notifications (EventBridge, forwarded to
 * an encrypted SNS topic); the state machine with its log group, tracing, timeout and
 * failure alarms.
 */
import { ArnFormat, Duration, Fn, RemovalPolicy, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { DeployWorkflow, NOTIFICATION_SOURCE, type DeployWorkflowFunctions } from '../statemachines/deploy-workflow';
import { RolloutWorkflow, type RolloutWorkflowFunctions } from '../statemachines/rollout-workflow';
import { AllocateWorkflow } from '../statemachines/allocate-workflow';
import { ScaleOutWorkflow } from '../statemachines/scale-out-workflow';
import { ReplaceWorkflow } from '../statemachines/replace-workflow';
import { RestoreDataWorkflow, type RestoreDataFunctions } from '../statemachines/restore-data-workflow';
import { RecoverWorkflow } from '../statemachines/recover-workflow';
import { grantDataAccess, restoredDatabaseArns, type DataTaskFunctions } from './data-access';
import type { ComputeFunctions } from '../statemachines/fragments/compute-run';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { grantComputeAccess } from './compute-access';
import { allowSendCommand, allowTagKeys, onlyTagKeys } from './iam-scopes';
import { acknowledgeWildcard, FleetFlowFunction, XRAY_REASON } from './constructs/fleetflow-function';
import { componentOf, isHostTier, type EnvironmentDefinition, type HostTierDefinition, type SsmCommandDefinition } from '../lambdas/domain/environment/model';
import { parseEnvironment } from '../lambdas/domain/environment/parse';
import { releaseWindowInput } from '../lambdas/domain/release-windows';
import { releaseParameterName, databaseParameterName } from '../lambdas/domain/contract/records';
import { INSTALL_SENT_TAGS, OUT_OF_TRAFFIC_TAG, PREVIOUS_RELEASE_TAG, RELEASE_TAG } from '../lambdas/domain/contract/tags';

export interface FleetFlowStackProps extends StackProps {
  /** The environment this stack releases onto; validated here, so a bad definition fails synth. */
  readonly environment: unknown;
}

const WHY = {
  describe: 'ec2:DescribeInstances and elasticloadbalancing:Describe* support no resource-level permissions',
  invocations: 'ssm:ListCommandInvocations and ssm:CancelCommand act on command IDs, which IAM cannot scope',
  targetGroups: "a target group ARN ends in an ID AWS generates; the name part pins it to this environment's groups",
  instances: "instances are matched by the tier's tags in the condition, not by ID, so hosts can be replaced",
  snapshots: "snapshot names carry the release and execution; the prefix pins them to this environment's snapshots",
  compositeAlarms: 'cloudwatch:DescribeAlarms returns composite alarms only when allowed on "*" (see the DescribeAlarms API reference); it only reads alarm states',
  executions: "the lock holder may be any execution of this environment's release state machine",
  restored: "a restore creates a new instance named <database>-<source>-<execution>, which becomes the current one; the prefix pins it to this environment's database",
  childExecutions: "a parent follows its child executions of this environment's rollout state machine, whose names Step Functions generates",
};

/**
 * How long any workflow may run. A plan whose fastest possible run, with a revert of
 * every batch behind it, would not fit is refused by its planner before anything changes.
 */
export const WORKFLOW_TIMEOUT = Duration.days(7);

export class FleetFlowStack extends Stack {
  readonly stateMachine: sfn.StateMachine;
  readonly rolloutStateMachine: sfn.StateMachine;
  readonly notifications: sns.Topic;
  readonly lockTable: dynamodb.Table;
  /** allocate, scale-out, replace. */
  readonly computeStateMachines: Record<string, sfn.StateMachine>;
  /** restore-data and recover, when the data tier defines how to restore. */
  readonly dataStateMachines: Record<string, sfn.StateMachine>;

  constructor(scope: Construct, id: string, props: FleetFlowStackProps) {
    // CloudFormation takes a template of at most 1,000,000 bytes (from S3); indentation alone is a sixth of it.
    super(scope, id, { suppressTemplateIndentation: true, ...props });
    const environment = parseEnvironment(props.environment, `environment of stack ${id}`);
    const tiers = environment.tiers.filter(isHostTier);
    const stateMachineName = `fleetflow-${environment.name}-deploy`;

    const fn = (name: string, handler: string, description: string) => new FleetFlowFunction(this, name, { handler, description });
    const f = {
      planRelease: fn('PlanRelease', 'deploy/plan-release.ts', 'Validate input, find hosts by tag, plan batches'),
      checkCapacity: fn('CheckCapacity', 'rollout/check-capacity.ts', "Wait until the rest of a batch's tier holds its minimum in service"),
      takeOutOfTraffic: fn('TakeOutOfTraffic', 'rollout/take-out-of-traffic.ts', 'Deregister or drain a batch'),
      checkDrained: fn('CheckDrained', 'rollout/check-drained.ts', 'Poll whether a batch has drained'),
      installRelease: fn('InstallRelease', 'rollout/install-release.ts', 'Send the install document to a batch'),
      checkInstall: fn('CheckInstall', 'rollout/check-install.ts', 'Poll install invocations, record the release on hosts'),
      returnToTraffic: fn('ReturnToTraffic', 'rollout/return-to-traffic.ts', 'Register or undrain a batch'),
      checkHealthy: fn('CheckHealthy', 'rollout/check-healthy.ts', 'Poll whether a batch is healthy'),
      checkAlarms: fn('CheckAlarms', 'rollout/check-alarms.ts', 'Fail the batch if a tier alarm is in ALARM'),
      checkDatabase: fn('CheckDatabase', 'database/check-database.ts', 'Refuse unless the database is available'),
      createSnapshot: fn('CreateSnapshot', 'database/create-snapshot.ts', 'Snapshot the database before migrating'),
      checkSnapshot: fn('CheckSnapshot', 'database/check-snapshot.ts', 'Poll the snapshot until available'),
      runMigration: fn('RunMigration', 'database/run-migration.ts', 'Send the migration document to the runner host'),
      checkMigration: fn('CheckMigration', 'database/check-migration.ts', 'Poll the migration command'),
      preflight: fn('Preflight', 'deploy/preflight.ts', 'Refuse to start while monitoring is broken or alarming'),
      checkBake: fn('CheckBake', 'deploy/check-bake.ts', 'Watch the validation alarms for the bake period'),
      planRollback: fn('PlanRollback', 'deploy/plan-rollback.ts', 'Plan the revert of every host that moved'),
      recordRelease: fn('RecordRelease', 'deploy/record-release.ts', 'Record the current and previous release'),
      loadBatch: fn('LoadBatch', 'rollout/load-batch.ts', "Read a batch's hosts from the plan table"),
      setUpHosts: fn('SetUpHosts', 'compute/set-up-hosts.ts', 'Send a setup step (prerequisite, probe) to new hosts'),
      checkSetUp: fn('CheckSetUp', 'compute/check-set-up.ts', 'Poll a setup step on new hosts'),
      retireHosts: fn('RetireHosts', 'compute/retire-hosts.ts', 'Tag and stop or terminate replaced hosts'),
      checkRetired: fn('CheckRetired', 'compute/check-retired.ts', 'Poll until replaced hosts are stopped or terminated'),
      launchSurgeHosts: fn('LaunchSurgeHosts', 'surge/launch-surge-hosts.ts', "Launch a surge batch's new hosts (idempotent)"),
      checkSurgeHostsReady: fn('CheckSurgeHostsReady', 'surge/check-surge-hosts-ready.ts', "Poll a surge batch's new hosts until ready"),
      loadSurgeBatch: fn('LoadSurgeBatch', 'surge/load-surge-batch.ts', "Find a surge batch's new hosts"),
      startHosts: fn('StartHosts', 'surge/start-hosts.ts', 'Start the hosts a surge stopped, to roll it back'),
      checkStarted: fn('CheckStarted', 'surge/check-started.ts', 'Poll restarted hosts until running and online'),
      terminateLaunched: fn('TerminateLaunched', 'compute/terminate-launched.ts', 'Terminate what a failed execution (or surge batch) launched'),
      terminateSurged: fn('TerminateSurged', 'surge/terminate-surged.ts', 'Terminate the old hosts a validated surge stopped'),
      reconfigureHosts: fn('ReconfigureHosts', 'restore-data/reconfigure-hosts.ts', 'Send the reconfigure document to a batch (repoint)'),
      checkReconfigured: fn('CheckReconfigured', 'restore-data/check-reconfigured.ts', 'Poll a reconfigure, record the database each host uses'),
    };
    const c = {
      planAllocation: fn('PlanAllocation', 'compute/plan-allocation.ts', 'Plan the hosts each tier launches, and the database'),
      planScaleOut: fn('PlanScaleOut', 'compute/plan-scale-out.ts', 'Plan new hosts for one tier'),
      planReplacement: fn('PlanReplacement', 'compute/plan-replacement.ts', 'Plan which hosts are replaced, and where'),
      launchHosts: fn('LaunchHosts', 'compute/launch-hosts.ts', "Launch a tier's hosts from its launch template (idempotent)"),
      checkHostsReady: fn('CheckHostsReady', 'compute/check-hosts-ready.ts', 'Poll new hosts: running, status checks, SSM online'),
      verifyDependencies: fn('VerifyDependencies', 'compute/verify-dependencies.ts', "Check a tier's target groups against its new hosts"),
      storeNewHosts: fn('StoreNewHosts', 'compute/store-new-hosts.ts', 'Write the new hosts as batches to the plan table'),
      terminateLaunched: f.terminateLaunched,
      createDatabase: fn('CreateDatabase', 'compute/create-database.ts', "Create the environment's database instance"),
      checkDatabaseCreated: fn('CheckDatabaseCreated', 'compute/check-database-created.ts', 'Poll the new database until available'),
      setUpHosts: f.setUpHosts,
      checkSetUp: f.checkSetUp,
      retireHosts: f.retireHosts,
      checkRetired: f.checkRetired,
      launchSurgeHosts: f.launchSurgeHosts,
      checkSurgeHostsReady: f.checkSurgeHostsReady,
      loadSurgeBatch: f.loadSurgeBatch,
      startHosts: f.startHosts,
      checkStarted: f.checkStarted,
      terminateSurged: f.terminateSurged,
    };
    const d = {
      planRestoreData: fn('PlanRestoreData', 'restore-data/plan-restore-data.ts', 'Check the restore source and plan the repoint batches'),
      restoreDatabase: fn('RestoreDatabase', 'restore-data/restore-database.ts', 'Restore the data into a new DB instance'),
      checkRestore: fn('CheckRestore', 'restore-data/check-restore.ts', 'Poll the restored instance until available'),
      validateData: fn('ValidateData', 'restore-data/validate-data.ts', 'Run the check document against the restored instance'),
      checkValidation: fn('CheckValidation', 'restore-data/check-validation.ts', 'Poll the check document'),
      writeConnection: fn('WriteConnection', 'restore-data/write-connection.ts', "Write the environment's connection parameter"),
      planRepointBack: fn('PlanRepointBack', 'restore-data/plan-repoint-back.ts', 'Plan pointing every moved host back'),
      recordDatabase: fn('RecordDatabase', 'restore-data/record-database.ts', 'Record the current database, tag the replaced one'),
      planRecover: fn('PlanRecover', 'recover/plan-recover.ts', 'Check what a disaster recovery needs before it starts'),
      reportRecovery: fn('ReportRecovery', 'recover/report-recovery.ts', 'Report the recovery point and time'),
      reconfigureHosts: f.reconfigureHosts,
      checkReconfigured: f.checkReconfigured,
    };
    this.grantEnvironmentAccess(environment, tiers, f);

    // Each batch's hosts, written by the planners and read per batch; kept a week.
    const planTable = new dynamodb.Table(this, 'PlanTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const fun of [f.planRelease, f.planRollback]) fun.allow({ actions: ['dynamodb:BatchWriteItem'], resources: [planTable.tableArn] });
    f.planRollback.allow({ actions: ['dynamodb:BatchGetItem'], resources: [planTable.tableArn] });
    f.loadBatch.allow({ actions: ['dynamodb:GetItem'], resources: [planTable.tableArn] });
    for (const fun of [f.planRelease, f.planRollback, f.loadBatch]) fun.function.addEnvironment('PLAN_TABLE', planTable.tableName);
    grantComputeAccess(environment, c, planTable);
    grantDataAccess(environment, d, planTable);

    this.lockTable = new dynamodb.Table(this, 'LockTable', {
      partitionKey: { name: 'environment', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const key = new kms.Key(this, 'NotificationsKey', { enableKeyRotation: true, description: 'FleetFlow notifications' });
    this.notifications = new sns.Topic(this, 'Notifications', {
      displayName: `FleetFlow ${environment.name}`,
      masterKey: key,
      enforceSSL: true,
    });
    // CloudWatch alarm actions and EventBridge deliver to the encrypted topic from this account only.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com'), new iam.ServicePrincipal('events.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    const rule = new events.Rule(this, 'NotificationsRule', {
      description: `FleetFlow release events of ${environment.name} to the notifications topic`,
      eventPattern: { source: [NOTIFICATION_SOURCE], detail: { environment: [environment.name] } },
    });
    // Bound by hand: the SnsTopic target would let any EventBridge rule, of any account, publish.
    rule.addTarget({ bind: () => ({ arn: this.notifications.topicArn }) });
    this.notifications.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        resources: [this.notifications.topicArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );

    const lambdas = Object.fromEntries(Object.entries(f).map(([name, fun]) => [name, fun.function])) as unknown as DeployWorkflowFunctions &
      RolloutWorkflowFunctions;
    // The functions each workflow invokes, and so the only ones its role may call (every key, no other).
    const invokedBy = <K extends keyof typeof f>(names: Record<K, true>) => (Object.keys(names) as K[]).map((name) => f[name]);
    const rolloutInvokes = invokedBy<keyof RolloutWorkflowFunctions>({
      checkCapacity: true,
      takeOutOfTraffic: true,
      checkDrained: true,
      installRelease: true,
      checkInstall: true,
      returnToTraffic: true,
      checkHealthy: true,
      checkAlarms: true,
      loadBatch: true,
      setUpHosts: true,
      checkSetUp: true,
      retireHosts: true,
      checkRetired: true,
      launchSurgeHosts: true,
      checkSurgeHostsReady: true,
      loadSurgeBatch: true,
      terminateLaunched: true,
      startHosts: true,
      checkStarted: true,
      reconfigureHosts: true,
      checkReconfigured: true,
    });
    const deployInvokes = invokedBy<keyof DeployWorkflowFunctions>({
      planRelease: true,
      checkDatabase: true,
      createSnapshot: true,
      checkSnapshot: true,
      runMigration: true,
      checkMigration: true,
      preflight: true,
      checkBake: true,
      planRollback: true,
      recordRelease: true,
      terminateSurged: true,
    });
    // The batches of a tier run in child executions of their own state machine, so no history grows with the fleet.
    const rollout = new RolloutWorkflow(this, 'Rollout', { functions: lambdas });
    this.rolloutStateMachine = this.workflowStateMachine('Rollout', `fleetflow-${environment.name}-rollout`, rollout.definition, rolloutInvokes,
      `FleetFlow: a segment of one tier's batches in environment ${environment.name}, started by its workflows`);

    // One lock per environment: any of its workflows may hold it.
    const lockHolders = LOCKING_WORKFLOWS.map((workflow) => workflowExecutionsArn(this, environment.name, workflow));
    const workflow = new DeployWorkflow(this, 'Deploy', {
      environment,
      functions: lambdas,
      rollout: this.rolloutStateMachine,
      timeout: WORKFLOW_TIMEOUT,
      lockTable: this.lockTable,
      approvalTopic: this.notifications,
      lockHolderExecutionArns: lockHolders,
      releaseStateMachineArn: this.formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    });

    this.stateMachine = this.workflowStateMachine('Deploy', stateMachineName, workflow.definition, deployInvokes, `FleetFlow release of environment ${environment.name}`);
    // Request Approval publishes to the encrypted topic.
    key.grant(this.stateMachine.role, 'kms:Decrypt', 'kms:GenerateDataKey');
    for (const holder of lockHolders) acknowledgeWildcard(this.stateMachine.role, holder, WHY.executions);
    // startExecution.sync:2 follows its children through their executions (and a managed EventBridge rule,
    // granted by its exact ARN, so there is nothing to acknowledge for it).
    const rolloutName = Fn.select(6, Fn.split(':', this.rolloutStateMachine.stateMachineArn));
    acknowledgeWildcard(
      this.stateMachine.role,
      this.formatArn({ service: 'states', resource: 'execution', resourceName: `${rolloutName}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      WHY.childExecutions,
    );
    this.computeStateMachines = this.addComputeWorkflows(environment, c, lockHolders);
    this.dataStateMachines = this.addDataWorkflows(environment, d, f.checkBake, lockHolders);
    this.addExecutionAlarms(environment);
    this.addReleaseWindows(environment);
  }

  /** Allocate, scale out and replace: one state machine each, on the same rollout child and lock. */
  private addComputeWorkflows(environment: EnvironmentDefinition, c: Record<string, FleetFlowFunction>, lockHolders: string[]): Record<string, sfn.StateMachine> {
    const fns = Object.fromEntries(Object.entries(c).map(([name, fun]) => [name, fun.function])) as unknown as ComputeFunctions & {
      planAllocation: lambda.IFunction;
      planScaleOut: lambda.IFunction;
      planReplacement: lambda.IFunction;
    };
    const shared = { ...computeInvokes(c) };
    const machines: Record<string, sfn.StateMachine> = {};
    const rolloutName = Fn.select(6, Fn.split(':', this.rolloutStateMachine.stateMachineArn));
    const build = (id: string, workflow: ComputeWorkflowName, definition: (arn: string) => sfn.IChainable, planner: FleetFlowFunction, comment: string) => {
      const name = `fleetflow-${environment.name}-${workflow}`;
      const arn = this.formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
      const machine = this.workflowStateMachine(id, name, definition(arn), [planner, ...shared.invokes], comment);
      for (const holder of lockHolders) acknowledgeWildcard(machine.role, holder, WHY.executions);
      acknowledgeWildcard(
        machine.role,
        this.formatArn({ service: 'states', resource: 'execution', resourceName: `${rolloutName}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        WHY.childExecutions,
      );
      machines[workflow] = machine;
    };
    const common = (stateMachineArn: string) => ({
      environment,
      functions: fns,
      rollout: this.rolloutStateMachine,
      timeout: WORKFLOW_TIMEOUT,
      lockTable: this.lockTable,
      lockHolderExecutionArns: lockHolders,
      stateMachineArn,
    });
    build('Allocate', 'allocate', (arn) => new AllocateWorkflow(this, 'AllocateWorkflow', { ...common(arn), planAllocation: fns.planAllocation }).definition, c.planAllocation!,
      `FleetFlow: allocate the hosts (and database) of environment ${environment.name}`);
    build('ScaleOut', 'scale-out', (arn) => new ScaleOutWorkflow(this, 'ScaleOutWorkflow', { ...common(arn), planScaleOut: fns.planScaleOut }).definition, c.planScaleOut!,
      `FleetFlow: add hosts to a tier of environment ${environment.name}`);
    build('Replace', 'replace', (arn) => new ReplaceWorkflow(this, 'ReplaceWorkflow', { ...common(arn), planReplacement: fns.planReplacement }).definition, c.planReplacement!,
      `FleetFlow: replace hosts of environment ${environment.name} without downtime`);
    return machines;
  }

  /**
   * Restore data and disaster recovery. Restore-data runs its repoint batches in the rollout
   * child and takes the lock; recover starts allocate, restore-data and deploy as nested
   * executions and takes none itself (each part takes it while it runs).
   */
  private addDataWorkflows(
    environment: EnvironmentDefinition,
    d: DataTaskFunctions,
    checkBake: FleetFlowFunction,
    lockHolders: string[],
  ): Record<string, sfn.StateMachine> {
    const data = environment.tiers.find((t) => !isHostTier(t));
    if (!data || isHostTier(data) || !data.database.restore) return {};
    const fns = Object.fromEntries(Object.entries(d).map(([name, fun]) => [name, fun.function])) as unknown as RestoreDataFunctions & {
      planRecover: lambda.IFunction;
      reportRecovery: lambda.IFunction;
    };
    const rolloutName = Fn.select(6, Fn.split(':', this.rolloutStateMachine.stateMachineArn));
    const name = `fleetflow-${environment.name}-restore-data`;
    const arn = this.formatArn({ service: 'states', resource: 'stateMachine', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const restoreData = new RestoreDataWorkflow(this, 'RestoreDataWorkflow', {
      environment,
      functions: { ...fns, checkBake: checkBake.function },
      rollout: this.rolloutStateMachine,
      timeout: WORKFLOW_TIMEOUT,
      lockTable: this.lockTable,
      lockHolderExecutionArns: lockHolders,
      stateMachineArn: arn,
    });
    const restoreInvokes = [d.planRestoreData, d.restoreDatabase, d.checkRestore, d.validateData, d.checkValidation, d.writeConnection, d.planRepointBack, d.recordDatabase, checkBake];
    const restoreMachine = this.workflowStateMachine('RestoreData', name, restoreData.definition, restoreInvokes,
      `FleetFlow: restore the data of environment ${environment.name} into a new database and repoint its hosts`);
    for (const holder of lockHolders) acknowledgeWildcard(restoreMachine.role, holder, WHY.executions);
    acknowledgeWildcard(
      restoreMachine.role,
      this.formatArn({ service: 'states', resource: 'execution', resourceName: `${rolloutName}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      WHY.childExecutions,
    );

    const recover = new RecoverWorkflow(this, 'RecoverWorkflow', {
      environment,
      functions: fns,
      allocate: this.computeStateMachines.allocate!,
      restoreData: restoreMachine,
      deploy: this.stateMachine,
      timeout: WORKFLOW_TIMEOUT,
    });
    const recoverMachine = this.workflowStateMachine('Recover', `fleetflow-${environment.name}-recover`, recover.definition, [d.planRecover, d.reportRecovery],
      `FleetFlow: disaster recovery of environment ${environment.name}: allocate, restore data, release`);
    for (const child of [this.computeStateMachines.allocate!, restoreMachine, this.stateMachine]) {
      acknowledgeWildcard(
        recoverMachine.role,
        this.formatArn({ service: 'states', resource: 'execution', resourceName: `${Fn.select(6, Fn.split(':', child.stateMachineArn))}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
        'recover follows the executions it starts of allocate, restore-data and deploy, whose names Step Functions generates',
      );
    }
    return { 'restore-data': restoreMachine, recover: recoverMachine };
  }

  /**
   * One workflow's state machine: standard, X-Ray traced, the workflows' timeout, and logs of
   * every event to a log group it owns. Every event (states entered and exited, retries,
   * failures, with timestamps) is the audit trail of a release, so level ALL; but no execution
   * data: Request Approval's parameters carry $$.Task.Token, and whoever reads the log group
   * could approve with it. Payloads stay in the execution history, behind
   * states:GetExecutionHistory, where IAM decides who reads them.
   */
  private workflowStateMachine(id: string, name: string, definition: sfn.IChainable, invokes: FleetFlowFunction[], comment: string): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    const machine = new sfn.StateMachine(this, `${id}StateMachine`, {
      stateMachineName: name,
      comment,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: WORKFLOW_TIMEOUT,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    acknowledgeWildcard(
      machine.role,
      '*',
      `${XRAY_REASON}; CloudWatch Logs delivery (logs:CreateLogDelivery, logs:PutResourcePolicy, logs:Describe*) for execution logging supports no resource-level permissions`,
    );
    for (const fun of invokes) {
      acknowledgeWildcard(machine.role, `${fun.function.functionArn}:*`, "the LambdaInvoke grant also covers published versions and aliases of this stack's own function");
    }
    return machine;
  }

  /** Each release window starts the release a pipeline queued for it (input `releaseFrom: "next"`). */
  private addReleaseWindows(environment: EnvironmentDefinition): void {
    for (const window of environment.releaseWindows) {
      new scheduler.Schedule(this, `ReleaseWindow-${window.name}`, {
        description: `FleetFlow release window ${window.name} of ${environment.name} (${window.component})`,
        schedule: scheduler.ScheduleExpression.expression(window.schedule, TimeZone.of(window.timezone)),
        target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject(releaseWindowInput(window)),
          retryAttempts: 2,
        }),
      });
    }
  }

  private grantEnvironmentAccess(
    environment: EnvironmentDefinition,
    tiers: HostTierDefinition[],
    f: Record<keyof (DeployWorkflowFunctions & RolloutWorkflowFunctions), FleetFlowFunction>,
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
    // DescribeAlarms returns composite alarms only to callers allowed it on "*"; it reads states, changes nothing.
    for (const fun of [f.planRelease, f.checkAlarms, f.preflight, f.checkBake]) {
      fun.allow({ actions: ['cloudwatch:DescribeAlarms'], resources: ['*'], wildcardReason: WHY.compositeAlarms });
    }
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

  /** Both workflows: a rollout child that fails, is aborted, times out or is throttled is a release in trouble too. */
  private addExecutionAlarms(environment: EnvironmentDefinition): void {
    const alarmArns: string[] = [];
    const machines: Array<{ idPrefix: string; workflow: string; machine: sfn.StateMachine }> = [
      { idPrefix: '', workflow: 'deploy', machine: this.stateMachine },
      { idPrefix: 'Rollout', workflow: 'rollout', machine: this.rolloutStateMachine },
      ...Object.entries({ ...this.computeStateMachines, ...this.dataStateMachines }).map(([workflow, machine]) => ({ idPrefix: workflow.replace(/(^|-)(\w)/g, (_m, _d, ch: string) => ch.toUpperCase()), workflow, machine })),
    ];
    for (const { idPrefix, workflow, machine } of machines) {
      const metrics: Array<[string, cloudwatch.Metric]> = [
        ['ExecutionsFailed', machine.metricFailed({ period: Duration.minutes(1) })],
        ['ExecutionsAborted', machine.metricAborted({ period: Duration.minutes(1) })],
        ['ExecutionsTimedOut', machine.metricTimedOut({ period: Duration.minutes(1) })],
        ['ExecutionThrottled', machine.metricThrottled({ period: Duration.minutes(1) })],
      ];
      for (const [name, metric] of metrics) {
        const alarm = new cloudwatch.Alarm(this, `${idPrefix}${name}Alarm`, {
          alarmName: `fleetflow-${environment.name}-${workflow}-${name}`,
          metric,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        alarm.addAlarmAction(new cwActions.SnsAction(this.notifications));
        alarmArns.push(alarm.alarmArn);
      }
    }
    // A topic with its own policy must let CloudWatch publish, and only for these alarms.
    this.notifications.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['sns:Publish'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: [this.notifications.topicArn],
        conditions: { ArnLike: { 'aws:SourceArn': alarmArns } },
      }),
    );
  }
}

/** The workflows that take the environment's lock. */
export const LOCKING_WORKFLOWS = ['deploy', 'allocate', 'scale-out', 'replace', 'restore-data'] as const;
type ComputeWorkflowName = Exclude<(typeof LOCKING_WORKFLOWS)[number], 'deploy' | 'restore-data'>;

/** The tasks every compute workflow may invoke (besides its own planner). */
function computeInvokes(c: Record<string, FleetFlowFunction>): { invokes: FleetFlowFunction[] } {
  const names = ['launchHosts', 'checkHostsReady', 'verifyDependencies', 'storeNewHosts', 'terminateLaunched', 'createDatabase', 'checkDatabaseCreated'];
  return { invokes: names.map((n) => c[n]!) };
}

function workflowExecutionsArn(stack: Stack, environment: string, workflow: string): string {
  return stack.formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `fleetflow-${environment}-${workflow}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
