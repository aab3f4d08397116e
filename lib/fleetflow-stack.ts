/**
 * One stack per environment: the FleetFlow construct (lib/fleetflow.ts) as this repository's
 * app deploys it, with the logical IDs its earlier, flat layout gave every resource.
 */
import { Stack, type CfnElement, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { FleetFlow } from './fleetflow';
import { legacyLogicalId } from './constructs/legacy-logical-ids';

export { WORKFLOW_TIMEOUT } from './constructs/fleetflow-state-machine';
export { LOCKING_WORKFLOWS } from '../statemachines/constructs/workflow';

export interface FleetFlowStackProps extends StackProps {
  /** The environment this stack releases onto; validated here, so a bad definition fails synth. */
  readonly environment: unknown;
}

export class FleetFlowStack extends Stack {
  readonly fleetflow: FleetFlow;

  constructor(scope: Construct, id: string, props: FleetFlowStackProps) {
    // CloudFormation takes a template of at most 1,000,000 bytes (from S3); indentation alone is a sixth of it.
    super(scope, id, { suppressTemplateIndentation: true, ...props });
    // `Default`: CDK leaves it out of logical IDs, so the resources are named as if they were the stack's own.
    this.fleetflow = new FleetFlow(this, 'Default', { environment: props.environment });
  }

  /** The release workflow's state machine. */
  get stateMachine(): sfn.StateMachine {
    return this.fleetflow.deploy.stateMachine.stateMachine;
  }

  get rolloutStateMachine(): sfn.StateMachine {
    return this.fleetflow.rollout.stateMachine.stateMachine;
  }

  get notifications(): sns.ITopic {
    return this.fleetflow.notifications;
  }

  get lockTable(): dynamodb.Table {
    return this.fleetflow.lockTable;
  }

  /**
   * The stack was deployed when its resources were the stack's own children (`DeployStateMachine`,
   * `PlanRelease/Role`, `ExecutionsFailedAlarm`): state machines and alarms have fixed names, so a
   * new logical ID would make CloudFormation create a second one of the same name and fail the update.
   * Each resource keeps the ID of its place in that layout.
   */
  protected override allocateLogicalId(element: CfnElement): string {
    return legacyLogicalId(this, element) ?? super.allocateLogicalId(element);
  }
}
