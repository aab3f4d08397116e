import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, EC2Client, type DescribeInstanceAttributeCommandInput, type DescribeInstancesCommandInput, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  TargetGroupNotFoundException,
  type DescribeTargetGroupsCommandInput,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSClient } from '@aws-sdk/client-rds';
import {
  GetParameterCommand,
  InternalServerError,
  ParameterNotFound,
  SSMClient,
  type GetParameterCommandInput,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import canonical from '../../../environments/canonical.json';
import { parseEnvironment } from '../../../lambdas/domain/environment/parse';
import { handler, parseDeployInput, planRelease, RELEASE_TAG, snapshotIdentifier } from '../../../lambdas/deploy/plan-release';
import { INSTALLING_TAG, LAUNCHED_BY_TAG, OUT_OF_TRAFFIC_TAG } from '../../../lambdas/domain/contract/tags';
import { InsufficientCapacityError, InvalidInputError, InventoryError } from '../../../lambdas/domain/contract/errors';
import { runOnVirtualClock } from '../../../lib/simulator/virtual-clock';

const ec2Mock = mockClient(EC2Client);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const cloudwatchMock = mockClient(CloudWatchClient);
const ssmMock = mockClient(SSMClient);
const rdsMock = mockClient(RDSClient);

const tgArn = (name: string) => `arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/${name}/0123456789abcdef`;

/** A running instance of a tier, tagged as FleetFlow finds it. */
function instance(id: string, name: string, release: string | undefined): Instance {
  return {
    InstanceId: id,
    Tags: [{ Key: 'Name', Value: name }, ...(release === undefined ? [] : [{ Key: RELEASE_TAG, Value: release }])],
  };
}

/**
 * The simulated account: instances per tier (pages of them), target groups and their members,
 * alarms, and the releases recorded in Parameter Store by parameter name.
 */
interface Account {
  instances: Record<string, Instance[][]>;
  /** `delay`: deregistration_delay.timeout_seconds, ELB's default 300 when not given. */
  targetGroups: Record<string, { interval?: number; threshold?: number; delay?: number; port?: number; members: string[] }>;
  alarms: string[];
  parameters: Record<string, string>;
}

function canonicalAccount(): Account {
  const middle = [instance('i-0b1', 'middle-1', '1.0.0'), instance('i-0b2', 'middle-2', '1.0.0')];
  const web = [instance('i-0c1', 'web-1', '1.0.0'), instance('i-0c2', 'web-2', '1.0.0')];
  const monitoring = [instance('i-0d1', 'monitoring-1', 'mon-1.0'), instance('i-0d2', 'monitoring-2', 'mon-1.0')];
  return {
    instances: { middle: [middle], web: [web], monitoring: [monitoring] },
    targetGroups: {
      'canonical-middle': { interval: 10, threshold: 3, members: ['i-0b1', 'i-0b2'] },
      'canonical-web': { interval: 10, threshold: 3, members: ['i-0c1', 'i-0c2'] },
    },
    alarms: ['canonical-middle-5xx', 'canonical-middle-latency', 'canonical-web-5xx'],
    parameters: { '/fleetflow/canonical/application/current': '1.0.0', '/fleetflow/canonical/monitoring/current': 'mon-1.0' },
  };
}

function useAccount(account: Account): void {
  ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
    // By ID (a surge tier's old hosts, read again for their tags): from any tier.
    const ids = input.Filters?.find((f) => f.Name === 'instance-id')?.Values;
    if (ids) return { Reservations: [{ Instances: Object.values(account.instances).flat(2).filter((i) => ids.includes(i.InstanceId!)) }] };
    const tier = input.Filters?.find((f) => f.Name === 'tag:fleetflow:tier')?.Values?.[0] ?? '';
    const pages = account.instances[tier] ?? [[]];
    const index = input.NextToken ? Number(input.NextToken) : 0;
    return {
      Reservations: [{ Instances: pages[index] }],
      NextToken: index + 1 < pages.length ? String(index + 1) : undefined,
    };
  });
  // No host has stop or termination protection unless a test says so (useStopProtection).
  ec2Mock.on(DescribeInstanceAttributeCommand).callsFake((input: DescribeInstanceAttributeCommandInput) => ({
    InstanceId: input.InstanceId,
    ...(input.Attribute === 'disableApiStop' ? { DisableApiStop: { Value: false } } : { DisableApiTermination: { Value: false } }),
  }));
  elbMock.on(DescribeTargetGroupsCommand).callsFake((input: DescribeTargetGroupsCommandInput) => ({
    TargetGroups: (input.Names ?? [])
      .filter((name) => account.targetGroups[name])
      .map(
        (name): TargetGroup => ({
          TargetGroupName: name,
          TargetGroupArn: tgArn(name),
          HealthCheckIntervalSeconds: account.targetGroups[name]!.interval,
          HealthyThresholdCount: account.targetGroups[name]!.threshold,
          Port: account.targetGroups[name]!.port ?? 80,
        }),
      ),
  }));
  elbMock.on(DescribeTargetGroupAttributesCommand).callsFake((input: { TargetGroupArn: string }) => {
    const name = Object.keys(account.targetGroups).find((n) => tgArn(n) === input.TargetGroupArn) ?? '';
    return {
      Attributes: [
        { Key: 'stickiness.enabled', Value: 'false' },
        { Key: 'deregistration_delay.timeout_seconds', Value: String(account.targetGroups[name]?.delay ?? 300) },
      ],
    };
  });
  elbMock.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn: string }) => {
    const name = Object.keys(account.targetGroups).find((n) => tgArn(n) === input.TargetGroupArn) ?? '';
    return {
      TargetHealthDescriptions: (account.targetGroups[name]?.members ?? []).map((Id) => ({
        Target: { Id, Port: 80 },
        TargetHealth: { State: 'healthy' as const },
      })),
    };
  });
  cloudwatchMock.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => ({
    MetricAlarms: (input.AlarmNames ?? []).filter((n) => account.alarms.includes(n)).map((AlarmName) => ({ AlarmName, StateValue: 'OK' })),
  }));
  ssmMock.on(GetParameterCommand).callsFake((input: GetParameterCommandInput) => {
    const value = account.parameters[input.Name ?? ''];
    if (value === undefined) throw new ParameterNotFound({ message: `${input.Name} not found`, $metadata: { httpStatusCode: 400 } });
    return { Parameter: { Name: input.Name, Type: 'String', Value: value } };
  });
}

/** The canonical environment, changed by `edit`. */
function environmentWith(edit: (env: any) => void = () => {}): unknown {
  const env = structuredClone(canonical) as any;
  edit(env);
  return env;
}

/** The definition as the template stores it for Plan Release: synth's validated definition, as JSON text. */
const stored = (environment: unknown): string => JSON.stringify(parseEnvironment(environment));

const event = (input: unknown, environment: unknown = canonical, execution = 'deploy-2-0-0') => ({ environment: stored(environment), input, execution });

function expectNoAwsCall(): void {
  expect(ec2Mock).not.toHaveReceivedAnyCommand();
  expect(elbMock).not.toHaveReceivedAnyCommand();
  expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
  expect(ssmMock).not.toHaveReceivedAnyCommand();
  expect(rdsMock).not.toHaveReceivedAnyCommand();
}

