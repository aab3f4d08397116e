/**
 * The release workflow, as CDK chain code.
 *
 *   Start (the execution input is kept at $.input)
 *   Acquire Lock (DynamoDB conditional write; a lock whose holder is no longer running is taken over)
 *   Run Release (one branch, so that every exit below passes through Unlock)
 *     Plan Release -> Notify Started -> Preflight
 *     [database] Check Database -> Create Snapshot -> [Wait/Check]* -> Run Migration -> [Wait/Check]* -> Recheck Database
 *     Roll Tiers (Map, one tier at a time, in the environment's order)
 *       Roll Batches (Map, one batch at a time)
 *         Take Batch Out -> [Wait For Drain -> Check Drain]* -> Install Release -> [Wait/Check Install]*
 *         -> Return Batch To Traffic -> [Wait For Health -> Check Health]* -> Check Alarms -> Batch Done
 *         on any failure: the batch is rolled back (out, previous release, back in, healthy) and fails
 *     Start Bake -> [Wait For Bake -> Check Bake]* -> [approval] Request Approval (task token)
 *     Record Release
 *     on a failed rollout or validation, by policy:
 *       halt: fail, leaving hosts where they are (all in traffic)
 *       rollback: Plan Rollback -> Revert Tiers (same machinery, reverse order) -> bake again -> fail
 *   Unlock -> Notify Succeeded        (on failure: Unlock After Failure -> Notify Failed -> fail)
 *
 * Every wait is a Wait state in a loop whose pause the check task computes, so state
 * transitions grow with batches and elapsed time, never with hosts x polls.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { EnvironmentDefinition } from '../lib/environment/model';

/** Error names AWS services and Lambda use for throttling. */
export const THROTTLING_ERRORS = [
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'Lambda.TooManyRequestsException',
];

/** Error names of the DynamoDB direct integration when DynamoDB throttles. */
export const DYNAMODB_THROTTLING_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.ThrottlingException',
  'DynamoDB.RequestLimitExceeded',
];

/** How every DynamoDB task of the lock rides out DynamoDB throttling. */
const DYNAMODB_RETRY: sfn.RetryProps = { errors: DYNAMODB_THROTTLING_ERRORS, interval: Duration.seconds(1), maxAttempts: 6, backoffRate: 2 };

export const NOTIFICATION_SOURCE = 'fleetflow';

export interface DeployWorkflowFunctions {
  readonly planRelease: lambda.IFunction;
  readonly takeOutOfTraffic: lambda.IFunction;
  readonly checkDrained: lambda.IFunction;
  readonly installRelease: lambda.IFunction;
  readonly checkInstall: lambda.IFunction;
  readonly returnToTraffic: lambda.IFunction;
  readonly checkHealthy: lambda.IFunction;
  readonly checkAlarms: lambda.IFunction;
  readonly checkDatabase: lambda.IFunction;
  readonly createSnapshot: lambda.IFunction;
  readonly checkSnapshot: lambda.IFunction;
  readonly runMigration: lambda.IFunction;
  readonly checkMigration: lambda.IFunction;
  readonly preflight: lambda.IFunction;
  readonly checkBake: lambda.IFunction;
  readonly planRollback: lambda.IFunction;
  readonly recordRelease: lambda.IFunction;
  readonly loadBatch: lambda.IFunction;
}

export interface DeployWorkflowProps {
  readonly environment: EnvironmentDefinition;
  readonly functions: DeployWorkflowFunctions;
  /** One item per environment: who is releasing onto it. */
  readonly lockTable: dynamodb.ITable;
  /** Where approvers are asked (the message carries the task token). */
  readonly approvalTopic: sns.ITopic;
  /** ARN pattern of the executions that may hold this environment's lock. */
  readonly lockHolderExecutionArns: string[];
}

/** Names of the states of one direction of the batch pipeline. */
interface PipelineNames {
  readonly takeOut: string;
  readonly drained: string;
  readonly waitDrain: string;
  readonly checkDrain: string;
  readonly install: string;
  readonly installed: string;
  readonly waitInstall: string;
  readonly checkInstall: string;
  readonly returnToTraffic: string;
  readonly healthy: string;
  readonly waitHealth: string;
  readonly checkHealth: string;
}

