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
import { lambdaTask, type LambdaTaskOptions } from '../constructs/lambda-task';
import { LongOperation } from '../constructs/long-operation';

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
    // Each step a long operation: the start task, then its check until done.
    const operation = (start: { name: string; handler: lambda.IFunction; options?: LambdaTaskOptions; neverDone?: boolean }, names: { choice: string; wait: string; check: string }, check: lambda.IFunction, path: string) =>
      new LongOperation(this, start.name, {
        resultPath: path,
        start: { ...start, payload: batchPayload(props.back) },
        check: { name: names.check, handler: check, payload: batchPayload(props.back, path) },
        choice: names.choice,
        wait: names.wait,
        restoring: props.back,
      });

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
      const restore = operation(
        { name: 'Return Batch After Failed Repoint Back', handler: f.returnToTraffic, options: { restoring: true }, neverDone: true },
        { choice: 'Batch Back In Service?', wait: 'Wait For Batch Back', check: 'Check Batch Back' },
        f.checkHealthy,
        '$.restoreHealth',
      );
      restore.next(failed);
      for (const task of restore.tasks) task.addCatch(leftOut, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
      onFailure = restore;
    }

    // Forward, the tier's alarms gate the next batch, decided in the health's own Choice (no Choice of its own after it).
    let gate: sfn.TaskStateBase | undefined;
    if (!props.back) {
      gate = lambdaTask(this, 'Check Repoint Alarms', f.checkAlarms, batchPayload(false), sfn.JsonPath.DISCARD, { idempotent: true });
      gate.next(props.next);
      catchNamed(this, gate, onFailure, named);
    }

    const returnBatch = operation(
      { name: `Return ${w} Batch`, handler: f.returnToTraffic, options: { restoring: props.back }, neverDone: true },
      { choice: `${w} Batch Healthy?`, wait: `Wait For ${w} Health`, check: `Check ${w} Health` },
      f.checkHealthy,
      '$.health',
    );
    if (gate) returnBatch.nextIf(sfn.Condition.booleanEquals('$.checkAlarms', true), gate);
    returnBatch.next(props.next);

    const reconfigure = operation(
      { name: `Reconfigure ${w} Batch`, handler: f.reconfigureHosts, options: { restoring: props.back }, neverDone: true },
      { choice: `${w} Batch Reconfigured?`, wait: `Wait For ${w} Reconfigure`, check: `Check ${w} Reconfigure` },
      f.checkReconfigured,
      '$.reconfigure',
    );
    reconfigure.next(returnBatch);

    const takeOut = operation(
      { name: `Take ${w} Batch Out`, handler: f.takeOutOfTraffic, options: { restoring: props.back } },
      { choice: `${w} Batch Drained?`, wait: `Wait For ${w} Drain`, check: `Check ${w} Drain` },
      f.checkDrained,
      '$.drain',
    );
    takeOut.next(reconfigure);
    for (const task of [...takeOut.tasks, ...reconfigure.tasks, ...returnBatch.tasks]) catchNamed(this, task, onFailure, named);

    // Before anything leaves service, the rest of the tier holds its minimum, live; nothing has changed if not.
    const capacity = operation(
      { name: `Check ${w} Capacity`, handler: f.checkCapacity, options: { idempotent: true } },
      { choice: `${w} Capacity Kept?`, wait: `Wait For ${w} Capacity`, check: `Check ${w} Capacity Again` },
      f.checkCapacity,
      '$.capacity',
    );
    capacity.next(takeOut);
    // Back, the first batch holds the hosts the failed repoint left out of traffic: a refusal leaves them out, and says so.
    for (const task of capacity.tasks) catchNamed(this, task, props.back ? leftOut : failed, named);
    this.start = capacity;
  }
}
