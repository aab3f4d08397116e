/**
 * `fleetflow capture`: what an environment's account holds, read-only, as a fleet file
 * (./fleet-file.ts) that `simulate … --fleet` seeds the simulated account from:
 *
 * - each host tier's instances, selected by the tier's tags as the handlers select them
 *   (DescribeInstances, paginated), with their tags, zone, state, launch time and release
 *   (the `fleetflow:release` tag);
 * - each tier's target groups, with their health checks (DescribeTargetGroups), their
 *   deregistration delay (DescribeTargetGroupAttributes) and their targets' health
 *   (DescribeTargetHealth);
 * - the alarms the environment names, by name and by prefix (DescribeAlarms, paginated);
 * - each data tier's current instance: the one the environment uses, named by the record a
 *   restore writes (`/fleetflow/<env>/database/current`, GetParameter; the definition's
 *   instanceIdentifier when there is none), as every workflow that touches the database finds
 *   it (lambdas/shared/database-record.ts `currentDatabaseIdentifier`); its snapshots and the
 *   defined instance's (DescribeDBSnapshots, paginated); its restorable window
 *   (LatestRestorableTime; the earliest time of its automated backup); and the blue/green
 *   deployments whose source it is (DescribeBlueGreenDeployments, filter `source`, paginated),
 *   which replace-database's plan refuses to start beside.
 *
 * Every call goes through the read-only guard `fleetflow plan` uses (lib/plan/plan-deploy.ts
 * `guardReadOnly`): a call that is not a Describe/Get/List is refused before it is sent, so a
 * capture can never change the account. Nothing secret is read: one parameter value, the
 * database record (an instance identifier, a String parameter), and no command output.
 */