beforeEach(() => {
  ec2Mock.reset();
  elbMock.reset();
  cloudwatchMock.reset();
  ssmMock.reset();
  rdsMock.reset();
  useAccount(canonicalAccount());
});

describe('execution input', () => {
  it.each([
    { label: 'missing', input: {}, shown: 'received undefined' },
    { label: 'a number', input: { release: 42 }, shown: 'received 42' },
    { label: 'empty', input: { release: '' }, shown: 'received ""' },
    { label: 'starting with a dash', input: { release: '-2.0.0' }, shown: 'received "-2.0.0"' },
    { label: 'holding shell syntax', input: { release: '2.0.0; rm -rf /' }, shown: 'received "2.0.0; rm -rf /"' },
    { label: 'longer than 64 characters', input: { release: 'r'.repeat(65) }, shown: `received "${'r'.repeat(65)}"` },
  ])('rejects a release that is $label with an InvalidInputError showing it, before any AWS call', async ({ input, shown }) => {
    // Act
    const act = planRelease(event(input));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(/^release must be 1-64 letters/);
    await expect(act).rejects.toThrow(`(${shown})`);
    expectNoAwsCall();
  });

  it('rejects unknown fields, naming them, before any AWS call', async () => {
    // Act
    const act = planRelease(event({ release: '2.0.0', force: true, tier: 'web' }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(
      'execution input has unknown field(s) force, tier; allowed: release, releaseFrom, component, onValidationFailure, requireApproval',
    );
    expectNoAwsCall();
  });

  it.each([null, 'release-2.0.0', ['2.0.0'], 7])('rejects the non-object input %j, showing it', async (input) => {
    // Act
    const act = planRelease(event(input));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(`(received ${JSON.stringify(input)})`);
    expectNoAwsCall();
  });

  it('accepts releases of letters, digits, dots, underscores, plus and dashes', () => {
    // Act
    const parsed = parseDeployInput({ release: '2026.11.25-1_rc+build7' });

    // Assess
    expect(parsed).toEqual({ release: '2026.11.25-1_rc+build7', component: 'application' });
  });

  it('refuses, before any AWS call, a definition that is not the one synth stores: an environment file as it is', async () => {
    // Prepare: synth validates the file and stores the result (defaults filled in, `$schema` dropped); the file itself is not that
    const environment = environmentWith((env) => {
      env.tiers[2].batch.minHealthyPercent = 0;
    });

    // Act
    const act = planRelease({ environment, input: { release: '2.0.0' }, execution: 'deploy-2-0-0' });

    // Assess: an invalid definition never reaches Plan Release (synth refuses it: bad-input-corpus.test.ts)
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow('environment: the stored definition is not what synth writes ($schema is present, as in an environment file)');
    expectNoAwsCall();
  });
});

describe('planRelease', () => {
  it('plans the canonical environment one host per batch, middle before web', async () => {
    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.environment).toBe('canonical');
    expect(plan.release).toBe('2.0.0');
    expect(plan.tiers.map((t) => t.spec.name)).toEqual(['middle', 'web']);
    expect(plan.tiers.map((t) => t.batches.map((b) => b.map((h) => h.name)))).toEqual([
      [['middle-1'], ['middle-2']],
      [['web-1'], ['web-2']],
    ]);
    expect(plan.tiers.map((t) => [t.spec.batchSize, t.spec.minHealthy, t.batchCount])).toEqual([
      [1, 1, 2],
      [1, 1, 2],
    ]);
    expect(plan.hostCount).toBe(4);
    expect(plan.batchCount).toBe(4);
    expect(plan.alreadyReleased).toEqual([]);
  });

  it('resolves everything a batch needs about its tier', async () => {
    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.tiers[1]?.spec).toEqual({
      environment: 'canonical',
      name: 'web',
      role: 'web',
      hostTags: { 'fleetflow:environment': 'canonical', 'fleetflow:tier': 'web' },
      traffic: { kind: 'target-group', targetGroupArns: [tgArn('canonical-web')], deregistrationDelaySeconds: 300, ports: [80] },
      install: { document: 'FleetFlow-InstallRelease', parameters: { component: ['storefront'] }, timeoutSeconds: 900, expectedSeconds: 40 },
      drainTimeoutSeconds: 360,
      drainCheck: { document: 'FleetFlow-CheckConnectionsDrained', parameters: {}, timeoutSeconds: 120, expectedSeconds: 10 },
      healthTimeoutSeconds: 300,
      healthyAfterSeconds: 30,
      alarms: ['canonical-web-5xx'],
      hostCount: 2,
      minHealthy: 1,
      batchSize: 1,
      rollbackBatchSize: 1,
      polling: { minSeconds: 2, maxSeconds: 30 },
    });
    expect(plan.tiers[1]?.batches[0]).toEqual([{ id: 'i-0c1', name: 'web-1', previous: '1.0.0' }]);
  });

  it('plans tiers by their order, not by their position in the file', async () => {
    // Prepare
    const environment = environmentWith((env) => {
      env.tiers.reverse();
    });

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }, environment));

    // Assess
    expect(plan.tiers.map((t) => t.spec.name)).toEqual(['middle', 'web']);
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeInstancesCommand, 1, {
      Filters: expect.arrayContaining([{ Name: 'tag:fleetflow:tier', Values: ['middle'] }]),
    });
    expect(ec2Mock).toHaveReceivedNthCommandWith(DescribeInstancesCommand, 2, {
      Filters: expect.arrayContaining([{ Name: 'tag:fleetflow:tier', Values: ['web'] }]),
    });
  });

  it('finds running hosts by every tag of the tier, across pages of DescribeInstances', async () => {
    // Prepare
    const account = canonicalAccount();
    account.instances.web = [
      [instance('i-0c1', 'web-1', '1.0.0'), instance('i-0c2', 'web-2', '1.0.0')],
      [instance('i-0c3', 'web-3', '1.0.0'), instance('i-0c4', 'web-4', '1.0.0')],
    ];
    account.targetGroups['canonical-web']!.members = ['i-0c1', 'i-0c2', 'i-0c3', 'i-0c4'];
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    const webFilters = [
      { Name: 'tag:fleetflow:environment', Values: ['canonical'] },
      { Name: 'tag:fleetflow:tier', Values: ['web'] },
      { Name: 'instance-state-name', Values: ['running'] },
    ];
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, { Filters: webFilters });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, { Filters: webFilters, NextToken: '1' });
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstancesCommand, 3);
    expect(plan.tiers[1]?.spec.hostCount).toBe(4);
    expect(plan.tiers[1]?.batches.flat().map((h) => h.id)).toEqual(['i-0c1', 'i-0c2', 'i-0c3', 'i-0c4']);
  });

  it('patches 2 of 4 hosts at a time when half the tier must stay healthy', async () => {
    // Prepare
    const account = canonicalAccount();
    account.instances.web = [[1, 2, 3, 4].map((n) => instance(`i-0c${n}`, `web-${n}`, '1.0.0'))];
    account.targetGroups['canonical-web']!.members = ['i-0c1', 'i-0c2', 'i-0c3', 'i-0c4'];
    useAccount(account);
    const environment = environmentWith((env) => {
      env.tiers[2].batch = { maxUnavailable: '50%', minHealthyPercent: 50 };
    });

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }, environment));

    // Assess
    const web = plan.tiers[1]!;
    expect(web.spec.batchSize).toBe(2);
    expect(web.spec.minHealthy).toBe(2);
    expect(web.batches.map((b) => b.map((h) => h.name))).toEqual([
      ['web-1', 'web-2'],
      ['web-3', 'web-4'],
    ]);
    expect(plan.batchCount).toBe(4);
  });

  it('orders hosts by name with numbers compared as numbers', async () => {
    // Prepare
    const account = canonicalAccount();
    account.instances.web = [[instance('i-0c10', 'web-10', '1.0.0'), instance('i-0c2', 'web-2', '1.0.0'), instance('i-0c1', 'web-1', '1.0.0')]];
    account.targetGroups['canonical-web']!.members = ['i-0c1', 'i-0c2', 'i-0c10'];
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.tiers[1]?.batches.flat().map((h) => h.name)).toEqual(['web-1', 'web-2', 'web-10']);
  });

  it('rejects a tier whose hosts are not all tagged with their release, naming them', async () => {
    // Prepare
    const account = canonicalAccount();
    account.instances.web = [[instance('i-0c1', 'web-1', '1.0.0'), instance('i-0c2', 'web-2', undefined)]];
    useAccount(account);

    // Act
    const act = planRelease(event({ release: '2.0.0' }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InventoryError);
    await expect(act).rejects.toThrow('tier web: web-2 (i-0c2) have no fleetflow:release tag');
    await expect(act).rejects.not.toThrow('web-1');
  });

  it('leaves out a host a stopped surge launched and sent its first install to, which never served, instead of refusing the tier', async () => {
    // Prepare: web-3 was launched by an earlier execution, its install sent (the installing mark), never recorded or registered.
    const account = canonicalAccount();
    const launched = instance('i-0c3', 'web-3', undefined);
    launched.Tags!.push({ Key: LAUNCHED_BY_TAG, Value: 'deploy-1-1-0' }, { Key: INSTALLING_TAG, Value: '1.1.0' });
    account.instances.web = [[instance('i-0c1', 'web-1', '1.0.0'), instance('i-0c2', 'web-2', '1.0.0'), launched]];
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.tiers[1]?.batches.flat().map((h) => h.name)).toEqual(['web-1', 'web-2']);
  });

  it('refuses a host a compute run set up that is registered nowhere, saying both stories and both ways out, never to run a compute run', async () => {
    // Prepare: web-3 got its release from a scale-out; it is registered nowhere, with no marker: that scale-out stopped
    // before Return To Traffic, or a person deregistered it. Nothing tells which.
    const account = canonicalAccount();
    const setUp = instance('i-0c3', 'web-3', '1.0.0');
    setUp.Tags!.push({ Key: LAUNCHED_BY_TAG, Value: 'scale-out-1' });
    account.instances.web = [[instance('i-0c1', 'web-1', '1.0.0'), instance('i-0c2', 'web-2', '1.0.0'), setUp]];
    useAccount(account);

    // Act
    const act = planRelease(event({ release: '2.0.0' }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InventoryError);
    await expect(act).rejects.toThrow(
      "tier web: 1 host, web-3 (i-0c3), has release 1.0.0 but is registered in none of the tier's target groups and FleetFlow did not take it " +
        'out of traffic (no fleetflow:out-of-traffic tag): a FleetFlow run stopped before putting it into service, or it was deregistered by hand; ' +
        'register it back with `aws elbv2 register-targets` if it should serve, or terminate it if a stopped run left it; nothing was changed',
    );
    // A compute run no longer terminates such a host: the message must not send the operator to one.
    await expect(act).rejects.not.toThrow(/allocate|scale-out|replace|leftover/);
  });

  it('rejects a tier with no running hosts, naming its tags', async () => {
    // Prepare
    const account = canonicalAccount();
    account.instances.middle = [[]];
    useAccount(account);

    // Act
    const act = planRelease(event({ release: '2.0.0' }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InventoryError);
    await expect(act).rejects.toThrow('tier middle: no running instance has the tags {"fleetflow:environment":"canonical","fleetflow:tier":"middle"}');
  });

  it('leaves out hosts already on the release and lists them', async () => {
    // Prepare
    const account = canonicalAccount();
    account.instances.web = [[instance('i-0c1', 'web-1', '2.0.0'), instance('i-0c2', 'web-2', '1.0.0')]];
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.tiers[1]?.batches).toEqual([[{ id: 'i-0c2', name: 'web-2', previous: '1.0.0' }]]);
    expect(plan.alreadyReleased).toEqual(['web-1']);
    expect(plan.batchCount).toBe(3);
    expect(plan.hostCount).toBe(4);
  });

  it('plans no batch for a tier entirely on the release', async () => {
    // Prepare
    const account = canonicalAccount();
    account.instances.middle = [[instance('i-0b1', 'middle-1', '2.0.0'), instance('i-0b2', 'middle-2', '2.0.0')]];
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.tiers[0]?.batches).toEqual([]);
    expect(plan.tiers[0]?.batchCount).toBe(0);
    expect(plan.alreadyReleased).toEqual(['middle-1', 'middle-2']);
  });

  it('rejects a host that is not registered in the tier\'s target group', async () => {
    // Prepare
    const account = canonicalAccount();
    account.targetGroups['canonical-web']!.members = ['i-0c1'];
    useAccount(account);

    // Act
    const act = planRelease(event({ release: '2.0.0' }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InventoryError);
    await expect(act).rejects.toThrow('tier web: web-2 (i-0c2) not registered in target group canonical-web');
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: tgArn('canonical-web') });
  });

  it('puts first, and back on the release, a host a stopped FleetFlow execution left out of traffic', async () => {
    // Prepare: web-2 already carries 2.0.0 (installed before the stop) but was never put back
    const account = canonicalAccount();
    const leftOut = instance('i-0c2', 'web-2', '2.0.0');
    leftOut.Tags!.push({ Key: OUT_OF_TRAFFIC_TAG, Value: 'stopped-execution' });
    account.instances.web = [[instance('i-0c1', 'web-1', '1.0.0'), leftOut]];
    account.targetGroups['canonical-web']!.members = ['i-0c1'];
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess: web-2 is the first batch and, should it fail, goes back to the recorded 1.0.0
    expect(plan.tiers[1]?.batches).toEqual([
      [{ id: 'i-0c2', name: 'web-2', previous: '1.0.0' }],
      [{ id: 'i-0c1', name: 'web-1', previous: '1.0.0' }],
    ]);
    expect(plan.alreadyReleased).toEqual([]);
  });

  it('treats a draining host as out of traffic, and refuses it when FleetFlow did not take it out', async () => {
    // Prepare: web-2 is being deregistered by someone else
    const account = canonicalAccount();
    useAccount(account);
    elbMock.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn: string }) => ({
      TargetHealthDescriptions: (input.TargetGroupArn === tgArn('canonical-web') ? ['i-0c1', 'i-0c2'] : ['i-0b1', 'i-0b2']).map((Id) => ({
        Target: { Id, Port: 80 },
        TargetHealth: { State: Id === 'i-0c2' ? ('draining' as const) : ('healthy' as const) },
      })),
    }));

    // Act
    const act = planRelease(event({ release: '2.0.0' }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InventoryError);
    await expect(act).rejects.toThrow(`tier web: web-2 (i-0c2) not registered in target group canonical-web, and not left out by FleetFlow (no ${OUT_OF_TRAFFIC_TAG} tag)`);
  });

  /** Every member of each target group healthy, except the states given by instance ID. */
  function useTargetStates(states: Record<string, 'unhealthy' | 'initial' | 'unused'>, account = canonicalAccount()): void {
    elbMock.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn: string }) => {
      const name = Object.keys(account.targetGroups).find((n) => tgArn(n) === input.TargetGroupArn) ?? '';
      return {
        TargetHealthDescriptions: (account.targetGroups[name]?.members ?? []).map((Id) => ({
          Target: { Id, Port: 80 },
          TargetHealth: { State: states[Id] ?? ('healthy' as const), ...(states[Id] === 'unused' ? { Reason: 'Target.NotInUse' as const } : {}) },
        })),
      };
    });
  }

  it('refuses, before anything changes, a tier whose hosts serving are already below its floor, naming them and the way out', async () => {
    // Prepare: canonical web keeps 1 of 2 (minHealthyPercent 50); neither serves
    useTargetStates({ 'i-0c1': 'unhealthy', 'i-0c2': 'unused' });

    // Act
    const act = planRelease(event({ release: '2.0.0' }));

    // Assess: one line, every figure a person needs
    await expect(act).rejects.toBeInstanceOf(InsufficientCapacityError);
    await expect(act).rejects.toThrow(
      'tier web: 0 of 2 host(s) healthy in canonical-web, below the floor of 1 (batch.minHealthyPercent 50) before anything changed, ' +
        'so no batch could leave service; not serving: web-1 (unhealthy), web-2 (unused); replace them first ' +
        `(fleetflow start replace --env canonical --input '{"targets":"unhealthy","tier":"web"}'), then release; nothing was changed`,
    );
  });

  it('checks the floor only of a tier with a batch to run: one already on the release is not refused for its health', async () => {
    // Prepare: web already runs 2.0.0 and neither host serves; middle, healthy, has its batches
    const account = canonicalAccount();
    account.instances.web = [[instance('i-0c1', 'web-1', '2.0.0'), instance('i-0c2', 'web-2', '2.0.0')]];
    useAccount(account);
    useTargetStates({ 'i-0c1': 'unhealthy', 'i-0c2': 'unhealthy' }, account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess: the release goes on for middle; web has nothing to release
    expect(plan.tiers.map((t) => [t.spec.name, t.batchCount])).toEqual([['middle', 2], ['web', 0]]);
  });

  it('counts a host still passing its first health checks (initial) as serving: a tier at its floor is released', async () => {
    // Prepare: web-1 failing, web-2 just registered: 1 of 2 serving or about to, the floor
    useTargetStates({ 'i-0c1': 'unhealthy', 'i-0c2': 'initial' });

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.tiers.map((t) => t.batchCount)).toEqual([2, 2]);
  });

  it('counts a host a stopped release left out of traffic as out, without naming it among the unhealthy', async () => {
    // Prepare: web-2 left out by a stopped execution, web-1 failing its checks: nothing serves
    const account = canonicalAccount();
    const leftOut = instance('i-0c2', 'web-2', '1.0.0');
    leftOut.Tags!.push({ Key: OUT_OF_TRAFFIC_TAG, Value: 'stopped-execution' });
    account.instances.web = [[instance('i-0c1', 'web-1', '1.0.0'), leftOut]];
    account.targetGroups['canonical-web']!.members = ['i-0c1'];
    useAccount(account);
    useTargetStates({ 'i-0c1': 'unhealthy' }, account);

    // Act
    const act = planRelease(event({ release: '2.0.0' }));

    // Assess
    await expect(act).rejects.toThrow('tier web: 0 of 2 host(s) healthy in canonical-web, below the floor of 1');
    await expect(act).rejects.toThrow('not serving: web-1 (unhealthy), and 1 left out of traffic by a stopped release;');
  });

  it('rejects alarms that do not exist, naming them', async () => {
    // Prepare
    const account = canonicalAccount();
    account.alarms = ['canonical-middle-5xx', 'canonical-web-5xx'];
    useAccount(account);

    // Act
    const act = planRelease(event({ release: '2.0.0' }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InventoryError);
    await expect(act).rejects.toThrow('tier middle: alarm(s) canonical-middle-latency do not exist');
    expect(cloudwatchMock).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['canonical-middle-5xx', 'canonical-middle-latency'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
  });

  it('accepts a composite alarm as an existing alarm', async () => {
    // Prepare
    cloudwatchMock.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => ({
      CompositeAlarms: (input.AlarmNames ?? []).map((AlarmName) => ({ AlarmName, StateValue: 'OK' })),
    }));

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.tiers).toHaveLength(2);
  });

  it('expects hosts to pass health checks no sooner than interval x healthy threshold of the slowest group', async () => {
    // Prepare
    const account = canonicalAccount();
    account.targetGroups['canonical-web-admin'] = { interval: 15, threshold: 5, members: ['i-0c1', 'i-0c2'] };
    useAccount(account);
    const environment = environmentWith((env) => {
      env.tiers[2].traffic.targetGroups = ['canonical-web', 'canonical-web-admin'];
    });

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }, environment));

    // Assess
    expect(plan.tiers[0]?.spec.healthyAfterSeconds).toBe(30);
    expect(plan.tiers[1]?.spec.healthyAfterSeconds).toBe(75);
    expect(plan.tiers[1]?.spec.traffic).toEqual({
      kind: 'target-group',
      targetGroupArns: [tgArn('canonical-web'), tgArn('canonical-web-admin')],
      deregistrationDelaySeconds: 300,
      ports: [80],
    });
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetGroupsCommand, { Names: ['canonical-web', 'canonical-web-admin'] });
  });

  it('uses the ELB default health check (30 s x 5) when a group does not report it', async () => {
    // Prepare
    const account = canonicalAccount();
    account.targetGroups['canonical-web'] = { members: ['i-0c1', 'i-0c2'] };
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.tiers[1]?.spec.healthyAfterSeconds).toBe(150);
  });

  it('rejects a target group missing from the DescribeTargetGroups response', async () => {
    // Prepare
    const account = canonicalAccount();
    delete account.targetGroups['canonical-web'];
    useAccount(account);

    // Act
    const act = planRelease(event({ release: '2.0.0' }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InventoryError);
    await expect(act).rejects.toThrow('tier web: target group canonical-web does not exist');
  });

  // ELBv2 answers DescribeTargetGroups with TargetGroupNotFound when any name is unknown
  // (it never returns the others).
  it('reports a target group that AWS says does not exist as an InventoryError naming the tier', async () => {
    // Prepare
    elbMock.on(DescribeTargetGroupsCommand).rejects(
      new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: { httpStatusCode: 400 } }),
    );

    // Act
    const act = planRelease(event({ release: '2.0.0' }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InventoryError);
    await expect(act).rejects.toThrow('tier middle: target group(s) canonical-middle not found');
  });

  it('leaves no host out of traffic when the plan is refused, because it changes nothing', async () => {
    // Prepare
    const account = canonicalAccount();
    account.alarms = [];
    useAccount(account);

    // Act
    await expect(planRelease(event({ release: '2.0.0' }))).rejects.toThrow(InventoryError);

    // Assess
    const mutating = [...ec2Mock.calls(), ...elbMock.calls(), ...cloudwatchMock.calls(), ...ssmMock.calls(), ...rdsMock.calls()]
      .map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name)
      .filter((name) => !name.startsWith('Describe') && !name.startsWith('Get'));
    expect(mutating).toEqual([]);
  });

  it('stores each batch in the plan table and returns the plan with batches by reference', async () => {
    // Prepare
    process.env.PLAN_TABLE = 'plan-table';
    const dynamoMock = mockClient(DynamoDBClient);
    dynamoMock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });

    // Act
    const plan = await handler(event({ release: '2.0.0' }));

    // Assess: each tier travels as its key prefix and segments, its batches' hosts are in the table
    expect(plan.batchCount).toBe(4);
    expect(plan.tiers.map((t) => ({ name: t.spec.name, batchCount: t.batchCount, keyPrefix: t.keyPrefix, segments: t.segments }))).toEqual([
      { name: 'middle', batchCount: 2, keyPrefix: 'canonical#deploy-2-0-0#release#middle', segments: [{ first: 0, last: 1 }] },
      { name: 'web', batchCount: 2, keyPrefix: 'canonical#deploy-2-0-0#release#web', segments: [{ first: 0, last: 1 }] },
    ]);
    expect(plan.alreadyReleasedCount).toBe(0);
    expect(plan.alreadyReleasedSample).toEqual([]);
    const written = dynamoMock.commandCalls(BatchWriteItemCommand).flatMap((c) => c.args[0].input.RequestItems!['plan-table']!);
    expect(written.map((w) => w.PutRequest!.Item!.pk!.S)).toEqual([
      'canonical#deploy-2-0-0#release#middle#0',
      'canonical#deploy-2-0-0#release#middle#1',
      'canonical#deploy-2-0-0#release#web#0',
      'canonical#deploy-2-0-0#release#web#1',
    ]);
    expect(JSON.parse(written[0]!.PutRequest!.Item!.hosts!.S!)).toEqual([expect.objectContaining({ name: 'middle-1', previous: '1.0.0' })]);
    expect(Number(written[0]!.PutRequest!.Item!.expiresAt!.N)).toBeGreaterThan(Date.now() / 1000);
    dynamoMock.restore();
  });
});

