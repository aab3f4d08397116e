/**
 * The disaster recovery workflow (`fleetflow-<env>-recover`): the whole environment back
 * from an empty or partly lost account that keeps its snapshots. It composes the other
 * workflows as nested executions (`startExecution.sync:2`), so each part stays startable on
 * its own and keeps its own lock, history and rollback:
 *
 *   Plan Recover (read-only: the source exists, a release to put back) -> Notify Started
 *   -> Allocate Environment (allocate: every tier, the database left alone)
 *   -> Restore Environment Data (restore-data: a new instance, checked, every host repointed, baked)
 *   -> Release Recorded Release (deploy: the recorded release, validated)
 *   -> Report Recovery (recovery point, recovery time) -> Notify Succeeded
 *   on a part's failure: Notify Failed -> fail with that part's own error
 *
 * It takes no lock itself: each part takes the environment's lock while it runs.
 */
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { EnvironmentDefinition } from '../lambdas/domain/environment/model';
import { catchChildFailure, catchNamed, UNEXPECTED_TASK_ERROR } from './fragments/failures';
import { lambdaTask } from './fragments/lambda-task';
import { notify } from './fragments/notify';

export interface RecoverWorkflowProps {
  readonly environment: EnvironmentDefinition;
  readonly functions: { readonly planRecover: lambda.IFunction; readonly reportRecovery: lambda.IFunction };
  readonly allocate: sfn.IStateMachine;
  readonly restoreData: sfn.IStateMachine;
  readonly deploy: sfn.IStateMachine;
  readonly timeout: Duration;
}

const WORKFLOW = 'Recover';

export class RecoverWorkflow extends Construct {
  readonly definition: sfn.IChainable;

  constructor(scope: Construct, id: string, props: RecoverWorkflowProps) {
    super(scope, id);
    const environment = props.environment.name;
    const failed = new sfn.Fail(this, 'Recover Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const notifyFailed = notify(this, 'Notify Failed', environment, 'Failed', failed, { withFailure: true, workflow: WORKFLOW });

    const report = lambdaTask(
      this,
      'Report Recovery',
      props.functions.reportRecovery,
      { 'startedAt.$': '$.plan.startedAt', 'release.$': '$.plan.release', 'restored.$': '$.restored.output' },
      '$.report',
      { idempotent: true },
    );
    catchNamed(this, report, notifyFailed, { resultPath: '$.failure', context: '; the environment was recovered' });
    const complete = new sfn.Pass(this, 'Recover Complete', { outputPath: '$.report' });
    report.next(notify(this, 'Notify Succeeded', environment, 'Succeeded', complete, { workflow: WORKFLOW }));

    const release = this.part('Release Recorded Release', props.deploy, '$.plan.deploy', sfn.JsonPath.DISCARD, props.timeout, notifyFailed);
    release.next(report);
    const restore = this.part('Restore Environment Data', props.restoreData, '$.plan.restore', '$.restored', props.timeout, notifyFailed);
    restore.next(release);
    const allocate = this.part('Allocate Environment', props.allocate, '$.plan.allocate', sfn.JsonPath.DISCARD, props.timeout, notifyFailed);
    allocate.next(restore);
    const started = notify(this, 'Notify Started', environment, 'Started', allocate, { workflow: WORKFLOW });

    const plan = lambdaTask(this, 'Plan Recover', props.functions.planRecover, { environment: props.environment, 'input.$': '$.input', 'execution.$': '$$.Execution.Name' }, '$.plan', { idempotent: true });
    const refused = new sfn.Fail(this, 'Recover Refused', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    catchNamed(this, plan, notify(this, 'Notify Refused', environment, 'Failed', refused, { withFailure: true, workflow: WORKFLOW }), {
      resultPath: '$.failure',
      context: '; nothing was changed',
    });
    plan.next(started);
    const start = new sfn.Pass(this, 'Start', { parameters: { 'input.$': '$$.Execution.Input' } });
    this.definition = start.next(plan);
  }

  /**
   * One part: an execution of another workflow, followed to its end. Its failure reaches here
   * as States.TaskFailed whose cause is the child's DescribeExecution output: the recovery
   * fails with the child's own error when it is FleetFlow's, else UnexpectedTaskError.
   */
  private part(name: string, machine: sfn.IStateMachine, inputPath: string, resultPath: string, timeout: Duration, onFailure: sfn.IChainable): tasks.StepFunctionsStartExecution {
    const run = new tasks.StepFunctionsStartExecution(this, name, {
      stateMachine: machine,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      // The child's whole input is the plan's (associateWithParent would need an object input).
      input: sfn.TaskInput.fromJsonPathAt(inputPath),
      resultSelector: { 'output.$': '$.Output' },
      resultPath,
      taskTimeout: sfn.Timeout.duration(timeout),
    });
    run.addRetry({
      errors: ['StepFunctions.ExecutionLimitExceeded', 'StepFunctions.ThrottlingException', 'StepFunctions.SdkClientException'],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 4,
    });
    const unexpected = new sfn.Pass(this, `${name} Failed Unexpectedly`, {
      parameters: {
        Error: UNEXPECTED_TASK_ERROR,
        Cause: sfn.JsonPath.format(`${name} failed unexpectedly with {}; the original cause is in the execution history`, sfn.JsonPath.stringAt('$.failure.Error')),
      },
      resultPath: '$.failure',
    });
    unexpected.next(onFailure);
    // A child's error that is not FleetFlow's is renamed as the task's own would be.
    catchChildFailure(this, run, {
      names: {
        childFailed: `${name} Child Failed?`,
        parse: `Parse ${name} Failure`,
        reported: `${name} Reported Error?`,
        take: `Take ${name} Error`,
        named: `${name} Error Named?`,
      },
      onFailure,
      unnamed: unexpected,
      unexpected,
      causePrefix: `${name.toLowerCase()}: `,
    });
    return run;
  }
}