import { paginateDescribeAlarms, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { paginateDescribeInstances, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  paginateDescribeTargetGroups,
  type ElasticLoadBalancingV2Client,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  paginateDescribeBlueGreenDeployments,
  paginateDescribeDBInstanceAutomatedBackups,
  paginateDescribeDBInstances,
  paginateDescribeDBSnapshots,
  type DBInstance,
  type BlueGreenDeployment,
  type DBSnapshot,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { currentDatabaseIdentifier } from '../../lambdas/shared/database-record';
import { RELEASE_TAG } from '../../lambdas/domain/contract/tags';
import { isHostTier, type DatabaseTierDefinition, type EnvironmentDefinition, type HostTierDefinition } from '../../lambdas/domain/environment/model';
import { guardReadOnly } from '../plan/plan-deploy';
import { CAPTURED_HOST_STATES, FLEET_FILE_VERSION, TARGET_STATES, parseFleetFile, type CapturedDatabase, type CapturedHost, type CapturedTargetGroup, type FleetFile } from './fleet-file';

export interface CaptureClients {
  readonly ec2: EC2Client;
  readonly elbv2: ElasticLoadBalancingV2Client;
  readonly cloudwatch: CloudWatchClient;
  readonly rds: RDSClient;
  /** Reads the database record only (GetParameter). */
  readonly ssm: SSMClient;
}

export interface CaptureOptions {
  readonly environment: EnvironmentDefinition;
  readonly clients: CaptureClients;
  /** The capture's instant. @default the current time */
  readonly now?: () => Date;
}

/** DescribeAlarms: "AlarmNames … Maximum number of 100 items." */
const ALARM_NAMES_PER_CALL = 100;
/** DescribeInstances MaxResults 5-1000; the handlers ask for 1,000 (lambdas/shared/instances.ts). */
const INSTANCES_PER_PAGE = 1000;
/** DescribeTargetGroups PageSize 1-400. */
const TARGET_GROUPS_PER_PAGE = 400;
/** DescribeDBSnapshots / DescribeDBInstanceAutomatedBackups MaxRecords 20-100. */
const RDS_RECORDS_PER_PAGE = 100;
/** ELB's default deregistration delay (ALB user guide: "The default value is 300 seconds."), when the attribute is absent. */
const DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;

/** Reads the environment's fleet, read-only, and returns it as a checked fleet file. */
export async function captureFleet(options: CaptureOptions): Promise<FleetFile> {
  const { environment, clients } = options;
  const capturedAt = (options.now ?? (() => new Date()))();
  const release = guardReadOnly(clients as unknown as Record<string, unknown>, 'capture');
  try {
    const tiers = [];
    for (const tier of environment.tiers.filter(isHostTier)) {
      tiers.push({ name: tier.name, hosts: await captureHosts(clients.ec2, tier), targetGroups: await captureTargetGroups(clients.elbv2, tier) });
    }
    const alarms = await captureAlarms(clients.cloudwatch, environment);
    const databases = [];
    const dataTiers = environment.tiers.filter((t): t is DatabaseTierDefinition => !isHostTier(t));
    // The record names the first data tier's database, as the workflows read it; a definition has at most one.
    const current = dataTiers.length ? await currentDatabaseIdentifier(environment, (name) => readParameter(clients.ssm, name)) : undefined;
    for (const tier of dataTiers) databases.push(await captureDatabase(clients.rds, tier, current ?? tier.database.instanceIdentifier));
    const region = await regionOf(clients.ec2);
    // Checked by the same model `--fleet` reads it with: what capture writes, simulate accepts.
    return parseFleetFile(
      { version: FLEET_FILE_VERSION, environment: environment.name, capturedAt: capturedAt.toISOString(), ...(region ? { region } : {}), tiers, alarms, databases },
      'captured fleet',
    );
  } finally {
    release();
  }
}

async function regionOf(client: EC2Client): Promise<string | undefined> {
  const region = client.config.region;
  return typeof region === 'function' ? await region() : region;
}

/** The tier's instances that are not terminated, as its tags select them, sorted by name as the handlers sort them. */
async function captureHosts(ec2: EC2Client, tier: HostTierDefinition): Promise<CapturedHost[]> {
  const filters = [
    ...Object.entries(tier.hosts.tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
    // Terminated and shutting-down instances never serve again; the handlers skip them too.
    { Name: 'instance-state-name', Values: [...CAPTURED_HOST_STATES] },
  ];
  const hosts: CapturedHost[] = [];
  for await (const page of paginateDescribeInstances({ client: ec2, pageSize: INSTANCES_PER_PAGE }, { Filters: filters })) {
    for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      const host = hostOf(instance);
      if (host) hosts.push(host);
    }
  }
  return hosts.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }) || a.id.localeCompare(b.id));
}

function hostOf(instance: Instance): CapturedHost | undefined {
  const state = instance.State?.Name as CapturedHost['state'] | undefined;
  if (!instance.InstanceId || !state || !CAPTURED_HOST_STATES.includes(state)) return undefined;
  const tags = Object.fromEntries((instance.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? '']));
  return {
    id: instance.InstanceId,
    // How the handlers name a host (lambdas/shared/instances.ts): its Name tag, or its ID.
    name: tags.Name || instance.InstanceId,
    state,
    availabilityZone: instance.Placement?.AvailabilityZone ?? '',
    ...(instance.SubnetId ? { subnetId: instance.SubnetId } : {}),
    ...(instance.InstanceType ? { instanceType: instance.InstanceType } : {}),
    launchTime: (instance.LaunchTime ?? new Date(0)).toISOString(),
    ...(tags[RELEASE_TAG] !== undefined ? { release: tags[RELEASE_TAG] } : {}),
    tags,
  };
}