/**
 * What RDS accepts as a DB snapshot identifier: 1-255 letters, digits or hyphens, starting
 * with a letter, no two consecutive hyphens, not ending with a hyphen.
 */
function expectValidSnapshotIdentifier(id: string): void {
  expect(id).toMatch(/^[A-Za-z][A-Za-z0-9-]*$/);
  expect(id).not.toContain('--');
  expect(id).not.toMatch(/-$/);
  expect(id.length).toBeLessThanOrEqual(255);
}

/** The tier names DescribeInstances was asked about, in order. */
function tiersLookedUp(): string[] {
  return ec2Mock
    .commandCalls(DescribeInstancesCommand)
    .map((call) => call.args[0].input.Filters?.find((f) => f.Name === 'tag:fleetflow:tier')?.Values?.[0] ?? '');
}

describe('batch waves and the rollback batch size', () => {
  /** The canonical account with `count` web hosts, the first `released` of them already on 2.0.0. */
  function useWebHosts(count: number, released = 0): void {
    const account = canonicalAccount();
    const ids = Array.from({ length: count }, (_, i) => `i-0c${i + 1}`);
    account.instances.web = [ids.map((id, i) => instance(id, `web-${i + 1}`, i < released ? '2.0.0' : '1.0.0'))];
    account.targetGroups['canonical-web']!.members = ids;
    useAccount(account);
  }

  const webBatch = (batch: unknown) =>
    environmentWith((env) => {
      env.tiers[2].batch = batch;
    });

  it('patches 100 web hosts in waves of 1, 10%, then 33% until done, half the tier kept in service', async () => {
    // Prepare
    useWebHosts(100);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }, webBatch({ minHealthyPercent: 50, waves: [1, '10%', '33%'] })));

    // Assess
    const web = plan.tiers[1]!;
    expect(web.batches.map((b) => b.length)).toEqual([1, 10, 33, 33, 23]);
    expect(web.batches.flat().map((h) => h.name)).toEqual(Array.from({ length: 100 }, (_, i) => `web-${i + 1}`));
    expect(web.batches[0]!.map((h) => h.name)).toEqual(['web-1']);
    expect(web.spec).toMatchObject({ hostCount: 100, minHealthy: 50, batchSize: 33, rollbackBatchSize: 33 });
    expect(web.batchCount).toBe(5);
    expect(plan.batchCount).toBe(2 + 5);
  });

  it.each([
    // Two batches' worth: the next batch's hosts launch while this one installs.
    ['20%', [10, 10, 10, 10, 10, 10, 10, 10, 10, 10], { maxSurge: 20, pipeline: true }],
    // Less than a batch: every batch shrinks to it, one after another.
    ['4%', [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], { maxSurge: 4, pipeline: false }],
    // Unset: one batch's worth, as before maxSurge existed.
    [undefined, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10], { maxSurge: 10, pipeline: false }],
  ])('plans a surge of 100 web hosts in 10%% batches with maxSurge %s', async (maxSurge, sizes, surge) => {
    // Prepare
    useWebHosts(100);

    // Act: the 100 old hosts' protection reads are paced to EC2's request rate (retire-guards.ts); the virtual clock runs through the pauses
    const plan = await runOnVirtualClock(Date.now(), () =>
      planRelease(event({ release: '2.0.0' }, webBatch({ maxUnavailable: '10%', minHealthyPercent: 50, strategy: 'surge', ...(maxSurge ? { maxSurge } : {}) }))),
    );

    // Assess
    const web = plan.tiers[1]!;
    expect(web.batches.map((b) => b.length)).toEqual(sizes);
    expect(web.spec.batchSize).toBe(sizes[0]);
    expect(web.spec.surge).toMatchObject(surge);
  });

  it('sizes the waves on the tier\'s host count, not on the hosts left, when some already have the release', async () => {
    // Prepare
    useWebHosts(100, 30);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }, webBatch({ minHealthyPercent: 50, waves: [1, '10%', '33%'] })));

    // Assess
    const web = plan.tiers[1]!;
    expect(web.batches.map((b) => b.length)).toEqual([1, 10, 33, 26]);
    expect(web.batches[0]!.map((h) => h.name)).toEqual(['web-31']);
    expect(plan.alreadyReleased).toHaveLength(30);
  });

  it('caps every wave by maxUnavailable and by the hosts minHealthyPercent leaves free', async () => {
    // Prepare
    useWebHosts(100);

    // Act
    const capped = await planRelease(
      event({ release: '2.0.0' }, webBatch({ maxUnavailable: 20, minHealthyPercent: 50, waves: [1, '10%', '50%'] })),
    );
    const floored = await planRelease(event({ release: '2.0.0' }, webBatch({ minHealthyPercent: 75, waves: [1, '50%'] })));

    // Assess
    expect(capped.tiers[1]!.batches.map((b) => b.length)).toEqual([1, 10, 20, 20, 20, 20, 9]);
    expect(capped.tiers[1]!.spec.batchSize).toBe(20);
    expect(floored.tiers[1]!.batches.map((b) => b.length)).toEqual([1, 25, 25, 25, 24]);
    expect(floored.tiers[1]!.spec).toMatchObject({ minHealthy: 75, batchSize: 25 });
  });

  it('plans a revert faster than the rollout, never above hostCount - minHealthy', async () => {
    // Prepare
    useWebHosts(100);

    // Act
    const plan = await planRelease(
      event({ release: '2.0.0' }, webBatch({ maxUnavailable: 1, minHealthyPercent: 50, rollback: { maxUnavailable: '80%' } })),
    );

    // Assess
    const web = plan.tiers[1]!;
    expect(web.batches.every((b) => b.length === 1)).toBe(true);
    expect(web.spec).toMatchObject({ hostCount: 100, minHealthy: 50, batchSize: 1, rollbackBatchSize: 50 });
    expect(web.spec.rollbackBatchSize).toBeLessThanOrEqual(web.spec.hostCount - web.spec.minHealthy);
  });

  it('reverts by the rollout\'s batch size when the tier sets no rollback batch', async () => {
    // Prepare
    useWebHosts(10);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }, webBatch({ maxUnavailable: 3, minHealthyPercent: 50 })));

    // Assess
    expect(plan.tiers[1]!.spec).toMatchObject({ batchSize: 3, rollbackBatchSize: 3 });
  });

  it('never receives waves that maxUnavailable 1 makes useless: synth refuses them, naming the field', () => {
    // Act: what synth does with the definition before it stores it for Plan Release
    const act = () => stored(webBatch({ maxUnavailable: 1, minHealthyPercent: 50, waves: [1, '50%'] }));

    // Assess
    expect(act).toThrow(/tiers\[2\]\.batch\.waves: maxUnavailable 1 caps every batch, .*\(received \[1,"50%"\]\)/);
  });
});

