/**
 * The restore-data workflow (`fleetflow-<env>-restore-data`): the environment's data back
 * from a snapshot or a point in time, into a NEW instance, and every host that uses the
 * database moved onto it without downtime. Input `{ "source": "latest" | "<snapshot>" |
 * { "pointInTime": "<ISO-8601>" }, "reason"?: "..." }`.
 *
 *   Plan Restore Data (read-only: the source checked, the window, the hosts) -> Acquire Lock -> Notify Started
 *   Run Restore: Restore Database -> [Wait/Check Restore]* -> Validate Data (check document on a middle host)
 *     -> [Wait/Check Data Validation]*
 *     -> Repoint: Write Connection -> Repoint Roll Tiers (rollout mode "repoint") -> bake
 *        on failure: [old database exists] Write Connection Back -> Plan Repoint Back
 *          -> Repoint Back Roll Tiers (mode "repoint-back") -> fail with the original error, saying so
 *     -> Record Database (current record; the old instance tagged, kept)
 *   Unlock -> Notify Succeeded; on failure: Unlock After Failure -> Notify Failed -> fail
 *
 * The current instance is only read (and tagged once replaced): no role of the stack may
 * modify, stop or delete a database. A restored instance that fails is kept for inspection.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { lambdasOf, type FunctionSpecs } from '../../lib/constructs/function-catalog';
import { FleetFlowStateMachine, WORKFLOW_TIMEOUT } from '../../lib/constructs/fleetflow-state-machine';
import { acknowledgeLocking, workflowStateMachineArn, workflowStateMachineName, type LockingWorkflowProps } from '../constructs/workflow';
import { DEPLOY_FUNCTION_SPECS } from '../deploy/functions';
import { RESTORE_DATA_FUNCTION_SPECS } from './functions';
import { bakeLoop } from '../constructs/bake';
import { catchNamed } from '../constructs/failures';
import { lambdaTask } from '../constructs/lambda-task';
import { LongOperation } from '../constructs/long-operation';
import { LockedWorkflow } from '../constructs/locked-workflow';
import { rollTiers } from '../constructs/roll-tiers';
import { databaseParameterName } from '../../lambdas/domain/contract/records';

/** The functions restore-data invokes (the repoint batches' run in the rollout child). */
export const RESTORE_DATA_INVOKES = {
  planRestoreData: RESTORE_DATA_FUNCTION_SPECS.planRestoreData,
  restoreDatabase: RESTORE_DATA_FUNCTION_SPECS.restoreDatabase,
  checkRestore: RESTORE_DATA_FUNCTION_SPECS.checkRestore,
  validateData: RESTORE_DATA_FUNCTION_SPECS.validateData,
  checkValidation: RESTORE_DATA_FUNCTION_SPECS.checkValidation,
  writeConnection: RESTORE_DATA_FUNCTION_SPECS.writeConnection,
  planRepointBack: RESTORE_DATA_FUNCTION_SPECS.planRepointBack,
  recordDatabase: RESTORE_DATA_FUNCTION_SPECS.recordDatabase,
  checkBake: DEPLOY_FUNCTION_SPECS.checkBake,
} as const satisfies FunctionSpecs;

export type RestoreDataWorkflowProps = LockingWorkflowProps;

/** The restore-data workflow: its definition, its functions and its state machine, `fleetflow-<environment>-restore-data`. */
export class RestoreDataWorkflow extends Construct {
  readonly definition: sfn.IChainable;
  readonly stateMachine: FleetFlowStateMachine;