/** The tier's target groups by name, with their health checks, deregistration delay and targets. */
async function captureTargetGroups(elbv2: ElasticLoadBalancingV2Client, tier: HostTierDefinition): Promise<CapturedTargetGroup[]> {
  if (tier.traffic.kind !== 'target-group') return [];
  const groups: TargetGroup[] = [];
  // A name that does not exist fails the call (TargetGroupNotFoundException): capture says so rather than write a partial fleet.
  for await (const page of paginateDescribeTargetGroups({ client: elbv2, pageSize: TARGET_GROUPS_PER_PAGE }, { Names: [...tier.traffic.targetGroups] })) groups.push(...(page.TargetGroups ?? []));
  const captured: CapturedTargetGroup[] = [];
  for (const group of groups) {
    const arn = group.TargetGroupArn!;
    const attributes = await elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
    const delay = attributes.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
    const health = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    captured.push({
      name: group.TargetGroupName!,
      arn,
      port: group.Port ?? 0,
      ...(group.Protocol ? { protocol: group.Protocol } : {}),
      healthCheck: {
        intervalSeconds: group.HealthCheckIntervalSeconds ?? 30,
        ...(group.HealthCheckTimeoutSeconds !== undefined ? { timeoutSeconds: group.HealthCheckTimeoutSeconds } : {}),
        healthyThreshold: group.HealthyThresholdCount ?? 5,
        unhealthyThreshold: group.UnhealthyThresholdCount ?? 2,
        ...(group.HealthCheckProtocol ? { protocol: group.HealthCheckProtocol } : {}),
        ...(group.HealthCheckPort ? { port: group.HealthCheckPort } : {}),
        ...(group.HealthCheckPath ? { path: group.HealthCheckPath } : {}),
      },
      deregistrationDelaySeconds: delay === undefined ? DEFAULT_DEREGISTRATION_DELAY_SECONDS : Number(delay),
      targets: (health.TargetHealthDescriptions ?? [])
        .filter((d) => d.Target?.Id)
        .map((d) => {
          const state = d.TargetHealth?.State as (typeof TARGET_STATES)[number] | undefined;
          return { id: d.Target!.Id!, state: state && TARGET_STATES.includes(state) ? state : 'unavailable', ...(d.TargetHealth?.Reason ? { reason: d.TargetHealth.Reason } : {}) };
        }),
    });
  }
  return captured.sort((a, b) => a.name.localeCompare(b.name));
}