describe('application release', () => {
  it('plans only the middle and web tiers and leaves the monitoring hosts alone', async () => {
    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.component).toBe('application');
    expect(plan.tiers.map((t) => t.spec.name)).toEqual(['middle', 'web']);
    expect(plan.tiers.flatMap((t) => t.batches.flat()).map((h) => h.id)).not.toContain('i-0d1');
    expect(tiersLookedUp()).not.toContain('monitoring');
    expect(plan.hostCount).toBe(4);
  });

  it('plans the database step: a snapshot of the instance, then the migration on the first middle host', async () => {
    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.database).toEqual({
      instanceIdentifier: 'canonical-db',
      snapshotId: 'fleetflow-canonical-2-0-0-deploy-2-0-0',
      snapshotTimeoutSeconds: 3600,
      migration: {
        document: 'FleetFlow-ApplyMigration',
        parameters: { databaseSecret: ['/canonical/database/migrator-password'] },
        timeoutSeconds: 1800,
        expectedSeconds: 45,
      },
      runner: { id: 'i-0b1', name: 'middle-1', previous: '1.0.0' },
      polling: { minSeconds: 2, maxSeconds: 30 },
    });
  });

  it('does not pass the runner tier on to the migration command', async () => {
    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.database?.migration).not.toHaveProperty('runnerTier');
  });

  it('runs the migration on the first middle host by name even when DescribeInstances lists it last', async () => {
    // Prepare
    const account = canonicalAccount();
    account.instances.middle = [[instance('i-0b9', 'middle-10', '1.0.0'), instance('i-0b2', 'middle-2', '1.0.0')]];
    account.targetGroups['canonical-middle']!.members = ['i-0b9', 'i-0b2'];
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.database?.runner).toEqual({ id: 'i-0b2', name: 'middle-2', previous: '1.0.0' });
  });

  it('still has a migration runner when every middle host already has the release', async () => {
    // Prepare
    const account = canonicalAccount();
    account.instances.middle = [[instance('i-0b1', 'middle-1', '2.0.0'), instance('i-0b2', 'middle-2', '2.0.0')]];
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.tiers[0]?.batches).toEqual([]);
    expect(plan.database?.runner).toEqual({ id: 'i-0b1', name: 'middle-1', previous: '2.0.0' });
  });

  // Handler bug: plan-release.ts takes the first host *still to be patched* as the runner,
  // although its own comment (and the plan contract) says "the first host of its tier,
  // whether or not it still needs the release". On a re-run where middle-1 already has the
  // release, the migration silently moves to middle-2.
  it('runs the migration on the first middle host even when only that host already has the release', async () => {
    // Prepare
    const account = canonicalAccount();
    account.instances.middle = [[instance('i-0b1', 'middle-1', '2.0.0'), instance('i-0b2', 'middle-2', '1.0.0')]];
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.database?.runner).toEqual({ id: 'i-0b1', name: 'middle-1', previous: '2.0.0' });
  });

  it('reads nothing from RDS and changes nothing while planning the database step', async () => {
    // Act
    await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(rdsMock).not.toHaveReceivedAnyCommand();
  });

  it.each([
    { release: '2.0.0+build_7', execution: 'deploy-2-0-0', expected: 'fleetflow-canonical-2-0-0-build-7-deploy-2-0-0' },
    { release: '2026.11.25-1_rc+build7', execution: 'release_2026.11.25', expected: 'fleetflow-canonical-2026-11-25-1-rc-build7-release-2026-11-25' },
    { release: '2.0.0', execution: '--retry--of__2.0.0--', expected: 'fleetflow-canonical-2-0-0-retry-of-2-0-0' },
  ])('names the snapshot after release $release and execution $execution with a valid RDS identifier', async ({ release, execution, expected }) => {
    // Act
    const plan = await planRelease(event({ release }, canonical, execution));

    // Assess
    expect(plan.database?.snapshotId).toBe(expected);
    expectValidSnapshotIdentifier(plan.database!.snapshotId);
  });

  it('keeps the snapshot identifier valid for the longest release and execution names', async () => {
    // Prepare
    const release = `9${'.x_'.repeat(21)}`; // 64 characters, ending in a separator run
    const execution = `${'e-'.repeat(39)}_-`; // 80 characters, the Step Functions maximum

    // Act
    const plan = await planRelease(event({ release }, canonical, execution));

    // Assess
    expect(release).toHaveLength(64);
    expect(execution).toHaveLength(80);
    expectValidSnapshotIdentifier(plan.database!.snapshotId);
  });

  it.each([
    { label: 'a 300-character execution', execution: 'a'.repeat(300) },
    // 'fleetflow-canonical-2-0-0-' is 26 characters, so the dot becomes the 255th character.
    { label: 'a cut that lands on a separator', execution: `${'a'.repeat(228)}.${'b'.repeat(50)}` },
    { label: 'an execution of separators only', execution: '._-+' },
  ])('cuts the snapshot identifier to a valid one of at most 255 characters for $label', ({ execution }) => {
    // Act
    const id = snapshotIdentifier('canonical', '2.0.0', execution);

    // Assess
    expectValidSnapshotIdentifier(id);
    expect(id.startsWith('fleetflow-canonical-2-0-0')).toBe(true);
  });

  it('gives each execution of the same release its own snapshot', async () => {
    // Act
    const first = await planRelease(event({ release: '2.0.0' }, canonical, 'deploy-2-0-0'));
    const retry = await planRelease(event({ release: '2.0.0' }, canonical, 'deploy-2-0-0-retry'));

    // Assess
    expect(first.database?.snapshotId).not.toBe(retry.database?.snapshotId);
  });

  it('plans no database step for an environment without a data tier', async () => {
    // Prepare
    const environment = environmentWith((env) => {
      env.tiers = env.tiers.filter((t: { role: string }) => t.role !== 'data');
    });

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }, environment));

    // Assess
    expect(plan).not.toHaveProperty('database');
    expect(plan.tiers.map((t) => t.spec.name)).toEqual(['middle', 'web']);
  });
});

