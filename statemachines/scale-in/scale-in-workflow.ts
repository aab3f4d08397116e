/**
 * The scale-in workflow (`fleetflow-<env>-scale-in`): `{ "tier": "web", "remove": 2 }` hosts
 * leave the tier, oldest first and balanced across Availability Zones, never below the tier's
 * capacity floor or its declared count.
 *
 *   Plan Scale In (read-only; a refusal changes nothing) -> Acquire Lock -> Notify Started
 *   -> Remove Hosts (rollout mode "retire", one child per segment: Check Retire Capacity ->
 *      Take Retiring Hosts Out -> drained -> Retire Hosts (tagged why, then stopped or
 *      terminated by the tier's policy) -> Check Retired)
 *   -> Unlock -> Notify Succeeded
 *   on failure: hosts still out of traffic but not retired go back in (the retire pipeline),
 *   then Unlock After Failure -> Notify Failed -> fail
 *
 * The record of what was removed is on the hosts themselves: fleetflow:retired-by, -at and
 * -reason, written before they are stopped or terminated.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FleetFlowStateMachine, WORKFLOW_TIMEOUT } from '../../lib/constructs/fleetflow-state-machine';
import { catchNamed } from '../constructs/failures';
import { LockedWorkflow } from '../constructs/locked-workflow';
import { rollTiers } from '../constructs/roll-tiers';
import { acknowledgeLocking, workflowStateMachineArn, workflowStateMachineName, type LockingWorkflowProps } from '../constructs/workflow';
import { SCALE_IN_FUNCTION_SPECS } from './functions';

export class ScaleInWorkflow extends Construct {
  readonly definition: sfn.IChainable;
  readonly stateMachine: FleetFlowStateMachine;

  constructor(scope: Construct, id: string, props: LockingWorkflowProps) {
    super(scope, id);
    const environment = props.environment.name;
    const planner = props.functions.function(SCALE_IN_FUNCTION_SPECS.planScaleIn);
    const frame = new LockedWorkflow(this, 'Frame', {
      environment: props.environment,
      label: 'Scale In',
      planner: planner.function,
      complete: { parameters: { 'environment.$': '$.plan.environment', 'workflow.$': '$.plan.workflow', 'removed.$': '$.plan.retire.hostCount' } },
      lockTable: props.lockTable,
      lockHolderExecutionArns: props.lockHolderExecutionArns,
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
      stateMachineArn: workflowStateMachineArn(this, environment, 'scale-in'),
    });
    // The stored tier says mode "retire" and why (Plan Scale In).
    const remove = new sfn.Parallel(this, 'Remove Hosts', { resultPath: sfn.JsonPath.DISCARD });
    remove.branch(rollTiers(this, { prefix: 'Remove ', planPath: '$.plan.retire', rollout: props.rollout, checkAlarms: false, timeout: WORKFLOW_TIMEOUT }));
    // Nothing was launched: a failure keeps what is retired, and the retire batch has put back what it could.
    catchNamed(this, remove, frame.unlockAfterFailure, { resultPath: '$.failure', context: ' removing hosts' });
    remove.next(frame.done);
    this.definition = frame.whileLocked(frame.notifyStarted(remove));
    this.stateMachine = new FleetFlowStateMachine(this, 'StateMachine', {
      stateMachineName: workflowStateMachineName(environment, 'scale-in'),
      comment: `FleetFlow: remove hosts from a tier of environment ${environment}`,
      definition: this.definition,
      invokes: [planner],
      alarmTopic: props.alarmTopic,
    });
    acknowledgeLocking(this.stateMachine, props);
  }
}
