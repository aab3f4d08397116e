/**
 * An example of FleetFlow inside another team's CDK app: their own stack, their existing
 * alerts topic and event bus, and a pipeline role that may start releases.
 *
 *   npx cdk synth --app 'npx tsx bin/examples/platform-app.ts'
 *
 * The topic is someone else's, so FleetFlow does not change its policy: the team lets
 * events.amazonaws.com and cloudwatch.amazonaws.com publish to it (and, if it is encrypted,
 * use its key) where they manage it.
 */
import { fileURLToPath } from 'node:url';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { FleetFlow, readEnvironmentFile } from '../../lib/index';

const app = new App();
const stack = new Stack(app, 'PlatformReleases', { env: { account: '111122223333', region: 'eu-west-1' } });

const alerts = sns.Topic.fromTopicArn(stack, 'Alerts', 'arn:aws:sns:eu-west-1:111122223333:platform-alerts');
const bus = events.EventBus.fromEventBusName(stack, 'PlatformBus', 'platform-events');
const fleetflow = new FleetFlow(stack, 'Canonical', {
  environment: readEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url))),
  notificationTopic: alerts,
  eventBus: bus,
});

// The CI job that ships releases may start the release workflow, and nothing else.
const pipeline = new iam.Role(stack, 'ReleasePipeline', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
fleetflow.grantStartExecution(pipeline, 'deploy');

new CfnOutput(stack, 'DeployStateMachineArn', { value: fleetflow.stateMachine('deploy').stateMachineArn });
app.synth();
