/**
 * The frame every compute workflow (allocate, scale out, replace) runs in, around the
 * stages the workflow gives:
 *
 *   Start -> Plan <Workflow> (read-only; refusals here change nothing) -> Acquire Lock
 *   -> Notify Started -> [Terminate Leftovers] -> [Create Database -> Wait/Check]* -> stages...
 *   -> Unlock -> Notify Succeeded
 *   on failure in a stage that launches: Clean Up Launched (deregister, terminate everything
 *   this execution launched, wait until terminated) -> Unlock After Failure -> Notify Failed -> fail
 *
 * One lock per environment (fragments/lock.ts): a replacement and a release never run at once.
 */
import type { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { catchNamed } from './failures';
import { lambdaTask, pollLoop } from './lambda-task';
import { EnvironmentLock } from './lock';
import { notify } from './notify';
import { provisionTiers, type ProvisionTiersFunctions } from './provision-tiers';

export interface ComputeFunctions extends ProvisionTiersFunctions {
  readonly terminateLaunched: lambda.IFunction;
  readonly createDatabase: lambda.IFunction;
  readonly checkDatabaseCreated: lambda.IFunction;
}

export interface ComputeRunProps {
  readonly environment: EnvironmentDefinition;
  /** As people read it: "Allocate", "Scale Out", "Replace". */
  readonly workflow: string;
  readonly planner: lambda.IFunction;
  readonly functions: ComputeFunctions;
  readonly rollout: sfn.IStateMachine;
  readonly timeout: Duration;
  readonly lockTable: dynamodb.ITable;
  readonly lockHolderExecutionArns: string[];
  readonly stateMachineArn: string;
}

/** A stage of the run: a one-branch Parallel, so its failure is caught in one place. */
export type Stage = (scope: Construct, next: sfn.IChainable) => { start: sfn.IChainable };

export class ComputeRun extends Construct {
  readonly definition: sfn.IChainable;
  /** Provisions every tier of the plan (launch, set up, install, into service). */
  readonly provision: sfn.Map;
  private readonly props: ComputeRunProps;
  private readonly cleanUp: sfn.IChainable;
  private readonly keepAndFail: sfn.IChainable;

  constructor(scope: Construct, id: string, props: ComputeRunProps, stages: (run: ComputeRun, done: sfn.IChainable) => sfn.IChainable) {
    super(scope, id);
    this.props = props;
    const environment = props.environment.name;
    const label = props.workflow;
    this.provision = provisionTiers(this, { functions: props.functions, rollout: props.rollout, timeout: props.timeout });

    const lock = new EnvironmentLock(this, {
      environment,
      table: props.lockTable,
      holderExecutionArns: props.lockHolderExecutionArns,
      releaseStateMachineArn: props.stateMachineArn,
    });
    const failedState = new sfn.Fail(this, `${label} Failed`, { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const notifyFailed = notify(this, 'Notify Failed', environment, 'Failed', failedState, { withFailure: true, workflow: label });
    const unlockAfterFailure = lock.release('Unlock After Failure', notifyFailed);
    this.keepAndFail = unlockAfterFailure;

    // Whatever failed, nothing this execution launched is left running unasked.
    const cleanUpPayload = (phasePath?: string) => ({ 'execution.$': '$$.Execution.Name', 'plan.$': '$.plan', ...(phasePath ? { 'phase.$': phasePath } : {}) });
    const cleanUp = lambdaTask(this, 'Clean Up Launched', props.functions.terminateLaunched, cleanUpPayload(), '$.cleanUp', { idempotent: true, restoring: true });
    const cleanUpLoop = pollLoop(this, { choice: 'Launched Terminated?', wait: 'Wait For Termination', check: 'Check Termination' }, props.functions.terminateLaunched, '$.cleanUp', unlockAfterFailure, cleanUpPayload('$.cleanUp'), { restoring: true });
    cleanUp.next(cleanUpLoop.choice);
    const describeCleanUpFailure = new sfn.Pass(this, 'Describe Clean Up Failure', {
      parameters: {
        'Error.$': '$.failure.Error',
        'Cause.$': "States.Format('{} (and terminating what this execution launched failed too: look for instances tagged fleetflow:launched-by = {})', $.failure.Cause, $$.Execution.Name)",
      },
      resultPath: '$.failure',
    });
    describeCleanUpFailure.next(unlockAfterFailure);
    for (const task of [cleanUp, cleanUpLoop.check]) task.addCatch(describeCleanUpFailure, { errors: ['States.ALL'], resultPath: '$.cleanUpFailure' });
    this.cleanUp = cleanUp;

    const complete = new sfn.Pass(this, `${label} Complete`, {
      parameters: { 'environment.$': '$.plan.environment', 'workflow.$': '$.plan.workflow', 'launched.$': '$.plan.launchCount' },
    });
    const notifySucceeded = notify(this, 'Notify Succeeded', environment, 'Succeeded', complete, { workflow: label });
    const body = stages(this, lock.release('Unlock', notifySucceeded, notifyFailed));
    const started = notify(this, 'Notify Started', environment, 'Started', this.leftoversStep(this.databaseStep(body)), { workflow: label });

    const plan = lambdaTask(this, `Plan ${label}`, props.planner, { environment: props.environment, 'input.$': '$.input', 'execution.$': '$$.Execution.Name' }, '$.plan', { idempotent: true });
    const refused = new sfn.Fail(this, `${label} Refused`, { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    catchNamed(this, plan, notify(this, 'Notify Refused', environment, 'Failed', refused, { withFailure: true, workflow: label }), {
      resultPath: '$.failure',
      context: '; nothing was changed',
    });
    plan.next(lock.acquire(started));
    const start = new sfn.Pass(this, 'Start', { parameters: { 'input.$': '$$.Execution.Input' } });
    this.definition = start.next(plan);
  }

  /** A stage whose failure terminates what this execution launched (`launches`), or only fails, keeping everything. */
  stage(name: string, body: sfn.IChainable, next: sfn.IChainable, options: { launches: boolean; context: string }): sfn.Parallel {
    const stage = new sfn.Parallel(this, name, { resultPath: sfn.JsonPath.DISCARD });
    stage.branch(body);
    catchNamed(this, stage, options.launches ? this.cleanUp : this.keepAndFail, { resultPath: '$.failure', context: options.context });
    stage.next(next);
    return stage;
  }

  /**
   * Hosts a stopped run launched and never set up (the plan's `leftovers`) are terminated
   * first, now that no other run of the environment can be launching; the plan did not
   * count them, so the stages launch what they replace. Nothing this run launched exists yet.
   */
  private leftoversStep(next: sfn.IChainable): sfn.IChainable {
    const terminate = lambdaTask(
      this,
      'Terminate Leftovers',
      this.props.functions.terminateLaunched,
      { 'execution.$': '$$.Execution.Name', 'leftovers.$': '$.plan.leftovers' },
      sfn.JsonPath.DISCARD,
      { idempotent: true },
    );
    catchNamed(this, terminate, this.keepAndFail, { resultPath: '$.failure', context: ' terminating hosts a stopped run left' });
    terminate.next(next);
    return new sfn.Choice(this, 'Leftovers?').when(sfn.Condition.isPresent('$.plan.leftovers'), terminate).otherwise(next);
  }

  /** Create the data tier's instance when the plan says, and wait until it is available. */
  private databaseStep(next: sfn.IChainable): sfn.IChainable {
    const f = this.props.functions;
    const payload = (phasePath?: string) => ({ 'execution.$': '$$.Execution.Name', 'database.$': '$.plan.database', ...(phasePath ? { 'phase.$': phasePath } : {}) });
    const create = lambdaTask(this, 'Create Database', f.createDatabase, payload(), '$.databaseCreate', { idempotent: true });
    const ready = new sfn.Pass(this, 'Database Ready');
    const wait = pollLoop(this, { choice: 'Database Created?', wait: 'Wait For Database', check: 'Check Database Created' }, f.checkDatabaseCreated, '$.databaseCreate', ready, payload('$.databaseCreate'));
    create.next(wait.choice);
    // Named where it fails, as every task is: the stage's own catch would name the stage.
    const failed = new sfn.Fail(this, 'Database Not Created', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    for (const task of [create, wait.check]) catchNamed(this, task, failed, { resultPath: '$.failure', context: ' creating the database' });
    const stage = this.stage('Create Database Stage', create, next, { launches: true, context: ' creating the database' });
    return new sfn.Choice(this, 'Database Needed?').when(sfn.Condition.isPresent('$.plan.database'), stage).otherwise(next);
  }
}
