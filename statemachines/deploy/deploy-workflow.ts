/**
 * The release workflow (`fleetflow-<env>-deploy`), composed from the shared constructs (statemachines/constructs/):
 *
 *   Start (the execution input is kept at $.input)
 *   Plan Release (read-only: a plan that cannot fit Step Functions' quotas is refused here, before the lock)
 *   Acquire Lock (constructs/lock.ts)
 *   Run Release (one branch, so that every exit below passes through Unlock)
 *     Up To Date? -> Notify Started -> Preflight
 *     [database] Check Database -> Create Snapshot -> [Wait/Check]* -> Run Migration -> [Wait/Check]* -> Recheck Database
 *     Roll Tiers (constructs/roll-tiers.ts): per tier, per segment, a child execution of the rollout workflow
 *     Start Bake -> [Wait For Bake -> Check Bake]* -> [approval] Request Approval (task token) -> Confirm Alarms
 *     Record Release
 *     on a failed rollout or validation, by policy:
 *       halt: fail, leaving hosts where they are (all in traffic)
 *       rollback: Plan Rollback -> Revert Tiers (same rollout workflow, reverse order) -> bake again -> fail
 *   Unlock -> Notify Succeeded        (on failure: Unlock After Failure -> Notify Failed -> fail)
 *
 * Every wait is a Wait state in a loop whose pause the check task computes. Every failure is
 * named (constructs/failures.ts): each state that can fail passes FleetFlow's errors on and
 * renames anything else UnexpectedTaskError, naming the state; the release record, written
 * once the release passed, is retried and otherwise fails ReleaseNotRecordedError, saying so.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { lambdasOf, type FunctionSpecs } from '../../lib/constructs/function-catalog';
import { FleetFlowStateMachine, WORKFLOW_TIMEOUT } from '../../lib/constructs/fleetflow-state-machine';
import { releaseParameterName } from '../../lambdas/domain/contract/records';
import { isHostTier, type EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { componentOf } from '../../lambdas/domain/environment/tiers';
import { bakeLoop, validationPayload } from '../constructs/bake';
import { lambdaTask } from '../constructs/lambda-task';
import { LongOperation } from '../constructs/long-operation';
import { APPROVAL_TIMEOUT_ERROR, catchNamed, RELEASE_NOT_RECORDED_ERROR } from '../constructs/failures';
import { LockedWorkflow } from '../constructs/locked-workflow';
import { notify } from '../constructs/notify';
import { rollTiers } from '../constructs/roll-tiers';
import { acknowledgeLocking, workflowStateMachineArn, workflowStateMachineName, type LockingWorkflowProps } from '../constructs/workflow';
import { SURGE_FUNCTION_SPECS } from '../surge/functions';
import { DEPLOY_FUNCTION_SPECS } from './functions';

export { THROTTLING_ERRORS } from '../../lambdas/shared/throttling';
export { DYNAMODB_THROTTLING_ERRORS } from '../constructs/lock';
export { NOTIFICATION_SOURCE } from '../constructs/notify';

/** The functions the release workflow invokes: its own, and the end of a surge. */
export const DEPLOY_INVOKES = { ...DEPLOY_FUNCTION_SPECS, terminateSurged: SURGE_FUNCTION_SPECS.terminateSurged } as const satisfies FunctionSpecs;

/** A tier of the environment releases by surge: only then does a release end one (Terminate Surged Hosts), and only then does that function exist. */
export function releasesBySurge(environment: EnvironmentDefinition): boolean {
  return environment.tiers.some((t) => isHostTier(t) && t.batch.strategy === 'surge');
}

export interface DeployWorkflowProps extends LockingWorkflowProps {
  /** Where approvers are asked (the message carries the task token). */
  readonly approvalTopic: sns.ITopic;
}

/** The release workflow: its definition, its functions and its state machine, `fleetflow-<environment>-deploy`. */
export class DeployWorkflow extends Construct {
  readonly definition: sfn.IChainable;
  readonly stateMachine: FleetFlowStateMachine;
  private readonly props: DeployWorkflowProps & { readonly timeout: Duration };
  private readonly f: { readonly [name in keyof typeof DEPLOY_FUNCTION_SPECS]: lambda.IFunction } & { readonly terminateSurged?: lambda.IFunction };
  /** Where a step of the release that is not followed by a rollback fails (named) inside Run Release. */
  private readonly stepFailed: sfn.Fail;
  /** A tier of the environment releases by surge (known at synth, as the planners read the same definition). */
  private readonly surges: boolean;

