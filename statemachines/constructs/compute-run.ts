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
 * One lock per environment (constructs/lock.ts): a replacement and a release never run at once.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { lambdasOf, type FunctionSpec, type FunctionSpecs } from '../../lib/constructs/function-catalog';
import { FleetFlowStateMachine, WORKFLOW_TIMEOUT } from '../../lib/constructs/fleetflow-state-machine';
import type { FleetFlowFunction } from '../../lib/constructs/fleetflow-function';
import { COMPUTE_FUNCTION_SPECS } from './compute-functions';
import { catchNamed } from './failures';
import { lambdaTask } from './lambda-task';
import { LongOperation } from './long-operation';
import { LockedWorkflow } from './locked-workflow';
import { provisionTiers, type ProvisionTiersFunctions } from './provision-tiers';
import { acknowledgeLocking, workflowStateMachineArn, workflowStateMachineName, type LockingWorkflowProps } from './workflow';

export interface ComputeFunctions extends ProvisionTiersFunctions {
  readonly terminateLaunched: lambda.IFunction;
  readonly createDatabase: lambda.IFunction;
  readonly checkDatabaseCreated: lambda.IFunction;
}

/** What every compute workflow invokes besides its planner. */
const COMPUTE_RUN_INVOKES = {
  launchHosts: COMPUTE_FUNCTION_SPECS.launchHosts,
  checkHostsReady: COMPUTE_FUNCTION_SPECS.checkHostsReady,
  verifyDependencies: COMPUTE_FUNCTION_SPECS.verifyDependencies,
  storeNewHosts: COMPUTE_FUNCTION_SPECS.storeNewHosts,
  terminateLaunched: COMPUTE_FUNCTION_SPECS.terminateLaunched,
  createDatabase: COMPUTE_FUNCTION_SPECS.createDatabase,
  checkDatabaseCreated: COMPUTE_FUNCTION_SPECS.checkDatabaseCreated,
} as const satisfies FunctionSpecs;

export interface ComputeRunProps extends LockingWorkflowProps {
  /** The workflow's name in its state machine's: "allocate", "scale-out", "replace". */
  readonly workflow: 'allocate' | 'scale-out' | 'replace';
  /** As people read it: "Allocate", "Scale Out", "Replace". */
  readonly label: string;
  /** The workflow's read-only planner. */
  readonly planner: FunctionSpec;
}

/** A stage of the run: a one-branch Parallel, so its failure is caught in one place. */
export type Stage = (scope: Construct, next: sfn.IChainable) => { start: sfn.IChainable };

export class ComputeRun extends Construct {
  readonly definition: sfn.IChainable;
  /** Provisions every tier of the plan (launch, set up, install, into service). */
  readonly provision: sfn.Map;
  /** The functions the run invokes, its planner first. */
  readonly invokes: FleetFlowFunction[];
  private readonly props: ComputeRunProps;
  private readonly f: ComputeFunctions;
  private readonly cleanUp: sfn.IChainable;
  private readonly keepAndFail: sfn.IChainable;

  constructor(scope: Construct, id: string, props: ComputeRunProps, stages: (run: ComputeRun, done: sfn.IChainable) => sfn.IChainable) {
    super(scope, id);
    this.props = props;
    const planner = props.functions.function(props.planner);
    const functions = props.functions.functions(COMPUTE_RUN_INVOKES);
    this.invokes = [planner, ...Object.values(functions)];
    this.f = lambdasOf(functions);
    this.provision = provisionTiers(this, { functions: this.f, rollout: props.rollout, timeout: WORKFLOW_TIMEOUT });
    const frame = new LockedWorkflow(this, 'Frame', {
      environment: props.environment,
      label: props.label,
      planner: planner.function,
      complete: { parameters: { 'environment.$': '$.plan.environment', 'workflow.$': '$.plan.workflow', 'launched.$': '$.plan.launchCount' } },
      lockTable: props.lockTable,
      lockHolderExecutionArns: props.lockHolderExecutionArns,
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
      stateMachineArn: workflowStateMachineArn(this, props.environment.name, props.workflow),
    });
    const unlockAfterFailure = frame.unlockAfterFailure;
    this.keepAndFail = unlockAfterFailure;

    // Whatever failed, nothing this execution launched is left running unasked.
    const cleanUpPayload = (phasePath?: string) => ({ 'execution.$': '$$.Execution.Name', 'plan.$': '$.plan', ...(phasePath ? { 'phase.$': phasePath } : {}) });
    const cleanUp = new LongOperation(this, 'Clean Up Launched', {
      resultPath: '$.cleanUp',
      start: { name: 'Clean Up Launched', handler: this.f.terminateLaunched, payload: cleanUpPayload(), options: { idempotent: true, restoring: true } },
      check: { name: 'Check Termination', handler: this.f.terminateLaunched, payload: cleanUpPayload('$.cleanUp') },
      choice: 'Launched Terminated?',
      wait: 'Wait For Termination',
      restoring: true,
    });
    cleanUp.next(unlockAfterFailure);
    const describeCleanUpFailure = new sfn.Pass(this, 'Describe Clean Up Failure', {
      parameters: {
        'Error.$': '$.failure.Error',
        'Cause.$': "States.Format('{} (and terminating what this execution launched failed too: look for instances tagged fleetflow:launched-by = {})', $.failure.Cause, $$.Execution.Name)",
      },
      resultPath: '$.failure',
    });
    describeCleanUpFailure.next(unlockAfterFailure);
    for (const task of cleanUp.tasks) task.addCatch(describeCleanUpFailure, { errors: ['States.ALL'], resultPath: '$.cleanUpFailure' });
    this.cleanUp = cleanUp;

    const body = stages(this, frame.done);
    this.definition = frame.whileLocked(frame.notifyStarted(this.leftoversStep(this.databaseStep(body))));
  }

  /** The workflow's state machine, in `scope` (the workflow construct that owns it). */
  stateMachine(scope: Construct, comment: string): FleetFlowStateMachine {
    const machine = new FleetFlowStateMachine(scope, 'StateMachine', {
      stateMachineName: workflowStateMachineName(this.props.environment.name, this.props.workflow),
      comment,
      definition: this.definition,
      invokes: this.invokes,
      alarmTopic: this.props.alarmTopic,
    });
    acknowledgeLocking(machine, this.props);
    return machine;
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
      this.f.terminateLaunched,
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
    const f = this.f;
    const payload = (phasePath?: string) => ({ 'execution.$': '$$.Execution.Name', 'database.$': '$.plan.database', ...(phasePath ? { 'phase.$': phasePath } : {}) });
    const create = new LongOperation(this, 'Create Database', {
      resultPath: '$.databaseCreate',
      start: { name: 'Create Database', handler: f.createDatabase, payload: payload(), options: { idempotent: true } },
      check: { name: 'Check Database Created', handler: f.checkDatabaseCreated, payload: payload('$.databaseCreate') },
      choice: 'Database Created?',
      wait: 'Wait For Database',
    });
    create.next(new sfn.Pass(this, 'Database Ready'));
    // Named where it fails, as every task is: the stage's own catch would name the stage.
    const failed = new sfn.Fail(this, 'Database Not Created', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    for (const task of create.tasks) catchNamed(this, task, failed, { resultPath: '$.failure', context: ' creating the database' });
    const stage = this.stage('Create Database Stage', create, next, { launches: true, context: ' creating the database' });
    return new sfn.Choice(this, 'Database Needed?').when(sfn.Condition.isPresent('$.plan.database'), stage).otherwise(next);
  }
}
