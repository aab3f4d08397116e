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
import { BATCH_HISTORY, BatchPipeline, CARRIED, type BatchFunctions } from './batch-pipeline';
import { catchNamed } from '../constructs/failures';
import { lambdaTask } from '../constructs/lambda-task';
import { ProvisionPipeline, type ProvisionFunctions } from '../constructs/provision-pipeline';
import { SurgeRollbackPipeline, type SurgeRollbackFunctions } from '../surge/surge-rollback-pipeline';
import { RepointPipeline, type RepointFunctions } from '../restore-data/repoint-pipeline';
import { RetirePipeline } from '../replace/retire-pipeline';
import { SurgePipeline, type SurgeFunctions } from '../surge/surge-pipeline';
import { lambdasOf, type FunctionSpecs } from '../../lib/constructs/function-catalog';
import { FleetFlowStateMachine } from '../../lib/constructs/fleetflow-state-machine';
import { COMPUTE_FUNCTION_SPECS } from '../constructs/compute-functions';
import { workflowStateMachineName, type FleetFlowWorkflowProps } from '../constructs/workflow';
import { REPLACE_FUNCTION_SPECS } from '../replace/functions';
import { RESTORE_DATA_FUNCTION_SPECS } from '../restore-data/functions';
import { SURGE_FUNCTION_SPECS } from '../surge/functions';
import { BATCH_FUNCTION_SPECS } from './functions';

export interface RolloutWorkflowFunctions extends BatchFunctions, ProvisionFunctions, SurgeFunctions, SurgeRollbackFunctions, RepointFunctions {
  readonly loadBatch: lambda.IFunction;
}

/** The functions the rollout child invokes, one batch pipeline per mode. */
export const ROLLOUT_INVOKES = {
  ...BATCH_FUNCTION_SPECS,
  setUpHosts: COMPUTE_FUNCTION_SPECS.setUpHosts,
  checkSetUp: COMPUTE_FUNCTION_SPECS.checkSetUp,
  retireHosts: REPLACE_FUNCTION_SPECS.retireHosts,
  checkRetired: REPLACE_FUNCTION_SPECS.checkRetired,
  launchSurgeHosts: SURGE_FUNCTION_SPECS.launchSurgeHosts,
  setUpSurgeHosts: SURGE_FUNCTION_SPECS.setUpSurgeHosts,
  terminateLaunched: COMPUTE_FUNCTION_SPECS.terminateLaunched,
  startHosts: SURGE_FUNCTION_SPECS.startHosts,
  checkStarted: SURGE_FUNCTION_SPECS.checkStarted,
  reconfigureHosts: RESTORE_DATA_FUNCTION_SPECS.reconfigureHosts,
  checkReconfigured: RESTORE_DATA_FUNCTION_SPECS.checkReconfigured,
} as const satisfies FunctionSpecs;

export type RolloutWorkflowProps = FleetFlowWorkflowProps;


/**
 * The rollout child: its definition, its functions and its state machine,
 * `fleetflow-<environment>-rollout`, which the other workflows start per segment.
 */
export class RolloutWorkflow extends Construct {
  readonly definition: sfn.IChainable;
  readonly stateMachine: FleetFlowStateMachine;

  constructor(scope: Construct, id: string, props: RolloutWorkflowProps) {
    super(scope, id);
    const functions = props.functions.functions(ROLLOUT_INVOKES);
    const f: RolloutWorkflowFunctions = lambdasOf(functions);
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
    const restore = new SurgeRollbackPipeline(this, 'Restore', { functions: f, next: nextRestoredBatch });
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
    const environment = props.environment.name;
    this.stateMachine = new FleetFlowStateMachine(this, 'StateMachine', {
      stateMachineName: workflowStateMachineName(environment, 'rollout'),
      comment: `FleetFlow: a segment of one tier's batches in environment ${environment}, started by its workflows`,
      definition: this.definition,
      invokes: Object.values(functions),
      alarmTopic: props.alarmTopic,
    });
  }
}
