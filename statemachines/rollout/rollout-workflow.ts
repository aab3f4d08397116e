/**
 * The rollout workflow (`fleetflow-<env>-rollout`): a run of consecutive batches of one
 * tier, started by a parent workflow as a child execution (`startExecution.sync:2`), so
 * that no execution's history grows with the number of batches: each child holds at most
 * the batches the plan gave its segment, sized to its history budget.
 *
 *   Load Batch -> Batch Mode? -> [the mode's batch pipeline] -> More ... Batches? -> Load Next ... Batch -> [the same pipeline]
 *                                                                                 -> Segment Done
 *
 * Input: `RolloutInput` (lambdas/domain/contract/payloads.ts). Each batch starts from what the tier's
 * previous batch took to drain and install, so its first looks come when they can succeed.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
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
 * Load Batch and each mode's Load Next ... Batch: the function is given the batch's whole state but its hosts (`payload`:
 * what the segment carries, the batch's index, what the previous batch took) and returns it with the hosts at `batch`
 * (lambdas/rollout/load-batch.ts), which becomes the state: one task both moves to the batch and loads it.
 */
function loadBatchTask(scope: Construct, name: string, handler: lambda.IFunction, payload: Record<string, unknown>): tasks.LambdaInvoke {
  return lambdaTask(scope, name, handler, payload, undefined, { idempotent: true });
}

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
    // The segment's input and each batch's state carry the same fields (CARRIED); a batch adds its hosts, its phases and
    // what the tier's previous batch took (`expected`), which the next batch starts from.
    const done = new sfn.Pass(this, 'Segment Done', { parameters: { 'lastBatch.$': '$.last' } });
    // Each mode loops on states of its own: the mode is chosen once per segment (Batch Mode?), not per batch, and the step
    // to the next batch both rebuilds the state and loads that batch's hosts in one task (Load Next ... Batch: the function
    // returns the state it is given, with the hosts at $.batch). A segment is never empty (segmentsOf: first <= last).
    const loop = (kind: string, expected: Record<string, unknown>) => {
      const more = new sfn.Choice(this, `More ${kind}Batches?`);
      const loadNext = loadBatchTask(
        this,
        `Load Next ${kind}Batch`,
        f.loadBatch,
        { ...CARRIED, 'last.$': '$.last', 'index.$': 'States.MathAdd($.index, 1)', expected },
      );
      return {
        more,
        /** Loops `first` (the mode's pipeline) while batches remain; the segment is done after the last. */
        into: (first: sfn.IChainable, refused: sfn.Fail) => {
          loadNext.next(first);
          more.when(sfn.Condition.numberLessThanJsonPath('$.index', '$.last'), loadNext).otherwise(done);
          catchLoad(loadNext, refused, 'States.MathAdd($.index, 2)');
        },
      };
    };
    // Nothing has changed when a batch's hosts cannot be read: the batch is refused (the release pipeline's Fail, for every mode).
    const catchLoad = (task: tasks.LambdaInvoke, refused: sfn.Fail, batchNumber: string) =>
      catchNamed(this, task, refused, {
        resultPath: '$.failure',
        context: ' loading batch {} of {} of tier {}; nothing was changed',
        args: [batchNumber, '$.batchCount', '$.tier.name'],
        causeIn: BATCH_HISTORY,
      });
    const releaseLoop = loop('', { 'drainSeconds.$': '$.drain.tookSeconds', 'installSeconds.$': '$.install.tookSeconds' });
    const surgeLoop = loop('Surge ', { 'drainSeconds.$': '$.drain.tookSeconds', 'installSeconds.$': '$.install.tookSeconds' });
    // A batch of new hosts, or of replaced ones, carries no drain or no install to learn from.
    const provisionLoop = loop('New ', { 'installSeconds.$': '$.install.tookSeconds' });
    const retireLoop = loop('Retired ', { 'drainSeconds.$': '$.drain.tookSeconds' });
    const restoreLoop = loop('Restored ', {});
    // A repointed batch's reconfigure is what the next one expects of its "install".
    const repointed = { 'drainSeconds.$': '$.drain.tookSeconds', 'installSeconds.$': '$.reconfigure.tookSeconds' };
    const repointLoop = loop('Repointed ', repointed);
    const repointBackLoop = loop('Repointed Back ', repointed);

    const pipeline = new BatchPipeline(this, 'Batch', { functions: f, next: releaseLoop.more });
    const provision = new ProvisionPipeline(this, 'Provision', { functions: f, next: provisionLoop.more });
    const retire = new RetirePipeline(this, 'Retire', { functions: f, next: retireLoop.more });
    const surge = new SurgePipeline(this, 'Surge', { functions: f, next: surgeLoop.more });
    const restore = new SurgeRollbackPipeline(this, 'Restore', { functions: f, next: restoreLoop.more });
    const repoint = new RepointPipeline(this, 'Repoint', { functions: f, next: repointLoop.more, back: false });
    const repointBack = new RepointPipeline(this, 'RepointBack', { functions: f, next: repointBackLoop.more, back: true });
    const refused = pipeline.refused;
    releaseLoop.into(pipeline.start, refused);
    surgeLoop.into(surge.start, refused);
    provisionLoop.into(provision.start, refused);
    retireLoop.into(retire.start, refused);
    restoreLoop.into(restore.start, refused);
    repointLoop.into(repoint.start, refused);
    repointBackLoop.into(repointBack.start, refused);
    const byMode = new sfn.Choice(this, 'Batch Mode?')
      .when(sfn.Condition.stringEquals('$.mode', 'repoint'), repoint.start)
      .when(sfn.Condition.stringEquals('$.mode', 'repoint-back'), repointBack.start)
      .when(sfn.Condition.stringEquals('$.mode', 'provision'), provision.start)
      .when(sfn.Condition.stringEquals('$.mode', 'retire'), retire.start)
      .when(sfn.Condition.stringEquals('$.mode', 'restore'), restore.start)
      .when(sfn.Condition.isPresent('$.tier.surge'), surge.start)
      .otherwise(pipeline.start);

    // The segment's first batch: the state is built from the segment's input, and the batch's hosts come from the plan
    // table; nothing has changed if they cannot be read.
    const loadBatch = loadBatchTask(this, 'Load Batch', f.loadBatch, { ...CARRIED, 'last.$': '$.segment.last', 'index.$': '$.segment.first', expected: {} });
    catchLoad(loadBatch, refused, 'States.MathAdd($.segment.first, 1)');
    loadBatch.next(byMode);
    this.definition = loadBatch;
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
