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
import type { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EnvironmentDefinition } from '../lambdas/domain/environment/model';
import { bakeLoop } from './fragments/bake';
import { catchNamed } from './fragments/failures';
import { lambdaTask, pollLoop } from './fragments/lambda-task';
import { EnvironmentLock } from './fragments/lock';
import { notify } from './fragments/notify';
import { rollTiers } from './fragments/roll-tiers';
import { databaseParameterName } from '../lambdas/domain/contract/records';

export interface RestoreDataFunctions {
  readonly planRestoreData: lambda.IFunction;
  readonly restoreDatabase: lambda.IFunction;
  readonly checkRestore: lambda.IFunction;
  readonly validateData: lambda.IFunction;
  readonly checkValidation: lambda.IFunction;
  readonly writeConnection: lambda.IFunction;
  readonly planRepointBack: lambda.IFunction;
  readonly recordDatabase: lambda.IFunction;
  readonly checkBake: lambda.IFunction;
}

export interface RestoreDataWorkflowProps {
  readonly environment: EnvironmentDefinition;
  readonly functions: RestoreDataFunctions;
  readonly rollout: sfn.IStateMachine;
  readonly timeout: Duration;
  readonly lockTable: dynamodb.ITable;
  readonly lockHolderExecutionArns: string[];
  readonly stateMachineArn: string;
}

const WORKFLOW = 'Restore Data';

export class RestoreDataWorkflow extends Construct {
  readonly definition: sfn.IChainable;

  constructor(scope: Construct, id: string, props: RestoreDataWorkflowProps) {
    super(scope, id);
    const f = props.functions;
    const environment = props.environment.name;
    const task = (phasePath?: string) => ({ 'execution.$': '$$.Execution.Name', 'plan.$': '$.plan', ...(phasePath ? { 'phase.$': phasePath } : {}) });

    const lock = new EnvironmentLock(this, {
      environment,
      table: props.lockTable,
      holderExecutionArns: props.lockHolderExecutionArns,
      releaseStateMachineArn: props.stateMachineArn,
    });
    const failedState = new sfn.Fail(this, 'Restore Data Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const notifyFailed = notify(this, 'Notify Failed', environment, 'Failed', failedState, { withFailure: true, workflow: WORKFLOW });
    const unlockAfterFailure = lock.release('Unlock After Failure', notifyFailed);
    const stepFailed = new sfn.Fail(this, 'Restore Step Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });

    // ---------- restore, wait, validate: nothing any host uses has changed yet ----------
    const restore = lambdaTask(this, 'Restore Database', f.restoreDatabase, task(), '$.restore', { idempotent: true });
    const validate = lambdaTask(this, 'Validate Data', f.validateData, task(), '$.validation', { idempotent: true });
    const restoredLoop = pollLoop(this, { choice: 'Restore Available?', wait: 'Wait For Restored Database', check: 'Check Restored Database' }, f.checkRestore, '$.restore', validate, task('$.restore'));
    restore.next(restoredLoop.choice);

    // ---------- repoint, bake; undone on failure ----------
    const repoint = new sfn.Parallel(this, 'Repoint', { resultPath: sfn.JsonPath.DISCARD });
    const write = lambdaTask(this, 'Write Connection', f.writeConnection, { 'parameter.$': '$.plan.connectionParameter', 'endpoint.$': '$.validation.endpoint' }, sfn.JsonPath.DISCARD, { idempotent: true });
    const roll = rollTiers(this, { prefix: 'Repoint ', planPath: '$.plan', rollout: props.rollout, checkAlarms: true, timeout: props.timeout });
    const bake = bakeLoop(this, 'Repoint ', f.checkBake);
    write.next(roll);
    roll.next(bake.first);
    const baked = new sfn.Pass(this, 'Repoint Baked');
    bake.done(baked);
    // Inside the Repoint branch: its failure is caught on the branch, which points the hosts back.
    const repointStepFailed = new sfn.Fail(this, 'Repoint Step Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    for (const t of [write, ...bake.tasks]) catchNamed(this, t, repointStepFailed, { resultPath: '$.failure', context: ' repointing the hosts' });
    repoint.branch(write);

    const validated = pollLoop(this, { choice: 'Data Valid?', wait: 'Wait For Data Validation', check: 'Check Data Validation' }, f.checkValidation, '$.validation', repoint, task('$.validation'));
    validate.next(validated.choice);
    for (const t of [restore, restoredLoop.check, validate, validated.check]) catchNamed(this, t, stepFailed, { resultPath: '$.failure', context: ' before any host was repointed' });

    const record = lambdaTask(this, 'Record Database', f.recordDatabase, { ...task(), 'endpoint.$': '$.validation.endpoint' }, '$.outcome', { idempotent: true });
    catchNamed(this, record, stepFailed, { resultPath: '$.failure', context: `; every host uses the restored database, but it is not recorded as current: write its identifier to ${databaseParameterName(environment)}` });
    repoint.next(record);

    // The repoint failed: back to the old database, the same way, when there is one.
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
    const planBack = lambdaTask(this, 'Plan Repoint Back', f.planRepointBack, task(), '$.back', { idempotent: true, restoring: true });
    const rollBack = rollTiers(this, { prefix: 'Repoint Back ', planPath: '$.back', rollout: props.rollout, checkAlarms: false, timeout: props.timeout });
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
    catchNamed(this, repoint, canGoBack, { resultPath: '$.failure', context: ' repointing the hosts' });

    const run = new sfn.Parallel(this, 'Run Restore', { resultSelector: { 'outcome.$': '$[0].outcome' }, resultPath: '$.result' });
    run.branch(restore);
    catchNamed(this, run, unlockAfterFailure, { resultPath: '$.failure' });
    const complete = new sfn.Pass(this, 'Restore Data Complete', { outputPath: '$.result.outcome' });
    run.next(lock.release('Unlock', notify(this, 'Notify Succeeded', environment, 'Succeeded', complete, { workflow: WORKFLOW }), notifyFailed));
    const started = notify(this, 'Notify Started', environment, 'Started', run, { workflow: WORKFLOW });

    const plan = lambdaTask(this, 'Plan Restore Data', f.planRestoreData, { environment: props.environment, 'input.$': '$.input', 'execution.$': '$$.Execution.Name' }, '$.plan', { idempotent: true });
    const refused = new sfn.Fail(this, 'Restore Data Refused', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    catchNamed(this, plan, notify(this, 'Notify Refused', environment, 'Failed', refused, { withFailure: true, workflow: WORKFLOW }), {
      resultPath: '$.failure',
      context: '; nothing was changed',
    });
    plan.next(lock.acquire(started));
    const start = new sfn.Pass(this, 'Start', { parameters: { 'input.$': '$$.Execution.Input' } });
    this.definition = start.next(plan);
  }
}
