/**
 * One batch of replaced hosts (rollout mode "retire"): only once their replacements are
 * in service does a batch leave, and never below the tier's minimum (Check Capacity, live):
 *
 *   Check Capacity -> Take Retiring Hosts Out -> [Wait/Check Drain]* -> Retire Hosts
 *   -> [Wait/Check Retired]* -> next
 *   a failure before they leave: the batch fails, nothing changed;
 *   after: they go back into traffic (if they still run), then the batch fails, named; if
 *   putting them back fails too (one was terminated meanwhile, EC2 throttled), the cause says
 *   the batch's hosts may be out of traffic
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BATCH_CONTEXT, BATCH_CONTEXT_ARGS, BATCH_HISTORY, batchPayload, type BatchFunctions } from '../rollout/batch-pipeline';
import { catchNamed, lambdaMessage } from '../constructs/failures';
import { LongOperation } from '../constructs/long-operation';

export interface RetireFunctions extends Pick<BatchFunctions, 'checkCapacity' | 'takeOutOfTraffic' | 'checkDrained' | 'returnToTraffic' | 'checkHealthy'> {
  readonly retireHosts: lambda.IFunction;
  readonly checkRetired: lambda.IFunction;
}

export class RetirePipeline extends Construct {
  /** Check Retire Capacity: where a batch starts. */
  readonly start: sfn.IChainable;
  /**
   * Take Retiring Hosts Out, for a caller that enters past the capacity check (`takeOutRefuses`):
   * for a tier behind target groups the take-out itself refuses a batch the rest of the tier could
   * not cover (lambdas/rollout/take-out-of-traffic.ts, InsufficientCapacityError).
   */
  readonly takeOut: sfn.IChainable;

  constructor(
    scope: Construct,
    id: string,
    props: {
      functions: RetireFunctions;
      next: sfn.IChainable;
      prefix?: string;
      reason?: string;
      onFailure?: sfn.IChainable;
      /** When it holds, the batch goes on once its hosts are asked to stop, without waiting for them (a pipelined surge: its next launch waits instead). */
      stopWaitSkippedWhen?: sfn.Condition;
      /**
       * Where a batch goes instead of `next` when `$.checkAlarms` holds (a surge's alarm gate): ruled
       * in the Choice that ends the batch, so the gate needs no Choice of its own.
       */
      gateOnAlarms?: sfn.IChainable;
      /**
       * A caller may enter at `takeOut` (a surge, for a tier behind target groups): the take-out's
       * InsufficientCapacityError then fails the batch as Check Retire Capacity's would, nothing changed.
       * @default false
       */
      takeOutRefuses?: boolean;
    },
  ) {
    super(scope, id);
    const n = (name: string) => `${props.prefix ?? ''}${name}`;
    const f = props.functions;
    // A surge also cleans up what it prepared for its next batch before failing (surge-pipeline.ts).
    const failed = props.onFailure ?? new sfn.Fail(this, n('Retire Failed'), { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const named = { resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY };

    // Out of traffic but not retired: back in, and healthy again, so the tier ends with what it had.
    const putBack = new LongOperation(this, n('Return Retiring Hosts'), {
      resultPath: '$.restoreHealth',
      start: { name: n('Return Retiring Hosts'), handler: f.returnToTraffic, payload: batchPayload(true), options: { restoring: true }, neverDone: true },
      check: { name: n('Check Returned Hosts'), handler: f.checkHealthy, payload: batchPayload(true, '$.restoreHealth') },
      choice: n('Returned Hosts Healthy?'),
      wait: n('Wait For Returned Hosts'),
      restoring: true,
    });
    putBack.next(failed);
    // The batch's failure stays the one named; its cause then says which hosts may be left out of traffic.
    const returnFailed = new sfn.Pass(this, n('Describe Return Failure'), {
      parameters: {
        'Error.$': '$.failure.Error',
        'Cause.$': "States.Format('{}; putting the batch back into traffic failed too: on tier {}, {} may be out of traffic', $.failure.Cause, $.tier.name, $.batch.label)",
      },
      resultPath: '$.failure',
    });
    returnFailed.next(failed);
    for (const task of putBack.tasks) task.addCatch(returnFailed, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });

    const retirePayload = (phasePath?: string) => ({ ...batchPayload(false, phasePath), ...(props.reason ? { reason: props.reason } : { 'reason.$': '$.reason' }) });
    const retire = new LongOperation(this, n('Retire Hosts'), {
      resultPath: '$.retired',
      start: { name: n('Retire Hosts'), handler: f.retireHosts, payload: retirePayload(), options: { idempotent: true } },
      check: { name: n('Check Retired'), handler: f.checkRetired, payload: retirePayload('$.retired') },
      choice: n('Hosts Retired?'),
      wait: n('Wait For Retire'),
      // Once they are asked to stop, putting them back cannot help: the batch fails as it is, its cause saying they are out.
      catch: { handler: failed, ...named, context: `${BATCH_CONTEXT}, taken out of traffic` },
    });
    // First: a Choice takes the first rule that matches, and a start that asks to be watched at once would go to the check.
    // With an alarm gate, each way on goes to it when the batch's alarms are checked (a rule each: no Choice of the gate's own).
    const gated = (when: sfn.Condition) => {
      if (props.gateOnAlarms) retire.choice.when(sfn.Condition.and(when, sfn.Condition.booleanEquals('$.checkAlarms', true)), props.gateOnAlarms);
    };
    if (props.stopWaitSkippedWhen) {
      gated(props.stopWaitSkippedWhen);
      retire.choice.when(props.stopWaitSkippedWhen, props.next);
    }
    gated(sfn.Condition.booleanEquals('$.retired.done', true));
    retire.next(props.next);

    const takeOut = new LongOperation(this, n('Take Retiring Hosts Out'), {
      resultPath: '$.drain',
      start: { name: n('Take Retiring Hosts Out'), handler: f.takeOutOfTraffic, payload: batchPayload(false) },
      check: { name: n('Check Retiring Drain'), handler: f.checkDrained, payload: batchPayload(false, '$.drain') },
      choice: n('Retiring Hosts Drained?'),
      wait: n('Wait For Retiring Drain'),
    });
    // Refused before anything changed: no hosts to put back. First, as a Catch takes the first rule that matches.
    if (props.takeOutRefuses) takeOut.firstTask.addCatch(lambdaMessage(this, failed, '$.failure'), { errors: ['InsufficientCapacityError'], resultPath: '$.failure' });
    for (const task of takeOut.tasks) catchNamed(this, task, putBack, named);
    takeOut.next(retire);
    this.takeOut = takeOut;

    const capacity = new LongOperation(this, n('Check Retire Capacity'), {
      resultPath: '$.capacity',
      start: { name: n('Check Retire Capacity'), handler: f.checkCapacity, payload: batchPayload(false), options: { idempotent: true } },
      check: { name: n('Check Retire Capacity Again'), handler: f.checkCapacity, payload: batchPayload(false, '$.capacity') },
      choice: n('Retire Capacity Kept?'),
      wait: n('Wait For Retire Capacity'),
      catch: { handler: failed, ...named },
    });
    capacity.next(takeOut);
    this.start = capacity;
  }
}