  constructor(scope: Construct, id: string, props: DeployWorkflowProps) {
    super(scope, id);
    this.props = { ...props, timeout: WORKFLOW_TIMEOUT };
    this.surges = releasesBySurge(props.environment);
    const functions = props.functions.functions(this.surges ? DEPLOY_INVOKES : DEPLOY_FUNCTION_SPECS);
    const f = lambdasOf(functions);
    this.f = f;
    const environment = props.environment.name;
    this.stepFailed = new sfn.Fail(this, 'Release Step Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });

    // ---------- the release itself ----------
    const preflight = lambdaTask(this, 'Preflight', f.preflight, validationPayload(), sfn.JsonPath.DISCARD, { idempotent: true });
    catchNamed(this, preflight, this.stepFailed, { resultPath: '$.failure', context: '; no host was changed' });
    const roll = rollTiers(this, { prefix: '', planPath: '$.plan', rollout: props.rollout, checkAlarms: true, timeout: WORKFLOW_TIMEOUT });
    const recordRelease = this.recordStep();
    const failurePolicy = this.failurePolicy();
    catchNamed(this, roll, failurePolicy, { resultPath: '$.failure', context: ' rolling out the tiers' });
    roll.next(this.validationStep(recordRelease, failurePolicy));

    const databaseStep = new sfn.Choice(this, 'Database Step?')
      .when(sfn.Condition.isPresent('$.plan.database'), this.databaseChain(roll))
      .otherwise(roll);

    const frame = new LockedWorkflow(this, 'Frame', {
      environment: props.environment,
      label: 'Release',
      planner: f.planRelease,
      complete: { outputPath: '$.outcome' },
      lockTable: props.lockTable,
      lockHolderExecutionArns: props.lockHolderExecutionArns,
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
      stateMachineArn: workflowStateMachineArn(this, environment, 'deploy'),
      releasePaths: { started: '$.plan.release', succeeded: '$.outcome.release' },
    });
    // A release window with nothing new queued: record and finish without touching anything.
    const upToDate = new sfn.Choice(this, 'Up To Date?')
      .when(sfn.Condition.booleanEquals('$.plan.upToDate', true), recordRelease)
      .otherwise(frame.notifyStarted(preflight));
    preflight.next(databaseStep);

    const runRelease = new sfn.Parallel(this, 'Run Release', {
      resultSelector: {
        'environment.$': '$[0].plan.environment',
        'component.$': '$[0].plan.component',
        'release.$': '$[0].plan.release',
        'previous.$': '$[0].recorded.previous',
        'hosts.$': '$[0].plan.hostCount',
        'batches.$': '$[0].plan.batchCount',
        'alreadyReleased.$': '$[0].plan.alreadyReleasedCount',
      },
      resultPath: '$.outcome',
    });
    runRelease.branch(upToDate);

    // ---------- the frame around it: plan, lock, unlock, notify ----------
    // Every step inside names its failures; this is the backstop for anything the branch did not.
    catchNamed(this, runRelease, frame.unlockAfterFailure, { resultPath: '$.failure' });
    runRelease.next(frame.done);
    this.definition = frame.whileLocked(runRelease);
    this.stateMachine = new FleetFlowStateMachine(this, 'StateMachine', {
      stateMachineName: workflowStateMachineName(environment, 'deploy'),
      comment: `FleetFlow release of environment ${environment}`,
      definition: this.definition,
      invokes: Object.values(functions),
      alarmTopic: props.alarmTopic,
    });
    acknowledgeLocking(this.stateMachine, props);
  }

  /** Record Release, then Terminate Surged Hosts: each failure named for what it leaves behind. */
  private recordStep(): sfn.TaskStateBase {
    const f = this.f;
    const environment = this.props.environment.name;
    const recordRelease = lambdaTask(this, 'Record Release', f.recordRelease, { 'plan.$': '$.plan' }, '$.recorded', { idempotent: true });
    // Record Release is retried (idempotent); if it still fails, the release is on every host and
    // validated, and only its record is missing: that is what the execution fails with, not a rollback.
    const describeNotRecorded = new sfn.Pass(this, 'Describe Record Failure', {
      parameters: {
        Error: RELEASE_NOT_RECORDED_ERROR,
        Cause: sfn.JsonPath.format(
          `release {} of ${environment} is on every host of its tiers and nothing failed but its record: Record Release failed with {} after retries, ` +
            `so ${releaseParameterName(environment, '{}', 'current')} may still name the release before it. Every host is in traffic and none was rolled back; ` +
            'start the release again to record it (no host needs to move)',
          sfn.JsonPath.stringAt('$.plan.release'),
          sfn.JsonPath.stringAt('$.failure.Error'),
          sfn.JsonPath.stringAt('$.plan.component'),
        ),
      },
      resultPath: '$.failure',
    });
    describeNotRecorded.next(new sfn.Fail(this, 'Release Not Recorded', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' }));
    recordRelease.addCatch(describeNotRecorded, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
    // A surge kept each batch's old hosts stopped as the way back; validated and recorded, they go.
    // Only an environment with a surge tier has the state (a release of one without finds nothing to
    // terminate: the task and its transition were spent on every rolling release). It rides out EC2
    // throttling as long as a rollback's tasks do, since giving up fails a release that is done.
    if (!this.surges || !f.terminateSurged) return recordRelease;
    // The surge tiers' host tags: where an earlier, stopped execution's stopped old hosts are found too (terminate-surged.ts),
    // each with its component: only the released component's are looked at (a monitoring release never touches the
    // application's stopped old hosts, which a restarted application release may still need to count).
    const surgeTiers = this.props.environment.tiers
      .filter(isHostTier)
      .filter((t) => t.batch.strategy === 'surge')
      .map((t) => ({ name: t.name, component: componentOf(t), hostTags: t.hosts.tags }));
    const terminateSurged = lambdaTask(
      this,
      'Terminate Surged Hosts',
      f.terminateSurged,
      { 'execution.$': '$$.Execution.Name', 'component.$': '$.plan.component', tiers: surgeTiers },
      sfn.JsonPath.DISCARD,
      { idempotent: true, restoring: true },
    );
    recordRelease.next(terminateSurged);
    const describeSurgeLeft = new sfn.Pass(this, 'Describe Surged Hosts Left', {
      parameters: {
        'Error.$': '$.failure.Error',
        Cause: sfn.JsonPath.format(
          'release {} is validated, recorded and on every host, but the old hosts its surge stopped could not be terminated ({}): they are stopped, tagged fleetflow:retired-reason = surge ' +
            '(fleetflow:retired-by = {}, or an earlier execution stopped before its end); terminate them, or start the release again',
          sfn.JsonPath.stringAt('$.plan.release'),
          sfn.JsonPath.stringAt('$.failure.Cause'),
          sfn.JsonPath.stringAt('$$.Execution.Name'),
        ),
      },
      resultPath: '$.failure',
    });
    describeSurgeLeft.next(new sfn.Fail(this, 'Surged Hosts Left', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' }));
    catchNamed(this, terminateSurged, describeSurgeLeft, { resultPath: '$.failure' });
    return recordRelease;
  }

  /** The bake, then (when the plan asks) an approval and a last look at the alarms, then `recordRelease`; failures go to the policy. */
  private validationStep(recordRelease: sfn.IChainable, failurePolicy: sfn.IChainable): sfn.IChainable {
    const f = this.f;
    const props = this.props;
    const environment = props.environment.name;
    const bake = bakeLoop(this, '', f.checkBake, props.environment.validation.bakeSeconds);
    const requestApproval = new tasks.SnsPublish(this, 'Request Approval', {
      topic: props.approvalTopic,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      subject: `FleetFlow: approve a release of ${environment}?`,
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
        notify(this, 'Notify Approval Needed', environment, 'Approval Needed', requestApproval, { releasePath: '$.plan.release', eventBus: props.eventBus }),
      )
      .otherwise(recordRelease);
    requestApproval.addRetry({
      errors: ['SNS.ThrottledException', 'SNS.KmsThrottlingException', 'SNS.InternalErrorException'],
      interval: Duration.seconds(1),
      maxAttempts: 6,
      backoffRate: 2,
    });
    // The approval may take hours: the alarms are read once more before the release counts as good.
    const confirmAlarms = lambdaTask(
      this,
      'Confirm Alarms',
      f.checkBake,
      { ...validationPayload(), phase: { startedAt: 0, deadline: 0, done: false, waitSeconds: 0 } },
      sfn.JsonPath.DISCARD,
      { idempotent: true },
    );
    requestApproval.next(confirmAlarms);
    confirmAlarms.next(recordRelease);

    // No answer in time is a rejection, named as such.
    const approvalTimedOut = new sfn.Pass(this, 'Approval Timed Out', {
      parameters: {
        Error: APPROVAL_TIMEOUT_ERROR,
        Cause: `no answer within ${props.environment.validation.approval.timeoutSeconds}s counts as a rejection`,
      },
      resultPath: '$.failure',
    });
    approvalTimedOut.next(failurePolicy);
    requestApproval.addCatch(approvalTimedOut, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    const validating = ' validating the release';
    for (const [state, context] of [
      ...bake.tasks.map((task) => [task, validating] as const),
      [requestApproval, validating],
      [confirmAlarms, validating],
    ] as const) {
      catchNamed(this, state, failurePolicy, { resultPath: '$.failure', context });
    }
    bake.next(approvalNeeded);
    return bake;
  }

  /** Snapshot, migrate, check: all before any host is touched. */
  private databaseChain(next: sfn.IChainable): sfn.IChainable {
    const f = this.f;
    const payload = (phasePath?: string) => ({
      'release.$': '$.plan.release',
      'execution.$': '$$.Execution.Name',
      'database.$': '$.plan.database',
      ...(phasePath ? { 'phase.$': phasePath } : {}),
    });
    // The instance must serve before the snapshot and after the migration; transient states
    // (backing-up, modifying, ...) are waited out within a deadline, failed ones fail at once.
    // Before the migration nothing has changed; from it on, the snapshot is the way back.
    const beforeMigration = (task: sfn.TaskStateBase) =>
      catchNamed(this, task, this.stepFailed, { resultPath: '$.failure', context: ' before the migration; no host was changed' });
    const fromMigration = (task: sfn.TaskStateBase) =>
      catchNamed(this, task, this.stepFailed, {
        resultPath: '$.failure',
        context: '; no host was changed, and the migration may have run in part or in full: snapshot {} holds the database from before it',
        args: ['$.plan.database.snapshotId'],
      });
    const databaseReady = (name: string, path: string, then: sfn.IChainable, catching: (task: sfn.TaskStateBase) => void) => {
      const ready = new LongOperation(this, name, {
        resultPath: path,
        start: { name, handler: f.checkDatabase, payload: payload(), options: { idempotent: true } },
        check: { name: `${name} Again`, handler: f.checkDatabase, payload: payload(path) },
        choice: `${name} Done?`,
        wait: `Wait Before ${name}`,
      });
      ready.tasks.forEach(catching);
      ready.next(then);
      return ready;
    };
    const recheck = databaseReady('Recheck Database', '$.databaseAfter', next, fromMigration);
    const migration = new LongOperation(this, 'Migration', {
      resultPath: '$.migration',
      start: { name: 'Run Migration', handler: f.runMigration, payload: payload(), neverDone: true },
      check: { name: 'Check Migration', handler: f.checkMigration, payload: payload('$.migration') },
      choice: 'Migration Done?',
      wait: 'Wait For Migration',
    });
    migration.tasks.forEach(fromMigration);
    migration.next(recheck);
    const snapshot = new LongOperation(this, 'Snapshot', {
      resultPath: '$.snapshot',
      start: { name: 'Create Snapshot', handler: f.createSnapshot, payload: payload(), options: { idempotent: true }, neverDone: true },
      check: { name: 'Check Snapshot', handler: f.checkSnapshot, payload: payload('$.snapshot') },
      choice: 'Snapshot Ready?',
      wait: 'Wait For Snapshot',
    });
    snapshot.tasks.forEach(beforeMigration);
    snapshot.next(migration);
    return databaseReady('Check Database', '$.databaseBefore', snapshot, beforeMigration);
  }

  /** After a failed rollout or validation: halt, or revert every host that moved and bake again. */
  private failurePolicy(): sfn.IChainable {
    const f = this.f;
    const halted = new sfn.Fail(this, 'Release Halted', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });

    const rollbackFailed = new sfn.Fail(this, 'Release Rollback Failed', { errorPath: '$.rollbackError.Error', causePath: '$.rollbackError.Cause' });
    const describeRollbackFailure = new sfn.Pass(this, 'Describe Release Rollback Failure', {
      parameters: {
        Error: 'RollbackFailedError',
        'Cause.$': "States.Format('rolling the release back failed ({}) after the release failed ({}); hosts of a failed batch were put back into traffic where AWS allowed it, and some may run either release: the fleetflow:release and fleetflow:installing tags of each host say which', $.rollbackFailure.Cause, $.failure.Cause)",
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

    const planRollback = lambdaTask(this, 'Plan Rollback', f.planRollback, { 'plan.$': '$.plan', 'execution.$': '$$.Execution.Name' }, '$.rollbackPlan', {
      idempotent: true,
    });
    const revertTiers = rollTiers(this, { prefix: 'Revert ', planPath: '$.rollbackPlan', rollout: this.props.rollout, checkAlarms: false, timeout: this.props.timeout });
    // Alarms need their evaluation periods to return to OK after the revert.
    const rebake = bakeLoop(this, 'Revert ', f.checkBake, this.props.environment.validation.bakeSeconds, true);
    planRollback.next(notify(this, 'Notify Rolling Back', this.props.environment.name, 'Rolling Back', revertTiers, { withFailure: true, releasePath: '$.plan.release', eventBus: this.props.eventBus }));
    revertTiers.next(rebake);
    rebake.next(describeRolledBack);
    for (const state of [planRollback, revertTiers, ...rebake.tasks]) {
      catchNamed(this, state, describeRollbackFailure, { resultPath: '$.rollbackFailure', context: ' rolling the release back' });
    }

    return new sfn.Choice(this, 'Failure Policy?')
      .when(sfn.Condition.stringEquals('$.plan.validation.onFailure', 'halt'), halted)
      .otherwise(planRollback);
  }
}
