/**
 * The rolling deploy workflow, as CDK chain code.
 *
 *   Plan Release
 *   Roll Tiers (Map, one tier at a time, in the environment's order)
 *     Roll Batches (Map, one batch at a time)
 *       Take Batch Out -> [Wait For Drain -> Check Drain]* -> Install Release -> [Wait For Install -> Check Install]*
 *       -> Return Batch To Traffic -> [Wait For Health -> Check Health]* -> Check Alarms -> Batch Done
 *       on any failure: roll the batch back (out of traffic, previous release, back in, healthy) and fail with the
 *       original error; if the rollback fails too, put the hosts back in traffic and fail with RollbackFailedError.
 *   Release Complete
 *
 * Every wait is a Wait state in a loop whose pause the check task computes, so state
 * transitions grow with batches and elapsed time, never with hosts x polls.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { EnvironmentDefinition } from '../lib/environment/model';

/** Error names AWS services and Lambda use for throttling. */
export const THROTTLING_ERRORS = [
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'Lambda.TooManyRequestsException',
];

export interface DeployWorkflowFunctions {
  readonly planRelease: lambda.IFunction;
  readonly takeOutOfTraffic: lambda.IFunction;
  readonly checkDrained: lambda.IFunction;
  readonly installRelease: lambda.IFunction;
  readonly checkInstall: lambda.IFunction;
  readonly returnToTraffic: lambda.IFunction;
  readonly checkHealthy: lambda.IFunction;
  readonly checkAlarms: lambda.IFunction;
}

export interface DeployWorkflowProps {
  readonly environment: EnvironmentDefinition;
  readonly functions: DeployWorkflowFunctions;
}

/** Names of the states of one direction (forward release, or rollback of a batch). */
interface PipelineNames {
  readonly takeOut: string;
  readonly drained: string;
  readonly waitDrain: string;
  readonly checkDrain: string;
  readonly install: string;
  readonly installed: string;
  readonly waitInstall: string;
  readonly checkInstall: string;
  readonly returnToTraffic: string;
  readonly healthy: string;
  readonly waitHealth: string;
  readonly checkHealth: string;
}

const FORWARD: PipelineNames = {
  takeOut: 'Take Batch Out',
  drained: 'Batch Drained?',
  waitDrain: 'Wait For Drain',
  checkDrain: 'Check Drain',
  install: 'Install Release',
  installed: 'Install Done?',
  waitInstall: 'Wait For Install',
  checkInstall: 'Check Install',
  returnToTraffic: 'Return Batch To Traffic',
  healthy: 'Batch Healthy?',
  waitHealth: 'Wait For Health',
  checkHealth: 'Check Health',
};

const ROLLBACK: PipelineNames = {
  takeOut: 'Take Batch Out For Rollback',
  drained: 'Rollback Drained?',
  waitDrain: 'Wait For Rollback Drain',
  checkDrain: 'Check Rollback Drain',
  install: 'Reinstall Previous Release',
  installed: 'Reinstall Done?',
  waitInstall: 'Wait For Reinstall',
  checkInstall: 'Check Reinstall',
  returnToTraffic: 'Return Batch After Rollback',
  healthy: 'Rollback Healthy?',
  waitHealth: 'Wait For Rollback Health',
  checkHealth: 'Check Rollback Health',
};

export class DeployWorkflow extends Construct {
  readonly definition: sfn.IChainable;
  private readonly functions: DeployWorkflowFunctions;

