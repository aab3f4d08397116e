import { statSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalEnvironment, onlyResourceOfType, resourceOfType, stateMachineId, sharedCanonical, TEST_ENV, type CanonicalTemplate } from './support';

const EXECUTION_METRICS = ['ExecutionsFailed', 'ExecutionsAborted', 'ExecutionsTimedOut', 'ExecutionThrottled'];
/** The services that deliver to the encrypted topic: alarm actions and the EventBridge rule. */
const DELIVERING_SERVICES = ['cloudwatch.amazonaws.com', 'events.amazonaws.com'];
/** What a delivering service needs of the topic key, and nothing more. */
const DELIVERY_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'];

const canonical = canonicalEnvironment();
/**
 * The release workflow a person (or a release window) starts, the compute workflows (allocate, scale out, replace),
 * the data workflows (restore-data, and recover, which runs allocate, restore-data and deploy as its parts), and the
 * child workflow every one of them but recover rolls each segment of batches in.
 */
const WORKFLOWS = ['deploy', 'allocate', 'scale-out', 'scale-in', 'replace', 'restore-data', 'recover', 'rollout'] as const;
const STATE_MACHINE_NAMES = WORKFLOWS.map((workflow) => `fleetflow-${canonical.name}-${workflow}`);
/** Every execution alarm: each metric of each state machine. */
const ALARMS = STATE_MACHINE_NAMES.flatMap((machine) => EXECUTION_METRICS.map((metric) => [machine, metric] as const));

