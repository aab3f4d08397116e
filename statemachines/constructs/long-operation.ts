/**
 * A long operation (an SSM command, a snapshot, a drain, a bake): started by one task, then
 * watched by a loop of Wait -> Check -> Choice. The Wait covers the quiet part of the operation;
 * near its end the check itself keeps looking, every second or two for up to a minute
 * (lambdas/shared/phase.ts `watchPhase`), and asks for no Wait (a pause of 0) while it should
 * go on doing so: the Choice then runs it again straight away.
 *
 *   [Start] -> <Done?> --done--> next
 *                 ^   |--watch now (pause 0)------------------------------> <Check> --/
 *                 |   \--not yet--> <Wait> (the pause the last look chose) -> <Check> --/
 *
 * A start that only sets the operation going (an SSM send, a put-into-service, a snapshot
 * create) never finds it done: with `start.neverDone` it goes straight to the Wait, one
 * transition fewer per operation ([Start] -> <Wait> -> <Check> -> <Done?> ...). The Wait takes
 * the pause the start's phase chose, 0 included (the Amazon States Language, Wait: "You must
 * specify time as a positive, integer value from 0 up to 99999999"), so a start whose phase says
 * "watch now" costs what it did (Start, Wait instead of Start, Choice). A start that may report
 * done must not set it: a done phase would still be handled (the Wait of 0 leads to a check, which
 * looks again and finds the operation done), but for two transitions more than the Choice.
 *
 * The deadline is the check's: the start task (or the first check) records it in the phase at
 * `resultPath`, every check receives that phase back (`phase.$`) and fails with the
 * operation's named timeout error once the deadline has passed, so the loop needs no state of
 * its own to end. Each look decides the next pause (`waitSeconds`), so looks come when they
 * can succeed.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { catchNamed, type NamedCatchProps } from './failures';
import { lambdaTask, type LambdaTaskOptions } from './lambda-task';

/** One Lambda task of a long operation. */
export interface LongOperationTask {
  /** The state's name, as a person reads it in the console graph ("Create Snapshot"). */
  readonly name: string;
  /** The function the task invokes. */
  readonly handler: lambda.IFunction;
  /** The task's payload (Step Functions `Parameters`). */
  readonly payload: Record<string, unknown>;
}

export interface LongOperationStart extends LongOperationTask {
  /**
   * The start never reports the operation done (its phase always has `done: false` and a
   * `waitSeconds`): its next state is the Wait, not the Choice. Set it only for a start that
   * cannot find its operation over (a send, a put-into-service, a create); see the class comment.
   * @default false (the start's phase goes to the Choice, which may end the operation at once)
   */
  readonly neverDone?: boolean;
  /**
   * How the start task is retried.
   * @default {} (Lambda service errors and throttling only: starting may not be safe to repeat)
   */
  readonly options?: LambdaTaskOptions;
}

export interface LongOperationProps {
  /**
   * Where the operation's phase lives in the state (`$.snapshot`): each task's result goes
   * there, and the check reports `done` and `waitSeconds` in it.
   */
  readonly resultPath: string;
  /**
   * The task that starts the operation, and whose result is the first phase.
   * @default none: the operation starts at the Choice, with a phase some earlier state wrote
   */
  readonly start?: LongOperationStart;
  /**
   * The task that looks again. It may run twice with the same effect, and is retried so (`idempotent`),
   * unless it says it sends (`sends: true`: a check that starts the next step when a look sees this one
   * done, as Set Up Surge Hosts does), which keeps it to the retries that prove it did not run.
   */
  readonly check: LongOperationTask & { readonly sends?: boolean };
  /** The Choice "done?" ("Snapshot Ready?"). */
  readonly choice: string;
  /** The Wait before each check ("Wait For Snapshot"). */
  readonly wait: string;
  /**
   * The operation puts hosts back where they were: its check rides out throttling as long as a
   * rollback's tasks do (`LambdaTaskOptions.restoring`).
   * @default false
   */
  readonly restoring?: boolean;
  /**
   * Where a failure of the start or the check goes, named (`catchNamed`). Leave it out to
   * catch `tasks` one by one, for example with a catcher for a particular error first.
   * @default no catch
   */
  readonly catch?: { readonly handler: sfn.IChainable } & NamedCatchProps;
}

/**
 * Start, wait, check, with the deadline kept by the check and a catch on both tasks. Chain
 * it like a state: `op.next(state)` is where the operation goes once done.
 */
export class LongOperation extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  /** None: the operation ends at its Choice, which `next` adds a branch to. */
  readonly endStates: sfn.INextable[] = [];
  /** The Choice "done?": where a start outside this fragment continues. */
  readonly choice: sfn.Choice;
  /** The check task. */
  readonly check: tasks.LambdaInvoke;
  /** The start task, if any. */
  readonly starter?: tasks.LambdaInvoke;
  /** The first task that runs: the start task, or else the check. */
  readonly firstTask: tasks.LambdaInvoke;
  /** Every task of the operation (start first), for catchers of their own. */
  readonly tasks: tasks.LambdaInvoke[];
  private readonly resultPath: string;

  constructor(scope: Construct, id: string, props: LongOperationProps) {
    super(scope, id);
    this.resultPath = props.resultPath;
    this.choice = new sfn.Choice(this, props.choice);
    const wait = new sfn.Wait(this, props.wait, { time: sfn.WaitTime.secondsPath(`${props.resultPath}.waitSeconds`) });
    this.check = lambdaTask(this, props.check.name, props.check.handler, props.check.payload, props.resultPath, {
      idempotent: props.check.sends !== true,
      ...(props.restoring ? { restoring: true } : {}),
    });
    this.choice.otherwise(wait);
    wait.next(this.check);
    this.check.next(this.choice);
    if (props.start) {
      this.starter = lambdaTask(this, props.start.name, props.start.handler, props.start.payload, props.resultPath, props.start.options);
      this.starter.next(props.start.neverDone === true ? wait : this.choice);
    }
    this.startState = this.starter ?? this.choice;
    this.firstTask = this.starter ?? this.check;
    this.tasks = this.starter ? [this.starter, this.check] : [this.check];
    if (props.catch) {
      const { handler, ...catchProps } = props.catch;
      for (const task of this.tasks) catchNamed(this, task, handler, catchProps);
    }
  }

  /**
   * Where the operation goes once done when `condition` also holds, ahead of `next`: a decision the state would
   * otherwise take in a Choice of its own right after (Gate On Alarms?) is taken in the operation's Choice, one
   * transition fewer. Call it before `next`: a Choice's rules are read in order.
   */
  nextIf(condition: sfn.Condition, next: sfn.IChainable): this {
    this.choice.when(sfn.Condition.and(sfn.Condition.booleanEquals(`${this.resultPath}.done`, true), condition), next);
    return this;
  }

  /** Where the operation goes once the check reports `done`. */
  override next(next: sfn.IChainable): sfn.Chain {
    this.choice.when(sfn.Condition.booleanEquals(`${this.resultPath}.done`, true), next);
    // A pause of 0: the check watches again at once, without a Wait's transition. (A done phase
    // pauses 0 too: the rule names both, so it does not depend on coming after the rule above.)
    const watchNow = sfn.Condition.and(sfn.Condition.booleanEquals(`${this.resultPath}.done`, false), sfn.Condition.numberEquals(`${this.resultPath}.waitSeconds`, 0));
    this.choice.when(watchNow, this.check);
    return sfn.Chain.custom(this.startState, sfn.Chain.start(next).endStates, next);
  }
}