describe('monitoring release', () => {
  it('plans only the monitoring tier and no database step', async () => {
    // Act
    const plan = await planRelease(event({ release: 'mon-2.0', component: 'monitoring' }));

    // Assess
    expect(plan.component).toBe('monitoring');
    expect(plan.tiers.map((t) => t.spec.name)).toEqual(['monitoring']);
    expect(plan.tiers[0]?.batches.map((b) => b.map((h) => h.name))).toEqual([['monitoring-1'], ['monitoring-2']]);
    expect(plan).not.toHaveProperty('database');
    expect(plan.hostCount).toBe(2);
    expect(plan.batchCount).toBe(2);
    expect(tiersLookedUp()).toEqual(['monitoring']);
    expect(rdsMock).not.toHaveReceivedAnyCommand();
  });

  it('plans the monitoring tier without traffic: no target group is looked up', async () => {
    // Act
    const plan = await planRelease(event({ release: 'mon-2.0', component: 'monitoring' }));

    // Assess
    expect(plan.tiers[0]?.spec).toMatchObject({
      role: 'monitoring',
      traffic: { kind: 'none' },
      healthyAfterSeconds: 0,
      install: {
        document: 'FleetFlow-InstallMonitoring',
        parameters: { collectorApiKey: ['/canonical/monitoring/collector-api-key'] },
        timeoutSeconds: 900,
      },
    });
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('gives the monitoring tier its health command, since no target group checks its hosts', async () => {
    // Act
    const plan = await planRelease(event({ release: 'mon-2.0', component: 'monitoring' }));

    // Assess
    expect(plan.tiers[0]?.spec.healthCommand).toEqual({ document: 'FleetFlow-CheckHealth', parameters: {}, timeoutSeconds: 60 });
  });

  it('reads the recorded monitoring release, not the application one', async () => {
    // Act
    const plan = await planRelease(event({ release: 'mon-2.0', component: 'monitoring' }));

    // Assess
    expect(ssmMock).toHaveReceivedCommandExactlyOnceWith(GetParameterCommand, { Name: '/fleetflow/canonical/monitoring/current' });
    expect(plan.recordedRelease).toBe('mon-1.0');
  });

  it('refuses a monitoring tier whose batch policy would leave no monitoring host in service', async () => {
    // Prepare
    const account = canonicalAccount();
    account.instances.monitoring = [[instance('i-0d1', 'monitoring-1', 'mon-1.0')]];
    useAccount(account);

    // Act
    const act = planRelease(event({ release: 'mon-2.0', component: 'monitoring' }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow('tiers.monitoring.batch.minHealthyPercent=50 requires 1 of 1 hosts in service at all times');
  });

  it('refuses a monitoring release for an environment without a monitoring tier', async () => {
    // Prepare
    const environment = environmentWith((env) => {
      env.tiers = env.tiers.filter((t: { role: string }) => t.role !== 'monitoring');
    });

    // Act
    const act = planRelease(event({ release: 'mon-2.0', component: 'monitoring' }, environment));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow('environment canonical has no monitoring tier');
    expect(ec2Mock).not.toHaveReceivedAnyCommand();
  });
});

describe('validation policy', () => {
  it('takes the validation section of the environment when the input does not override it', async () => {
    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.validation).toEqual({
      alarms: ['canonical-availability'],
      alarmPrefixes: ['canonical-web-', 'canonical-middle-'],
      bakeSeconds: 300,
      approval: { required: false, timeoutSeconds: 3600 },
      onFailure: 'rollback',
      polling: { minSeconds: 2, maxSeconds: 30 },
    });
  });

  it.each([
    { environmentRequires: false, input: true },
    { environmentRequires: true, input: false },
  ])('lets requireApproval=$input in the input win over the environment\'s $environmentRequires', async ({ environmentRequires, input }) => {
    // Prepare
    const environment = environmentWith((env) => {
      env.validation.approval.required = environmentRequires;
    });

    // Act
    const plan = await planRelease(event({ release: '2.0.0', requireApproval: input }, environment));

    // Assess
    expect(plan.validation.approval).toEqual({ required: input, timeoutSeconds: 3600 });
  });

  it.each([
    { environmentPolicy: 'rollback', input: 'halt' },
    { environmentPolicy: 'halt', input: 'rollback' },
  ] as const)('lets onValidationFailure=$input in the input win over the environment\'s $environmentPolicy', async ({ environmentPolicy, input }) => {
    // Prepare
    const environment = environmentWith((env) => {
      env.validation.onFailure = environmentPolicy;
    });

    // Act
    const plan = await planRelease(event({ release: '2.0.0', onValidationFailure: input }, environment));

    // Assess
    expect(plan.validation.onFailure).toBe(input);
  });

  it('keeps the environment\'s approval requirement when the input leaves it out', async () => {
    // Prepare
    const environment = environmentWith((env) => {
      env.validation.approval.required = true;
      env.validation.onFailure = 'halt';
    });

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }, environment));

    // Assess
    expect(plan.validation.approval.required).toBe(true);
    expect(plan.validation.onFailure).toBe('halt');
  });

  it.each([
    { field: 'component', value: 'database', message: 'component must be "application" or "monitoring" (received "database")' },
    { field: 'component', value: 'Monitoring', message: 'component must be "application" or "monitoring" (received "Monitoring")' },
    { field: 'component', value: null, message: 'component must be "application" or "monitoring" (received null)' },
    { field: 'onValidationFailure', value: 'ignore', message: 'onValidationFailure must be "rollback" or "halt" (received "ignore")' },
    { field: 'onValidationFailure', value: true, message: 'onValidationFailure must be "rollback" or "halt" (received true)' },
    { field: 'requireApproval', value: 'yes', message: 'requireApproval must be true or false (received "yes")' },
    { field: 'requireApproval', value: 1, message: 'requireApproval must be true or false (received 1)' },
  ])('rejects $field=$value with an InvalidInputError showing it, before any AWS call', async ({ field, value, message }) => {
    // Act
    const act = planRelease(event({ release: '2.0.0', [field]: value }));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(message);
    expectNoAwsCall();
  });

  it('accepts every execution input field together', () => {
    // Act
    const parsed = parseDeployInput({ release: 'mon-2.0', component: 'monitoring', onValidationFailure: 'halt', requireApproval: false });

    // Assess
    expect(parsed).toEqual({ release: 'mon-2.0', component: 'monitoring', onValidationFailure: 'halt', requireApproval: false });
  });
});

