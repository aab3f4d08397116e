/**
 * The FleetFlow construct in an app that is not ours: a fresh App and Stack, an SNS topic
 * that already exists (and an event bus), and cdk-nag attached. Also: FleetFlowStack keeps
 * the logical IDs of its earlier, flat layout, resource for resource.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import cdkNag from 'cdk-nag';
import { Construct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetFlow } from '../../lib/index';
import { legacyPath, makeUniqueId } from '../../lib/constructs/legacy-logical-ids';
import { definitionObjects } from '../../lib/simulator/definition';
import { canonicalEnvironment, renderedDefinition, renderValue, sharedCanonical, TEST_ENV, type CfnTemplate } from './support';

const TOPIC_ARN = `arn:aws:sns:${TEST_ENV.region}:${TEST_ENV.account}:platform-alerts`;

interface Built {
  readonly fleetflow: FleetFlow;
  readonly template: Template;
  readonly json: CfnTemplate;
  readonly outdir: string;
  readonly synthError: unknown;
}

/** A team's own app: their stack, their topic, optionally their bus and a role of theirs to grant. */
function buildPlatformApp(options: { eventBus?: boolean } = {}): Built {
  const outdir = mkdtempSync(join(tmpdir(), 'fleetflow-construct-'));
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'PlatformReleases', { env: TEST_ENV });
  const topic = sns.Topic.fromTopicArn(stack, 'Alerts', TOPIC_ARN);
  const fleetflow = new FleetFlow(stack, 'FleetFlow', {
    environment: canonicalEnvironment(),
    notificationTopic: topic,
    ...(options.eventBus ? { eventBus: events.EventBus.fromEventBusName(stack, 'Bus', 'platform-events') } : {}),
  });
  const pipeline = new iam.Role(stack, 'ReleasePipeline', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
  fleetflow.grantStartExecution(pipeline, 'deploy');
  const operators = new iam.Role(stack, 'Operators', { assumedBy: new iam.AccountRootPrincipal() });
  fleetflow.grantStartExecution(operators);
  Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));
  let synthError: unknown;
  try {
    app.synth();
  } catch (err) {
    synthError = err;
  }
  const json = JSON.parse(readFileSync(join(outdir, 'PlatformReleases.template.json'), 'utf8')) as CfnTemplate;
  return { fleetflow, template: Template.fromJSON(json as unknown as Record<string, unknown>), json, outdir, synthError };
}

const resourcesOf = (json: CfnTemplate, type: string) => Object.entries(json.Resources).filter(([, r]) => r.Type === type);

