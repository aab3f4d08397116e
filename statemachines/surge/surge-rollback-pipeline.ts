/**
 * One batch of hosts a surge stopped, brought back when its release is rolled back
 * (rollout mode "restore"): they still run the previous release, so they only start,
 * rejoin traffic and pass their health checks.
 *
 *   Start Retired Hosts -> [Wait/Check Started]* -> Return Restored Hosts -> [Wait/Check Health]* -> next
 *   on any failure: the batch fails, named (the release's rollback then fails, saying so)
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BATCH_CONTEXT, BATCH_CONTEXT_ARGS, BATCH_HISTORY, batchPayload, type BatchFunctions } from '../rollout/batch-pipeline';
import { catchNamed } from '../constructs/failures';
import { lambdaTask, pollLoop } from '../constructs/lambda-task';

export interface SurgeRollbackFunctions extends Pick<BatchFunctions, 'returnToTraffic' | 'checkHealthy'> {
  readonly startHosts: lambda.IFunction;
  readonly checkStarted: lambda.IFunction;
}

export class SurgeRollbackPipeline extends Construct {
  readonly start: sfn.IChainable;

  constructor(scope: Construct, id: string, props: { functions: SurgeRollbackFunctions; next: sfn.IChainable }) {
    super(scope, id);
    const f = props.functions;
    const failed = new sfn.Fail(this, 'Restore Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const named = (task: sfn.TaskStateBase) =>
      catchNamed(this, task, failed, { resultPath: '$.failure', context: ` restoring${BATCH_CONTEXT}`, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY });

    const back = lambdaTask(this, 'Return Restored Hosts', f.returnToTraffic, batchPayload(true), '$.health', { restoring: true });
    const healthy = pollLoop(this, { choice: 'Restored Hosts Healthy?', wait: 'Wait For Restored Hosts Health', check: 'Check Restored Hosts Health' }, f.checkHealthy, '$.health', props.next, batchPayload(true, '$.health'), { restoring: true });
    back.next(healthy.choice);
    const start = lambdaTask(this, 'Start Retired Hosts', f.startHosts, batchPayload(true), '$.started', { idempotent: true, restoring: true });
    const started = pollLoop(this, { choice: 'Retired Hosts Started?', wait: 'Wait For Retired Hosts', check: 'Check Started' }, f.checkStarted, '$.started', back, batchPayload(true, '$.started'), { restoring: true });
    start.next(started.choice);
    for (const task of [start, started.check, back, healthy.check]) named(task);
    this.start = start;
  }
}
