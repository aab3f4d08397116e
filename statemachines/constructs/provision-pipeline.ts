/**
 * One batch of new hosts, as the compute workflows and a surge run it (rollout mode
 * "provision"): the hosts are not in service yet, so nothing is taken out and nothing
 * can be lost by going fast.
 *
 *   Set Up Hosts (step 0) -> [Wait/Check Set Up]* -> More Set Up? -> Set Up Next Step -> ...
 *   -> Install On New Hosts -> [Wait/Check]* -> Put New Hosts In Service -> [Wait/Check Health]* -> next
 *   on any failure: the batch fails, named; the workflow that launched the hosts terminates them
 *
 * The setup steps are the tier's prerequisites, then a probe of its health check path.
 */
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { BATCH_CONTEXT, BATCH_CONTEXT_ARGS, BATCH_HISTORY, batchPayload, type BatchFunctions } from '../rollout/batch-pipeline';
import { catchNamed } from './failures';
import { lambdaTask } from './lambda-task';
import { LongOperation } from './long-operation';

export interface ProvisionFunctions extends Pick<BatchFunctions, 'installRelease' | 'checkInstall' | 'returnToTraffic' | 'checkHealthy'> {
  readonly setUpHosts: lambda.IFunction;
  readonly checkSetUp: lambda.IFunction;
}

export class ProvisionPipeline extends Construct {
  readonly start: sfn.IChainable;

  constructor(scope: Construct, id: string, props: { functions: ProvisionFunctions; next: sfn.IChainable; prefix?: string; setupPath?: string; onFailure?: sfn.IChainable }) {
    super(scope, id);
    const n = (name: string) => `${props.prefix ?? ''}${name}`;
    const f = props.functions;
    const failed = props.onFailure ?? new sfn.Fail(this, n('New Hosts Failed'), { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const catching = (task: sfn.TaskStateBase) =>
      catchNamed(this, task, failed, { resultPath: '$.failure', context: BATCH_CONTEXT, args: BATCH_CONTEXT_ARGS, causeIn: BATCH_HISTORY });
    const setupPayload = (step: string, phasePath?: string) => ({ ...batchPayload(false, phasePath), 'setup.$': props.setupPath ?? '$.setup', 'step.$': step });

    const returnToTraffic = new LongOperation(this, n('Put New Hosts In Service'), {
      resultPath: '$.health',
      start: { name: n('Put New Hosts In Service'), handler: f.returnToTraffic, payload: batchPayload(false), neverDone: true },
      check: { name: n('Check New Hosts Health'), handler: f.checkHealthy, payload: batchPayload(false, '$.health') },
      choice: n('New Hosts Healthy?'),
      wait: n('Wait For New Hosts Health'),
    });
    returnToTraffic.next(props.next);

    const install = new LongOperation(this, n('Install On New Hosts'), {
      resultPath: '$.install',
      start: { name: n('Install On New Hosts'), handler: f.installRelease, payload: batchPayload(false), neverDone: true },
      check: { name: n('Check New Hosts Install'), handler: f.checkInstall, payload: batchPayload(false, '$.install') },
      choice: n('New Hosts Installed?'),
      wait: n('Wait For New Hosts Install'),
    });
    install.next(returnToTraffic);

    // Each step runs on every host of the batch before the next is sent.
    const firstStep = lambdaTask(this, n('Set Up Hosts'), f.setUpHosts, setupPayload('$.setupStart.step'), '$.setupPhase');
    const nextStep = lambdaTask(this, n('Set Up Next Step'), f.setUpHosts, setupPayload('States.MathAdd($.setupPhase.step, 1)'), '$.setupPhase');
    const moreSetUp = new sfn.Choice(this, n('More Set Up?')).when(sfn.Condition.booleanEquals('$.setupPhase.more', true), nextStep).otherwise(install);
    // Two tasks start a step: the loop starts at its Choice.
    const setUp = new LongOperation(this, n('Set Up Step'), {
      resultPath: '$.setupPhase',
      check: { name: n('Check Set Up'), handler: f.checkSetUp, payload: setupPayload('$.setupPhase.step', '$.setupPhase') },
      choice: n('Set Up Step Done?'),
      wait: n('Wait For Set Up'),
    });
    setUp.next(moreSetUp);
    firstStep.next(setUp);
    nextStep.next(setUp);

    for (const task of [firstStep, nextStep, setUp.check, ...install.tasks, ...returnToTraffic.tasks]) catching(task);
    this.start = new sfn.Pass(this, n('Start Set Up'), { parameters: { step: 0 }, resultPath: '$.setupStart' }).next(firstStep);
  }
}
