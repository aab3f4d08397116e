/**
 * One batch of replaced hosts (rollout mode "retire"): only once their replacements are
 * in service does a batch leave, and never below the tier's minimum (Check Capacity, live):
 *
 *   Check Capacity -> Take Retiring Hosts Out -> [Wait/Check Drain]* -> Retire Hosts
 *   -> [Wait/Check Retired]* -> next
 *   a failure before they leave: the batch fails, nothing changed;
 *   after: they go back into traffic (if they still run), then the batch fails, named
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { BATCH_CONTEXT, BATCH_CONTEXT_ARGS, BATCH_HISTORY, batchPayload, type BatchFunctions } from '../rollout/batch-pipeline';
import { catchNamed } from '../constructs/failures';
import { lambdaTask, pollLoop } from '../constructs/lambda-task';

export interface RetireFunctions extends Pick<BatchFunctions, 'checkCapacity' | 'takeOutOfTraffic' | 'checkDrained' | 'returnToTraffic' | 'checkHealthy'> {
  readonly retireHosts: lambda.IFunction;
  readonly checkRetired: lambda.IFunction;
}

export class RetirePipeline extends Construct {
  readonly start: sfn.IChainable;

  constructor(scope: Construct, id: string, props: { functions: RetireFunctions; next: sfn.IChainable; prefix?: string; reason?: string }) {
    super(scope, id);
    const n = (name: string) => `${props.prefix ?? ''}${name}`;
    const f = props.functions;
    const failed = new sfn.Fail(this, n('Retire Failed'), { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const named = { resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY };

    // Out of traffic but not retired: back in, and healthy again, so the tier ends with what it had.
    const putBack = lambdaTask(this, n('Return Retiring Hosts'), f.returnToTraffic, batchPayload(true), '$.restoreHealth', { restoring: true });
    const putBackHealthy = pollLoop(
      this,
      { choice: n('Returned Hosts Healthy?'), wait: n('Wait For Returned Hosts'), check: n('Check Returned Hosts') },
      f.checkHealthy,
      '$.restoreHealth',
      failed,
      batchPayload(true, '$.restoreHealth'),
      { restoring: true },
    );
    putBack.next(putBackHealthy.choice);
    for (const task of [putBack, putBackHealthy.check]) task.addCatch(failed, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });

    const retirePayload = (phasePath?: string) => ({ ...batchPayload(false, phasePath), ...(props.reason ? { reason: props.reason } : { 'reason.$': '$.reason' }) });
    const retire = lambdaTask(this, n('Retire Hosts'), f.retireHosts, retirePayload(), '$.retired', { idempotent: true });
    const retired = pollLoop(this, { choice: n('Hosts Retired?'), wait: n('Wait For Retire'), check: n('Check Retired') }, f.checkRetired, '$.retired', props.next, retirePayload('$.retired'));
    retire.next(retired.choice);
    // Once they are asked to stop, putting them back cannot help: the batch fails as it is.
    for (const task of [retire, retired.check]) catchNamed(this, task, failed, named);

    const takeOut = lambdaTask(this, n('Take Retiring Hosts Out'), f.takeOutOfTraffic, batchPayload(false), '$.drain');
    const drained = pollLoop(this, { choice: n('Retiring Hosts Drained?'), wait: n('Wait For Retiring Drain'), check: n('Check Retiring Drain') }, f.checkDrained, '$.drain', retire, batchPayload(false, '$.drain'));
    takeOut.next(drained.choice);
    for (const task of [takeOut, drained.check] as tasks.LambdaInvoke[]) catchNamed(this, task, putBack, named);

    const capacity = lambdaTask(this, n('Check Retire Capacity'), f.checkCapacity, batchPayload(false), '$.capacity', { idempotent: true });
    const capacityLoop = pollLoop(this, { choice: n('Retire Capacity Kept?'), wait: n('Wait For Retire Capacity'), check: n('Check Retire Capacity Again') }, f.checkCapacity, '$.capacity', takeOut, batchPayload(false, '$.capacity'));
    capacity.next(capacityLoop.choice);
    for (const task of [capacity, capacityLoop.check]) catchNamed(this, task, failed, named);
    this.start = capacity;
  }
}
