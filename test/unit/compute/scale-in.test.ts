/**
 * Scale in: which hosts leave (oldest first, balanced across zones), what is refused before
 * anything changes (the input, the capacity floor, the declared count), what Plan Scale In
 * stores for the rollout's retire batches, and a retried Retire Hosts that sends no second
 * terminate. AWS is mocked (aws-sdk-client-mock); DescribeInstances answers from a small fleet.
 */
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  EC2Client,
  TerminateInstancesCommand,
  type DescribeInstancesCommandInput,
  type DescribeInstanceStatusCommandInput,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type DescribeTargetHealthCommandInput,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import canonicalFile from '../../../environments/canonical.json';
import { parseComputeInput } from '../../../lambdas/domain/compute-input';
import { InsufficientCapacityError, InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { LAUNCHED_BY_TAG, RELEASE_TAG, RETIRED_BY_TAG } from '../../../lambdas/domain/contract/tags';
import { parseEnvironment } from '../../../lambdas/domain/environment/parse';
import { planScaleIn } from '../../../lambdas/compute/plan-scale-in';
import { retireHosts } from '../../../lambdas/compute/retiring';
import { chooseHostsToRemove, scaleInMinimum, scaleInRefusal, type ScaleInCandidate } from '../../../lambdas/compute/scale-in-choice';
import { batchInput, webTier } from '../fixtures';

const HOUR = 3600_000;
const candidate = (name: string, zone: string, hoursOld: number): ScaleInCandidate => ({ id: `i-${name}`, name, zone, launchedAt: Date.UTC(2026, 0, 1) - hoursOld * HOUR });
const names = (hosts: readonly ScaleInCandidate[]) => hosts.map((h) => h.name);

describe('choosing the hosts a scale-in removes', () => {
  it('takes the oldest first within a zone', () => {
    const hosts = [candidate('web-1', 'a', 1), candidate('web-2', 'a', 30), candidate('web-3', 'a', 5)];

    expect(names(chooseHostsToRemove(hosts, 2))).toEqual(['web-2', 'web-3']);
  });

  it('removes from the zone with the most hosts first, so zones stay within one of each other', () => {
    // Zone a has 3 hosts, all younger than zone b's 2: still, the first one leaves zone a.
    const hosts = [candidate('a-1', 'a', 1), candidate('a-2', 'a', 2), candidate('a-3', 'a', 3), candidate('b-1', 'b', 50), candidate('b-2', 'b', 60)];

    expect(names(chooseHostsToRemove(hosts, 1))).toEqual(['a-3']);
    // Then the zones are even: the older oldest host (b-2) goes next, and the zones alternate.
    expect(names(chooseHostsToRemove(hosts, 4))).toEqual(['a-3', 'b-2', 'a-2', 'b-1']);
  });

  it('levels uneven zones from the fullest down', () => {
    const hosts = [...[1, 2, 3, 4].map((n) => candidate(`a-${n}`, 'a', n)), candidate('b-1', 'b', 100)];

    expect(names(chooseHostsToRemove(hosts, 3))).toEqual(['a-4', 'a-3', 'a-2']);
  });

  it('breaks equal launch times by name, numerically, so the choice is reproducible', () => {
    const hosts = [candidate('web-10', 'a', 5), candidate('web-2', 'a', 5), candidate('web-9', 'a', 5)];

    expect(names(chooseHostsToRemove(hosts, 2))).toEqual(['web-2', 'web-9']);
  });

  it('takes first the hosts a stopped run left out of traffic, then levels the zones among the others', () => {
    const hosts = [
      candidate('a-1', 'a', 90),
      { ...candidate('a-2', 'a', 1), outOfTraffic: true },
      candidate('b-1', 'b', 80),
      candidate('b-2', 'b', 70),
    ];

    expect(names(chooseHostsToRemove(hosts, 1))).toEqual(['a-2']);
    // Then zone b holds more of the others: its oldest leaves.
    expect(names(chooseHostsToRemove(hosts, 2))).toEqual(['a-2', 'b-1']);
  });

  it('takes next the hosts failing their health checks, oldest first, before levelling the zones', () => {
    const hosts = [
      candidate('a-1', 'a', 90),
      { ...candidate('a-2', 'a', 1), failing: true },
      { ...candidate('b-1', 'b', 5), failing: true },
      { ...candidate('b-2', 'b', 70), outOfTraffic: true },
      candidate('b-3', 'b', 80),
    ];

    // Out of traffic first, then the failing ones (b-1 older than a-2), then the oldest of the fuller zone.
    expect(names(chooseHostsToRemove(hosts, 3))).toEqual(['b-2', 'b-1', 'a-2']);
    expect(names(chooseHostsToRemove(hosts, 4))).toEqual(['b-2', 'b-1', 'a-2', 'a-1']);
  });

  it('refuses to choose more hosts than there are', () => {
    expect(() => chooseHostsToRemove([candidate('web-1', 'a', 1)], 2)).toThrow(RangeError);
  });
});

describe('the floors a scale-in keeps', () => {
  it('refuses going below the capacity floor, naming the figures', () => {
    expect(scaleInRefusal({ tier: 'web', hosts: 5, remove: 3, minHealthyPercent: 50, count: 2 })).toBe(
      "remove: removing 3 of tier web's 5 host(s) would leave 2, below its capacity floor of 3 (minHealthyPercent 50 of 5); at most 2 can be removed",
    );
  });

  it('refuses going below the declared count, naming it', () => {
    expect(scaleInRefusal({ tier: 'web', hosts: 5, remove: 2, minHealthyPercent: 50, count: 4 })).toBe(
      "remove: removing 2 of tier web's 5 host(s) would leave 3, below its declared count of 4; at most 1 can be removed (lower the tier's count first)",
    );
  });

  it('allows what leaves both floors whole, and keeps the larger of them in service', () => {
    expect(scaleInRefusal({ tier: 'web', hosts: 5, remove: 2, minHealthyPercent: 50, count: 2 })).toBeUndefined();
    expect(scaleInMinimum({ hosts: 5, minHealthyPercent: 50, count: 2 })).toBe(3);
    expect(scaleInMinimum({ hosts: 5, minHealthyPercent: 50, count: 4 })).toBe(4);
    expect(scaleInMinimum({ hosts: 5, minHealthyPercent: 50 })).toBe(3);
  });
});

describe('what serves, as a scale-in counts it', () => {
  it('refuses a tier already short of its minimum in service, naming the hosts that serve nothing', () => {
    // 4 hosts, floor 2: with three serving nothing, one serves; every retire batch needs 2 serving besides it.
    expect(scaleInRefusal({ tier: 'web', hosts: 4, remove: 1, minHealthyPercent: 50, notServing: ['web-1', 'web-3', 'web-4'] })).toBe(
      "remove: only 1 of tier web's 4 host(s) serve now, below its minimum of 2 in service (out of traffic or failing their health checks: web-1, web-3, web-4); " +
        'no host can leave until enough serve again (replace --targets unhealthy)',
    );
  });

  it('allows removing the hosts that serve nothing while enough serve', () => {
    // Two hosts (waves' web), one down: removing it leaves the other serving, the floor of 1.
    expect(scaleInRefusal({ tier: 'web', hosts: 2, remove: 1, minHealthyPercent: 50, notServing: ['web-1'] })).toBeUndefined();
    expect(scaleInRefusal({ tier: 'web', hosts: 4, remove: 2, minHealthyPercent: 50, notServing: ['web-3'] })).toBeUndefined();
  });
});

describe('the scale-in input', () => {
  it('takes a tier, a count to remove and an optional run id', () => {
    expect(parseComputeInput('scale-in', { tier: 'web', remove: 2, runId: 'shrink-1' })).toEqual({ tier: 'web', remove: 2, runId: 'shrink-1' });
  });

  it.each([
    [{ tier: 'web', remove: 0 }, /remove: .*received 0/],
    [{ tier: 'web' }, /remove: .*received missing/],
    [{ tier: 'Web!', remove: 1 }, /tier: must be a tier name/],
    [{ tier: 'web', remove: 1, runId: 'a b' }, /runId: must be 1-80 letters/],
    [{ tier: 'web', remove: 1, add: 1 }, /unknown field\(s\) "add"; allowed: tier, remove, runId/],
  ])('refuses %j in one line before anything changes', (input, message) => {
    expect(() => parseComputeInput('scale-in', input)).toThrow(InvalidInputError);
    expect(() => parseComputeInput('scale-in', input)).toThrow(message);
  });
});

// ---------------------------------------------------------------------------------------
// Plan Scale In and Retire Hosts against mocked AWS
// ---------------------------------------------------------------------------------------

const canonical = parseEnvironment(canonicalFile);
const ec2Mock = mockClient(EC2Client);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const dynamoMock = mockClient(DynamoDBClient);
const WEB_TAGS = { 'fleetflow:environment': 'canonical', 'fleetflow:tier': 'web' };
const WEB_TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/canonical-web/0123456789abcdef';

/** Instance ID -> its target health in canonical-web (absent: healthy), EC2 status checks, protections. */
let health = new Map<string, TargetHealthStateEnum>();
let impaired = new Set<string>();
let protections = new Map<string, Set<string>>();

interface FakeHost {
  id: string;
  name: string;
  state: string;
  zone: string;
  hoursOld: number;
  tags: Record<string, string>;
}
let fleet: FakeHost[] = [];
const web = (n: number, zone: string, hoursOld: number, extra: Record<string, string> = {}, state = 'running'): FakeHost => ({
  id: `i-0web${String(n).padStart(13, '0')}`,
  name: `web-${n}`,
  state,
  zone,
  hoursOld,
  tags: { ...WEB_TAGS, [RELEASE_TAG]: '1.0.0', ...extra },
});

function toInstance(h: FakeHost): Instance {
  return {
    InstanceId: h.id,
    State: { Name: h.state as never },
    Placement: { AvailabilityZone: h.zone },
    LaunchTime: new Date(Date.UTC(2026, 0, 1) - h.hoursOld * HOUR),
    Tags: [{ Key: 'Name', Value: h.name }, ...Object.entries(h.tags).map(([Key, Value]) => ({ Key, Value }))],
  };
}

beforeEach(() => {
  for (const m of [ec2Mock, elbMock, dynamoMock]) m.reset();
  process.env.PLAN_TABLE = 'plan-table';
  health = new Map();
  impaired = new Set();
  protections = new Map();
  elbMock.on(DescribeTargetHealthCommand).callsFake((input: DescribeTargetHealthCommandInput) => ({
    TargetHealthDescriptions: (input.Targets ?? []).map((t) => ({ Target: { Id: t.Id, Port: 80 }, TargetHealth: { State: health.get(t.Id!) ?? 'healthy' } })),
  }));
  ec2Mock.on(DescribeInstanceStatusCommand).callsFake((input: DescribeInstanceStatusCommandInput) => ({
    InstanceStatuses: (input.InstanceIds ?? []).map((id) => ({ InstanceId: id, InstanceStatus: { Status: impaired.has(id) ? 'impaired' : 'ok' }, SystemStatus: { Status: 'ok' } })),
  }));
  ec2Mock.on(DescribeInstanceAttributeCommand).callsFake((input: { InstanceId: string; Attribute: string }) => {
    const on = protections.get(input.InstanceId)?.has(input.Attribute) ?? false;
    return input.Attribute === 'disableApiStop' ? { DisableApiStop: { Value: on } } : { DisableApiTermination: { Value: on } };
  });
  ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => ({
    Reservations: [
      {
        Instances: fleet
          .filter((h) =>
            (input.Filters ?? []).every((f) => {
              if (f.Name === 'instance-state-name') return f.Values!.includes(h.state);
              if (f.Name === 'instance-id') return f.Values!.includes(h.id);
              const value = { ...h.tags, Name: h.name }[f.Name!.slice('tag:'.length)];
              return value !== undefined && f.Values!.includes(value);
            }),
          )
          .map(toInstance),
      },
    ],
  }));
  // TerminateInstances moves the instance to shutting-down, as EC2's answer says it does.
  ec2Mock.on(TerminateInstancesCommand).callsFake((input: { InstanceIds: string[] }) => {
    for (const h of fleet) if (input.InstanceIds.includes(h.id)) h.state = 'shutting-down';
    return {};
  });
  ec2Mock.on(CreateTagsCommand).resolves({});
  elbMock.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupName: 'canonical-web', TargetGroupArn: WEB_TG_ARN, Port: 80, HealthCheckIntervalSeconds: 10, HealthyThresholdCount: 3 }] });
  elbMock.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }] });
  dynamoMock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
});