  constructor(scope: Construct, id: string, props: RestoreDataWorkflowProps) {
    super(scope, id);
    const functions = props.functions.functions(RESTORE_DATA_INVOKES);
    const f = lambdasOf(functions);
    const environment = props.environment.name;
    const task = (phasePath?: string) => ({ 'execution.$': '$$.Execution.Name', 'plan.$': '$.plan', ...(phasePath ? { 'phase.$': phasePath } : {}) });

    const frame = new LockedWorkflow(this, 'Frame', {
      environment: props.environment,
      label: 'Restore Data',
      planner: f.planRestoreData,
      complete: { outputPath: '$.result.outcome' },
      lockTable: props.lockTable,
      lockHolderExecutionArns: props.lockHolderExecutionArns,
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
      stateMachineArn: workflowStateMachineArn(this, environment, 'restore-data'),
    });
    const stepFailed = new sfn.Fail(this, 'Restore Step Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });

    // ---------- restore, wait, validate: nothing any host uses has changed yet ----------
    const restore = new LongOperation(this, 'Restore Database', {
      resultPath: '$.restore',
      start: { name: 'Restore Database', handler: f.restoreDatabase, payload: task(), options: { idempotent: true } },
      check: { name: 'Check Restored Database', handler: f.checkRestore, payload: task('$.restore') },
      choice: 'Restore Available?',
      wait: 'Wait For Restored Database',
    });
    const validate = new LongOperation(this, 'Validate Data', {
      resultPath: '$.validation',
      start: { name: 'Validate Data', handler: f.validateData, payload: task(), options: { idempotent: true }, neverDone: true },
      check: { name: 'Check Data Validation', handler: f.checkValidation, payload: task('$.validation') },
      choice: 'Data Valid?',
      wait: 'Wait For Data Validation',
    });
    restore.next(validate);

    // ---------- repoint, bake; undone on failure ----------
    const repoint = new sfn.Parallel(this, 'Repoint', { resultPath: sfn.JsonPath.DISCARD });
    const write = lambdaTask(this, 'Write Connection', f.writeConnection, { 'parameter.$': '$.plan.connectionParameter', 'endpoint.$': '$.validation.endpoint' }, sfn.JsonPath.DISCARD, { idempotent: true });
    const roll = rollTiers(this, { prefix: 'Repoint ', planPath: '$.plan', rollout: props.rollout, checkAlarms: true, timeout: WORKFLOW_TIMEOUT });
    const bake = bakeLoop(this, 'Repoint ', f.checkBake, props.environment.validation.bakeSeconds);
    write.next(roll);
    roll.next(bake);
    const baked = new sfn.Pass(this, 'Repoint Baked');
    bake.next(baked);
    // Inside the Repoint branch: its failure is caught on the branch, which points the hosts back.
    const repointStepFailed = new sfn.Fail(this, 'Repoint Step Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    for (const t of [write, ...bake.tasks]) catchNamed(this, t, repointStepFailed, { resultPath: '$.failure', context: ' repointing the hosts' });
    repoint.branch(write);

    validate.next(repoint);
    for (const t of [...restore.tasks, ...validate.tasks]) catchNamed(this, t, stepFailed, { resultPath: '$.failure', context: ' before any host was repointed' });

    const record = lambdaTask(this, 'Record Database', f.recordDatabase, { ...task(), 'endpoint.$': '$.validation.endpoint' }, '$.outcome', { idempotent: true });
    catchNamed(this, record, stepFailed, { resultPath: '$.failure', context: `; every host uses the restored database, but it is not recorded as current: write its identifier to ${databaseParameterName(environment)}` });
    repoint.next(record);

    // The repoint failed: back to the old database, the same way, when there is one.
    const canGoBack = this.pointBack(f, props.rollout, stepFailed);
    catchNamed(this, repoint, canGoBack, { resultPath: '$.failure', context: ' repointing the hosts' });

    const run = new sfn.Parallel(this, 'Run Restore', { resultSelector: { 'outcome.$': '$[0].outcome' }, resultPath: '$.result' });
    run.branch(restore);
    catchNamed(this, run, frame.unlockAfterFailure, { resultPath: '$.failure' });
    run.next(frame.done);
    this.definition = frame.whileLocked(frame.notifyStarted(run));
    this.stateMachine = new FleetFlowStateMachine(this, 'StateMachine', {
      stateMachineName: workflowStateMachineName(environment, 'restore-data'),
      comment: `FleetFlow: restore the data of environment ${environment} into a new database and repoint its hosts`,
      definition: this.definition,
      invokes: Object.values(functions),
      alarmTopic: props.alarmTopic,
    });
    acknowledgeLocking(this.stateMachine, props);
  }

  /**
   * After a failed repoint: Write Connection Back -> Plan Repoint Back -> Repoint Back Roll Tiers,
   * when there is an old database to go back to; the original error is kept either way, its cause
   * saying where the hosts are.
   */
  private pointBack(f: { readonly writeConnection: lambda.IFunction; readonly planRepointBack: lambda.IFunction }, rollout: sfn.IStateMachine, stepFailed: sfn.IChainable): sfn.IChainable {
    const planPayload = () => ({ 'execution.$': '$$.Execution.Name', 'plan.$': '$.plan' });
    const backDone = new sfn.Pass(this, 'Describe Repointed Back', {
      parameters: {
        'Error.$': '$.failure.Error',
        'Cause.$': "States.Format('{}; every host that moved was pointed back to {} and is in service; the restored {} is kept for inspection', $.failure.Cause, $.plan.current.identifier, $.plan.target.identifier)",
      },
      resultPath: '$.failure',
    });
    backDone.next(stepFailed);
    const backFailed = new sfn.Pass(this, 'Describe Repoint Back Failure', {
      parameters: {
        Error: 'RepointFailedError',
        'Cause.$': "States.Format('pointing the hosts back to {} failed ({}) after the repoint failed ({}); hosts may use either database, and the connection parameter {} may name either', $.plan.current.identifier, $.backFailure.Cause, $.failure.Cause, $.plan.connectionParameter)",
      },
      resultPath: '$.failure',
    });
    backFailed.next(stepFailed);
    const writeBack = lambdaTask(this, 'Write Connection Back', f.writeConnection, { 'parameter.$': '$.plan.connectionParameter', 'endpoint.$': '$.plan.previousEndpoint' }, sfn.JsonPath.DISCARD, { idempotent: true, restoring: true });
    const planBack = lambdaTask(this, 'Plan Repoint Back', f.planRepointBack, planPayload(), '$.back', { idempotent: true, restoring: true });
    const rollBack = rollTiers(this, { prefix: 'Repoint Back ', planPath: '$.back', rollout, checkAlarms: false, timeout: WORKFLOW_TIMEOUT });
    writeBack.next(planBack);
    planBack.next(rollBack);
    rollBack.next(new sfn.Pass(this, 'Repointed Back'));
    const backStepFailed = new sfn.Fail(this, 'Repoint Back Step Failed', { errorPath: '$.backFailure.Error', causePath: '$.backFailure.Cause' });
    for (const t of [writeBack, planBack]) catchNamed(this, t, backStepFailed, { resultPath: '$.backFailure', context: ' pointing the hosts back' });
    const repointBack = new sfn.Parallel(this, 'Repoint Back', { resultPath: sfn.JsonPath.DISCARD });
    repointBack.branch(writeBack);
    catchNamed(this, repointBack, backFailed, { resultPath: '$.backFailure', context: ' pointing the hosts back' });
    repointBack.next(backDone);
    // Disaster recovery: the old instance is gone (or the hosts never had a connection parameter): nothing to go back to.
    const noWayBack = new sfn.Pass(this, 'Describe No Way Back', {
      parameters: {
        'Error.$': '$.failure.Error',
        'Cause.$':
          "States.Format('{}; there is no previous database to point the hosts back to ({} is gone, or the connection parameter is new): the parameter may name {}, hosts that moved use it, and a failed batch may be out of traffic', $.failure.Cause, $.plan.current.identifier, $.plan.target.identifier)",
      },
      resultPath: '$.failure',
    });
    noWayBack.next(stepFailed);
    const canGoBack = new sfn.Choice(this, 'Old Database To Go Back To?')
      .when(sfn.Condition.and(sfn.Condition.booleanEquals('$.plan.current.exists', true), sfn.Condition.isString('$.plan.previousEndpoint')), repointBack)
      .otherwise(noWayBack);
    return canGoBack;
  }
}
