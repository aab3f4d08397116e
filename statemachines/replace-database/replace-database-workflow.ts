/**
 * The replace-database workflow (`fleetflow-<env>-replace-database`): the environment's database
 * instance replaced by a new one with no data lost, through an RDS blue/green deployment. Input
 * `{ instanceClass?, allocatedStorage?, engineVersion?, switchoverTimeoutSeconds?, maxLagSeconds?, runId? }`.
 *
 *   Plan Replace Database (read-only: what Blue/Green does not support is refused here) -> Acquire Lock -> Notify Started
 *   Run Replacement: Create Green -> [Wait/Check Green]* (AVAILABLE)
 *     -> Check Green Database (check document against the green endpoint) -> [Wait/Check]*
 *     -> Check Replica Lag -> [Wait/Check]* (ReplicaLag <= maxLagSeconds)
 *     -> Switch Over (SwitchoverTimeout) -> [Wait/Check Switchover]* (SWITCHOVER_COMPLETED)
 *     -> Record Replacement (the old instance, renamed -old<n> by RDS, tagged kept)
 *   Unlock -> Notify Succeeded; on failure: Unlock After Failure -> Notify Failed -> fail
 *
 * Before the switchover nothing that serves changes: the blue is only read. A failure leaves the
 * blue/green deployment and its green in place for inspection, not deleted: DeleteBlueGreenDeployment
 * without DeleteTarget would leave the green as a stray writable copy, and with it would delete a
 * DB instance, which no role of the stack may do. Hosts are never repointed: the green takes the
 * blue's endpoint.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { lambdasOf, type FunctionSpecs } from '../../lib/constructs/function-catalog';
import { FleetFlowStateMachine } from '../../lib/constructs/fleetflow-state-machine';
import { workflowStateMachineArn, workflowStateMachineName, type LockingWorkflowProps } from '../constructs/workflow';
import { catchNamed } from '../constructs/failures';
import { lambdaTask } from '../constructs/lambda-task';
import { LongOperation } from '../constructs/long-operation';
import { LockedWorkflow } from '../constructs/locked-workflow';
import { REPLACE_DATABASE_FUNCTION_SPECS } from './functions';

export const REPLACE_DATABASE_INVOKES = { ...REPLACE_DATABASE_FUNCTION_SPECS } as const satisfies FunctionSpecs;

export type ReplaceDatabaseWorkflowProps = LockingWorkflowProps;

/** The replace-database workflow: its definition, its functions and its state machine, `fleetflow-<environment>-replace-database`. */
export class ReplaceDatabaseWorkflow extends Construct {
  readonly definition: sfn.IChainable;
  readonly stateMachine: FleetFlowStateMachine;

  constructor(scope: Construct, id: string, props: ReplaceDatabaseWorkflowProps) {
    super(scope, id);
    const functions = props.functions.functions(REPLACE_DATABASE_INVOKES);
    const f = lambdasOf(functions);
    const environment = props.environment.name;
    const task = (extra: Record<string, string> = {}, phasePath?: string) => ({
      'execution.$': '$$.Execution.Name',
      'plan.$': '$.plan',
      ...extra,
      ...(phasePath ? { 'phase.$': phasePath } : {}),
    });
    const green = { 'greenIdentifier.$': '$.green.greenIdentifier', 'greenEndpoint.$': '$.green.greenEndpoint' };
    const deployment = { 'deploymentId.$': '$.green.deploymentId' };

    const frame = new LockedWorkflow(this, 'Frame', {
      environment: props.environment,
      label: 'Replace Database',
      planner: f.planReplaceDatabase,
      complete: { outputPath: '$.result.outcome' },
      lockTable: props.lockTable,
      lockHolderExecutionArns: props.lockHolderExecutionArns,
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
      stateMachineArn: workflowStateMachineArn(this, environment, 'replace-database'),
    });
    const stepFailed = new sfn.Fail(this, 'Replace Step Failed', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    // Each operation's start and check invoke one function; the start is safe to retry (each handler says why).
    const long = (names: { start: string; check: string; choice: string; wait: string }, handler: typeof f.createGreen, resultPath: string, extra: Record<string, string>) =>
      new LongOperation(this, names.start, {
        resultPath,
        start: { name: names.start, handler, payload: task(extra), options: { idempotent: true } },
        check: { name: names.check, handler, payload: task(extra, resultPath) },
        choice: names.choice,
        wait: names.wait,
      });

    // ---------- the green: created, checked, caught up; the blue serves, untouched ----------
    // Create Green finds its own deployment by name before creating, so a retry is safe.
    const create = long({ start: 'Create Green', check: 'Check Green', choice: 'Green Available?', wait: 'Wait For Green' }, f.createGreen, '$.green', {});
    const check = long({ start: 'Send Green Check', check: 'Check Green Database', choice: 'Green Checked?', wait: 'Wait For Green Check' }, f.checkGreenDatabase, '$.greenCheck', green);
    const lag = new LongOperation(this, 'Replica Lag', {
      resultPath: '$.lag',
      start: { name: 'Measure Replica Lag', handler: f.checkReplicaLag, payload: task({ 'greenIdentifier.$': '$.green.greenIdentifier' }), options: { idempotent: true } },
      check: { name: 'Check Replica Lag', handler: f.checkReplicaLag, payload: task({ 'greenIdentifier.$': '$.green.greenIdentifier' }, '$.lag') },
      choice: 'Lag Settled?',
      wait: 'Wait For Replica Lag',
    });
    create.next(check);
    check.next(lag);
    for (const t of [...create.tasks, ...check.tasks, ...lag.tasks]) catchNamed(this, t, stepFailed, { resultPath: '$.failure', context: ' before the switchover; the blue instance still serves, unchanged' });

    // ---------- the switchover: RDS's, rolled back by RDS if it does not complete in time ----------
    // Switch Over reads the deployment's status first and asks only once, so a retry is safe.
    const switchover = long({ start: 'Switch Over', check: 'Check Switchover', choice: 'Switched Over?', wait: 'Wait For Switchover' }, f.switchOver, '$.switchover', deployment);
    lag.next(switchover);
    for (const t of switchover.tasks) catchNamed(this, t, stepFailed, { resultPath: '$.failure', context: ' switching over' });

    const record = lambdaTask(this, 'Record Replacement', f.recordReplacement, task(deployment), '$.outcome', { idempotent: true });
    catchNamed(this, record, stepFailed, { resultPath: '$.failure', context: '; the green serves under the database\'s identifier and endpoint, but the old instance is not tagged kept' });
    switchover.next(record);

    const run = new sfn.Parallel(this, 'Run Replacement', { resultSelector: { 'outcome.$': '$[0].outcome' }, resultPath: '$.result' });
    run.branch(create);
    catchNamed(this, run, frame.unlockAfterFailure, { resultPath: '$.failure' });
    run.next(frame.done);
    this.definition = frame.whileLocked(frame.notifyStarted(run));
    this.stateMachine = new FleetFlowStateMachine(this, 'StateMachine', {
      stateMachineName: workflowStateMachineName(environment, 'replace-database'),
      comment: `FleetFlow: replace the database of environment ${environment} through an RDS blue/green deployment`,
      definition: this.definition,
      invokes: Object.values(functions),
      alarmTopic: props.alarmTopic,
    });
    // The lock holder may be any execution of the environment's locking workflows; this one starts no rollout child.
    for (const holder of props.lockHolderExecutionArns) {
      this.stateMachine.acknowledgeWildcard(holder, "the lock holder may be any execution of this environment's locking state machines");
    }
  }
}