describe('recorded release', () => {
  it('reads the release recorded as current for the environment and component from Parameter Store', async () => {
    // Prepare
    const account = canonicalAccount();
    account.parameters['/fleetflow/canonical/application/current'] = '1.4.2';
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(ssmMock.commandCalls(GetParameterCommand, { Name: '/fleetflow/canonical/application/current' })).toHaveLength(1);
    expect(plan.recordedRelease).toBe('1.4.2');
  });

  it('snapshots and migrates the database a restore-data recorded as current, not the defined identifier', async () => {
    // Prepare
    const account = canonicalAccount();
    account.parameters['/fleetflow/canonical/database/current'] = 'canonical-db-snap-202611290300-1a2b3c4d';
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.database?.instanceIdentifier).toBe('canonical-db-snap-202611290300-1a2b3c4d');
  });

  it('records no previous release on a first release, when the parameter does not exist', async () => {
    // Prepare
    const account = canonicalAccount();
    account.parameters = {};
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess
    expect(plan.recordedRelease).toBeNull();
  });

  it('fails with the Parameter Store error itself when reading the record fails otherwise', async () => {
    // Prepare
    const error = new InternalServerError({ message: 'Parameter Store is unavailable', $metadata: { httpStatusCode: 500 } });
    ssmMock.on(GetParameterCommand).rejects(error);

    // Act
    const act = planRelease(event({ release: '2.0.0' }));

    // Assess
    await expect(act).rejects.toBe(error);
    await expect(act).rejects.not.toBeInstanceOf(InvalidInputError);
  });
});

