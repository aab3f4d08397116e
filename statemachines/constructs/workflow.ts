/**
 * What every workflow construct receives from the FleetFlow deployment it belongs to, and the
 * acknowledgements every locking workflow's role needs.
 */
import { ArnFormat, Fn, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import type { FunctionCatalog } from '../../lib/constructs/function-catalog';
import type { FleetFlowStateMachine } from '../../lib/constructs/fleetflow-state-machine';

export interface FleetFlowWorkflowProps {
  /** The environment the workflow runs on, validated. */
  readonly environment: EnvironmentDefinition;
  /** Where the workflow gets its functions: each created once, whichever workflow asks first. */
  readonly functions: FunctionCatalog;
  /** Where the workflow's execution alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /** Where the workflow's notifications go. @default the account's default event bus */
  readonly eventBus?: events.IEventBus;
}

export interface LockingWorkflowProps extends FleetFlowWorkflowProps {
  /** The child workflow that rolls a segment of a tier's batches. */
  readonly rollout: sfn.IStateMachine;
  /** One item per environment: who is changing it. */
  readonly lockTable: dynamodb.ITable;
  /** ARN patterns of the executions that may hold this environment's lock: every locking workflow's. */
  readonly lockHolderExecutionArns: string[];
}

/** The workflows that take the environment's lock. */
export const LOCKING_WORKFLOWS = ['deploy', 'allocate', 'scale-out', 'scale-in', 'replace', 'restore-data'] as const;

/** The state machine name of `workflow` in `environment`: fixed, so people and other workflows find it. */
export function workflowStateMachineName(environment: string, workflow: string): string {
  return `fleetflow-${environment}-${workflow}`;
}

/** The ARN of a workflow's state machine, known before the state machine exists (its name is fixed). */
export function workflowStateMachineArn(scope: Construct, environment: string, workflow: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: workflowStateMachineName(environment, workflow),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Every execution of a workflow's state machine. */
export function workflowExecutionsArn(scope: Construct, environment: string, workflow: string): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${workflowStateMachineName(environment, workflow)}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Every execution of `child`, whose names Step Functions generates: what a parent following it with `.sync:2` reads. */
export function childExecutionsArn(scope: Construct, child: sfn.IStateMachine): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${Fn.select(6, Fn.split(':', child.stateMachineArn))}*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** The wildcards of a locking workflow's role: the lock holders it describes, and the rollout children it follows. */
export function acknowledgeLocking(machine: FleetFlowStateMachine, props: LockingWorkflowProps): void {
  for (const holder of props.lockHolderExecutionArns) {
    machine.acknowledgeWildcard(holder, "the lock holder may be any execution of this environment's release state machine");
  }
  // startExecution.sync:2 follows its children through their executions (and a managed EventBridge rule,
  // granted by its exact ARN, so there is nothing to acknowledge for it).
  machine.acknowledgeWildcard(
    childExecutionsArn(machine, props.rollout),
    "a parent follows its child executions of this environment's rollout state machine, whose names Step Functions generates",
  );
}
