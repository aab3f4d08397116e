/**
 * One batch of a surge release (batch.strategy "surge"): capacity never drops, because the
 * batch's replacements are in service before its old hosts leave.
 *
 *   Launch Surge Hosts -> [Wait/Launch More]* -> Check Surge Hosts Ready -> [Wait/Check]*
 *   -> Keep Old Batch -> Load Surge Batch -> (provision pipeline, "Surge ": set up, install the
 *   release, into traffic, healthy) -> Back To Old Batch -> (retire pipeline, "Surge ":
 *   capacity, out, drained, stopped and kept, reason "surge") -> [Surge Check Alarms] -> next
 *   a failure before the new hosts are in service: they are terminated, the batch fails;
 *   after (taking the old hosts out, the tier's alarms): the new hosts stay in service, the old
 *   ones go back, and the batch fails. The release then rolls back (restoring the old hosts,
 *   retiring the new ones) or halts, by policy
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SURGE_REASON } from '../../lambdas/domain/contract/tags';
import { BATCH_CONTEXT, BATCH_CONTEXT_ARGS, BATCH_HISTORY, batchPayload } from '../rollout/batch-pipeline';
import { catchNamed } from '../constructs/failures';
import { lambdaTask } from '../constructs/lambda-task';
import { LongOperation } from '../constructs/long-operation';
import { ProvisionPipeline, type ProvisionFunctions } from '../constructs/provision-pipeline';
import { RetirePipeline, type RetireFunctions } from '../replace/retire-pipeline';

export interface SurgeFunctions extends ProvisionFunctions, RetireFunctions {
  readonly checkAlarms: lambda.IFunction;
  readonly launchSurgeHosts: lambda.IFunction;
  readonly checkSurgeHostsReady: lambda.IFunction;
  readonly loadSurgeBatch: lambda.IFunction;
  readonly terminateLaunched: lambda.IFunction;
}

export class SurgePipeline extends Construct {
  readonly start: sfn.IChainable;

  constructor(scope: Construct, id: string, props: { functions: SurgeFunctions; next: sfn.IChainable }) {
    super(scope, id);
    const f = props.functions;
    const failed = new sfn.Fail(this, 'Surge Batch Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    // Nothing of the old batch has moved: only the new hosts of this batch go.
    const cleanUpPayload = (phasePath?: string) => ({
      'execution.$': '$.execution',
      plan: { 'tiers.$': 'States.Array($.tierOnly)' },
      'scope.$': "States.Format('surge#{}#{}', $.tier.name, $.batch.index)",
      ...(phasePath ? { 'phase.$': phasePath } : {}),
    });
    const shapeCleanUp = new sfn.Pass(this, 'Surge Batch Cleanup Input', { parameters: { 'spec.$': '$.tier' }, resultPath: '$.tierOnly' });
    const cleanUp = new LongOperation(this, 'Terminate Surge Hosts', {
      resultPath: '$.surgeCleanUp',
      start: { name: 'Terminate Surge Hosts', handler: f.terminateLaunched, payload: cleanUpPayload(), options: { idempotent: true, restoring: true } },
      check: { name: 'Check Surge Termination', handler: f.terminateLaunched, payload: cleanUpPayload('$.surgeCleanUp') },
      choice: 'Surge Hosts Terminated?',
      wait: 'Wait For Surge Termination',
      restoring: true,
    });
    shapeCleanUp.next(cleanUp);
    cleanUp.next(failed);
    for (const task of cleanUp.tasks) task.addCatch(failed, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
    const named = (task: sfn.TaskStateBase) =>
      catchNamed(this, task, shapeCleanUp, { resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY });

    // The tier's alarms gate the next batch, as in a rolling release; a surge batch that set them off fails, named.
    const batchFailed = new sfn.Fail(this, 'Surge Batch Alarmed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const gate = lambdaTask(this, 'Surge Check Alarms', f.checkAlarms, batchPayload(false), sfn.JsonPath.DISCARD, { idempotent: true });
    gate.next(props.next);
    catchNamed(this, gate, batchFailed, { resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY });
    const alarmGate = new sfn.Choice(this, 'Surge Gate On Alarms?').when(sfn.Condition.booleanEquals('$.checkAlarms', true), gate).otherwise(props.next);
    const retire = new RetirePipeline(this, 'Retire', { functions: f, next: alarmGate, prefix: 'Surge ', reason: SURGE_REASON });
    const backToOld = new sfn.Pass(this, 'Back To Old Batch', { inputPath: '$.oldBatch', resultPath: '$.batch' });
    backToOld.next(retire.start);
    const provision = new ProvisionPipeline(this, 'Provision', { functions: f, next: backToOld, prefix: 'Surge ', setupPath: '$.tier.surge.setup', onFailure: shapeCleanUp });

    const load = lambdaTask(this, 'Load Surge Batch', f.loadSurgeBatch, batchPayload(false), '$.batch', { idempotent: true });
    load.next(provision.start);
    const keepOld = new sfn.Pass(this, 'Keep Old Batch', { inputPath: '$.batch', resultPath: '$.oldBatch' });
    keepOld.next(load);
    const ready = new LongOperation(this, 'Check Surge Hosts Ready', {
      resultPath: '$.surgeReady',
      start: { name: 'Check Surge Hosts Ready', handler: f.checkSurgeHostsReady, payload: batchPayload(false), options: { idempotent: true } },
      check: { name: 'Check Surge Hosts Ready Again', handler: f.checkSurgeHostsReady, payload: batchPayload(false, '$.surgeReady') },
      choice: 'Surge Hosts Ready?',
      wait: 'Wait For Surge Hosts',
    });
    ready.next(keepOld);
    const launch = new LongOperation(this, 'Launch Surge Hosts', {
      resultPath: '$.surgeLaunch',
      start: { name: 'Launch Surge Hosts', handler: f.launchSurgeHosts, payload: batchPayload(false), options: { idempotent: true } },
      check: { name: 'Launch More Surge Hosts', handler: f.launchSurgeHosts, payload: batchPayload(false, '$.surgeLaunch') },
      choice: 'Surge Hosts Launched?',
      wait: 'Wait To Launch More Surge Hosts',
    });
    launch.next(ready);
    for (const task of [...launch.tasks, ...ready.tasks, load]) named(task);
    this.start = launch;
  }
}
