/**
 * One FleetFlow workflow's state machine, with everything it needs to be operated: an owned
 * log group, X-Ray tracing, the workflows' timeout, alarms on failed, aborted, timed-out and
 * throttled executions, and the cdk-nag acknowledgements of its role's wildcards.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
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
  /**
   * The FleetFlow functions the definition's tasks invoke. Each task grants the role its function's
   * unqualified ARN; nothing is read from this list since that grant holds no wildcard to acknowledge.
   */
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
 * A state machine whose role may invoke its functions by their unqualified ARNs only. CDK's
 * LambdaInvoke grants `lambda:InvokeFunction` on the function's ARN and on `<ARN>:*` (its versions
 * and aliases); every FleetFlow Lambda task invokes the function's own ARN (payloadResponseOnly:
 * its Resource is the function's Arn), which the simulator checks (lib/simulator/definition.ts
 * refuses a task whose Resource is no FleetFlow function's ARN) and
 * test/infra/iam-least-privilege.test.ts too. Invoke without a qualifier "uses the unqualified
 * function ARN which results in invocation of the $LATEST version" (Lambda API Reference, Invoke),
 * and "Actions that operate on a function can be restricted to a specific function by function,
 * version, or alias ARN" (Lambda Developer Guide, "Fine-tuning the Resources and Conditions
 * sections of policies"): the `:*` grant, 5 KB of the canonical template, allowed nothing FleetFlow does.
 */
class UnqualifiedInvokeStateMachine extends sfn.StateMachine {
  override addToRolePolicy(statement: iam.PolicyStatement): void {
    super.addToRolePolicy(withoutQualifiedInvokes(statement));
  }
}

/** The statement without the `<function ARN>:*` resources of a `lambda:InvokeFunction` grant. */
function withoutQualifiedInvokes(statement: iam.PolicyStatement): iam.PolicyStatement {
  if (statement.actions.length !== 1 || statement.actions[0] !== 'lambda:InvokeFunction') return statement;
  const resources = statement.resources.filter((resource) => !resource.endsWith(':*'));
  if (resources.length === statement.resources.length) return statement;
  return new iam.PolicyStatement({ effect: statement.effect, actions: statement.actions, resources, conditions: statement.conditions });
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
    // The definition as literal text in an S3 file asset, each reference once in DefinitionSubstitutions (substituted-definition.ts).
    const definitionBody = new SubstitutedDefinitionBody(props.definition);
    // `Default`: CDK leaves it out of logical IDs, so the state machine is named by this construct alone.
    this.stateMachine = new UnqualifiedInvokeStateMachine(this, 'Default', {
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
