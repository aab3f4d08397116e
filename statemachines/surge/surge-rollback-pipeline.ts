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
import { LongOperation } from '../constructs/long-operation';

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

    const back = new LongOperation(this, 'Return Restored Hosts', {
      resultPath: '$.health',
      start: { name: 'Return Restored Hosts', handler: f.returnToTraffic, payload: batchPayload(true), options: { restoring: true }, neverDone: true },
      check: { name: 'Check Restored Hosts Health', handler: f.checkHealthy, payload: batchPayload(true, '$.health') },
      choice: 'Restored Hosts Healthy?',
      wait: 'Wait For Restored Hosts Health',
      restoring: true,
    });
    back.next(props.next);
    const start = new LongOperation(this, 'Start Retired Hosts', {
      resultPath: '$.started',
      start: { name: 'Start Retired Hosts', handler: f.startHosts, payload: batchPayload(true), options: { idempotent: true, restoring: true } },
      check: { name: 'Check Started', handler: f.checkStarted, payload: batchPayload(true, '$.started') },
      choice: 'Retired Hosts Started?',
      wait: 'Wait For Retired Hosts',
      restoring: true,
    });
    start.next(back);
    for (const task of [...start.tasks, ...back.tasks]) named(task);
    this.start = start;
  }
}
