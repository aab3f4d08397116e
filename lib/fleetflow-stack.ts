/**
 * One stack per environment: the deploy workflow's Lambda tasks, each with a role
 * scoped to the environment's own target groups, instances, SSM documents and alarms;
 * the state machine with its log group, tracing, timeout and failure alarms.
 */
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { DeployWorkflow } from '../statemachines/deploy-workflow';
import { acknowledgeWildcard, FleetFlowFunction, XRAY_REASON } from './constructs/fleetflow-function';
import { isHostTier, type EnvironmentDefinition, type HostTierDefinition, type SsmCommandDefinition } from './environment/model';
import { parseEnvironment } from './environment/parse';

export interface FleetFlowStackProps extends StackProps {
  /** The environment this stack releases onto; validated here, so a bad definition fails synth. */
  readonly environment: unknown;
}

export class FleetFlowStack extends Stack {
  readonly stateMachine: sfn.StateMachine;
  readonly notifications: sns.Topic;

  constructor(scope: Construct, id: string, props: FleetFlowStackProps) {
    super(scope, id, props);
    const environment = parseEnvironment(props.environment, `environment of stack ${id}`);
    const tiers = environment.tiers.filter(isHostTier);

    const fn = (name: string, handler: string, description: string) => new FleetFlowFunction(this, name, { handler, description });
    const planRelease = fn('PlanRelease', 'deploy/plan-release.ts', 'Validate input, find hosts by tag, plan batches');
    const takeOut = fn('TakeOutOfTraffic', 'deploy/take-out-of-traffic.ts', 'Deregister or drain a batch');
    const checkDrained = fn('CheckDrained', 'deploy/check-drained.ts', 'Poll whether a batch has drained');
    const installRelease = fn('InstallRelease', 'deploy/install-release.ts', 'Send the install document to a batch');
    const checkInstall = fn('CheckInstall', 'deploy/check-install.ts', 'Poll install invocations, record the release');
    const returnToTraffic = fn('ReturnToTraffic', 'deploy/return-to-traffic.ts', 'Register or undrain a batch');
    const checkHealthy = fn('CheckHealthy', 'deploy/check-healthy.ts', 'Poll whether a batch is healthy');
    const checkAlarms = fn('CheckAlarms', 'deploy/check-alarms.ts', 'Fail the batch if a tier alarm is in ALARM');

    // --- permissions, scoped to this environment ---
    const why = {
      describe: 'ec2:DescribeInstances and elasticloadbalancing:Describe* support no resource-level permissions',
      invocations: 'ssm:ListCommandInvocations and ssm:CancelCommand act on command IDs, which IAM cannot scope',
      targetGroups: "a target group ARN ends in an ID AWS generates; the name part pins it to this environment's groups",
      instances: "instances are matched by the tier's tags in the condition, not by ID, so hosts can be replaced",
    };
    const targetGroupArns = tiers.flatMap((t) =>
      t.traffic.kind === 'target-group' ? t.traffic.targetGroups.map((name) => planRelease.arn('elasticloadbalancing', `targetgroup/${name}/*`)) : [],
    );
    const alarmArns = tiers.flatMap((t) => t.alarms.map((name) => planRelease.arn('cloudwatch', `alarm:${name}`)));
    const describeElb = ['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth'];
    planRelease.allow({ actions: ['ec2:DescribeInstances', ...describeElb], resources: ['*'], wildcardReason: why.describe });
    for (const f of [takeOut, checkDrained, returnToTraffic, checkHealthy]) {
      f.allow({ actions: describeElb, resources: ['*'], wildcardReason: why.describe });
    }
    for (const f of [checkDrained, checkInstall, checkHealthy]) {
      f.allow({ actions: ['ssm:ListCommandInvocations'], resources: ['*'], wildcardReason: why.invocations });
    }
    for (const f of [checkDrained, checkInstall]) f.allow({ actions: ['ssm:CancelCommand'], resources: ['*'], wildcardReason: why.invocations });
    if (alarmArns.length > 0) {
      for (const f of [planRelease, checkAlarms]) f.allow({ actions: ['cloudwatch:DescribeAlarms'], resources: alarmArns });
    }
    if (targetGroupArns.length > 0) {
      takeOut.allow({ actions: ['elasticloadbalancing:DeregisterTargets'], resources: targetGroupArns, wildcardReason: why.targetGroups });
      returnToTraffic.allow({ actions: ['elasticloadbalancing:RegisterTargets'], resources: targetGroupArns, wildcardReason: why.targetGroups });
    }
    for (const tier of tiers) {
      const sendCommand = (f: FleetFlowFunction, commands: SsmCommandDefinition[]) => {
        f.allow({ actions: ['ssm:SendCommand'], resources: commands.map((c) => documentArn(f, c.document)) });
        f.allow({
          actions: ['ssm:SendCommand'],
          resources: [f.arn('ec2', 'instance/*')],
          conditions: { StringEquals: tagConditions('ssm:resourceTag', tier) },
          wildcardReason: why.instances,
        });
      };
      sendCommand(installRelease, [tier.install]);
      if (tier.traffic.kind === 'drain-command') {
        sendCommand(takeOut, [tier.traffic.drain]);
        sendCommand(returnToTraffic, [tier.traffic.undrain]);
      }
      // The only tag FleetFlow writes is the release record, and only on the tier's hosts.
      checkInstall.allow({
        actions: ['ec2:CreateTags'],
        resources: [checkInstall.arn('ec2', 'instance/*')],
        conditions: {
          StringEquals: tagConditions('aws:ResourceTag', tier),
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['fleetflow:release'] },
        },
        wildcardReason: why.instances,
      });
    }