const FORWARD: PipelineNames = {
  takeOut: 'Take Batch Out',
  drained: 'Batch Drained?',
  waitDrain: 'Wait For Drain',
  checkDrain: 'Check Drain',
  install: 'Install Release',
  installed: 'Install Done?',
  waitInstall: 'Wait For Install',
  checkInstall: 'Check Install',
  returnToTraffic: 'Return Batch To Traffic',
  healthy: 'Batch Healthy?',
  waitHealth: 'Wait For Health',
  checkHealth: 'Check Health',
};

const ROLLBACK: PipelineNames = {
  takeOut: 'Take Batch Out For Rollback',
  drained: 'Rollback Drained?',
  waitDrain: 'Wait For Rollback Drain',
  checkDrain: 'Check Rollback Drain',
  install: 'Reinstall Previous Release',
  installed: 'Reinstall Done?',
  waitInstall: 'Wait For Reinstall',
  checkInstall: 'Check Reinstall',
  returnToTraffic: 'Return Batch After Rollback',
  healthy: 'Rollback Healthy?',
  waitHealth: 'Wait For Rollback Health',
  checkHealth: 'Check Rollback Health',
};

export class DeployWorkflow extends Construct {
  readonly definition: sfn.IChainable;
  private readonly functions: DeployWorkflowFunctions;
  private readonly environmentName: string;