/** The alarms the environment names (tiers' and validation's, 100 names a call) and those under its validation prefixes. */
async function captureAlarms(cloudwatch: CloudWatchClient, environment: EnvironmentDefinition): Promise<FleetFile['alarms']> {
  const names = [...new Set([...environment.tiers.filter(isHostTier).flatMap((t) => t.alarms), ...environment.validation.alarms])];
  const found = new Map<string, FleetFile['alarms'][number]>();
  const requests = [
    ...Array.from({ length: Math.ceil(names.length / ALARM_NAMES_PER_CALL) }, (_, i) => ({ AlarmNames: names.slice(i * ALARM_NAMES_PER_CALL, (i + 1) * ALARM_NAMES_PER_CALL) })),
    ...environment.validation.alarmPrefixes.map((prefix) => ({ AlarmNamePrefix: prefix })),
  ];
  for (const request of requests) {
    // AlarmTypes: "If you omit this parameter, only metric alarms are returned" — both kinds, as FleetFlow reads them.
    for await (const page of paginateDescribeAlarms({ client: cloudwatch }, { ...request, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })) {
      for (const [type, alarms] of [['MetricAlarm', page.MetricAlarms ?? []], ['CompositeAlarm', page.CompositeAlarms ?? []]] as const) {
        for (const alarm of alarms) {
          if (alarm.AlarmName) found.set(alarm.AlarmName, { name: alarm.AlarmName, type, state: (alarm.StateValue ?? 'INSUFFICIENT_DATA') as 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' });
        }
      }
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** GetParameter's value, or null for ParameterNotFound (lambdas/shared/parameters.ts `readParameter`, on capture's client). */
async function readParameter(ssm: SSMClient, name: string): Promise<string | null> {
  try {
    return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value ?? null;
  } catch (err) {
    if ((err as Error).name === 'ParameterNotFound') return null;
    throw err;
  }
}

/**
 * The data tier's current instance (null when there is none), its snapshots and the defined
 * instance's (a restore keeps the defined one, and its snapshots stay restorable), its
 * restorable window, and the blue/green deployments open on it.
 */
async function captureDatabase(rds: RDSClient, tier: DatabaseTierDefinition, current: string): Promise<CapturedDatabase> {
  const identifier = tier.database.instanceIdentifier;
  const instance = await describeInstance(rds, current);
  const snapshots: Array<DBSnapshot & { of: string }> = [];
  const owners = [...new Set([current, identifier].map((i) => i.toLowerCase()))];
  for (const owner of owners) {
    const exists = owner === current.toLowerCase() ? instance !== undefined : (await describeInstance(rds, owner)) !== undefined;
    // DescribeDBSnapshots: "If you don't specify a SnapshotType value, then both automated and manual snapshots are
    // returned." Its DBInstanceIdentifier "must match the identifier of an existing DBInstance": a lost instance's are
    // found by the db-instance-id filter instead.
    const byInstance = exists ? { DBInstanceIdentifier: owner } : { Filters: [{ Name: 'db-instance-id', Values: [owner] }] };
    for await (const page of paginateDescribeDBSnapshots({ client: rds, pageSize: RDS_RECORDS_PER_PAGE }, byInstance)) {
      // Identifiers are not case-sensitive; the filter's answer is checked, not trusted.
      snapshots.push(...(page.DBSnapshots ?? []).filter((s) => s.DBInstanceIdentifier?.toLowerCase() === owner).map((s) => ({ ...s, of: owner })));
    }
  }
  return {
    tier: tier.name,
    identifier,
    current,
    instance: instance ? instanceOf(instance) : null,
    restorableWindow: await restorableWindow(rds, current, instance),
    snapshots: snapshots
      .filter((s) => s.DBSnapshotIdentifier)
      .map((s) => ({
        id: s.DBSnapshotIdentifier!,
        type: s.SnapshotType === 'automated' ? ('automated' as const) : ('manual' as const),
        status: s.Status ?? 'unknown',
        createdAt: (s.SnapshotCreateTime ?? s.OriginalSnapshotCreateTime ?? new Date(0)).toISOString(),
        instance: s.of,
      }))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)),
    blueGreenDeployments: instance?.DBInstanceArn ? await blueGreenDeployments(rds, instance.DBInstanceArn) : [],
  };
}

async function describeInstance(rds: RDSClient, identifier: string): Promise<DBInstance | undefined> {
  try {
    for await (const page of paginateDescribeDBInstances({ client: rds }, { DBInstanceIdentifier: identifier })) return page.DBInstances?.[0];
  } catch (err) {
    // DescribeDBInstances with an identifier that does not exist: DBInstanceNotFound (the instance was lost).
    if ((err as Error).name !== 'DBInstanceNotFoundFault' && (err as Error).name !== 'DBInstanceNotFound') throw err;
  }
  return undefined;
}

/**
 * The blue/green deployments whose source is the instance: DescribeBlueGreenDeployments' filter
 * "source - Accepts source databases for a blue/green deployment. The results list only includes
 * information about the blue/green deployments with the specified source databases" (RDS API
 * reference), by the instance's ARN, as replace-database's plan compares Source; MaxRecords 20-100,
 * followed by Marker. The plan refuses to start while one is open (lambdas/replace-database/plan.ts).
 */
async function blueGreenDeployments(rds: RDSClient, sourceArn: string): Promise<CapturedDatabase['blueGreenDeployments']> {
  const found: BlueGreenDeployment[] = [];
  for await (const page of paginateDescribeBlueGreenDeployments({ client: rds, pageSize: RDS_RECORDS_PER_PAGE }, { Filters: [{ Name: 'source', Values: [sourceArn] }] })) {
    found.push(...(page.BlueGreenDeployments ?? []));
  }
  const identifierOf = (arn: string | undefined) => (arn ?? '').split(':').pop() ?? '';
  return found
    .filter((d) => d.BlueGreenDeploymentIdentifier && d.Source === sourceArn)
    .map((d) => ({
      id: d.BlueGreenDeploymentIdentifier!,
      name: d.BlueGreenDeploymentName ?? d.BlueGreenDeploymentIdentifier!,
      status: d.Status ?? 'unknown',
      source: identifierOf(d.Source),
      target: identifierOf(d.Target),
      createdAt: (d.CreateTime ?? new Date(0)).toISOString(),
      tags: Object.fromEntries((d.TagList ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ''])),
    }))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

function instanceOf(db: DBInstance): NonNullable<CapturedDatabase['instance']> {
  return {
    status: db.DBInstanceStatus ?? 'unknown',
    engine: db.Engine ?? 'unknown',
    ...(db.EngineVersion ? { engineVersion: db.EngineVersion } : {}),
    instanceClass: db.DBInstanceClass ?? 'unknown',
    allocatedStorage: db.AllocatedStorage ?? 0,
    multiAz: db.MultiAZ ?? false,
    ...(db.DBSubnetGroup?.DBSubnetGroupName ? { subnetGroup: db.DBSubnetGroup.DBSubnetGroupName } : {}),
    securityGroups: (db.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId ?? '').filter(Boolean),
    ...(db.DBParameterGroups?.[0]?.DBParameterGroupName ? { parameterGroup: db.DBParameterGroups[0].DBParameterGroupName } : {}),
    ...(db.MasterUsername ? { masterUsername: db.MasterUsername } : {}),
    managedMasterPassword: db.MasterUserSecret !== undefined,
    ...(db.InstanceCreateTime ? { createdAt: db.InstanceCreateTime.toISOString() } : {}),
    backupRetentionPeriod: db.BackupRetentionPeriod ?? 0,
    tags: Object.fromEntries((db.TagList ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ''])),
  };
}

/**
 * The window a point-in-time restore may choose from: the instance's LatestRestorableTime,
 * and the EarliestTime of its automated backup's RestoreWindow ("Earliest and latest time an
 * instance can be restored to"); for a lost instance, its retained backup's window. Null
 * without automated backups.
 */
async function restorableWindow(rds: RDSClient, identifier: string, instance: DBInstance | undefined): Promise<CapturedDatabase['restorableWindow']> {
  const backups = [];
  try {
    for await (const page of paginateDescribeDBInstanceAutomatedBackups({ client: rds, pageSize: RDS_RECORDS_PER_PAGE }, { DBInstanceIdentifier: identifier })) {
      backups.push(...(page.DBInstanceAutomatedBackups ?? []));
    }
  } catch (err) {
    // "No automated backup for this DB instance was found" (DBInstanceAutomatedBackupNotFound): no window.
    if (!/^DBInstanceAutomatedBackupNotFound/.test((err as Error).name)) throw err;
  }
  // The instance's own backup (the same resource ID); for a lost one, its newest retained backup.
  const backup = instance
    ? backups.find((b) => b.DbiResourceId === instance.DbiResourceId && b.Status === 'active') ?? backups.find((b) => b.Status === 'active')
    : backups.filter((b) => b.Status === 'retained').sort((a, b) => (b.RestoreWindow?.LatestTime?.getTime() ?? 0) - (a.RestoreWindow?.LatestTime?.getTime() ?? 0))[0];
  const earliest = backup?.RestoreWindow?.EarliestTime;
  const latest = instance ? instance.LatestRestorableTime : backup?.RestoreWindow?.LatestTime;
  return earliest && latest ? { earliest: earliest.toISOString(), latest: latest.toISOString() } : null;
}