    const workflow = new DeployWorkflow(this, 'Deploy', {
      environment,
      functions: {
        planRelease: planRelease.function,
        takeOutOfTraffic: takeOut.function,
        checkDrained: checkDrained.function,
        installRelease: installRelease.function,
        checkInstall: checkInstall.function,
        returnToTraffic: returnToTraffic.function,
        checkHealthy: checkHealthy.function,
        checkAlarms: checkAlarms.function,
      },
    });

    const logGroup = new logs.LogGroup(this, 'DeployLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.stateMachine = new sfn.StateMachine(this, 'DeployStateMachine', {
      stateMachineName: `fleetflow-${environment.name}-deploy`,
      comment: `FleetFlow rolling release of environment ${environment.name}`,
      definitionBody: sfn.DefinitionBody.fromChainable(workflow.definition),
      timeout: Duration.hours(24),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    acknowledgeWildcard(this.stateMachine.role, '*', XRAY_REASON);
    for (const f of [planRelease, takeOut, checkDrained, installRelease, checkInstall, returnToTraffic, checkHealthy, checkAlarms]) {
      acknowledgeWildcard(
        this.stateMachine.role,
        `${f.function.functionArn}:*`,
        "the LambdaInvoke grant also covers published versions and aliases of this stack's own function",
      );
    }

    const key = new kms.Key(this, 'NotificationsKey', { enableKeyRotation: true, description: 'FleetFlow notifications' });
    this.notifications = new sns.Topic(this, 'Notifications', {
      displayName: `FleetFlow ${environment.name}`,
      masterKey: key,
      enforceSSL: true,
    });
    key.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
    this.addExecutionAlarms(environment);
  }

  private addExecutionAlarms(environment: EnvironmentDefinition): void {
    const metrics: Array<[string, cloudwatch.Metric]> = [
      ['ExecutionsFailed', this.stateMachine.metricFailed({ period: Duration.minutes(1) })],
      ['ExecutionsAborted', this.stateMachine.metricAborted({ period: Duration.minutes(1) })],
      ['ExecutionsTimedOut', this.stateMachine.metricTimedOut({ period: Duration.minutes(1) })],
      ['ExecutionThrottled', this.stateMachine.metricThrottled({ period: Duration.minutes(1) })],
    ];
    for (const [name, metric] of metrics) {
      const alarm = new cloudwatch.Alarm(this, `${name}Alarm`, {
        alarmName: `fleetflow-${environment.name}-deploy-${name}`,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cwActions.SnsAction(this.notifications));
    }
  }

}

function documentArn(f: FleetFlowFunction, document: string): string {
  if (document.startsWith('arn:')) return document;
  // Documents owned by AWS live in no account.
  return document.startsWith('AWS-') ? f.arn('ssm', `document/${document}`, '') : f.arn('ssm', `document/${document}`);
}

/** One condition entry per tag of the tier's host selector, under the given key prefix. */
function tagConditions(prefix: string, tier: HostTierDefinition): Record<string, string> {
  return Object.fromEntries(Object.entries(tier.hosts.tags).map(([key, value]) => [`${prefix}/${key}`, value]));
}
