/**
 * One FleetFlow workflow's state machine, with everything it needs to be operated: an owned
 * log group, X-Ray tracing, the workflows' timeout, alarms on failed, aborted, timed-out and
 * throttled executions, and the cdk-nag acknowledgements of its role's wildcards.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeWildcard, XRAY_REASON, type FleetFlowFunction } from './fleetflow-function';
import { SubstitutedDefinitionBody } from './substituted-definition';

/**
 * How long any workflow may run. A plan whose fastest possible run, with a revert of
 * every batch behind it, would not fit is refused by its planner before anything changes.
 */
export const WORKFLOW_TIMEOUT = Duration.days(7);

/** The execution metrics each workflow alarms on, by the alarm's construct ID and name suffix. */
const EXECUTION_ALARMS = ['ExecutionsFailed', 'ExecutionsAborted', 'ExecutionsTimedOut', 'ExecutionThrottled'] as const;

export interface FleetFlowStateMachineProps {
  /** The state machine's name, `fleetflow-<environment>-<workflow>`: fixed, so operators and other workflows find it. */
  readonly stateMachineName: string;
  /** What the workflow does, shown in the console. */
  readonly comment: string;
  /** The workflow's definition. */
  readonly definition: sfn.IChainable;
  /** The FleetFlow functions the definition's tasks invoke: their `:*` grants (versions, aliases) are acknowledged. */
  readonly invokes: readonly FleetFlowFunction[];
  /** Where the execution alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /**
   * How long an execution may run.
   * @default WORKFLOW_TIMEOUT (7 days)
   */
  readonly timeout?: Duration;
}

/**
 * A standard state machine, X-Ray traced, with the workflows' timeout and logs of every event
 * to a log group it owns. Every event (states entered and exited, retries, failures, with
 * timestamps) is the audit trail of a release, so level ALL; but no execution data: Request
 * Approval's parameters carry $$.Task.Token, and whoever reads the log group could approve
 * with it. Payloads stay in the execution history, behind states:GetExecutionHistory, where
 * IAM decides who reads them.
 */
export class FleetFlowStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** Failed, aborted, timed out, throttled: each notifies `alarmTopic` from its first occurrence. */
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: FleetFlowStateMachineProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
    // The definition as a JSON object with its references substituted, not as escaped JSON text (substituted-definition.ts).
    const definitionBody = new SubstitutedDefinitionBody(props.definition);
    // `Default`: CDK leaves it out of logical IDs, so the state machine is named by this construct alone.
    this.stateMachine = new sfn.StateMachine(this, 'Default', {
      stateMachineName: props.stateMachineName,
      comment: props.comment,
      definitionBody,
      timeout: props.timeout ?? WORKFLOW_TIMEOUT,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    (this.stateMachine.node.defaultChild as sfn.CfnStateMachine).definitionSubstitutions = definitionBody.substitutions();
    acknowledgeWildcard(
      this.stateMachine.role,
      '*',
      `${XRAY_REASON}; CloudWatch Logs delivery (logs:CreateLogDelivery, logs:PutResourcePolicy, logs:Describe*) for execution logging supports no resource-level permissions`,
    );
    for (const fun of props.invokes) {
      acknowledgeWildcard(this.stateMachine.role, `${fun.function.functionArn}:*`, "the LambdaInvoke grant also covers published versions and aliases of this stack's own function");
    }

    // A child workflow that fails, is aborted, times out or is throttled is a workflow in trouble too.
    const metrics: Record<(typeof EXECUTION_ALARMS)[number], cloudwatch.Metric> = {
      ExecutionsFailed: this.stateMachine.metricFailed({ period: Duration.minutes(1) }),
      ExecutionsAborted: this.stateMachine.metricAborted({ period: Duration.minutes(1) }),
      ExecutionsTimedOut: this.stateMachine.metricTimedOut({ period: Duration.minutes(1) }),
      ExecutionThrottled: this.stateMachine.metricThrottled({ period: Duration.minutes(1) }),
    };
    this.alarms = EXECUTION_ALARMS.map((name) => {
      const alarm = new cloudwatch.Alarm(this, `${name}Alarm`, {
        alarmName: `${props.stateMachineName}-${name}`,
        metric: metrics[name],
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
      return alarm;
    });
  }

  /** The state machine's role, which its tasks' grants go to. */
  get role(): iam.IRole {
    return this.stateMachine.role;
  }

  /** Acknowledges the cdk-nag finding for one wildcard resource of the state machine's role, saying why. */
  acknowledgeWildcard(resource: string, reason: string): void {
    acknowledgeWildcard(this.stateMachine.role, resource, reason);
  }

  /** Lets `grantee` start executions of this workflow. */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }
}
