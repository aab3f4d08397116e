/**
 * One batch, as every workflow that moves hosts runs it:
 *
 *   Take Batch Out -> [Wait For Drain -> Check Drain]* -> Mark Install Started -> Install Release
 *   -> [Wait/Check Install]* -> Return Batch To Traffic -> [Wait For Health -> Check Health]*
 *   -> [Check Alarms] -> next
 *   on any failure: the batch is rolled back (out, previous release, back in, healthy) and fails
 *
 * Every failure is named (constructs/failures.ts): an error that is not one of FleetFlow's is
 * renamed UnexpectedTaskError, naming the state, the tier and the batch's hosts, before the
 * rollback starts (or, in the rollback, before the batch goes back into traffic).
 *
 * The state it runs on is a `BatchState` (lambdas/domain/contract/payloads.ts) with the batch's hosts
 * already loaded at `$.batch.hosts`.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { catchNamed, lambdaMessage } from '../constructs/failures';
import { lambdaTask } from '../constructs/lambda-task';
import { LongOperation } from '../constructs/long-operation';

export interface BatchFunctions {
  readonly checkCapacity: lambda.IFunction;
  readonly takeOutOfTraffic: lambda.IFunction;
  readonly checkDrained: lambda.IFunction;
  readonly installRelease: lambda.IFunction;
  readonly checkInstall: lambda.IFunction;
  readonly returnToTraffic: lambda.IFunction;
  readonly checkHealthy: lambda.IFunction;
  readonly checkAlarms: lambda.IFunction;
}

/** Names of the states of one direction of the pipeline. */
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

export interface BatchPipelineProps {
  readonly functions: BatchFunctions;
  /** Where a batch goes once it is healthy (and its alarms are quiet). */
  readonly next: sfn.IChainable;
}

export class BatchPipeline extends Construct {
  /** The first state: Check Capacity. */
  readonly start: sfn.IChainable;
  /** Fails the batch without a rollback, when nothing has changed. */
  readonly refused: sfn.Fail;