interface KeyPolicyStatement {
  Effect: string;
  Principal?: { Service?: string | string[]; AWS?: unknown } | string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const servicesOf = (s: KeyPolicyStatement) => (typeof s.Principal === 'object' ? asList(s.Principal.Service) : []);

describe('FleetFlow state machines', () => {
  let synth: CanonicalTemplate;
  let topicId: string;
  const machineId = (name: string) => stateMachineId(synth.json, name);

  const keyPolicy = (): KeyPolicyStatement[] => {
    const keyId = (synth.json.Resources[topicId]!.Properties!.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return asList((synth.json.Resources[keyId]!.Properties!.KeyPolicy as { Statement: KeyPolicyStatement[] }).Statement);
  };

  beforeAll(() => {
    synth = sharedCanonical();
    [topicId] = Object.keys(synth.template.findResources('AWS::SNS::Topic'));
  });

  // CloudFormation refuses a template over 1,000,000 bytes; every workflow adds a state machine to it.
  it('fits the canonical stack in one CloudFormation template as written, with room for more tiers', () => {
    // The file cdk deploy uploads: written without indentation, which alone is a sixth of it.
    const written = statSync(synth.templatePath).size;
    expect(written).toBeLessThan(950_000);
    expect(written).toBeLessThan(JSON.stringify(synth.json, null, 1).length);
  });
  afterAll(() => synth?.cleanup());

  it('has eight standard state machines named after the environment: deploy, allocate, scale-out, scale-in, replace, restore-data, recover and their rollout child', () => {
    expect(STATE_MACHINE_NAMES).toHaveLength(8);
    synth.template.resourceCountIs('AWS::StepFunctions::StateMachine', STATE_MACHINE_NAMES.length);
    for (const name of STATE_MACHINE_NAMES) {
      synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: name,
        StateMachineType: Match.absent(),
      });
    }
  });

  it.each(STATE_MACHINE_NAMES)('logs every execution of %s at level ALL, without execution data, to a log group the stack owns', (name) => {
    const props = synth.json.Resources[machineId(name)]!.Properties as {
      LoggingConfiguration: { Level: string; IncludeExecutionData: boolean; Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [string, string] } } }> };
    };
    expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(props.LoggingConfiguration.Destinations).toHaveLength(1);
    const [logGroupId, attribute] = props.LoggingConfiguration.Destinations[0]!.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'];
    expect(attribute).toBe('Arn');
    const logGroup = synth.json.Resources[logGroupId]!;
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    expect(logGroup.Properties?.RetentionInDays).toEqual(expect.any(Number));
  });

  it.each(STATE_MACHINE_NAMES)('traces executions of %s with X-Ray', (name) => {
    expect(synth.json.Resources[machineId(name)]!.Properties?.TracingConfiguration).toEqual({ Enabled: true });
  });

  it.each(ALARMS)('alarms on %s %s and notifies the SNS topic', (machine, metricName) => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${machine}-${metricName}`,
      Namespace: 'AWS/States',
      MetricName: metricName,
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId(machine) } }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it(`has exactly the ${ALARMS.length} execution alarms, one per metric of each state machine`, () => {
    synth.template.resourceCountIs('AWS::CloudWatch::Alarm', ALARMS.length);
  });

  it('encrypts the notification topic with a customer managed key that rotates', () => {
    synth.template.resourceCountIs('AWS::SNS::Topic', 1);
    synth.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
    });
    const keyRef = (synth.json.Resources[topicId]!.Properties!.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    expect(synth.json.Resources[keyRef]?.Type).toBe('AWS::KMS::Key');
    expect(synth.json.Resources[keyRef]?.Properties?.EnableKeyRotation).toBe(true);
  });

  it('lets CloudWatch use the topic key, so alarm notifications can be published to the encrypted topic', () => {
    const statements = keyPolicy().filter((s) => s.Effect === 'Allow' && servicesOf(s).includes('cloudwatch.amazonaws.com'));

    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) expect(asList(statement.Action)).toEqual(expect.arrayContaining(DELIVERY_KEY_ACTIONS));
  });

  it('lets CloudWatch and EventBridge use the topic key for kms:Decrypt and kms:GenerateDataKey*, from this account only', () => {
    synth.template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: Match.arrayEquals(DELIVERING_SERVICES) },
            Action: Match.arrayEquals(DELIVERY_KEY_ACTIONS),
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': TEST_ENV.account } },
          },
        ]),
      },
    });
  });

  // The stock SnsTopic rule target would add a key policy statement for EventBridge with no
  // aws:SourceAccount condition, letting any account's EventBridge use the key.
  it('grants services nothing else in the key policy: only those actions, only those services, always under aws:SourceAccount', () => {
    const account = `arn:\${AWS::Partition}:iam::${TEST_ENV.account}:root`;
    const render = (value: unknown) => JSON.stringify(value);
    const problems = keyPolicy().flatMap((s, i) => {
      // The key's administration by the account itself (CDK's default first statement) is not a service grant.
      if (typeof s.Principal === 'object' && s.Principal.AWS !== undefined) {
        return render(s.Principal.AWS).includes(`:iam::${TEST_ENV.account}:root`) ? [] : [`statement ${i}: grants ${render(s.Principal.AWS)} (not ${account})`];
      }
      const out: string[] = [];
      const services = servicesOf(s);
      if (services.length === 0) out.push(`statement ${i}: principal ${render(s.Principal)} is neither the account nor a delivering service`);
      for (const service of services) if (!DELIVERING_SERVICES.includes(service)) out.push(`statement ${i}: grants ${service}`);
      if (s.Effect === 'Allow' && render([...asList(s.Action)].sort()) !== render(DELIVERY_KEY_ACTIONS)) {
        out.push(`statement ${i}: ${services.join(',')} may ${asList(s.Action).join(',')}`);
      }
      if (s.Condition?.StringEquals?.['aws:SourceAccount'] !== TEST_ENV.account) {
        out.push(`statement ${i}: ${services.join(',')} may use the key without aws:SourceAccount = ${TEST_ENV.account}`);
      }
      return out;
    });

    expect(problems).toEqual([]);
  });

  it('forwards the release events of this environment (source fleetflow, detail.environment canonical) to the topic', () => {
    synth.template.resourceCountIs('AWS::Events::Rule', 1);
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['fleetflow'], detail: { environment: [canonical.name] } },
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { Ref: topicId } })],
    });
    const rule = synth.json.Resources[onlyResourceOfType(synth.json, 'AWS::Events::Rule')]!.Properties!;
    // The default bus: the one the workflow's PutEvents tasks write to.
    expect(rule.EventBusName).toBeUndefined();
    expect(Object.keys(rule.EventPattern as object).sort()).toEqual(['detail', 'source']);
  });

  describe('lock table', () => {
    let table: Record<string, unknown>;

    beforeAll(() => {
      table = synth.json.Resources[resourceOfType(synth.json, 'AWS::DynamoDB::Table', 'LockTable')]!.Properties!;
    });

    it("keys the lock by the environment's name (partition key environment, a string, no sort key)", () => {
      expect(table.KeySchema).toEqual([{ AttributeName: 'environment', KeyType: 'HASH' }]);
      expect(table.AttributeDefinitions).toEqual([{ AttributeName: 'environment', AttributeType: 'S' }]);
    });

    it('bills per request, so a release is never throttled by provisioned capacity', () => {
      expect(table.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.ProvisionedThroughput).toBeUndefined();
    });

    it('has point-in-time recovery and encryption at rest', () => {
      expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.SSESpecification).toMatchObject({ SSEEnabled: true });
    });
  });

  describe('topic policy', () => {
    interface TopicPolicyStatement {
      Effect: string;
      Principal?: { Service?: string | string[] } | string;
      Action: string | string[];
      Resource?: unknown;
      Condition?: Record<string, Record<string, unknown>>;
    }
    let allows: TopicPolicyStatement[];
    const byService = (service: string) => allows.filter((s) => typeof s.Principal === 'object' && asList(s.Principal.Service).includes(service));
    const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

    beforeAll(() => {
      const policy = synth.json.Resources[onlyResourceOfType(synth.json, 'AWS::SNS::TopicPolicy')]!.Properties!;
      expect(policy.Topics).toEqual([{ Ref: topicId }]);
      allows = asList((policy.PolicyDocument as { Statement: TopicPolicyStatement[] }).Statement).filter((s) => s.Effect === 'Allow');
    });

    it('lets only CloudWatch and EventBridge publish, each in one statement: sns:Publish on this topic, nothing else', () => {
      expect(allows.flatMap((s) => (typeof s.Principal === 'object' ? asList(s.Principal.Service) : [JSON.stringify(s.Principal)])).sort()).toEqual(
        [...DELIVERING_SERVICES].sort(),
      );
      for (const statement of allows) {
        expect(asList(statement.Action), JSON.stringify(statement.Principal)).toEqual(['sns:Publish']);
        expect(statement.Resource, JSON.stringify(statement.Principal)).toEqual({ Ref: topicId });
      }
    });

    it(`lets CloudWatch publish only for the ${ALARMS.length} execution alarms (aws:SourceArn ArnLike their ARNs)`, () => {
      const alarmIds = ALARMS.map(([machine, metric]) => {
        const ids = Object.entries(synth.json.Resources)
          .filter(
            ([, r]) =>
              r.Type === 'AWS::CloudWatch::Alarm' &&
              r.Properties?.MetricName === metric &&
              JSON.stringify(r.Properties?.Dimensions) === JSON.stringify([{ Name: 'StateMachineArn', Value: { Ref: stateMachineId(synth.json, machine) } }]),
          )
          .map(([id]) => id);
        expect(ids, `${machine} ${metric}`).toHaveLength(1);
        return ids[0]!;
      });
      const [statement, ...others] = byService('cloudwatch.amazonaws.com');

      expect(others).toEqual([]);
      expect(Object.keys(statement!.Condition ?? {})).toEqual(['ArnLike']);
      expect(Object.keys(statement!.Condition!.ArnLike!)).toEqual(['aws:SourceArn']);
      const sources = asList(statement!.Condition!.ArnLike!['aws:SourceArn']);
      expect(sources).toHaveLength(alarmIds.length);
      expect(sources).toEqual(expect.arrayContaining(alarmIds.map(getAtt)));
    });

    it("lets EventBridge publish only for the notifications rule (aws:SourceArn is the rule's ARN)", () => {
      const ruleId = onlyResourceOfType(synth.json, 'AWS::Events::Rule');
      const [statement, ...others] = byService('events.amazonaws.com');

      expect(others).toEqual([]);
      expect(Object.keys(statement!.Condition ?? {})).toHaveLength(1);
      const [operator] = Object.keys(statement!.Condition!) as [string];
      expect(['ArnEquals', 'ArnLike']).toContain(operator);
      expect(statement!.Condition![operator]).toEqual({ 'aws:SourceArn': getAtt(ruleId) });
    });
  });

  it('denies publishing to the topic over plain HTTP (enforces TLS)', () => {
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Resource: { Ref: topicId },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});
