import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, EC2Client, type DescribeInstancesCommandInput, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  TargetGroupNotFoundException,
  type DescribeTargetGroupsCommandInput,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import canonical from '../../environments/canonical.json';
import { handler, parseDeployInput, planRelease, RELEASE_TAG } from '../../lambdas/deploy/plan-release';
import { InvalidInputError, InventoryError } from '../../lambdas/shared/errors';

const ec2Mock = mockClient(EC2Client);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const cloudwatchMock = mockClient(CloudWatchClient);

const tgArn = (name: string) => `arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/${name}/0123456789abcdef`;

/** A running instance of a tier, tagged as FleetFlow finds it. */
function instance(id: string, name: string, release: string | undefined): Instance {
  return {
    InstanceId: id,
    Tags: [{ Key: 'Name', Value: name }, ...(release === undefined ? [] : [{ Key: RELEASE_TAG, Value: release }])],
  };
}

/** The simulated account: instances per tier (pages of them), target groups and their members, alarms. */
interface Account {
  instances: Record<string, Instance[][]>;
  targetGroups: Record<string, { interval?: number; threshold?: number; members: string[] }>;
  alarms: string[];
}

function canonicalAccount(): Account {
  const middle = [instance('i-0b1', 'middle-1', '1.0.0'), instance('i-0b2', 'middle-2', '1.0.0')];
  const web = [instance('i-0c1', 'web-1', '1.0.0'), instance('i-0c2', 'web-2', '1.0.0')];
  return {
    instances: { middle: [middle], web: [web] },
    targetGroups: {
      'canonical-middle': { interval: 10, threshold: 3, members: ['i-0b1', 'i-0b2'] },
      'canonical-web': { interval: 10, threshold: 3, members: ['i-0c1', 'i-0c2'] },
    },
    alarms: ['canonical-middle-5xx', 'canonical-middle-latency', 'canonical-web-5xx'],
  };
}

function useAccount(account: Account): void {
  ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
    const tier = input.Filters?.find((f) => f.Name === 'tag:fleetflow:tier')?.Values?.[0] ?? '';
    const pages = account.instances[tier] ?? [[]];
    const index = input.NextToken ? Number(input.NextToken) : 0;
    return {
      Reservations: [{ Instances: pages[index] }],
      NextToken: index + 1 < pages.length ? String(index + 1) : undefined,
    };
  });
  elbMock.on(DescribeTargetGroupsCommand).callsFake((input: DescribeTargetGroupsCommandInput) => ({
    TargetGroups: (input.Names ?? [])
      .filter((name) => account.targetGroups[name])
      .map(
        (name): TargetGroup => ({
          TargetGroupName: name,
          TargetGroupArn: tgArn(name),
          HealthCheckIntervalSeconds: account.targetGroups[name]!.interval,
          HealthyThresholdCount: account.targetGroups[name]!.threshold,
        }),
      ),
  }));
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
}

/** The canonical environment, changed by `edit`. */
function environmentWith(edit: (env: any) => void = () => {}): unknown {
  const env = structuredClone(canonical) as any;
  edit(env);
  return env;
}

const event = (input: unknown, environment: unknown = canonical) => ({ environment, input, execution: 'deploy-2-0-0' });

function expectNoAwsCall(): void {
  expect(ec2Mock).not.toHaveReceivedAnyCommand();
  expect(elbMock).not.toHaveReceivedAnyCommand();
  expect(cloudwatchMock).not.toHaveReceivedAnyCommand();
}

beforeEach(() => {
  ec2Mock.reset();
  elbMock.reset();
  cloudwatchMock.reset();
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
    await expect(act).rejects.toThrow('execution input has unknown field(s) force, tier; allowed: release');
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
    expect(parsed).toEqual({ release: '2026.11.25-1_rc+build7' });
  });

  it('rejects an invalid environment as InvalidInputError naming the field and value, before any AWS call', async () => {
    // Prepare
    const environment = environmentWith((env) => {
      env.tiers[2].batch.minHealthyPercent = 0;
    });

    // Act
    const act = planRelease(event({ release: '2.0.0' }, environment));

    // Assess
    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(/tiers\[2\]\.batch\.minHealthyPercent: .*\(received 0\)/);
    await expect(act).rejects.toSatisfy((err: Error) => (err.cause as Error)?.name === 'InvalidEnvironmentError');
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
      traffic: { kind: 'target-group', targetGroupArns: [tgArn('canonical-web')] },
      install: { document: 'FleetFlow-InstallRelease', parameters: { component: ['storefront'] }, timeoutSeconds: 900 },
      drainTimeoutSeconds: 180,
      healthTimeoutSeconds: 300,
      healthyAfterSeconds: 30,
      alarms: ['canonical-web-5xx'],
      hostCount: 2,
      minHealthy: 1,
      batchSize: 1,
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
    const mutating = [...ec2Mock.calls(), ...elbMock.calls(), ...cloudwatchMock.calls()]
      .map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name)
      .filter((name) => !name.startsWith('Describe'));
    expect(mutating).toEqual([]);
  });

  it('returns the plan from the Lambda handler', async () => {
    // Act
    const plan = await handler(event({ release: '2.0.0' }));

    // Assess
    expect(plan.batchCount).toBe(4);
  });
});
