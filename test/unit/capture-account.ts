/**
 * A mocked AWS account holding the canonical environment as a team runs it, for the capture
 * tests: hosts named by their team (not the simulator's web-1), an extra tag, target groups
 * with their own health checks and deregistration delays, and paged answers (two pages of
 * web hosts, of alarms and of snapshots) as the SDK paginators must follow them.
 *
 * The mocks are on fresh client instances, not on the SDK's classes, so that the simulator's
 * own clients (lambdas/shared/clients.ts) stay untouched in a file that also simulates.
 */
import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeInstancesCommand, EC2Client, type DescribeInstancesCommandInput, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type DescribeTargetGroupsCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeBlueGreenDeploymentsCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  type DescribeDBSnapshotsCommandInput,
} from '@aws-sdk/client-rds';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { CaptureClients } from '../../lib/capture/capture';

export const REGION = 'us-east-1';
export const CAPTURED_AT = new Date('2026-12-07T10:00:00.000Z');
const config = { region: REGION, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } };

/** The account's hosts, by tier: [id, Name, zone, release, extra tags]. */
export const HOSTS: Record<string, Array<[string, string, string, string, Record<string, string>]>> = {
  middle: [
    ['i-0b1a000000000001a', 'orders-1', 'us-east-1a', '1.0.0', {}],
    ['i-0b1a000000000002b', 'orders-2', 'us-east-1b', '1.0.0', {}],
  ],
  web: [
    ['i-0c2b000000000001a', 'storefront-a', 'us-east-1a', '1.0.0', {}],
    // The team's own tag: a capture keeps every tag, and the simulated run must too.
    ['i-0c2b000000000002b', 'storefront-b', 'us-east-1b', '1.0.0', { 'cost-centre': 'shop-42' }],
  ],
  monitoring: [
    ['i-0d3c000000000001a', 'collector-1', 'us-east-1a', '1.0.0', {}],
    ['i-0d3c000000000002b', 'collector-2', 'us-east-1b', '1.0.0', {}],
  ],
};

/** The target groups: [name, port, interval, healthy, unhealthy, deregistration delay]. */
export const TARGET_GROUPS: Record<string, [string, number, number, number, number, number]> = {
  web: ['canonical-web', 80, 15, 2, 4, 45],
  middle: ['canonical-middle', 8080, 20, 3, 2, 120],
};
const arnOf = (name: string) => `arn:aws:elasticloadbalancing:${REGION}:123456789012:targetgroup/${name}/0123456789abcdef`;

export interface MockedAccount {
  readonly clients: CaptureClients;
  readonly ec2: ReturnType<typeof mockClient>;
  readonly elbv2: ReturnType<typeof mockClient>;
  readonly cloudwatch: ReturnType<typeof mockClient>;
  readonly rds: ReturnType<typeof mockClient>;
  /** Parameter Store: no database record unless a test sets one (no restore has run). */
  readonly ssm: ReturnType<typeof mockClient>;
  /** Overrides of the deregistration delay per target group name. */
  readonly delays: Map<string, number>;
}

function instance(tier: string, [id, name, zone, release, extra]: (typeof HOSTS)[string][number]): Instance {
  return {
    InstanceId: id,
    InstanceType: 'm6i.large',
    State: { Name: 'running', Code: 16 },
    Placement: { AvailabilityZone: zone },
    SubnetId: zone.endsWith('a') ? 'subnet-0a1b2c3d4e5f60001' : 'subnet-0a1b2c3d4e5f60002',
    LaunchTime: new Date('2026-11-20T08:00:00.000Z'),
    Tags: [
      { Key: 'fleetflow:environment', Value: 'canonical' },
      { Key: 'fleetflow:tier', Value: tier },
      { Key: 'Name', Value: name },
      { Key: 'fleetflow:release', Value: release },
      ...Object.entries(extra).map(([Key, Value]) => ({ Key, Value })),
    ],
  };
}

const ALARMS = ['canonical-availability', 'canonical-middle-5xx', 'canonical-middle-latency', 'canonical-web-5xx'];