  constructor(scope: Construct, id: string, props: DeployWorkflowProps) {
    super(scope, id);
    this.functions = props.functions;
    this.environmentName = props.environment.name;
    const f = props.functions;

    // ---------- the release itself ----------
    const plan = this.task('Plan Release', f.planRelease, {
      environment: props.environment,
      'input.$': '$.input',
      'execution.$': '$$.Execution.Name',
    }, '$.plan');
    const preflight = this.task('Preflight', f.preflight, this.validationPayload(), sfn.JsonPath.DISCARD);

    const rollTiers = this.tiersMap('', '$.plan', true);
    const bake = this.bakeLoop('');
    const recordRelease = this.task('Record Release', f.recordRelease, { 'plan.$': '$.plan' }, '$.recorded');

    const requestApproval = new tasks.SnsPublish(this, 'Request Approval', {
      topic: props.approvalTopic,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      subject: `FleetFlow: approve a release of ${props.environment.name}?`,
      message: sfn.TaskInput.fromObject({
        summary: sfn.JsonPath.format(
          'Release {} of {} passed its bake and waits for approval. Answer with: fleetflow approve --token TOKEN, or fleetflow reject --token TOKEN',
          sfn.JsonPath.stringAt('$.plan.release'),
          sfn.JsonPath.stringAt('$.plan.environment'),
        ),
        token: sfn.JsonPath.taskToken,
        execution: sfn.JsonPath.executionId,
      }),
      // Known at synth; no answer in time fails the state with States.Timeout, a rejection.
      taskTimeout: sfn.Timeout.duration(Duration.seconds(props.environment.validation.approval.timeoutSeconds)),
      resultPath: '$.approval',
    });
    const approvalNeeded = new sfn.Choice(this, 'Approval Required?')
      .when(
        sfn.Condition.booleanEquals('$.plan.validation.approval.required', true),
        this.notify('Notify Approval Needed', 'Approval Needed', requestApproval, { releasePath: '$.plan.release' }),
      )
      .otherwise(recordRelease);
    requestApproval.addRetry({
      errors: ['SNS.ThrottledException', 'SNS.KmsThrottlingException', 'SNS.InternalErrorException'],
      interval: Duration.seconds(1),
      maxAttempts: 6,
      backoffRate: 2,
    });
    // The approval may take hours: the alarms are read once more before the release counts as good.
    const confirmAlarms = this.task('Confirm Alarms', f.checkBake, {
      ...this.validationPayload(),
      phase: { startedAt: 0, deadline: 0, done: false, waitSeconds: 0 },
    }, sfn.JsonPath.DISCARD);
    requestApproval.next(confirmAlarms);
    confirmAlarms.next(recordRelease);

    const failurePolicy = this.failurePolicy();
    // No answer in time is a rejection, named as such.
    const approvalTimedOut = new sfn.Pass(this, 'Approval Timed Out', {
      parameters: {
        Error: 'ApprovalTimeoutError',
        Cause: `no answer within ${props.environment.validation.approval.timeoutSeconds}s counts as a rejection`,
      },
      resultPath: '$.failure',
    });
    approvalTimedOut.next(failurePolicy);
    requestApproval.addCatch(approvalTimedOut, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    for (const state of [rollTiers, bake.last, requestApproval, confirmAlarms]) {
      state.addCatch(failurePolicy, { errors: ['States.ALL'], resultPath: '$.failure' });
    }
    for (const check of bake.checks) check.addCatch(failurePolicy, { errors: ['States.ALL'], resultPath: '$.failure' });
    rollTiers.next(bake.first);
    bake.done(approvalNeeded);

    const databaseStep = new sfn.Choice(this, 'Database Step?')
      .when(sfn.Condition.isPresent('$.plan.database'), this.databaseChain(rollTiers))
      .otherwise(rollTiers);

    // A release window with nothing new queued: record and finish without touching anything.
    const upToDate = new sfn.Choice(this, 'Up To Date?')
      .when(sfn.Condition.booleanEquals('$.plan.upToDate', true), recordRelease)
      .otherwise(this.notify('Notify Started', 'Started', preflight, { releasePath: '$.plan.release' }));
    preflight.next(databaseStep);
    const releaseBody = plan.next(upToDate);

    const runRelease = new sfn.Parallel(this, 'Run Release', {
      resultSelector: {
        'environment.$': '$[0].plan.environment',
        'component.$': '$[0].plan.component',
        'release.$': '$[0].plan.release',
        'previous.$': '$[0].recorded.previous',
        'hosts.$': '$[0].plan.hostCount',
        'batches.$': '$[0].plan.batchCount',
        'alreadyReleased.$': '$[0].plan.alreadyReleased',
      },
      resultPath: '$.outcome',
    });
    runRelease.branch(releaseBody);

    // ---------- the lock around it ----------
    const lockKey = { environment: tasks.DynamoAttributeValue.fromString(props.environment.name) };
    /** Deletes the lock if this execution still holds it, then goes on to `next` either way. */
    const unlock = (name: string, next: sfn.IChainable): tasks.DynamoDeleteItem => {
      const state = new tasks.DynamoDeleteItem(this, name, {
        table: props.lockTable,
        key: lockKey,
        conditionExpression: 'holder = :me',
        expressionAttributeValues: { ':me': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId) },
        resultPath: sfn.JsonPath.DISCARD,
      });
      state.addRetry(DYNAMODB_RETRY);
      // A lock that was taken over is someone else's now: leave it.
      state.addCatch(next, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
      state.next(next);
      return state;
    };
    const releaseFailed = new sfn.Fail(this, 'Release Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const notifyFailed = this.notify('Notify Failed', 'Failed', releaseFailed, { withFailure: true });
    runRelease.addCatch(unlock('Unlock After Failure', notifyFailed), { errors: ['States.ALL'], resultPath: '$.failure' });

    const complete = new sfn.Pass(this, 'Release Complete', { outputPath: '$.outcome' });
    const notifySucceeded = this.notify('Notify Succeeded', 'Succeeded', complete, { releasePath: '$.outcome.release' });
    runRelease.next(unlock('Unlock', notifySucceeded));

    // The state carries the execution input from here on; nothing below reads $$.Execution.Input.
    const start = new sfn.Pass(this, 'Start', { parameters: { 'input.$': '$$.Execution.Input' } });
    this.definition = start.next(this.lockChain(props, lockKey, runRelease));
  }

  /** Acquire the environment's lock, or take it over from an execution that is no longer running. */
  private lockChain(
    props: DeployWorkflowProps,
    lockKey: Record<string, tasks.DynamoAttributeValue>,
    next: sfn.IChainable,
  ): sfn.IChainable {
    const holderItem = {
      ...lockKey,
      holder: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
      acquiredAt: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.State.EnteredTime')),
    };
    const acquire = new tasks.DynamoPutItem(this, 'Acquire Lock', {
      table: props.lockTable,
      item: holderItem,
      conditionExpression: 'attribute_not_exists(environment)',
      resultPath: sfn.JsonPath.DISCARD,
    });
    const readLock = new tasks.DynamoGetItem(this, 'Read Lock', {
      table: props.lockTable,
      key: lockKey,
      consistentRead: true,
      resultPath: '$.lock',
    });
    const describeHolder = new tasks.CallAwsService(this, 'Describe Lock Holder', {
      service: 'sfn',
      action: 'describeExecution',
      parameters: { ExecutionArn: sfn.JsonPath.stringAt('$.lock.Item.holder.S') },
      iamResources: props.lockHolderExecutionArns,
      iamAction: 'states:DescribeExecution',
      resultSelector: { 'status.$': '$.Status' },
      resultPath: '$.holder',
    });
    const takeOver = new tasks.DynamoPutItem(this, 'Take Over Lock', {
      table: props.lockTable,
      item: holderItem,
      conditionExpression: 'holder = :stale',
      expressionAttributeValues: { ':stale': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.lock.Item.holder.S')) },
      resultPath: sfn.JsonPath.DISCARD,
    });
    const describeLock = new sfn.Pass(this, 'Describe Lock Conflict', {
      parameters: {
        Error: 'EnvironmentLockedError',
        Cause: sfn.JsonPath.format(
          'environment {} is being released by {}; nothing was changed',
          props.environment.name,
          sfn.JsonPath.stringAt('$.lock.Item.holder.S'),
        ),
      },
      resultPath: '$.failure',
    });
    const locked = new sfn.Fail(this, 'Environment Locked', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    describeLock.next(locked);

    readLock.addRetry(DYNAMODB_RETRY);
    describeHolder.addRetry({ errors: ['Sfn.ThrottlingException'], interval: Duration.seconds(1), maxAttempts: 6, backoffRate: 2 });
    const conflict = ['DynamoDB.ConditionalCheckFailedException'];
    for (const put of [acquire, takeOver]) {
      put.addRetry(DYNAMODB_RETRY);
      put.addCatch(readLock, { errors: conflict, resultPath: sfn.JsonPath.DISCARD });
    }
    // The holder's execution may be gone entirely (deleted history): it is not running.
    describeHolder.addCatch(takeOver, { errors: ['Sfn.ExecutionDoesNotExistException'], resultPath: sfn.JsonPath.DISCARD });
    readLock.next(
      new sfn.Choice(this, 'Lock Still Held?')
        .when(sfn.Condition.isNotPresent('$.lock.Item'), acquire)
        .otherwise(
          describeHolder.next(
            new sfn.Choice(this, 'Lock Holder Running?')
              .when(sfn.Condition.stringEquals('$.holder.status', 'RUNNING'), describeLock)
              .otherwise(takeOver),
          ),
        ),
    );
    acquire.next(next);
    takeOver.next(next);
    return acquire;
  }

  /** Snapshot, migrate, check: all before any host is touched. */
  private databaseChain(next: sfn.IChainable): sfn.IChainable {
    const f = this.functions;
    const payload = (phasePath?: string) => ({
      'release.$': '$.plan.release',
      'execution.$': '$$.Execution.Name',
      'database.$': '$.plan.database',
      ...(phasePath ? { 'phase.$': phasePath } : {}),
    });
    const checkBefore = this.task('Check Database', f.checkDatabase, payload(), sfn.JsonPath.DISCARD);
    const recheck = this.task('Recheck Database', f.checkDatabase, payload(), sfn.JsonPath.DISCARD);
    recheck.next(next);
    const migrate = this.task('Run Migration', f.runMigration, payload(), '$.migration');
    const migrationLoop = this.pollLoop('Migration Done?', 'Wait For Migration', 'Check Migration', f.checkMigration, '$.migration', recheck, payload('$.migration'));
    migrate.next(migrationLoop.choice);
    const snapshot = this.task('Create Snapshot', f.createSnapshot, payload(), '$.snapshot');
    const snapshotLoop = this.pollLoop('Snapshot Ready?', 'Wait For Snapshot', 'Check Snapshot', f.checkSnapshot, '$.snapshot', migrate, payload('$.snapshot'));
    snapshot.next(snapshotLoop.choice);
    return checkBefore.next(snapshot);
  }

  /** Start Bake -> [Wait -> Check]*: watch the environment's alarms for the bake period. */
  private bakeLoop(prefix: string, recovering = false) {
    const payload = (phasePath?: string) => ({ ...this.validationPayload(phasePath), ...(recovering ? { recovering: true } : {}) });
    const start = this.task(`${prefix}Start Bake`, this.functions.checkBake, payload(), '$.bake');
    const choice = new sfn.Choice(this, `${prefix}Bake Done?`);
    const wait = new sfn.Wait(this, `${prefix}Wait For Bake`, { time: sfn.WaitTime.secondsPath('$.bake.waitSeconds') });
    const check = this.task(`${prefix}Check Bake`, this.functions.checkBake, payload('$.bake'), '$.bake');
    start.next(choice);
    wait.next(check);
    check.next(choice);
    choice.otherwise(wait);
    return {
      first: start,
      last: start,
      checks: [check],
      done: (next: sfn.IChainable) => choice.when(sfn.Condition.booleanEquals('$.bake.done', true), next),
    };
  }

  /** After a failed rollout or validation: halt, or revert every host that moved and bake again. */
  private failurePolicy(): sfn.IChainable {
    const halted = new sfn.Fail(this, 'Release Halted', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });

    const rollbackFailed = new sfn.Fail(this, 'Release Rollback Failed', {
      errorPath: '$.rollbackError.Error',
      causePath: '$.rollbackError.Cause',
    });
    const describeRollbackFailure = new sfn.Pass(this, 'Describe Release Rollback Failure', {
      parameters: {
        Error: 'RollbackFailedError',
        'Cause.$': "States.Format('rolling the release back failed ({}) after the release failed ({}); every host is in traffic, some may run either release', $.rollbackFailure.Cause, $.failure.Cause)",
      },
      resultPath: '$.rollbackError',
    });
    describeRollbackFailure.next(rollbackFailed);

    const rolledBack = new sfn.Fail(this, 'Release Rolled Back', { errorPath: '$.failure.Error', causePath: '$.rolledBack.Cause' });
    const describeRolledBack = new sfn.Pass(this, 'Describe Rollback', {
      parameters: {
        'Cause.$': "States.Format('{} (the release was rolled back: every host that had moved runs its previous release again)', $.failure.Cause)",
      },
      resultPath: '$.rolledBack',
    });
    describeRolledBack.next(rolledBack);

    const planRollback = this.task(
      'Plan Rollback',
      this.functions.planRollback,
      { 'plan.$': '$.plan', 'execution.$': '$$.Execution.Name' },
      '$.rollbackPlan',
    );
    const revertTiers = this.tiersMap('Revert ', '$.rollbackPlan', false);
    // Alarms need their evaluation periods to return to OK after the revert.
    const rebake = this.bakeLoop('Revert ', true);
    planRollback.next(this.notify('Notify Rolling Back', 'Rolling Back', revertTiers, { withFailure: true, releasePath: '$.plan.release' }));
    revertTiers.next(rebake.first);
    rebake.done(describeRolledBack);
    for (const state of [planRollback, revertTiers, rebake.last, ...rebake.checks]) {
      state.addCatch(describeRollbackFailure, { errors: ['States.ALL'], resultPath: '$.rollbackFailure' });
    }

    return new sfn.Choice(this, 'Failure Policy?')
      .when(sfn.Condition.stringEquals('$.plan.validation.onFailure', 'halt'), halted)
      .otherwise(planRollback);
  }

  /** Map over the tiers of a plan, one tier and one batch at a time. */
  private tiersMap(prefix: string, planPath: string, checkAlarms: boolean): sfn.Map {
    const rollBatches = new sfn.Map(this, `${prefix}Roll Batches`, {
      itemsPath: '$.batches',
      maxConcurrency: 1,
      itemSelector: {
        'release.$': '$.release',
        'execution.$': '$.execution',
        'tier.$': '$.tier',
        batch: { 'index.$': '$$.Map.Item.Index', 'count.$': '$.batchCount', 'ref.$': '$$.Map.Item.Value' },
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    rollBatches.itemProcessor(this.batchIteration(prefix, checkAlarms));

    const rollTiers = new sfn.Map(this, `${prefix}Roll Tiers`, {
      itemsPath: `${planPath}.tiers`,
      maxConcurrency: 1,
      itemSelector: {
        'release.$': `${planPath}.release`,
        'execution.$': '$$.Execution.Name',
        'tier.$': '$$.Map.Item.Value.spec',
        'batchCount.$': '$$.Map.Item.Value.batchCount',
        'batches.$': '$$.Map.Item.Value.batches',
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    rollTiers.itemProcessor(rollBatches);
    return rollTiers;
  }

  /** One batch: forward pipeline, with a rollback pipeline behind every failure. */
  private batchIteration(prefix: string, checkAlarms: boolean): sfn.IChainable {
    const batchDone = new sfn.Pass(this, `${prefix}Batch Done`, { parameters: { 'batch.$': '$.batch.index' } });
    const refused = new sfn.Fail(this, `${prefix}Batch Refused`, { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const rollback = this.rollbackPipeline(prefix);
    const catchToRollback = (task: sfn.TaskStateBase) => task.addCatch(rollback, { errors: ['States.ALL'], resultPath: '$.failure' });

    let afterHealthy: sfn.IChainable = batchDone;
    if (checkAlarms) {
      const gate = this.task(`${prefix}Check Alarms`, this.functions.checkAlarms, this.batchPayload(false), sfn.JsonPath.DISCARD);
      gate.next(batchDone);
      catchToRollback(gate);
      afterHealthy = gate;
    }
    const forward = this.pipeline(prefix, FORWARD, false, afterHealthy, catchToRollback);
    // Nothing has changed when capacity is short: refuse without a rollback.
    forward.takeOut.addCatch(refused, { errors: ['InsufficientCapacityError'], resultPath: '$.failure' });
    catchToRollback(forward.takeOut);
    // The batch's hosts come from the plan table; nothing has changed if they cannot be read.
    const loadBatch = this.task(`${prefix}Load Batch`, this.functions.loadBatch, { 'ref.$': '$.batch.ref' }, '$.batch.hosts');
    loadBatch.addCatch(refused, { errors: ['States.ALL'], resultPath: '$.failure' });
    return loadBatch.next(forward.takeOut);
  }

  private rollbackPipeline(prefix: string): sfn.IChainable {
    const rolledBack = new sfn.Fail(this, `${prefix}Batch Rolled Back`, { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const rollbackFailed = new sfn.Fail(this, `${prefix}Rollback Failed`, {
      errorPath: '$.rollbackError.Error',
      causePath: '$.rollbackError.Cause',
    });
    const describeFailure = new sfn.Pass(this, `${prefix}Describe Rollback Failure`, {
      parameters: {
        Error: 'RollbackFailedError',
        'Cause.$': "States.Format('rollback of the batch failed ({}) after the release failed ({})', $.rollbackFailure.Cause, $.failure.Cause)",
      },
      resultPath: '$.rollbackError',
    });
    describeFailure.next(rollbackFailed);
    // Whatever went wrong in the rollback, the batch goes back into traffic.
    const restoreTraffic = this.task(
      `${prefix}Restore Traffic After Failed Rollback`,
      this.functions.returnToTraffic,
      this.batchPayload(true),
      sfn.JsonPath.DISCARD,
    );
    restoreTraffic.addCatch(describeFailure, { errors: ['States.ALL'], resultPath: '$.restoreFailure' });
    restoreTraffic.next(describeFailure);

    const pipeline = this.pipeline(prefix, ROLLBACK, true, rolledBack, (task) =>
      task.addCatch(restoreTraffic, { errors: ['States.ALL'], resultPath: '$.rollbackFailure' }),
    );
    pipeline.takeOut.addCatch(restoreTraffic, { errors: ['States.ALL'], resultPath: '$.rollbackFailure' });
    // Hosts whose install never started still run their previous release: they only go
    // back into traffic (registering a draining target ends its drain).
    return new sfn.Choice(this, `${prefix}Install Started?`)
      .when(sfn.Condition.isPresent('$.install'), pipeline.takeOut)
      .otherwise(pipeline.returnToTraffic);
  }

  /** Drain, install and health loops for one direction. */
  private pipeline(
    prefix: string,
    names: PipelineNames,
    rollback: boolean,
    onHealthy: sfn.IChainable,
    catching: (task: sfn.TaskStateBase) => void,
  ) {
    const paths = rollback
      ? { drain: '$.rollbackDrain', install: '$.rollbackInstall', health: '$.rollbackHealth' }
      : { drain: '$.drain', install: '$.install', health: '$.health' };
    const f = this.functions;
    const n = (name: string) => `${prefix}${name}`;

    const returnToTraffic = this.task(n(names.returnToTraffic), f.returnToTraffic, this.batchPayload(rollback), paths.health);
    const healthLoop = this.pollLoop(n(names.healthy), n(names.waitHealth), n(names.checkHealth), f.checkHealthy, paths.health, onHealthy, this.batchPayload(rollback, paths.health));
    returnToTraffic.next(healthLoop.choice);

    const install = this.task(n(names.install), f.installRelease, this.batchPayload(rollback), paths.install);
    const installLoop = this.pollLoop(n(names.installed), n(names.waitInstall), n(names.checkInstall), f.checkInstall, paths.install, returnToTraffic, this.batchPayload(rollback, paths.install));
    install.next(installLoop.choice);

    // Marked before the first SendCommand, so that a failure while sending still reinstalls
    // the previous release on every host of the batch.
    const startInstall = rollback
      ? install
      : new sfn.Pass(this, n('Mark Install Started'), { result: sfn.Result.fromObject({ sending: true }), resultPath: paths.install }).next(install);
    const takeOut = this.task(n(names.takeOut), f.takeOutOfTraffic, this.batchPayload(rollback), paths.drain);
    const drainLoop = this.pollLoop(n(names.drained), n(names.waitDrain), n(names.checkDrain), f.checkDrained, paths.drain, startInstall, this.batchPayload(rollback, paths.drain));
    takeOut.next(drainLoop.choice);

    for (const task of [returnToTraffic, healthLoop.check, install, installLoop.check, drainLoop.check]) catching(task);
    return { takeOut, returnToTraffic };
  }

  /** Choice "done?" -> Wait (pause chosen by the check) -> Check -> Choice. */
  private pollLoop(
    choiceName: string,
    waitName: string,
    checkName: string,
    fn: lambda.IFunction,
    path: string,
    next: sfn.IChainable,
    payload: Record<string, unknown>,
  ) {
    const choice = new sfn.Choice(this, choiceName);
    const wait = new sfn.Wait(this, waitName, { time: sfn.WaitTime.secondsPath(`${path}.waitSeconds`) });
    const check = this.task(checkName, fn, payload, path);
    choice.when(sfn.Condition.booleanEquals(`${path}.done`, true), next).otherwise(wait);
    wait.next(check);
    check.next(choice);
    return { choice, check };
  }

  private batchPayload(rollback: boolean, phasePath?: string): Record<string, unknown> {
    return {
      'release.$': '$.release',
      'execution.$': '$.execution',
      'tier.$': '$.tier',
      'batch.$': '$.batch',
      rollback,
      ...(phasePath ? { 'phase.$': phasePath } : {}),
    };
  }

  private validationPayload(phasePath?: string): Record<string, unknown> {
    return { 'release.$': '$.plan.release', 'validation.$': '$.plan.validation', ...(phasePath ? { 'phase.$': phasePath } : {}) };
  }

  /**
   * One EventBridge event per milestone; a rule forwards them to the SNS topic.
   * Notifying is best-effort: whether it works or not, the release goes on to `next`.
   */
  private notify(
    name: string,
    event: string,
    next: sfn.IChainable,
    options: { withFailure?: boolean; releasePath?: string } = {},
  ): tasks.EventBridgePutEvents {
    const detail: Record<string, unknown> = {
      environment: this.environmentName,
      event,
      'execution.$': '$$.Execution.Id',
      'input.$': '$.input',
      // The resolved release (a release window's input only says "next"), where it is known.
      ...(options.releasePath ? { 'release.$': options.releasePath } : {}),
      ...(options.withFailure ? { 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' } : {}),
    };
    const put = new tasks.EventBridgePutEvents(this, name, {
      entries: [{ source: NOTIFICATION_SOURCE, detailType: `FleetFlow Release ${event}`, detail: sfn.TaskInput.fromObject(detail) }],
      resultPath: sfn.JsonPath.DISCARD,
    });
    // A throttled or failed entry fails the optimized integration with EventBridge.FailedEntry.
    put.addRetry({ errors: ['EventBridge.FailedEntry', 'EventBridge.InternalException', 'EventBridge.ThrottlingException'], interval: Duration.seconds(1), maxAttempts: 3, backoffRate: 2 });
    put.addCatch(next, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
    put.next(next);
    return put;
  }

  /** A Lambda task with the standard Lambda retry plus backoff on AWS throttling. */
  private task(name: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, name, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
    });
    task.addRetry({
      errors: THROTTLING_ERRORS,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.seconds(60),
      jitterStrategy: sfn.JitterType.FULL,
    });
    return task;
  }
}