afterEach(() => {
  delete process.env.PLAN_TABLE;
});

const plan = (input: unknown) => planScaleIn({ environment: canonical, input, execution: 'scale-in-1' });

describe('Plan Scale In', () => {
  it('stores the oldest hosts, zone-balanced, as retire batches that keep the floor in service', async () => {
    fleet = [web(1, 'a', 5), web(2, 'b', 40), web(3, 'a', 30), web(4, 'b', 10), web(5, 'a', 20)];

    const result = await plan({ tier: 'web', remove: 2, runId: 'shrink-7' });

    // Zone a (3 hosts) gives its oldest, web-3; then zone b's oldest, web-2, is older than zone a's next.
    const stored = JSON.parse(dynamoMock.commandCalls(BatchWriteItemCommand)[0]!.args[0].input.RequestItems!['plan-table']![0]!.PutRequest!.Item!.hosts!.S!);
    expect(stored.map((h: { name: string }) => h.name)).toEqual(['web-3', 'web-2']);
    expect(result).toMatchObject({ workflow: 'scale-in', launchCount: 0, tiers: [], retire: { hostCount: 2, first: false, release: '1.0.0' } });
    const tier = result.retire!.tiers[0]!;
    expect(tier).toMatchObject({ mode: 'retire', reason: 'scale-in shrink-7', batchCount: 1 });
    // ceil(50% of 5) = 3 is above the declared count of 2.
    // Drained as a release drains: the host-side check watches the group's port, and without it the first look comes at the delay.
    expect(tier.spec).toMatchObject({
      name: 'web',
      minHealthy: 3,
      hostCount: 2,
      retire: 'stop',
      traffic: { kind: 'target-group', targetGroupArns: [WEB_TG_ARN], ports: [80], deregistrationDelaySeconds: 300 },
      drainCheck: { document: 'FleetFlow-CheckConnectionsDrained' },
      healthyAfterSeconds: 30,
    });
  });

  it('refuses a deregistration delay the tier\'s drain timeout cannot cover, before writing anything', async () => {
    fleet = [web(1, 'a', 5), web(2, 'b', 40), web(3, 'a', 30)];
    // canonical's web drain.timeoutSeconds is 360: a 400 s delay would time out every drain whose check fails.
    elbMock.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '400' }] });

    const act = plan({ tier: 'web', remove: 1 });

    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(/drain\.timeoutSeconds 360 cannot cover the deregistration delay of target group canonical-web, 400s/);
    expect(dynamoMock).not.toHaveReceivedCommand(BatchWriteItemCommand);
  });

  it('does not count retired hosts nor what a stopped run launched and never set up', async () => {
    const leftover = web(6, 'a', 0, { [LAUNCHED_BY_TAG]: 'scale-out-9' });
    delete leftover.tags[RELEASE_TAG];
    fleet = [web(1, 'a', 5), web(2, 'b', 40), web(3, 'a', 30, { [RETIRED_BY_TAG]: 'replace-1' }), leftover];

    // Two hosts count (four would allow one to leave): removing one leaves 1, below the declared count of 2.
    const act = plan({ tier: 'web', remove: 1 });

    await expect(act).rejects.toBeInstanceOf(InsufficientCapacityError);
    await expect(act).rejects.toThrow("removing 1 of tier web's 2 host(s) would leave 1, below its declared count of 2");
  });

  it('refuses below either floor before writing anything', async () => {
    fleet = [web(1, 'a', 5), web(2, 'b', 40), web(3, 'a', 30)];

    const act = plan({ tier: 'web', remove: 2 });

    await expect(act).rejects.toThrow(/below its capacity floor of 2 .*nothing was changed$/);
    await expect(plan({ tier: 'web', remove: 1 })).resolves.toMatchObject({ retire: { hostCount: 1 } });
    fleet = [web(1, 'a', 5), web(2, 'b', 40)];
    await expect(plan({ tier: 'web', remove: 1 })).rejects.toThrow(/below its declared count of 2; .*nothing was changed$/);
    expect(dynamoMock.commandCalls(BatchWriteItemCommand)).toHaveLength(1);
  });

  it('refuses the data tier and an unknown tier, naming the host tiers', async () => {
    await expect(plan({ tier: 'database', remove: 1 })).rejects.toThrow('tier: tier database is the data tier');
    await expect(plan({ tier: 'cache', remove: 1 })).rejects.toThrow('tier: environment canonical has no tier "cache" (host tiers: middle, web, monitoring); nothing was changed');
    expect(ec2Mock).not.toHaveReceivedCommand(DescribeInstancesCommand);
  });
});