export function mockedAccount(): MockedAccount {
  const clients = {
    ec2: new EC2Client(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
    cloudwatch: new CloudWatchClient(config),
    rds: new RDSClient(config),
    ssm: new SSMClient(config),
  };
  const delays = new Map<string, number>();
  const ec2 = mockClient(clients.ec2);
  ec2.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => {
    const tier = input.Filters?.find((f) => f.Name === 'tag:fleetflow:tier')?.Values?.[0] ?? '';
    const hosts = (HOSTS[tier] ?? []).map((h) => instance(tier, h));
    // The web tier answers in two pages, as DescribeInstances does past MaxResults.
    if (tier === 'web') {
      return input.NextToken === 'web-page-2' ? { Reservations: [{ Instances: [hosts[1]!] }] } : { Reservations: [{ Instances: [hosts[0]!] }], NextToken: 'web-page-2' };
    }
    return { Reservations: [{ Instances: hosts }] };
  });
  const elbv2 = mockClient(clients.elbv2);
  elbv2.on(DescribeTargetGroupsCommand).callsFake((input: DescribeTargetGroupsCommandInput) => ({
    TargetGroups: Object.values(TARGET_GROUPS)
      .filter(([name]) => input.Names?.includes(name))
      .map(([name, port, interval, healthy, unhealthy]) => ({
        TargetGroupName: name,
        TargetGroupArn: arnOf(name),
        Port: port,
        Protocol: 'HTTP',
        HealthCheckIntervalSeconds: interval,
        HealthCheckTimeoutSeconds: 5,
        HealthyThresholdCount: healthy,
        UnhealthyThresholdCount: unhealthy,
        HealthCheckPath: '/healthz',
      })),
  }));
  elbv2.on(DescribeTargetGroupAttributesCommand).callsFake(({ TargetGroupArn }: { TargetGroupArn: string }) => {
    const [name, , , , , delay] = Object.values(TARGET_GROUPS).find(([n]) => arnOf(n) === TargetGroupArn)!;
    return {
      Attributes: [
        { Key: 'stickiness.enabled', Value: 'false' },
        { Key: 'deregistration_delay.timeout_seconds', Value: String(delays.get(name) ?? delay) },
      ],
    };
  });
  elbv2.on(DescribeTargetHealthCommand).callsFake(({ TargetGroupArn }: { TargetGroupArn: string }) => {
    const tier = Object.entries(TARGET_GROUPS).find(([, [n]]) => arnOf(n) === TargetGroupArn)![0];
    return { TargetHealthDescriptions: HOSTS[tier]!.map(([id]) => ({ Target: { Id: id, Port: TARGET_GROUPS[tier]![1] }, TargetHealth: { State: 'healthy' } })) };
  });
  const cloudwatch = mockClient(clients.cloudwatch);
  cloudwatch.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => {
    const shape = (AlarmName: string) => ({ AlarmName, StateValue: 'OK' });
    if (input.AlarmNamePrefix) return { MetricAlarms: ALARMS.filter((a) => a.startsWith(input.AlarmNamePrefix!)).map(shape) };
    const named = ALARMS.filter((a) => input.AlarmNames?.includes(a));
    // By name, two pages.
    return input.NextToken === 'alarms-page-2' ? { MetricAlarms: named.slice(2).map(shape) } : { MetricAlarms: named.slice(0, 2).map(shape), NextToken: 'alarms-page-2' };
  });
  const rds = mockClient(clients.rds);
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: 'canonical-db',
        DBInstanceArn: 'arn:aws:rds:us-east-1:123456789012:db:canonical-db',
        DBInstanceStatus: 'available',
        Engine: 'postgres',
        EngineVersion: '16.4',
        DBInstanceClass: 'db.m6g.large',
        AllocatedStorage: 100,
        MultiAZ: true,
        MasterUsername: 'fleetflow',
        DBSubnetGroup: { DBSubnetGroupName: 'canonical-db' },
        VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0a1b2c3d4e5f60001' }],
        DBParameterGroups: [{ DBParameterGroupName: 'canonical-postgres16' }],
        InstanceCreateTime: new Date('2026-06-01T00:00:00.000Z'),
        BackupRetentionPeriod: 7,
        DbiResourceId: 'db-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
        LatestRestorableTime: new Date('2026-12-07T09:55:00.000Z'),
        TagList: [{ Key: 'team', Value: 'orders' }],
      },
    ],
  });
  rds.on(DescribeDBSnapshotsCommand).callsFake((input: DescribeDBSnapshotsCommandInput) => {
    const snapshot = (id: string, type: string, at: string) => ({ DBSnapshotIdentifier: id, DBInstanceIdentifier: 'canonical-db', SnapshotType: type, Status: 'available', SnapshotCreateTime: new Date(at) });
    return input.Marker === 'snapshots-page-2'
      ? { DBSnapshots: [snapshot('rds:canonical-db-2026-12-07-02-00', 'automated', '2026-12-07T02:00:00.000Z')] }
      : {
          DBSnapshots: [snapshot('rds:canonical-db-2026-12-06-02-00', 'automated', '2026-12-06T02:00:00.000Z'), snapshot('before-1-0-0', 'manual', '2026-12-01T12:00:00.000Z')],
          Marker: 'snapshots-page-2',
        };
  });
  rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
    DBInstanceAutomatedBackups: [
      { DBInstanceIdentifier: 'canonical-db', DbiResourceId: 'db-ABCDEFGHIJKLMNOPQRSTUVWXYZ', Status: 'active', RestoreWindow: { EarliestTime: new Date('2026-11-30T02:00:00.000Z'), LatestTime: new Date('2026-12-07T09:55:00.000Z') } },
    ],
  });
  rds.on(DescribeBlueGreenDeploymentsCommand).resolves({ BlueGreenDeployments: [] });
  const ssm = mockClient(clients.ssm);
  ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'Parameter not found', $metadata: {} }));
  return { clients, ec2, elbv2, cloudwatch, rds, ssm, delays };
}
