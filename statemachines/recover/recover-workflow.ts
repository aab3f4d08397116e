/**
 * The disaster recovery workflow (`fleetflow-<env>-recover`): the whole environment back
 * from an empty or partly lost account that keeps its snapshots. It composes the other
 * workflows as nested executions (`startExecution.sync:2`), so each part stays startable on
 * its own and keeps its own lock, history and rollback:
 *
 *   Plan Recover (read-only: the source exists, a release to put back, whether any host serves)
 *   -> Notify Started
 *   -> Allocate Environment (allocate: every tier missing hosts; one that did every step but could
 *      not release its lock has done its part: the next part takes the lock over)
 *      - nothing serves (no host of a tier that uses the database): with "database": "restore",
 *        the data restored into a new instance WHILE the hosts launch, checked from a new host,
 *        the connection parameter written before any host is set up: each first serves on it
 *      - hosts remain: the database left alone, then
 *        Restore Environment Data (restore-data: a new instance, checked, every host repointed, baked)
 *   -> Release Recorded Release (deploy: the recorded release, validated)
 *   -> Report Recovery (recovery point, recovery time) -> Notify Succeeded
 *   on a part's failure: Notify Failed -> fail with that part's own error
 *
 * It takes no lock itself: each part takes the environment's lock while it runs.
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { lambdasOf } from '../../lib/constructs/function-catalog';
import { FleetFlowStateMachine, WORKFLOW_TIMEOUT } from '../../lib/constructs/fleetflow-state-machine';
import { childExecutionsArn, workflowStateMachineName, type FleetFlowWorkflowProps } from '../constructs/workflow';
import { RECOVER_FUNCTION_SPECS } from './functions';
import { catchChildFailure, catchNamed, UNEXPECTED_TASK_ERROR } from '../constructs/failures';
import { lambdaTask } from '../constructs/lambda-task';
import { LOCK_NOT_RELEASED_ERROR } from '../constructs/lock';
import { notify } from '../constructs/notify';
import { storedEnvironment } from '../constructs/stored-environment';

export interface RecoverWorkflowProps extends FleetFlowWorkflowProps {
  readonly allocate: sfn.IStateMachine;
  readonly restoreData: sfn.IStateMachine;
  readonly deploy: sfn.IStateMachine;
}

const WORKFLOW = 'Recover';

/** The disaster recovery workflow: its definition, its functions and its state machine, `fleetflow-<environment>-recover`. */
export class RecoverWorkflow extends Construct {
  readonly definition: sfn.IChainable;
  readonly stateMachine: FleetFlowStateMachine;

  constructor(scope: Construct, id: string, props: RecoverWorkflowProps) {
    super(scope, id);
    const functions = props.functions.functions(RECOVER_FUNCTION_SPECS);
    const f = lambdasOf(functions);
    const environment = props.environment.name;
    const failed = new sfn.Fail(this, 'Recover Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    const notifyFailed = notify(this, 'Notify Failed', environment, 'Failed', failed, { withFailure: true, workflow: WORKFLOW, eventBus: props.eventBus });

    const report = lambdaTask(
      this,
      'Report Recovery',
      f.reportRecovery,
      {
        environment,
        'startedAt.$': '$.plan.startedAt',
        'release.$': '$.plan.release',
        'recoveryPointTime.$': '$.plan.recoveryPointTime',
        'restored.$': '$.restored',
      },
      '$.report',
      { idempotent: true },
    );
    catchNamed(this, report, notifyFailed, { resultPath: '$.failure', context: '; the environment was recovered' });
    const complete = new sfn.Pass(this, 'Recover Complete', { outputPath: '$.report' });
    report.next(notify(this, 'Notify Succeeded', environment, 'Succeeded', complete, { workflow: WORKFLOW, eventBus: props.eventBus }));

    const release = this.part('Release Recorded Release', props.deploy, '$.plan.deploy', sfn.JsonPath.DISCARD, WORKFLOW_TIMEOUT, notifyFailed);
    release.next(report);
    const restore = this.part('Restore Environment Data', props.restoreData, '$.plan.restore', '$.restored', WORKFLOW_TIMEOUT, notifyFailed);
    restore.next(release);
    // Nothing served: allocate restored the data while it launched, and reports the restore as its own.
    const restoredByAllocate = new sfn.Pass(this, 'Restored By Allocate', { parameters: { 'output.$': '$.allocated.output.restored' }, resultPath: '$.restored' });
    restoredByAllocate.next(release);
    const restoreAfter = new sfn.Choice(this, 'Hosts To Repoint?').when(sfn.Condition.isPresent('$.plan.restore'), restore).otherwise(restoredByAllocate);
    // An allocate whose every step succeeded but whose lock could not be released has done its part:
    // the next part goes on, and takes the lock over, since its holder (the allocate execution) has ended.
    // Its outcome is lost with its output: the report says the recovery point the plan resolved.
    const unreported = new sfn.Pass(this, 'Restore Not Reported', { parameters: { reported: false }, resultPath: '$.restored' });
    unreported.next(release);
    const lockedNext = new sfn.Choice(this, 'Restore After Allocate?').when(sfn.Condition.isPresent('$.plan.restore'), restore).otherwise(unreported);
    const allocateDone = new sfn.Choice(this, 'Allocate Done But Locked?')
      .when(sfn.Condition.stringEquals('$.failure.Error', LOCK_NOT_RELEASED_ERROR), lockedNext)
      .otherwise(notifyFailed);
    const allocate = this.part('Allocate Environment', props.allocate, '$.plan.allocate', '$.allocated', WORKFLOW_TIMEOUT, allocateDone);
    allocate.next(restoreAfter);
    const started = notify(this, 'Notify Started', environment, 'Started', allocate, { workflow: WORKFLOW, eventBus: props.eventBus });

    const plan = lambdaTask(this, 'Plan Recover', f.planRecover, { environment: storedEnvironment(this, props.environment), 'input.$': '$.input', 'execution.$': '$$.Execution.Name' }, '$.plan', { idempotent: true });
    const refused = new sfn.Fail(this, 'Recover Refused', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    catchNamed(this, plan, notify(this, 'Notify Refused', environment, 'Failed', refused, { withFailure: true, workflow: WORKFLOW, eventBus: props.eventBus }), {
      resultPath: '$.failure',
      context: '; nothing was changed',
    });
    plan.next(started);
    const start = new sfn.Pass(this, 'Start', { parameters: { 'input.$': '$$.Execution.Input' } });
    this.definition = start.next(plan);
    this.stateMachine = new FleetFlowStateMachine(this, 'StateMachine', {
      stateMachineName: workflowStateMachineName(environment, 'recover'),
      comment: `FleetFlow: disaster recovery of environment ${environment}: allocate, restore data, release`,
      definition: this.definition,
      invokes: Object.values(functions),
      alarmTopic: props.alarmTopic,
    });
    for (const child of [props.allocate, props.restoreData, props.deploy]) {
      this.stateMachine.acknowledgeWildcard(
        childExecutionsArn(this, child),
        'recover follows the executions it starts of allocate, restore-data and deploy, whose names Step Functions generates',
      );
    }
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
