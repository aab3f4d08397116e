/**
 * One batch of hosts repointed to another database (rollout modes "repoint" and
 * "repoint-back"), with a release's capacity rules and traffic handling, so the service
 * stays up while it switches:
 *
 *   Check Capacity -> Take Out -> [Wait/Check Drain]* -> Reconfigure Hosts -> [Wait/Check]*
 *   -> Return -> [Wait/Check Health]* -> [Check Alarms] -> next
 *
 * Forward, a failure after the batch left traffic fails the segment with the hosts still
 * out (and marked): the parent writes the previous endpoint back and its repoint back takes
 * them first. Back, a failure returns the batch to traffic before failing, as a release's
 * rollback does: the execution then ends with every host in service.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BATCH_CONTEXT, BATCH_CONTEXT_ARGS, BATCH_HISTORY, batchPayload, type BatchFunctions } from '../rollout/batch-pipeline';
import { catchNamed } from '../constructs/failures';
import { lambdaTask, pollLoop } from '../constructs/lambda-task';

export interface RepointFunctions extends Pick<BatchFunctions, 'checkCapacity' | 'takeOutOfTraffic' | 'checkDrained' | 'returnToTraffic' | 'checkHealthy' | 'checkAlarms'> {
  readonly reconfigureHosts: lambda.IFunction;
  readonly checkReconfigured: lambda.IFunction;
}

export interface RepointPipelineProps {
  readonly functions: RepointFunctions;
  readonly next: sfn.IChainable;
  /** Pointing hosts back: no alarm gate (the failure may still fire them), and failures return the batch to traffic. */
  readonly back: boolean;
}

export class RepointPipeline extends Construct {
  readonly start: sfn.IChainable;

  constructor(scope: Construct, id: string, props: RepointPipelineProps) {
    super(scope, id);
    const f = props.functions;
    const w = props.back ? 'Repoint Back' : 'Repoint';
    const failed = new sfn.Fail(this, `${w} Failed`, { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const named = { resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY };
    const loop = (names: { choice: string; wait: string; check: string }, fn: lambda.IFunction, path: string, next: sfn.IChainable) =>
      pollLoop(this, names, fn, path, next, batchPayload(props.back, path), { restoring: props.back });

    // Back: whatever failed, the batch returns to traffic and the segment fails once it is healthy (or will not be).
    let onFailure: sfn.IChainable = failed;
    // Back: a batch that could not be put back in service is named in the cause, as out of traffic
    // (its hosts may be deregistered, drained, or registered and unhealthy).
    let leftOut: sfn.IChainable = failed;
    if (props.back) {
      const describeLeftOut = new sfn.Pass(this, 'Describe Batch Left Out', {
        parameters: {
          'Error.$': '$.failure.Error',
          'Cause.$': "States.Format('{}; on tier {}, {} could not be put back in service and may be out of traffic', $.failure.Cause, $.tier.name, $.batch.label)",
        },
        resultPath: '$.failure',
      });
      describeLeftOut.next(failed);
      leftOut = describeLeftOut;
      const restore = lambdaTask(this, 'Return Batch After Failed Repoint Back', f.returnToTraffic, batchPayload(true), '$.restoreHealth', { restoring: true });
      const restored = loop({ choice: 'Batch Back In Service?', wait: 'Wait For Batch Back', check: 'Check Batch Back' }, f.checkHealthy, '$.restoreHealth', failed);
      restore.next(restored.choice);
      for (const task of [restore, restored.check]) task.addCatch(leftOut, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
      onFailure = restore;
    }

    let done: sfn.IChainable = props.next;
    if (!props.back) {
      const gate = lambdaTask(this, 'Check Repoint Alarms', f.checkAlarms, batchPayload(false), sfn.JsonPath.DISCARD, { idempotent: true });
      gate.next(props.next);
      catchNamed(this, gate, onFailure, named);
      done = new sfn.Choice(this, 'Gate Repoint On Alarms?').when(sfn.Condition.booleanEquals('$.checkAlarms', true), gate).otherwise(props.next);
    }

    const returnBatch = lambdaTask(this, `Return ${w} Batch`, f.returnToTraffic, batchPayload(props.back), '$.health', { restoring: props.back });
    const healthy = loop({ choice: `${w} Batch Healthy?`, wait: `Wait For ${w} Health`, check: `Check ${w} Health` }, f.checkHealthy, '$.health', done);
    returnBatch.next(healthy.choice);

    const reconfigure = lambdaTask(this, `Reconfigure ${w} Batch`, f.reconfigureHosts, batchPayload(props.back), '$.reconfigure', { restoring: props.back });
    const reconfigured = loop({ choice: `${w} Batch Reconfigured?`, wait: `Wait For ${w} Reconfigure`, check: `Check ${w} Reconfigure` }, f.checkReconfigured, '$.reconfigure', returnBatch);
    reconfigure.next(reconfigured.choice);

    const takeOut = lambdaTask(this, `Take ${w} Batch Out`, f.takeOutOfTraffic, batchPayload(props.back), '$.drain', { restoring: props.back });
    const drained = loop({ choice: `${w} Batch Drained?`, wait: `Wait For ${w} Drain`, check: `Check ${w} Drain` }, f.checkDrained, '$.drain', reconfigure);
    takeOut.next(drained.choice);
    for (const task of [takeOut, drained.check, reconfigure, reconfigured.check, returnBatch, healthy.check]) catchNamed(this, task, onFailure, named);

    // Before anything leaves service, the rest of the tier holds its minimum, live; nothing has changed if not.
    const capacity = lambdaTask(this, `Check ${w} Capacity`, f.checkCapacity, batchPayload(props.back), '$.capacity', { idempotent: true });
    const capacityLoop = loop({ choice: `${w} Capacity Kept?`, wait: `Wait For ${w} Capacity`, check: `Check ${w} Capacity Again` }, f.checkCapacity, '$.capacity', takeOut);
    capacity.next(capacityLoop.choice);
    // Back, the first batch holds the hosts the failed repoint left out of traffic: a refusal leaves them out, and says so.
    for (const task of [capacity, capacityLoop.check]) catchNamed(this, task, props.back ? leftOut : failed, named);
    this.start = capacity;
  }
}