describe('the drain and the deregistration delay', () => {
  /** The canonical environment with this drain timeout on its target-group tiers (and no longer a check than it). */
  const drainTimeout = (seconds: number) =>
    environmentWith((env) => {
      for (const tier of env.tiers) {
        if (tier.traffic?.kind !== 'target-group') continue;
        tier.drain = { timeoutSeconds: seconds, check: { ...tier.drain.check, timeoutSeconds: Math.max(30, Math.min(seconds, tier.drain.check.timeoutSeconds)) } };
      }
    });

  it("refuses a drain timeout that cannot cover a target group's deregistration delay, naming both figures, before writing anything", async () => {
    // Prepare: the canonical groups keep ELB's default delay, 300 s
    const ddbMock = mockClient(DynamoDBClient);

    // Act
    const act = planRelease(event({ release: '2.0.0' }, drainTimeout(180)));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(
      'tier middle: drain.timeoutSeconds 180 cannot cover the deregistration delay of target group canonical-middle, 300s (deregistration_delay.timeout_seconds)',
    );
    await expect(act).rejects.toThrow('set drain.timeoutSeconds to at least 330');
    expect(ddbMock).not.toHaveReceivedAnyCommand();
    ddbMock.restore();
  });

  it('refuses a drain timeout equal to the delay: the target is still shown draining when the delay elapses', async () => {
    // Act
    const act = planRelease(event({ release: '2.0.0' }, drainTimeout(300)));

    // Assess
    await expect(act).rejects.toThrow('drain.timeoutSeconds 300 cannot cover the deregistration delay of target group canonical-middle, 300s');
  });

  it('reads each target group of the tier and holds the drain to the largest delay', async () => {
    // Prepare
    const account = canonicalAccount();
    account.targetGroups['canonical-web']!.delay = 600;

    useAccount(account);

    // Act
    const act = planRelease(event({ release: '2.0.0' }, drainTimeout(360)));

    // Assess: the middle tier (300 s) passes; the web tier's group does not
    await expect(act).rejects.toThrow('tier web: drain.timeoutSeconds 360 cannot cover the deregistration delay of target group canonical-web, 600s');
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetGroupAttributesCommand, { TargetGroupArn: tgArn('canonical-web') });
  });

  it('accepts a shorter drain timeout for groups whose delay was lowered, and plans with the delay and the ports', async () => {
    // Prepare
    const account = canonicalAccount();
    account.targetGroups['canonical-middle']!.delay = 30;
    account.targetGroups['canonical-middle']!.port = 8080;
    account.targetGroups['canonical-web']!.delay = 30;
    useAccount(account);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }, drainTimeout(60)));

    // Assess
    const middle = plan.tiers.find((t) => t.spec.name === 'middle')!.spec;
    expect(middle.traffic).toEqual({ kind: 'target-group', targetGroupArns: [tgArn('canonical-middle')], deregistrationDelaySeconds: 30, ports: [8080] });
    expect(middle.drainTimeoutSeconds).toBe(60);
  });

  it("carries the tier's host-side drain check into the plan of a target-group tier", async () => {
    // Act
    const plan = await planRelease(event({ release: '2.0.0' }));

    // Assess: environments/canonical.json declares it on middle and web
    const web = plan.tiers.find((t) => t.spec.name === 'web')!.spec;
    expect(web.drainCheck).toEqual({ document: 'FleetFlow-CheckConnectionsDrained', parameters: {}, timeoutSeconds: 120, expectedSeconds: 10 });
    expect(web.traffic).toMatchObject({ deregistrationDelaySeconds: 300, ports: [80] });
  });
});

