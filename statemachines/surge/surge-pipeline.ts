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
 *
 * Pipelined (the plan's `tier.surge.pipeline`: batch.maxSurge holds two batches), once this
 * batch's hosts are ready and before Keep Old Batch, a batch that is not its segment's last
 * prepares the next one: Load Next Surge Batch -> Launch Next Surge Hosts (one call of the
 * same idempotent launch, same scope and tokens as the next batch's own). Those hosts boot
 * and pass their checks while this batch sets up, installs and swaps; the next batch's own
 * Launch Surge Hosts then finds them launched, and its Check Surge Hosts Ready finds them
 * ready. Never more than two batches' new hosts exist before the older batch's old hosts
 * stop. Preparing may fail without harm: the next batch launches for itself, as unpipelined.
 * Every failure of this batch also terminates the next batch's prepared hosts (scope
 * `surge#<tier>#<index + 1>`), so a halt or rollback finds what it found before.
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
  readonly loadBatch: lambda.IFunction;
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
    // Nothing of the old batch has moved: only the new hosts of this batch go, and the next
    // batch's when this one prepared them (none otherwise: nothing launched under its scope).
    const thisScope = "States.Format('surge#{}#{}', $.tier.name, $.batch.index)";
    const nextScope = "States.Format('surge#{}#{}', $.tier.name, States.MathAdd($.batch.index, 1))";
    const cleanUpPayload = (scope: string, phasePath?: string) => ({
      'execution.$': '$.execution',
      plan: { 'tiers.$': 'States.Array($.tierOnly)' },
      'scope.$': scope,
      ...(phasePath ? { 'phase.$': phasePath } : {}),
    });
    const bothScopes = `States.Array(${thisScope}, ${nextScope})`;
    /**
     * Terminates what the surge launched under `scope` (its input shaped first), then goes to `then`
     * whether or not that worked: the failure that brought it here is the one the batch ends with.
     */
    const terminateUnder = (
      scope: string,
      names: { input: string; start: string; check: string; choice: string; wait: string },
      then: sfn.IChainable,
    ): sfn.Pass => {
      const shape = new sfn.Pass(this, names.input, { parameters: { 'spec.$': '$.tier' }, resultPath: '$.tierOnly' });
      const terminate = new LongOperation(this, names.start, {
        resultPath: '$.surgeCleanUp',
        start: { name: names.start, handler: f.terminateLaunched, payload: cleanUpPayload(scope), options: { idempotent: true, restoring: true } },
        check: { name: names.check, handler: f.terminateLaunched, payload: cleanUpPayload(scope, '$.surgeCleanUp') },
        choice: names.choice,
        wait: names.wait,
        restoring: true,
      });
      shape.next(terminate);
      terminate.next(then);
      for (const task of terminate.tasks) task.addCatch(then, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
      return shape;
    };
    const shapeCleanUp = terminateUnder(
      bothScopes,
      { input: 'Surge Batch Cleanup Input', start: 'Terminate Surge Hosts', check: 'Check Surge Termination', choice: 'Surge Hosts Terminated?', wait: 'Wait For Surge Termination' },
      failed,
    );
    const named = (task: sfn.TaskStateBase) =>
      catchNamed(this, task, shapeCleanUp, { resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY });

    // Once this batch's new hosts are in service they stay (a halt keeps them, a rollback retires
    // them); only the next batch's prepared hosts, in no service yet, are terminated before it fails.
    const inServiceFailed = new sfn.Fail(this, 'Surge Batch Failed In Service', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const shapePreparedCleanUp = terminateUnder(
      nextScope,
      { input: 'Prepared Cleanup Input', start: 'Terminate Prepared Surge Hosts', check: 'Check Prepared Termination', choice: 'Prepared Surge Hosts Terminated?', wait: 'Wait For Prepared Termination' },
      inServiceFailed,
    );
    // Unpipelined, each failure ends where it always did.
    const prepared = sfn.Condition.isPresent('$.prepared');
    const afterService = (name: string, failed: sfn.IChainable) => new sfn.Choice(this, name).when(prepared, shapePreparedCleanUp).otherwise(failed);

    // The tier's alarms gate the next batch, as in a rolling release; a surge batch that set them off fails, named.
    const batchFailed = new sfn.Fail(this, 'Surge Batch Alarmed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const gate = lambdaTask(this, 'Surge Check Alarms', f.checkAlarms, batchPayload(false), sfn.JsonPath.DISCARD, { idempotent: true });
    gate.next(props.next);
    catchNamed(this, gate, afterService('Surge Alarmed With Prepared Hosts?', batchFailed), { resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY });
    const alarmGate = new sfn.Choice(this, 'Surge Gate On Alarms?').when(sfn.Condition.booleanEquals('$.checkAlarms', true), gate).otherwise(props.next);
    const retireFailed = new sfn.Fail(this, 'Surge Retire Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const retire = new RetirePipeline(this, 'Retire', {
      functions: f,
      next: alarmGate,
      prefix: 'Surge ',
      reason: SURGE_REASON,
      onFailure: afterService('Surge Retire Failed With Prepared Hosts?', retireFailed),
    });
    const backToOld = new sfn.Pass(this, 'Back To Old Batch', { inputPath: '$.oldBatch', resultPath: '$.batch' });
    backToOld.next(retire.start);
    const provision = new ProvisionPipeline(this, 'Provision', { functions: f, next: backToOld, prefix: 'Surge ', setupPath: '$.tier.surge.setup', onFailure: shapeCleanUp });

    const load = lambdaTask(this, 'Load Surge Batch', f.loadSurgeBatch, batchPayload(false), '$.batch', { idempotent: true });
    load.next(provision.start);
    const keepOld = new sfn.Pass(this, 'Keep Old Batch', { inputPath: '$.batch', resultPath: '$.oldBatch' });
    keepOld.next(load);

    // The next batch's old hosts (for their subnets), then one launch call for their new hosts. Its
    // answer overwrites the batch it loaded, so the state carries a LaunchProgress, not a batch more.
    const loadNext = lambdaTask(
      this,
      'Load Next Surge Batch',
      f.loadBatch,
      { 'keyPrefix.$': '$.keyPrefix', 'index.$': 'States.MathAdd($.index, 1)', 'count.$': '$.batchCount' },
      '$.prepared',
      { idempotent: true },
    );
    const launchNext = lambdaTask(this, 'Launch Next Surge Hosts', f.launchSurgeHosts, { ...batchPayload(false), 'batch.$': '$.prepared' }, '$.prepared', { idempotent: true });
    loadNext.next(launchNext);
    launchNext.next(keepOld);
    // Not prepared is only slower: the next batch launches its own hosts, failing as it always did.
    // '$.prepared' stays present, so this batch's failures still look for what may have launched.
    for (const task of [loadNext, launchNext]) task.addCatch(keepOld, { errors: ['States.ALL'], resultPath: '$.prepared' });
    const prepareNext = new sfn.Choice(this, 'Prepare Next Surge Batch?')
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.tier.surge.pipeline'),
          sfn.Condition.booleanEquals('$.tier.surge.pipeline', true),
          sfn.Condition.numberLessThanJsonPath('$.index', '$.last'),
        ),
        loadNext,
      )
      .otherwise(keepOld);
    const ready = new LongOperation(this, 'Check Surge Hosts Ready', {
      resultPath: '$.surgeReady',
      start: { name: 'Check Surge Hosts Ready', handler: f.checkSurgeHostsReady, payload: batchPayload(false), options: { idempotent: true } },
      check: { name: 'Check Surge Hosts Ready Again', handler: f.checkSurgeHostsReady, payload: batchPayload(false, '$.surgeReady') },
      choice: 'Surge Hosts Ready?',
      wait: 'Wait For Surge Hosts',
    });
    ready.next(prepareNext);
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