describe('FleetFlow in a fresh app with an existing SNS topic', () => {
  let built: Built;
  beforeAll(() => {
    built = buildPlatformApp();
  });
  afterAll(() => rmSync(built.outdir, { recursive: true, force: true }));

  it('synthesizes with no cdk-nag finding left unacknowledged', () => {
    // Under vitest the app synthesizes in memory, so an unacknowledged error-level finding throws.
    expect(built.synthError).toBeUndefined();
    const report = JSON.parse(readFileSync(join(built.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string }> }>;
    };
    const awsSolutions = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions');
    expect(awsSolutions?.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('creates no topic, no key and no topic policy of its own', () => {
    built.template.resourceCountIs('AWS::SNS::Topic', 0);
    built.template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    built.template.resourceCountIs('AWS::KMS::Key', 0);
    expect(built.fleetflow.notifications.topicArn).toBe(TOPIC_ARN);
    expect(built.fleetflow.notificationsKey).toBeUndefined();
  });

  it('forwards the workflows’ events to the given topic, on the default bus', () => {
    const rules = resourcesOf(built.json, 'AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const props = rules[0]![1].Properties!;
    expect(props['Targets']).toEqual([{ Arn: TOPIC_ARN, Id: 'Target0' }]);
    expect(props['EventBusName']).toBeUndefined();
    expect(props['EventPattern']).toEqual({ source: ['fleetflow'], detail: { environment: ['canonical'] } });
  });

  it('alarms on failed, aborted, timed-out and throttled executions of every workflow, to the given topic', () => {
    const alarms = resourcesOf(built.json, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(8 * 4);
    for (const [, alarm] of alarms) expect(alarm.Properties!['AlarmActions']).toEqual([TOPIC_ARN]);
    const names = alarms.map(([, a]) => String(a.Properties!['AlarmName'])).sort();
    expect(names).toContain('fleetflow-canonical-deploy-ExecutionsFailed');
    expect(names).toContain('fleetflow-canonical-recover-ExecutionThrottled');
  });

  it('creates the eight state machines, each exposed by workflow', () => {
    const names = resourcesOf(built.json, 'AWS::StepFunctions::StateMachine').map(([, m]) => m.Properties!['StateMachineName']);
    const workflows = ['deploy', 'rollout', 'allocate', 'scale-out', 'scale-in', 'replace', 'restore-data', 'recover'] as const;
    expect(names.sort()).toEqual(workflows.map((w) => `fleetflow-canonical-${w}`).sort());
    for (const workflow of workflows) {
      expect(built.json.Resources[Stack.of(built.fleetflow).getLogicalId(built.fleetflow.stateMachine(workflow).node.defaultChild as CfnResource)]?.Properties?.['StateMachineName']).toBe(
        `fleetflow-canonical-${workflow}`,
      );
    }
  });

  it('grants StartExecution on the workflow asked for, or on every workflow a person starts', () => {
    const startGrants = (roleName: string) =>
      resourcesOf(built.json, 'AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties!['Roles']).includes(roleName))
        .flatMap(([, p]) => (p.Properties!['PolicyDocument'] as { Statement: Array<{ Action: unknown; Resource: unknown }> }).Statement)
        .filter((s) => s.Action === 'states:StartExecution')
        .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(renderValue));
    const logicalId = (workflow: Parameters<FleetFlow['stateMachine']>[0]) =>
      Stack.of(built.fleetflow).getLogicalId(built.fleetflow.stateMachine(workflow).node.defaultChild as CfnResource);
    expect(startGrants('ReleasePipeline')).toEqual([`\${${logicalId('deploy')}}`]);
    const operators = startGrants('Operators');
    expect(operators).toHaveLength(7);
    expect(operators).not.toContain(`\${${logicalId('rollout')}}`);
  });
});

describe('FleetFlow with an event bus of its user', () => {
  let built: Built;
  beforeAll(() => {
    built = buildPlatformApp({ eventBus: true });
  });
  afterAll(() => rmSync(built.outdir, { recursive: true, force: true }));

  it('listens on that bus and puts every notification on it', () => {
    built.template.hasResourceProperties('AWS::Events::Rule', { EventBusName: 'platform-events' });
    for (const [name, machine] of resourcesOf(built.json, 'AWS::StepFunctions::StateMachine')) {
      const definition = renderedDefinition(machine, definitionObjects(built.json, built.outdir, 'PlatformReleases'));
      const putEvents = definition.match(/"Resource":"arn:[^"]*:states:::events:putEvents"/g) ?? [];
      const onBus = definition.match(/"EventBusName":"arn:[^"]*:event-bus\/platform-events"/g) ?? [];
      // Rollout notifies nothing; every other workflow's every notification names the bus.
      if (!name.startsWith('FleetFlowRollout')) expect(putEvents.length, name).toBeGreaterThan(0);
      expect(onBus.length, name).toBe(putEvents.length);
    }
    built.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents' })]) },
    });
  });
});

describe('FleetFlow with a topic and a bus of another stack of the app', () => {
  it('references them through imports: every Ref and GetAtt of a state machine names a resource of its own template', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'fleetflow-cross-stack-'));
    try {
      const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
      const shared = new Stack(app, 'Shared', { env: TEST_ENV });
      const stack = new Stack(app, 'Releases', { env: TEST_ENV });
      const key = new kms.Key(shared, 'OpsKey');
      new FleetFlow(stack, 'FleetFlow', { environment: canonicalEnvironment(), notificationTopic: new sns.Topic(shared, 'OpsTopic', { masterKey: key }), eventBus: new events.EventBus(shared, 'OpsBus') });
      app.synth();
      const json = JSON.parse(readFileSync(join(outdir, 'Releases.template.json'), 'utf8')) as CfnTemplate;

      const machines = Object.values(json.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
      expect(machines).toHaveLength(8);
      // The definition files are assets of the stack that holds the state machines, published with its template.
      const definitions = definitionObjects(json, outdir, 'Releases');
      expect(definitions.size).toBe(8);
      // And no other file: a definition resolved while CDK prepares the app (its references not yet final) is not shipped.
      const manifest = JSON.parse(readFileSync(join(outdir, 'Releases.assets.json'), 'utf8')) as { files: Record<string, { source: { path: string } }> };
      const jsonFiles = Object.values(manifest.files).map((f) => f.source.path).filter((path) => path.startsWith('asset.') && path.endsWith('.json'));
      expect(jsonFiles).toHaveLength(8);
      for (const machine of machines) {
        // Every reference is a substitution; the definition itself is literal JSON text in S3, with placeholders only.
        expect(machine.Properties!.DefinitionString).toBeUndefined();
        expect(JSON.parse(definitions.get((machine.Properties!.DefinitionS3Location as { Key: string }).Key)!)).toBeTypeOf('object');
        const text = JSON.stringify(machine.Properties!.DefinitionSubstitutions);
        const named = [...text.matchAll(/\{"(?:Ref|Fn::GetAtt)":\[?"([A-Za-z0-9:]+)"/g)].map((m) => m[1]!).filter((id) => !id.startsWith('AWS::'));
        expect(named.length).toBeGreaterThan(0);
        expect(named.filter((id) => !(id in json.Resources))).toEqual([]);
      }
      // The topic (Request Approval publishes to it) and the bus (the notifications) come in as imports.
      expect(machines.some((m) => JSON.stringify(m.Properties!.DefinitionSubstitutions).includes('Fn::ImportValue'))).toBe(true);
      // Request Approval may use the topic's key: the release workflow's role is granted it, and only that role.
      const usesKey = Object.entries(json.Resources).filter(([, r]) => r.Type === 'AWS::IAM::Policy' && /kms:GenerateDataKey/.test(JSON.stringify(r.Properties)));
      expect(usesKey.map(([id]) => id)).toEqual([expect.stringMatching(/^FleetFlowDeployStateMachineRole/)]);
      expect(JSON.stringify(usesKey[0]![1].Properties)).toContain('Fn::ImportValue');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('FleetFlow refuses a bad environment', () => {
  it('fails the synth, naming the field', () => {
    const stack = new Stack(new App());
    const environment = { ...canonicalEnvironment(), tiers: [] };
    expect(() => new FleetFlow(stack, 'FleetFlow', { environment })).toThrow(/tiers/);
  });
});

describe('FleetFlowStack keeps the logical IDs of its flat layout', () => {
  it('names every fixed-name resource as the flat layout did', () => {
    const { json } = sharedCanonical();
    const ids = (type: string) => resourcesOf(json, type).map(([id]) => id).sort();
    // The flat layout's IDs, from the template synthesized before the FleetFlow construct (main at 3011c9a).
    expect(ids('AWS::StepFunctions::StateMachine')).toEqual(
      [
        'AllocateStateMachineC7F3ACB7',
        'DeployStateMachine357A3963',
        'RecoverStateMachine5F6BF5D9',
        'ReplaceStateMachineB0FEF644',
        'RestoreDataStateMachine32EE2D14',
        'RolloutStateMachine0C2C302A',
        // Added after the flat layout: a construct path of its own.
        'ScaleInStateMachine97910219',
        'ScaleOutStateMachine56D6C27A',
      ].sort(),
    );
    const alarms = ids('AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(32);
    // The release workflow's alarms had no prefix; the others, their workflow's.
    expect(alarms.filter((id) => /^Execution/.test(id))).toHaveLength(4);
    // Scale-in came after the flat layout: its alarms and log group keep the construct's own IDs.
    for (const prefix of ['Rollout', 'Allocate', 'ScaleOut', 'Replace', 'RestoreData', 'Recover']) {
      expect(alarms.filter((id) => id.startsWith(`${prefix}Execution`)), prefix).toHaveLength(4);
    }
    const logGroups = ids('AWS::Logs::LogGroup');
    for (const workflow of ['Deploy', 'Rollout', 'Allocate', 'ScaleOut', 'Replace', 'RestoreData', 'Recover']) {
      expect(logGroups.filter((id) => new RegExp(`^${workflow}Logs[0-9A-F]{8}$`).test(id)), workflow).toHaveLength(1);
    }
    expect(json.Resources['PlanReleaseFunctionD3CCBEFA']?.Type).toBe('AWS::Lambda::Function');
  });

  it('maps the construct paths back to the flat ones', () => {
    expect(legacyPath(['Functions', 'PlanRelease', 'Role', 'Resource'])).toEqual(['PlanRelease', 'Role', 'Resource']);
    expect(legacyPath(['Deploy', 'StateMachine', 'Default', 'Resource'])).toEqual(['DeployStateMachine', 'Resource']);
    expect(legacyPath(['Deploy', 'StateMachine', 'Logs', 'Resource'])).toEqual(['DeployLogs', 'Resource']);
    expect(legacyPath(['Deploy', 'StateMachine', 'ExecutionsFailedAlarm', 'Resource'])).toEqual(['ExecutionsFailedAlarm', 'Resource']);
    expect(legacyPath(['Rollout', 'StateMachine', 'ExecutionsFailedAlarm', 'Resource'])).toEqual(['RolloutExecutionsFailedAlarm', 'Resource']);
    expect(legacyPath(['PlanTable', 'Resource'])).toBeUndefined();
  });

  it('computes logical IDs exactly as CDK does', () => {
    const stack = new Stack(new App(), 'Ids');
    const paths = [['Deploy', 'StateMachine', 'Resource'], ['Release-Window x', 'Resource'], ['PlanRelease', 'PlanReleaseRole', 'Resource'], ['Single'], ['A'.repeat(300), 'Resource']];
    for (const path of paths) {
      let scope: Construct = stack;
      for (const id of path.slice(0, -1)) scope = new Construct(scope, id);
      const resource = new CfnResource(scope, path[path.length - 1]!, { type: 'Test::Resource' });
      expect(makeUniqueId(path), path.join('/')).toBe(stack.getLogicalId(resource));
    }
  });
});
