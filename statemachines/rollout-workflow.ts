/**
 * The rollout workflow (`fleetflow-<env>-rollout`): a run of consecutive batches of one
 * tier, started by a parent workflow as a child execution (`startExecution.sync:2`), so
 * that no execution's history grows with the number of batches: each child holds at most
 * the batches the plan gave its segment, sized to its history budget.
 *
 *   Start Segment -> More Batches? -> Load Batch -> [batch pipeline] -> Next Batch -> More Batches?
 *                                  -> Segment Done
 *
 * Input: `RolloutInput` (lambdas/domain/contract/payloads.ts). Each batch starts from what the tier's
 * previous batch took to drain and install, so its first looks come when they can succeed.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BATCH_HISTORY, BatchPipeline, type BatchFunctions } from './fragments/batch-pipeline';
import { catchNamed } from './fragments/failures';
import { lambdaTask } from './fragments/lambda-task';
import { ProvisionPipeline } from './fragments/provision-pipeline';
import { RestorePipeline, type RestoreFunctions } from './fragments/restore-pipeline';
import { RepointPipeline, type RepointFunctions } from './fragments/repoint-pipeline';
import { RetirePipeline } from './fragments/retire-pipeline';
import { SurgePipeline, type SurgeFunctions } from './fragments/surge-pipeline';

export interface RolloutWorkflowFunctions extends BatchFunctions, SurgeFunctions, RestoreFunctions, RepointFunctions {
  readonly loadBatch: lambda.IFunction;
}

export interface RolloutWorkflowProps {
  readonly functions: RolloutWorkflowFunctions;
}

/** What every batch of the segment carries from one to the next. */
const CARRIED = {
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

export class RolloutWorkflow extends Construct {
  readonly definition: sfn.IChainable;

  constructor(scope: Construct, id: string, props: RolloutWorkflowProps) {
    super(scope, id);
    const f = props.functions;
    const moreBatches = new sfn.Choice(this, 'More Batches?');
    const nextBatch = new sfn.Pass(this, 'Next Batch', {
      parameters: {
        ...CARRIED,
        'last.$': '$.last',
        'index.$': 'States.MathAdd($.index, 1)',
        expected: { 'drainSeconds.$': '$.drain.tookSeconds', 'installSeconds.$': '$.install.tookSeconds' },
      },
    });
    nextBatch.next(moreBatches);
    // A batch of new hosts, or of replaced ones, carries no drain or no install to learn from.
    const nextNewBatch = new sfn.Pass(this, 'Next New Batch', {
      parameters: { ...CARRIED, 'last.$': '$.last', 'index.$': 'States.MathAdd($.index, 1)', expected: { 'installSeconds.$': '$.install.tookSeconds' } },
    });
    nextNewBatch.next(moreBatches);
    const nextRetiredBatch = new sfn.Pass(this, 'Next Retired Batch', {
      parameters: { ...CARRIED, 'last.$': '$.last', 'index.$': 'States.MathAdd($.index, 1)', expected: { 'drainSeconds.$': '$.drain.tookSeconds' } },
    });
    nextRetiredBatch.next(moreBatches);
    const pipeline = new BatchPipeline(this, 'Batch', { functions: f, next: nextBatch });
    const provision = new ProvisionPipeline(this, 'Provision', { functions: f, next: nextNewBatch });
    const retire = new RetirePipeline(this, 'Retire', { functions: f, next: nextRetiredBatch });
    const surge = new SurgePipeline(this, 'Surge', { functions: f, next: nextBatch });
    const nextRestoredBatch = new sfn.Pass(this, 'Next Restored Batch', {
      parameters: { ...CARRIED, 'last.$': '$.last', 'index.$': 'States.MathAdd($.index, 1)', expected: {} },
    });
    nextRestoredBatch.next(moreBatches);
    const restore = new RestorePipeline(this, 'Restore', { functions: f, next: nextRestoredBatch });
    // A repointed batch's reconfigure is what the next one expects of its "install".
    const nextRepointedBatch = new sfn.Pass(this, 'Next Repointed Batch', {
      parameters: {
        ...CARRIED,
        'last.$': '$.last',
        'index.$': 'States.MathAdd($.index, 1)',
        expected: { 'drainSeconds.$': '$.drain.tookSeconds', 'installSeconds.$': '$.reconfigure.tookSeconds' },
      },
    });
    nextRepointedBatch.next(moreBatches);
    const repoint = new RepointPipeline(this, 'Repoint', { functions: f, next: nextRepointedBatch, back: false });
    const repointBack = new RepointPipeline(this, 'RepointBack', { functions: f, next: nextRepointedBatch, back: true });
    const byMode = new sfn.Choice(this, 'Batch Mode?')
      .when(sfn.Condition.stringEquals('$.mode', 'repoint'), repoint.start)
      .when(sfn.Condition.stringEquals('$.mode', 'repoint-back'), repointBack.start)
      .when(sfn.Condition.stringEquals('$.mode', 'provision'), provision.start)
      .when(sfn.Condition.stringEquals('$.mode', 'retire'), retire.start)
      .when(sfn.Condition.stringEquals('$.mode', 'restore'), restore.start)
      .when(sfn.Condition.isPresent('$.tier.surge'), surge.start)
      .otherwise(pipeline.start);

    // The batch's hosts come from the plan table; nothing has changed if they cannot be read.
    const loadBatch = lambdaTask(
      this,
      'Load Batch',
      f.loadBatch,
      { 'keyPrefix.$': '$.keyPrefix', 'index.$': '$.index', 'count.$': '$.batchCount' },
      '$.batch',
      { idempotent: true },
    );
    catchNamed(this, loadBatch, pipeline.refused, {
      resultPath: '$.failure',
      context: ' loading batch {} of {} of tier {}; nothing was changed',
      args: ['States.MathAdd($.index, 1)', '$.batchCount', '$.tier.name'],
      causeIn: BATCH_HISTORY,
    });
    loadBatch.next(byMode);

    // The output is small whatever the batch: the parent only needs to know it ended well.
    const done = new sfn.Pass(this, 'Segment Done', { parameters: { 'lastBatch.$': '$.last' } });
    moreBatches.when(sfn.Condition.numberLessThanEqualsJsonPath('$.index', '$.last'), loadBatch).otherwise(done);

    const start = new sfn.Pass(this, 'Start Segment', {
      parameters: { ...CARRIED, 'last.$': '$.segment.last', 'index.$': '$.segment.first', expected: {} },
    });
    this.definition = start.next(moreBatches);
  }
}