describe('Plan Scale In: hosts failing their health checks', () => {
  const storedNames = () => JSON.parse(dynamoMock.commandCalls(BatchWriteItemCommand)[0]!.args[0].input.RequestItems!['plan-table']![0]!.PutRequest!.Item!.hosts!.S!).map((h: { name: string }) => h.name);

  it('removes a host its target group reports unhealthy, or whose EC2 status check is impaired, before the oldest', async () => {
    fleet = [web(1, 'a', 5), web(2, 'b', 40), web(3, 'a', 30), web(4, 'b', 10)];
    health.set(fleet[0]!.id, 'unhealthy');
    impaired.add(fleet[3]!.id);

    await plan({ tier: 'web', remove: 2 });

    // web-2 and web-3 are the oldest, but web-4 (impaired, older than web-1) and web-1 (unhealthy) serve nothing.
    expect(storedNames()).toEqual(['web-4', 'web-1']);
  });

  it('refuses before writing anything when too few hosts serve, as Check Retire Capacity would after the lock', async () => {
    fleet = [web(1, 'a', 5), web(2, 'b', 40), web(3, 'a', 30), web(4, 'b', 10)];
    health.set(fleet[0]!.id, 'unhealthy');
    health.set(fleet[2]!.id, 'unused');
    impaired.add(fleet[3]!.id);

    const act = plan({ tier: 'web', remove: 1 });

    await expect(act).rejects.toBeInstanceOf(InsufficientCapacityError);
    await expect(act).rejects.toThrow("remove: only 1 of tier web's 4 host(s) serve now, below its minimum of 2 in service (out of traffic or failing their health checks: web-1, web-3, web-4)");
    expect(dynamoMock).not.toHaveReceivedCommand(BatchWriteItemCommand);
  });
});