describe('a surge tier\'s old hosts that EC2 would refuse to stop or terminate', () => {
  const surgeWeb = environmentWith((env) => {
    env.tiers[2].batch = { ...env.tiers[2].batch, strategy: 'surge' };
  });
  /** DescribeInstanceAttribute as EC2 answers it: one attribute of one instance; `protectedIds` have stop protection. */
  function useStopProtection(protectedIds: string[]): void {
    ec2Mock.on(DescribeInstanceAttributeCommand).callsFake((input: DescribeInstanceAttributeCommandInput) => ({
      InstanceId: input.InstanceId,
      ...(input.Attribute === 'disableApiStop' ? { DisableApiStop: { Value: protectedIds.includes(input.InstanceId!) } } : { DisableApiTermination: { Value: false } }),
    }));
  }
  const asked = () => ec2Mock.commandCalls(DescribeInstanceAttributeCommand).map((c) => `${c.args[0].input.InstanceId} ${c.args[0].input.Attribute}`).sort();

  it('refuses before the lock, naming the protected host, having read only the surge tier\'s hosts it would retire', async () => {
    // Prepare: web-1 has stop protection; the middle tier (rolled, never retired) is not read.
    useStopProtection(['i-0c1']);

    // Act
    const act = planRelease(event({ release: '2.0.0' }, surgeWeb));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(
      /^tier web: web-1 \(i-0c1\) has stop protection \(DisableApiStop\): a surge release stops the old hosts it replaces, then terminates them .*--instance-id i-0c1 --no-disable-api-stop.*; nothing was changed$/,
    );
    expect(asked()).toEqual(['i-0c1 disableApiStop', 'i-0c1 disableApiTermination', 'i-0c2 disableApiStop', 'i-0c2 disableApiTermination']);
  });

  it('does not read a host already on the release (the surge leaves it), nor refuse for it', async () => {
    // Prepare: web-2 is protected but already runs 2.0.0.
    const account = canonicalAccount();
    account.instances.web = [[instance('i-0c1', 'web-1', '1.0.0'), instance('i-0c2', 'web-2', '2.0.0')]];
    useAccount(account);
    useStopProtection(['i-0c2']);

    // Act
    const plan = await planRelease(event({ release: '2.0.0' }, surgeWeb));

    // Assess
    expect(plan.tiers[1]!.batches.flat().map((h) => h.name)).toEqual(['web-1']);
    expect(asked()).toEqual(['i-0c1 disableApiStop', 'i-0c1 disableApiTermination']);
  });
});