  constructor(scope: Construct, id: string, props: BatchPipelineProps) {
    super(scope, id);
    const f = props.functions;
    this.refused = new sfn.Fail(this, 'Batch Refused', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const rollback = this.rollbackPipeline(f);
    const catchToRollback = (task: sfn.TaskStateBase) =>
      catchNamed(this, task, rollback, { resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY });

    // The tier's alarms gate the next batch, except in a revert (the bad release may still be firing them).
    // Decided in the health's own Choice (Batch Healthy?), not in one of its own after it.
    const gate = lambdaTask(this, 'Check Alarms', f.checkAlarms, batchPayload(false), sfn.JsonPath.DISCARD, { idempotent: true });
    gate.next(props.next);
    catchToRollback(gate);
    const alarmGate = { when: sfn.Condition.booleanEquals('$.checkAlarms', true), then: gate, otherwise: props.next };

    const forward = this.pipeline(FORWARD, false, f, alarmGate, catchToRollback);
    // Nothing has changed when capacity is short: refuse without a rollback.
    forward.takeOut.firstTask.addCatch(lambdaMessage(this, this.refused, '$.failure'), { errors: ['InsufficientCapacityError'], resultPath: '$.failure' });
    catchToRollback(forward.takeOut.firstTask);

    // Before anything leaves service, the rest of the tier must hold its minimum, live, for
    // every kind of tier; hosts just restored may still be passing their checks, so it waits
    // (within the tier's health timeout) before refusing. Nothing has changed either way.
    const checkCapacity = new LongOperation(this, 'Check Capacity', {
      resultPath: '$.capacity',
      start: { name: 'Check Capacity', handler: f.checkCapacity, payload: batchPayload(false), options: { idempotent: true } },
      check: { name: 'Check Capacity Again', handler: f.checkCapacity, payload: batchPayload(false, '$.capacity') },
      choice: 'Capacity Kept?',
      wait: 'Wait For Capacity',
      catch: { handler: this.refused, resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY },
    });
    checkCapacity.next(forward.takeOut);
    this.start = checkCapacity;
  }

  private rollbackPipeline(f: BatchFunctions): sfn.IChainable {
    const rolledBack = new sfn.Fail(this, 'Batch Rolled Back', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const rollbackFailed = new sfn.Fail(this, 'Rollback Failed', { errorPath: '$.rollbackError.Error', causePath: '$.rollbackError.Cause' });
    const describeFailure = new sfn.Pass(this, 'Describe Rollback Failure', {
      parameters: {
        Error: 'RollbackFailedError',
        'Cause.$': "States.Format('rollback of the batch failed ({}) after the release failed ({})', $.rollbackFailure.Cause, $.failure.Cause)",
      },
      resultPath: '$.rollbackError',
    });
    describeFailure.next(rollbackFailed);
    // The batch could not be put back in service: the cause names its hosts as out of traffic.
    const describeLeftOut = new sfn.Pass(this, 'Describe Rollback Left Out', {
      parameters: {
        Error: 'RollbackFailedError',
        'Cause.$':
          "States.Format('rollback of the batch failed ({}) after the release failed ({}); on tier {}, {} could not be put back in service and may be out of traffic', $.rollbackFailure.Cause, $.failure.Cause, $.tier.name, $.batch.label)",
      },
      resultPath: '$.rollbackError',
    });
    describeLeftOut.next(rollbackFailed);
    // Whatever went wrong in the rollback, the batch goes back into traffic.
    // The batch fails either way, but only once its hosts pass their health checks again (or
    // the health timeout says they will not): the execution then ends with them in service.
    const restoreTraffic = new LongOperation(this, 'Restore Traffic After Failed Rollback', {
      resultPath: '$.restoreHealth',
      start: { name: 'Restore Traffic After Failed Rollback', handler: f.returnToTraffic, payload: batchPayload(true), options: { restoring: true }, neverDone: true },
      check: { name: 'Check Restored Health', handler: f.checkHealthy, payload: batchPayload(true, '$.restoreHealth') },
      choice: 'Restored Batch Healthy?',
      wait: 'Wait For Restored Health',
      restoring: true,
    });
    for (const task of restoreTraffic.tasks) task.addCatch(describeLeftOut, { errors: ['States.ALL'], resultPath: '$.restoreFailure' });
    restoreTraffic.next(describeFailure);

    const catchToRestore = (task: sfn.TaskStateBase) =>
      catchNamed(this, task, restoreTraffic, {
        resultPath: '$.rollbackFailure',
        context: ` while rolling back${BATCH_CONTEXT}`,
        args: BATCH_CONTEXT_ARGS,
        causeIn: BATCH_HISTORY,
      });
    const pipeline = this.pipeline(ROLLBACK, true, f, { otherwise: rolledBack }, catchToRestore);
    catchToRestore(pipeline.takeOut.firstTask);
    // Hosts whose install never started still run their previous release: they only go
    // back into traffic (registering a draining target ends its drain). The install starts
    // the moment the drain is done (Batch Drained? leads straight to Install Release), so a
    // drained batch counts as started, even when Install Release failed while sending. The
    // phase is looked at only when there is one (a Choice rule on a missing path fails the state).
    const drained = new sfn.Choice(this, 'Drained Before Failure?')
      .when(sfn.Condition.booleanEquals('$.drain.done', true), pipeline.takeOut)
      .otherwise(pipeline.returnToTraffic);
    return new sfn.Choice(this, 'Install Started?')
      .when(sfn.Condition.isPresent('$.drain.done'), drained)
      .otherwise(pipeline.returnToTraffic);
  }

  /** Drain, install and health loops for one direction. */
  private pipeline(
    names: PipelineNames,
    rollback: boolean,
    f: BatchFunctions,
    onHealthy: { readonly when?: sfn.Condition; readonly then?: sfn.IChainable; readonly otherwise: sfn.IChainable },
    catching: (task: sfn.TaskStateBase) => void,
  ): { takeOut: LongOperation; returnToTraffic: LongOperation } {
    const paths = rollback
      ? { drain: '$.rollbackDrain', install: '$.rollbackInstall', health: '$.rollbackHealth' }
      : { drain: '$.drain', install: '$.install', health: '$.health' };
    // Each step a long operation: the start task (a rollback's rides out throttling longer), then its check until done.
    // `neverDone`: a send or a put-into-service only sets the operation going (a take-out of a tier without traffic is done at once).
    const operation = (name: string, start: lambda.IFunction, n: { choice: string; wait: string; check: string }, check: lambda.IFunction, path: string, neverDone = true) =>
      new LongOperation(this, name, {
        resultPath: path,
        start: { name, handler: start, payload: batchPayload(rollback), options: { restoring: rollback }, neverDone },
        check: { name: n.check, handler: check, payload: batchPayload(rollback, path) },
        choice: n.choice,
        wait: n.wait,
        restoring: rollback,
      });

    const returnToTraffic = operation(names.returnToTraffic, f.returnToTraffic, { choice: names.healthy, wait: names.waitHealth, check: names.checkHealth }, f.checkHealthy, paths.health);
    if (onHealthy.when && onHealthy.then) returnToTraffic.nextIf(onHealthy.when, onHealthy.then);
    returnToTraffic.next(onHealthy.otherwise);

    const install = operation(names.install, f.installRelease, { choice: names.installed, wait: names.waitInstall, check: names.checkInstall }, f.checkInstall, paths.install);
    install.next(returnToTraffic);

    // Drained is the install started: a failure from here on, while sending included, reinstalls the previous release
    // on every host of the batch (the rollback's Install Started? reads the drain's phase).
    const takeOut = operation(names.takeOut, f.takeOutOfTraffic, { choice: names.drained, wait: names.waitDrain, check: names.checkDrain }, f.checkDrained, paths.drain, false);
    takeOut.next(install);

    // The take-out task's own catchers are the caller's (a refusal may come first).
    for (const task of [...returnToTraffic.tasks, ...install.tasks, takeOut.check]) catching(task);
    return { takeOut, returnToTraffic };
  }
}

/** What every batch of the segment carries from one to the next (the rollout's Next Batch states, a surge's Keep Old Batch). */
export const CARRIED = {
  'release.$': '$.release',
  'execution.$': '$.execution',
  'tier.$': '$.tier',
  'checkAlarms.$': '$.checkAlarms',
  'keyPrefix.$': '$.keyPrefix',
  'batchCount.$': '$.batchCount',
  'mode.$': '$.mode',
  'setup.$': '$.setup',
  'reason.$': '$.reason',
};

/** Where a batch task failed, in an UnexpectedTaskError's cause: the tier and the batch's hosts (at most 5 named). */
export const BATCH_CONTEXT = ' on tier {} ({})';
export const BATCH_CONTEXT_ARGS = ['$.tier.name', '$.batch.label'];
/** The batch runs in a child execution of the rollout workflow: its history holds the original cause. */
export const BATCH_HISTORY = "the history of the tier's rollout execution";

/** What every batch task receives: the batch, its tier, and what the tier's previous batch took. */
export function batchPayload(rollback: boolean, phasePath?: string): Record<string, unknown> {
  return {
    'release.$': '$.release',
    'execution.$': '$.execution',
    'tier.$': '$.tier',
    'batch.$': '$.batch',
    'expected.$': '$.expected',
    rollback,
    ...(phasePath ? { 'phase.$': phasePath } : {}),
  };
}