describe('Plan Scale In: hosts EC2 would not retire', () => {
  it('refuses a chosen host with stop protection, reading the chosen hosts only, before writing anything', async () => {
    fleet = [web(1, 'a', 5), web(2, 'b', 40), web(3, 'a', 30), web(4, 'b', 10)];
    protections.set(fleet[1]!.id, new Set(['disableApiStop']));

    const act = plan({ tier: 'web', remove: 2 });

    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(`tier web: web-2 (${fleet[1]!.id}) has stop protection (DisableApiStop): its retire policy stops the hosts a scale-in removes`);
    expect(dynamoMock).not.toHaveReceivedCommand(BatchWriteItemCommand);
    // The two chosen (web-3, web-2), one attribute each: the tier stops what it removes.
    expect(ec2Mock.commandCalls(DescribeInstanceAttributeCommand).map((c) => c.args[0].input.InstanceId).sort()).toEqual([fleet[1]!.id, fleet[2]!.id].sort());
    expect(new Set(ec2Mock.commandCalls(DescribeInstanceAttributeCommand).map((c) => c.args[0].input.Attribute))).toEqual(new Set(['disableApiStop']));
  });

  it('goes ahead when only hosts it keeps are protected', async () => {
    fleet = [web(1, 'a', 5), web(2, 'b', 40), web(3, 'a', 30), web(4, 'b', 10)];
    protections.set(fleet[0]!.id, new Set(['disableApiStop', 'disableApiTermination']));

    await expect(plan({ tier: 'web', remove: 2 })).resolves.toMatchObject({ retire: { hostCount: 2 } });
  });

  it('on a tier that terminates, refuses termination protection and stop protection, which blocks termination too', async () => {
    const terminating = parseEnvironment({ ...canonicalFile, tiers: canonicalFile.tiers.map((t) => (t.name === 'web' ? { ...t, retire: 'terminate' } : t)) });
    fleet = [web(1, 'a', 5), web(2, 'b', 40), web(3, 'a', 30), web(4, 'b', 10)];
    protections.set(fleet[1]!.id, new Set(['disableApiStop']));
    protections.set(fleet[2]!.id, new Set(['disableApiTermination']));

    const act = planScaleIn({ environment: terminating, input: { tier: 'web', remove: 2 }, execution: 'scale-in-1' });

    await expect(act).rejects.toThrow(
      // web-2 is chosen first (the older of the two zones' oldest), so it is named first.
      `tier web: web-2 (${fleet[1]!.id}) has stop protection (DisableApiStop); web-3 (${fleet[2]!.id}) has termination protection (DisableApiTermination): ` +
        'its retire policy terminates the hosts a scale-in removes',
    );
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstanceAttributeCommand, 4);
  });

  it('refuses a chosen member of an Auto Scaling group, which would replace it', async () => {
    fleet = [web(1, 'a', 5), web(2, 'b', 40, { 'aws:autoscaling:groupName': 'canonical-web-asg' }), web(3, 'a', 30), web(4, 'b', 10)];

    const act = plan({ tier: 'web', remove: 2 });

    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(/web-2 \(i-\w+\) belongs to Auto Scaling group canonical-web-asg \(tag aws:autoscaling:groupName\), which would replace a member a scale-in stops, undoing it; .*nothing was changed$/);
  });
});

describe('Retire Hosts, retried', () => {
  it('never sends a second terminate to a host that already got one', async () => {
    fleet = [web(1, 'a', 5), web(2, 'b', 40)];
    const event = { ...batchInput({ tier: webTier({ retire: 'terminate' }), hosts: fleet.map((h) => ({ id: h.id, name: h.name, previous: '1.0.0' })) }), execution: 'scale-in-1', reason: 'scale-in' };

    await retireHosts(event);
    // Lambda's retry of the task (a lost answer, a timeout after the call): the same event again.
    await retireHosts(event);

    expect(ec2Mock).toHaveReceivedCommandTimes(TerminateInstancesCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: fleet.map((h) => h.id) });
  });
});
