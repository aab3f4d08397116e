/**
 * The frame of every workflow that changes an environment (deploy, restore-data, allocate,
 * scale-out, replace): plan, lock, run, unlock, notify.
 *
 *   Start (the execution input kept at $.input) -> Plan <Label> (read-only: a refusal changes nothing)
 *   -> Acquire Lock (lock.ts) -> [the workflow's run, which notifies Started where it starts to change things]
 *   -> Unlock -> Notify Succeeded -> <Label> Complete
 *   a plan that finds nothing to change (whileLocked's nothingToDo): Notify Succeeded -> <Label> Complete,
 *     before Acquire Lock (no lock item written, no Started notification: nothing started)
 *   on a refusal: Notify Refused -> <Label> Refused
 *   on a failure of the run: Unlock After Failure -> Notify Failed -> <Label> Failed
 *   a lock that cannot be released after a success: Notify Failed -> <Label> Failed (LockNotReleasedError)
 */
import type * as events from 'aws-cdk-lib/aws-events';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { catchNamed } from './failures';
import { lambdaTask } from './lambda-task';
import { EnvironmentLock } from './lock';
import { notify } from './notify';
import { storedEnvironment } from './stored-environment';

export interface LockedWorkflowProps {
  /** The environment the workflow changes: its name keys the lock, and its definition is the planner's input. */
  readonly environment: EnvironmentDefinition;
  /**
   * The workflow as people read it ("Release", "Restore Data", "Allocate"): it names the states
   * (Plan <Label>, <Label> Refused, <Label> Failed, <Label> Complete) and the notifications'
   * detail type ("FleetFlow <Label> Started").
   */
  readonly label: string;
  /** The read-only planner: input `{ environment, input, execution }`, its plan at `$.plan`. */
  readonly planner: lambda.IFunction;
  /** The last state of a success, which shapes the execution's output. */
  readonly complete: sfn.PassProps;
  /** One item per environment: who is changing it. */
  readonly lockTable: dynamodb.ITable;
  /** ARN patterns of the executions that may hold the environment's lock (`*` matches any characters). */
  readonly lockHolderExecutionArns: string[];
  /** This workflow's own state machine ARN: a malformed lock is taken over only while no other execution of it runs. */
  readonly stateMachineArn: string;
  /**
   * Where the release is, in the state, when the Started and Succeeded notifications are sent.
   * @default the notifications name no release
   */
  readonly releasePaths?: { readonly started?: string; readonly succeeded?: string };
  /** Where the notifications go. @default the account's default event bus */
  readonly eventBus?: events.IEventBus;
}

/**
 * Plan, lock, run, unlock, notify, around a run the workflow gives with `whileLocked`. Every
 * exit of the run must reach `done` (success) or `unlockAfterFailure` (with `$.failure` set),
 * so the lock is released on every path.
 */
export class LockedWorkflow extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];
  /** Where the run goes when it succeeded: Unlock -> Notify Succeeded -> <Label> Complete. */
  readonly done: sfn.IChainable;
  /** Where the run goes when it failed, `$.failure` holding the error: Unlock After Failure -> Notify Failed -> fail. */
  readonly unlockAfterFailure: sfn.IChainable;
  private readonly props: LockedWorkflowProps;
  private readonly plan: sfn.TaskStateBase;
  private readonly lock: EnvironmentLock;
  private readonly notifySucceeded: sfn.IChainable;

  constructor(scope: Construct, id: string, props: LockedWorkflowProps) {
    super(scope, id);
    this.props = props;
    const environment = props.environment.name;
    const label = props.label;
    this.lock = new EnvironmentLock(this, {
      environment,
      table: props.lockTable,
      holderExecutionArns: props.lockHolderExecutionArns,
      releaseStateMachineArn: props.stateMachineArn,
    });
    const failed = new sfn.Fail(this, `${label} Failed`, { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const notifyFailed = notify(this, 'Notify Failed', environment, 'Failed', failed, { withFailure: true, workflow: label, eventBus: props.eventBus });
    this.unlockAfterFailure = this.lock.release('Unlock After Failure', notifyFailed);

    const complete = new sfn.Pass(this, `${label} Complete`, props.complete);
    const notifySucceeded = notify(this, 'Notify Succeeded', environment, 'Succeeded', complete, {
      workflow: label, eventBus: props.eventBus,
      ...(props.releasePaths?.succeeded ? { releasePath: props.releasePaths.succeeded } : {}),
    });
    this.notifySucceeded = notifySucceeded;
    // A lock that cannot be released fails the workflow, saying so, rather than succeed holding it.
    this.done = this.lock.release('Unlock', notifySucceeded, notifyFailed);

    // Planning only reads (and writes its own plan items): bad input, and a plan that could not
    // fit Step Functions' quotas, are refused before the lock is taken.
    this.plan = lambdaTask(this, `Plan ${label}`, props.planner, { environment: storedEnvironment(this, props.environment), 'input.$': '$.input', 'execution.$': '$$.Execution.Name' }, '$.plan', {
      idempotent: true,
    });
    const refused = new sfn.Fail(this, `${label} Refused`, { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    catchNamed(this, this.plan, notify(this, 'Notify Refused', environment, 'Failed', refused, { withFailure: true, workflow: label, eventBus: props.eventBus }), {
      resultPath: '$.failure',
      context: '; nothing was changed',
    });
    // The state carries the execution input from here on; nothing below reads $$.Execution.Input.
    const start = new sfn.Pass(this, 'Start', { parameters: { 'input.$': '$$.Execution.Input' } });
    start.next(this.plan);
    this.startState = start;
    this.endStates = [complete];
  }

  /** The Started notification, then `next`: the run places it where it starts to change things. */
  notifyStarted(next: sfn.IChainable): sfn.IChainable {
    return notify(this, 'Notify Started', this.props.environment.name, 'Started', next, {
      workflow: this.props.label,
      eventBus: this.props.eventBus,
      ...(this.props.releasePaths?.started ? { releasePath: this.props.releasePaths.started } : {}),
    });
  }

  /**
   * What runs once the lock is taken. With `nothingToDo`, a plan it holds for (the planner found
   * nothing to change) ends the run SUCCEEDED before the lock: there is nothing to keep another run
   * from, so no lock item is written and no other run is refused meanwhile; `then` (a Pass) shapes
   * the state the Complete state reads, as the run would have.
   */
  whileLocked(run: sfn.IChainable, nothingToDo?: { readonly when: sfn.Condition; readonly then?: sfn.Pass }): this {
    const acquire = this.lock.acquire(run);
    if (!nothingToDo) {
      this.plan.next(acquire);
      return this;
    }
    const skip = nothingToDo.then ? nothingToDo.then.next(this.notifySucceeded) : this.notifySucceeded;
    this.plan.next(new sfn.Choice(this, 'Anything To Do?').when(nothingToDo.when, skip).otherwise(acquire));
    return this;
  }
}