  constructor(scope: Construct, id: string, props: DeployWorkflowProps) {
    super(scope, id);
    this.functions = props.functions;

    const deploymentFailed = new sfn.Fail(this, 'Deployment Failed', {
      errorPath: '$.failure.Error',
      causePath: '$.failure.Cause',
    });

    const plan = this.task('Plan Release', props.functions.planRelease, {
      environment: props.environment,
      'input.$': '$',
      'execution.$': '$$.Execution.Name',
    }, '$.plan');
    plan.addCatch(deploymentFailed, { errors: ['States.ALL'], resultPath: '$.failure' });

    const rollBatches = new sfn.Map(this, 'Roll Batches', {
      itemsPath: '$.batches',
      maxConcurrency: 1,
      itemSelector: {
        'release.$': '$.release',
        'execution.$': '$.execution',
        'tier.$': '$.tier',
        batch: { 'index.$': '$$.Map.Item.Index', 'count.$': '$.batchCount', 'hosts.$': '$$.Map.Item.Value' },
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    rollBatches.itemProcessor(this.batchIteration());

    const rollTiers = new sfn.Map(this, 'Roll Tiers', {
      itemsPath: '$.plan.tiers',
      maxConcurrency: 1,
      itemSelector: {
        'release.$': '$.plan.release',
        'execution.$': '$$.Execution.Name',
        'tier.$': '$$.Map.Item.Value.spec',
        'batchCount.$': '$$.Map.Item.Value.batchCount',
        'batches.$': '$$.Map.Item.Value.batches',
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    rollTiers.itemProcessor(rollBatches);
    rollTiers.addCatch(deploymentFailed, { errors: ['States.ALL'], resultPath: '$.failure' });

    const complete = new sfn.Pass(this, 'Release Complete', {
      parameters: {
        'environment.$': '$.plan.environment',
        'release.$': '$.plan.release',
        'hosts.$': '$.plan.hostCount',
        'batches.$': '$.plan.batchCount',
        'alreadyReleased.$': '$.plan.alreadyReleased',
      },
    });

    this.definition = plan.next(rollTiers).next(complete);
  }

  /** One batch: forward pipeline, with a rollback pipeline behind every failure. */
  private batchIteration(): sfn.IChainable {
    const batchDone = new sfn.Pass(this, 'Batch Done', { parameters: { 'batch.$': '$.batch.index' } });
    const refused = new sfn.Fail(this, 'Batch Refused', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });

    const rollback = this.rollbackPipeline();
    const checkAlarms = this.task('Check Alarms', this.functions.checkAlarms, this.batchPayload(false), sfn.JsonPath.DISCARD);
    checkAlarms.next(batchDone);

    const forward = this.pipeline(FORWARD, false, checkAlarms, (install) => install, (task) =>
      task.addCatch(rollback, { errors: ['States.ALL'], resultPath: '$.failure' }),
    );
    checkAlarms.addCatch(rollback, { errors: ['States.ALL'], resultPath: '$.failure' });
    // Nothing has changed when capacity is short: refuse without a rollback.
    forward.takeOut.addCatch(refused, { errors: ['InsufficientCapacityError'], resultPath: '$.failure' });
    forward.takeOut.addCatch(rollback, { errors: ['States.ALL'], resultPath: '$.failure' });
    return forward.takeOut;
  }

  private rollbackPipeline(): sfn.IChainable {
    const rolledBack = new sfn.Fail(this, 'Batch Rolled Back', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const rollbackFailed = new sfn.Fail(this, 'Rollback Failed', {
      errorPath: '$.rollbackError.Error',
      causePath: '$.rollbackError.Cause',
    });
    const describeFailure = new sfn.Pass(this, 'Describe Rollback Failure', {
      parameters: {
        Error: 'RollbackFailedError',
        'Cause.$': "States.Format('rollback of the batch failed ({}) after the release failed ({})', $.rollbackFailure.Cause, $.failure.Cause)",
      },
      resultPath: '$.rollbackError',
    });
    describeFailure.next(rollbackFailed);
    // Whatever went wrong in the rollback, the batch goes back into traffic.
    const restoreTraffic = this.task(
      'Restore Traffic After Failed Rollback',
      this.functions.returnToTraffic,
      this.batchPayload(true),
      sfn.JsonPath.DISCARD,
    );
    restoreTraffic.addCatch(describeFailure, { errors: ['States.ALL'], resultPath: '$.restoreFailure' });
    restoreTraffic.next(describeFailure);

    // Hosts whose install never started still run their previous release: no reinstall.
    const afterDrain = (install: sfn.IChainable, returnToTraffic: sfn.IChainable) =>
      new sfn.Choice(this, 'Install Started?')
        .when(sfn.Condition.isPresent('$.install'), install)
        .otherwise(returnToTraffic);
    const pipeline = this.pipeline(ROLLBACK, true, rolledBack, afterDrain, (task) =>
      task.addCatch(restoreTraffic, { errors: ['States.ALL'], resultPath: '$.rollbackFailure' }),
    );
    pipeline.takeOut.addCatch(restoreTraffic, { errors: ['States.ALL'], resultPath: '$.rollbackFailure' });
    return pipeline.takeOut;
  }

  /** Drain, install and health loops for one direction; `afterDrain` picks what follows the drain. */
  private pipeline(
    names: PipelineNames,
    rollback: boolean,
    onHealthy: sfn.IChainable,
    afterDrain: (install: sfn.IChainable, returnToTraffic: sfn.IChainable) => sfn.IChainable,
    catching: (task: tasks.LambdaInvoke) => void,
  ) {
    const paths = rollback
      ? { drain: '$.rollbackDrain', install: '$.rollbackInstall', health: '$.rollbackHealth' }
      : { drain: '$.drain', install: '$.install', health: '$.health' };
    const f = this.functions;

    const returnToTraffic = this.task(names.returnToTraffic, f.returnToTraffic, this.batchPayload(rollback), paths.health);
    const healthLoop = this.pollLoop(names.healthy, names.waitHealth, names.checkHealth, f.checkHealthy, paths.health, rollback, onHealthy);
    returnToTraffic.next(healthLoop.choice);

    const install = this.task(names.install, f.installRelease, this.batchPayload(rollback), paths.install);
    const installLoop = this.pollLoop(names.installed, names.waitInstall, names.checkInstall, f.checkInstall, paths.install, rollback, returnToTraffic);
    install.next(installLoop.choice);

    const takeOut = this.task(names.takeOut, f.takeOutOfTraffic, this.batchPayload(rollback), paths.drain);
    const drainChoice = new sfn.Choice(this, names.drained);
    const waitDrain = new sfn.Wait(this, names.waitDrain, { time: sfn.WaitTime.secondsPath(`${paths.drain}.waitSeconds`) });
    const checkDrain = this.task(names.checkDrain, f.checkDrained, this.batchPayload(rollback, paths.drain), paths.drain);
    takeOut.next(drainChoice);
    waitDrain.next(checkDrain);
    checkDrain.next(drainChoice);
    drainChoice
      .when(sfn.Condition.booleanEquals(`${paths.drain}.done`, true), afterDrain(install, returnToTraffic))
      .otherwise(waitDrain);

    for (const task of [returnToTraffic, healthLoop.check, install, installLoop.check, checkDrain]) catching(task);
    return { takeOut };
  }

  /** Choice "done?" -> Wait (pause chosen by the check) -> Check -> Choice. */
  private pollLoop(
    choiceName: string,
    waitName: string,
    checkName: string,
    fn: lambda.IFunction,
    path: string,
    rollback: boolean,
    next: sfn.IChainable,
  ) {
    const choice = new sfn.Choice(this, choiceName);
    const wait = new sfn.Wait(this, waitName, { time: sfn.WaitTime.secondsPath(`${path}.waitSeconds`) });
    const check = this.task(checkName, fn, this.batchPayload(rollback, path), path);
    choice.when(sfn.Condition.booleanEquals(`${path}.done`, true), next).otherwise(wait);
    wait.next(check);
    check.next(choice);
    return { choice, check };
  }

  private batchPayload(rollback: boolean, phasePath?: string): Record<string, unknown> {
    return {
      'release.$': '$.release',
      'execution.$': '$.execution',
      'tier.$': '$.tier',
      'batch.$': '$.batch',
      rollback,
      ...(phasePath ? { 'phase.$': phasePath } : {}),
    };
  }

  /** A Lambda task with the standard Lambda retry plus backoff on AWS throttling. */
  private task(name: string, fn: lambda.IFunction, payload: Record<string, unknown>, resultPath: string): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, name, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      resultPath,
      taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
    });
    task.addRetry({
      errors: THROTTLING_ERRORS,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.seconds(60),
      jitterStrategy: sfn.JitterType.FULL,
    });
    return task;
  }
}
