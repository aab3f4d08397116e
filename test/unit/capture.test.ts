/**
 * `fleetflow capture` against a mocked account (aws-sdk-client-mock), the fleet file's model,
 * and the simulated account seeded from a captured fleet (no synthesis: seeding only).
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTagsCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeTargetGroupsCommand, ElasticLoadBalancingV2Client, TargetGroupNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CreateBlueGreenDeploymentCommand, DBInstanceNotFoundFault, DescribeBlueGreenDeploymentsCommand, DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, InventoryError } from '../../lambdas/domain/contract/errors';
import { planReplaceDatabase } from '../../lambdas/replace-database/plan';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { captureFleet } from '../../lib/capture/capture';
import { checkFleetMatches, loadFleetFile, parseFleetFile, type FleetFile } from '../../lib/capture/fleet-file';
import { main } from '../../lib/cli/main';
import { checkPointInTime, simulatedRestoreWindow } from '../../lib/cli/commands/restore-window';
import { PlanWouldWriteError } from '../../lib/plan/plan-deploy';
import { noFaults } from '../../lib/simulator/faults';
import { seedAccount } from '../../lib/simulator/fleet';
import { attachSimulator } from '../../lib/simulator/intercept';
import { automatedBackups } from '../../lib/simulator/services/rds';
import { useSimulatedAwsEnvironment } from '../../lib/simulator/simulate';
import { allClients } from '../../lambdas/shared/clients';
import { ec2 as sharedEc2 } from '../../lambdas/shared/aws/ec2';
import { elbv2 as sharedElbv2 } from '../../lambdas/shared/aws/elbv2';
import { cloudwatch as sharedCloudwatch } from '../../lambdas/shared/aws/cloudwatch';
import { rds as sharedRds } from '../../lambdas/shared/aws/rds';
import { ssm as sharedSsm } from '../../lambdas/shared/aws/ssm';
import { CAPTURED_AT, HOSTS, mockedAccount, TARGET_GROUPS } from './capture-account';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));

async function captured(): Promise<FleetFile> {
  return captureFleet({ environment: canonical, clients: mockedAccount().clients, now: () => CAPTURED_AT });
}

describe('capture from a mocked account', () => {
  // First in the file: the CLI's SDK clients are module-level and keep the region they first resolve.
  it('says, in one line, that no AWS region is configured, exits 2 and writes no file', async () => {
    // No region anywhere: the SDK says "Region is missing"; capture prints one line and exits 3.
    const saved = { region: process.env.AWS_REGION, defaultRegion: process.env.AWS_DEFAULT_REGION, config: process.env.AWS_CONFIG_FILE, profile: process.env.AWS_PROFILE };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    process.env.AWS_CONFIG_FILE = join(mkdtempSync(join(tmpdir(), 'capture-')), 'none');
    delete process.env.AWS_PROFILE;
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      const file = join(mkdtempSync(join(tmpdir(), 'capture-')), 'never-written.json');
      const status = await main(['capture', '--out', file]);
      expect(status).toBe(2);
      expect(existsSync(file)).toBe(false);
      expect(errors).toEqual(['fleetflow: no AWS region: set AWS_REGION (or a region in your AWS profile)\n']);
    } finally {
      process.stderr.write = write;
      for (const [key, value] of Object.entries({ AWS_REGION: saved.region, AWS_DEFAULT_REGION: saved.defaultRegion, AWS_CONFIG_FILE: saved.config, AWS_PROFILE: saved.profile })) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
  it('reads every tier\'s hosts across DescribeInstances pages, with their tags, zones, states, launch times and releases', async () => {
    // Prepare
    const account = mockedAccount();

    // Act
    const fleet = await captureFleet({ environment: canonical, clients: account.clients, now: () => CAPTURED_AT });

    // Assess: the web tier's second page was asked for with the first page's token, and both hosts are in.
    expect(account.ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, { NextToken: 'web-page-2' });
    expect(account.ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: 'tag:fleetflow:environment', Values: ['canonical'] },
        { Name: 'tag:fleetflow:tier', Values: ['web'] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    });
    expect(fleet.tiers.map((t) => [t.name, t.hosts.map((h) => h.name)])).toEqual([
      ['middle', ['orders-1', 'orders-2']],
      ['web', ['storefront-a', 'storefront-b']],
      ['monitoring', ['collector-1', 'collector-2']],
    ]);
    const storefrontB = fleet.tiers[1]!.hosts[1]!;
    expect(storefrontB).toEqual({
      id: HOSTS.web![1]![0],
      name: 'storefront-b',
      state: 'running',
      availabilityZone: 'us-east-1b',
      subnetId: 'subnet-0a1b2c3d4e5f60002',
      instanceType: 'm6i.large',
      launchTime: '2026-11-20T08:00:00.000Z',
      release: '1.0.0',
      tags: { 'fleetflow:environment': 'canonical', 'fleetflow:tier': 'web', Name: 'storefront-b', 'fleetflow:release': '1.0.0', 'cost-centre': 'shop-42' },
    });
    expect(fleet.capturedAt).toBe(CAPTURED_AT.toISOString());
    expect(fleet.region).toBe('us-east-1');
  });

  it('reads the target groups with their health checks, deregistration delays and targets', async () => {
    const fleet = await captured();

    const web = fleet.tiers.find((t) => t.name === 'web')!.targetGroups;
    expect(web).toHaveLength(1);
    expect(web[0]).toMatchObject({
      name: 'canonical-web',
      port: 80,
      healthCheck: { intervalSeconds: 15, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 4, path: '/healthz' },
      deregistrationDelaySeconds: TARGET_GROUPS.web![5],
      targets: HOSTS.web!.map(([id]) => ({ id, state: 'healthy' })),
    });
    expect(fleet.tiers.find((t) => t.name === 'middle')!.targetGroups[0]!.deregistrationDelaySeconds).toBe(120);
    expect(fleet.tiers.find((t) => t.name === 'monitoring')!.targetGroups).toEqual([]);
  });

  it('reads the alarms the environment names across pages, and those under its prefixes, once each', async () => {
    const account = mockedAccount();
    const fleet = await captureFleet({ environment: canonical, clients: account.clients, now: () => CAPTURED_AT });

    expect(account.cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { NextToken: 'alarms-page-2' });
    expect(account.cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNamePrefix: 'canonical-web-', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(fleet.alarms.map((a) => a.name)).toEqual(['canonical-availability', 'canonical-middle-5xx', 'canonical-middle-latency', 'canonical-web-5xx']);
  });

  it('reads the database, its snapshots across DescribeDBSnapshots pages, and its restorable window', async () => {
    const account = mockedAccount();
    const fleet = await captureFleet({ environment: canonical, clients: account.clients, now: () => CAPTURED_AT });

    expect(account.rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'canonical-db', Marker: 'snapshots-page-2' });
    const [db] = fleet.databases;
    expect(db!.instance).toMatchObject({ status: 'available', engine: 'postgres', multiAz: true, backupRetentionPeriod: 7, tags: { team: 'orders' } });
    expect(db!.snapshots.map((s) => `${s.type} ${s.id}`)).toEqual(['manual before-1-0-0', 'automated rds:canonical-db-2026-12-06-02-00', 'automated rds:canonical-db-2026-12-07-02-00']);
    expect(db!.restorableWindow).toEqual({ earliest: '2026-11-30T02:00:00.000Z', latest: '2026-12-07T09:55:00.000Z' });
  });

  it('reads the database the environment uses (its Parameter Store record) after a restore, and the kept defined one\'s snapshots too', async () => {
    // Prepare: a restore-data on AWS recorded its new instance; the defined one is kept, unused.
    const account = mockedAccount();
    const restored = 'canonical-db-pitr-20261206-0300-c8418a84';
    account.ssm.on(GetParameterCommand, { Name: '/fleetflow/canonical/database/current' }).resolves({ Parameter: { Name: '/fleetflow/canonical/database/current', Type: 'String', Value: restored } });

    // Act
    const fleet = await captureFleet({ environment: canonical, clients: account.clients, now: () => CAPTURED_AT });

    // Assess: the restored instance was described, its snapshots and the defined one's read, its window asked for.
    expect(account.rds).toHaveReceivedCommandWith(DescribeDBInstancesCommand, { DBInstanceIdentifier: restored });
    expect(account.rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: restored });
    expect(account.rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: 'canonical-db' });
    expect(account.rds).toHaveReceivedCommandWith(DescribeDBInstanceAutomatedBackupsCommand, { DBInstanceIdentifier: restored });
    expect(fleet.databases[0]).toMatchObject({ identifier: 'canonical-db', current: restored });
    expect(new Set(fleet.databases[0]!.snapshots.map((s) => s.instance))).toEqual(new Set(['canonical-db']));
  });

  it('reads the blue/green deployments open on the current database, by source and across pages', async () => {
    const account = mockedAccount();
    const source = 'arn:aws:rds:us-east-1:123456789012:db:canonical-db';
    const deployment = (id: string, status: string) => ({
      BlueGreenDeploymentIdentifier: id,
      BlueGreenDeploymentName: `fleetflow-canonical-${id.slice(4, 10)}`,
      Source: source,
      Target: `arn:aws:rds:us-east-1:123456789012:db:canonical-db-green-${id.slice(4, 10)}`,
      Status: status,
      CreateTime: new Date('2026-12-07T09:00:00Z'),
      TagList: [{ Key: 'fleetflow:environment', Value: 'canonical' }],
    });
    account.rds
      .on(DescribeBlueGreenDeploymentsCommand)
      .callsFake((input: { Marker?: string }) =>
        input.Marker === 'bg-page-2' ? { BlueGreenDeployments: [deployment('bgd-bbbbbbbbbbbbbbbb', 'SWITCHOVER_FAILED')] } : { BlueGreenDeployments: [deployment('bgd-aaaaaaaaaaaaaaaa', 'AVAILABLE')], Marker: 'bg-page-2' },
      );

    const fleet = await captureFleet({ environment: canonical, clients: account.clients, now: () => CAPTURED_AT });

    expect(account.rds).toHaveReceivedCommandWith(DescribeBlueGreenDeploymentsCommand, { Filters: [{ Name: 'source', Values: [source] }], MaxRecords: 100 });
    expect(account.rds).toHaveReceivedCommandWith(DescribeBlueGreenDeploymentsCommand, { Marker: 'bg-page-2' });
    expect(fleet.databases[0]!.blueGreenDeployments.map((d) => [d.id, d.status, d.source, d.target])).toEqual([
      ['bgd-aaaaaaaaaaaaaaaa', 'AVAILABLE', 'canonical-db', 'canonical-db-green-aaaaaa'],
      ['bgd-bbbbbbbbbbbbbbbb', 'SWITCHOVER_FAILED', 'canonical-db', 'canonical-db-green-bbbbbb'],
    ]);
  });

  it('reads a lost instance\'s snapshots by filter and its retained backup\'s window', async () => {
    // Prepare: DescribeDBInstances no longer finds the instance; its automated backup was retained.
    const account = mockedAccount();
    account.rds.on(DescribeDBInstancesCommand).rejects(new DBInstanceNotFoundFault({ message: 'DBInstance canonical-db not found.', $metadata: {} }));
    account.rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [
        { DBInstanceIdentifier: 'canonical-db', Status: 'retained', RestoreWindow: { EarliestTime: new Date('2026-11-30T02:00:00Z'), LatestTime: new Date('2026-12-07T08:12:00Z') } },
      ],
    });

    // Act
    const fleet = await captureFleet({ environment: canonical, clients: account.clients, now: () => CAPTURED_AT });

    // Assess: DescribeDBSnapshots' DBInstanceIdentifier "must match the identifier of an existing DBInstance", so the filter.
    expect(account.rds).toHaveReceivedCommandWith(DescribeDBSnapshotsCommand, { Filters: [{ Name: 'db-instance-id', Values: ['canonical-db'] }] });
    expect(fleet.databases[0]).toMatchObject({ instance: null, restorableWindow: { earliest: '2026-11-30T02:00:00.000Z', latest: '2026-12-07T08:12:00.000Z' } });
    expect(fleet.databases[0]!.snapshots).toHaveLength(3);
  });

  it('cannot change the account: while it captures, any call that is not a read is refused before it is sent', async () => {
    // Prepare: the simulated account behind fresh clients, so the guard's middleware really runs; a
    // middleware that tries a write on the same client the moment capture reads the instances.
    const environment = canonical;
    const account = seedAccount(environment, noFaults(), { hostsPerTier: 1 });
    const config = { region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } };
    const clients = { ec2: new EC2Client(config), elbv2: new ElasticLoadBalancingV2Client(config), cloudwatch: new CloudWatchClient(config), rds: new RDSClient(config), ssm: new SSMClient(config) };
    const detach = attachSimulator(clients as never, account);
    const attempts: unknown[] = [];
    clients.ec2.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeInstancesCommand' && attempts.length === 0) {
          attempts.push(await clients.ec2.send(new CreateTagsCommand({ Resources: ['i-0a000000000000001'], Tags: [{ Key: 'x', Value: 'y' }] })).catch((err: unknown) => err));
        }
        return next(args);
      },
      { step: 'initialize', priority: 'low', name: 'tryAWrite' },
    );
    try {
      // Act
      const fleet = await captureFleet({ environment, clients, now: () => CAPTURED_AT });

      // Assess: refused during the capture, which went on; allowed again once the capture is over.
      expect(attempts[0]).toBeInstanceOf(PlanWouldWriteError);
      expect((attempts[0] as Error).message).toBe('capture is read-only and refused ec2:CreateTags');
      expect([...account.hosts.values()].every((h) => !h.tags.has('x'))).toBe(true);
      expect(fleet.tiers.flatMap((t) => t.hosts)).toHaveLength(3);
      await clients.ec2.send(new CreateTagsCommand({ Resources: ['i-0a000000000000001'], Tags: [{ Key: 'x', Value: 'y' }] }));
      expect(account.hosts.get('i-0a000000000000001')!.tags.get('x')).toBe('y');
    } finally {
      detach();
    }
  });

  it('writes, with --out, the whole file of what the account holds (the command line, against the simulated account)', async () => {
    // Prepare: the CLI's own clients (the handlers' shared ones) answered by a simulated canonical account.
    const restore = useSimulatedAwsEnvironment();
    const account = seedAccount(canonical, noFaults(), { hostsPerTier: 2 });
    const detach = attachSimulator(allClients as never, account);
    const file = join(mkdtempSync(join(tmpdir(), 'capture-')), 'fleet.json');
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      // Act
      const status = await main(['capture', '--out', file]);

      // Assess
      expect(status).toBe(0);
      const fleet = loadFleetFile(file);
      expect(fleet.tiers.map((t) => [t.name, t.hosts.map((h) => h.name)])).toEqual([
        ['middle', ['mid-1', 'mid-2']],
        ['web', ['web-1', 'web-2']],
        ['monitoring', ['mon-1', 'mon-2']],
      ]);
      expect(errors).toEqual([expect.stringMatching(/^captured canonical at .*: 6 hosts in 3 tiers, 2 target groups, 4 alarms, 1 database with 3 snapshots\n$/)]);
      // Nothing was changed: every call was a read.
      const operations = [...account.calls.keys()].filter((call) => call.includes(':'));
      expect(operations.length).toBeGreaterThan(5);
      expect(operations.filter((call) => !/:(Describe|Get|List)/.test(call))).toEqual([]);
    } finally {
      process.stderr.write = write;
      detach();
      restore();
    }
  });

});

describe('capture of an account that lacks what the environment names', () => {
  it('exits 1, in one line, when a target group the environment names does not exist', async () => {
    // Prepare: the CLI's own clients answer as AWS does for a name it does not know.
    const ec2 = mockClient(sharedEc2);
    const elbv2 = mockClient(sharedElbv2);
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    elbv2.on(DescribeTargetGroupsCommand).rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }));
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
    const file = join(mkdtempSync(join(tmpdir(), 'capture-')), 'fleet.json');
    try {
      // Act
      const status = await main(['capture', '--out', file]);

      // Assess
      expect(status).toBe(1);
      expect(errors).toEqual(["fleetflow: capture: the account does not hold environment canonical's target groups (\"One or more target groups not found\")\n"]);
      expect(existsSync(file)).toBe(false);
    } finally {
      process.stderr.write = write;
      ec2.restore();
      elbv2.restore();
    }
  });
});

describe('the fleet file', () => {
  it('refuses a malformed file with one line naming the field', async () => {
    const fleet = await captured();
    const broken = structuredClone(fleet) as unknown as { tiers: Array<{ targetGroups: Array<{ deregistrationDelaySeconds: unknown }> }> };
    broken.tiers[1]!.targetGroups[0]!.deregistrationDelaySeconds = 4000;

    expect(() => parseFleetFile(broken)).toThrow(InvalidInputError);
    expect(() => parseFleetFile(broken)).toThrow(/^fleet file: tiers\[1\]\.targetGroups\[0\]\.deregistrationDelaySeconds: .*3600.* \(received 4000\)$/);
    expect(() => parseFleetFile({ ...fleet, version: 3 })).toThrow(/^fleet file: version: .* \(received 3\)$/);
    expect(() => parseFleetFile({ ...fleet, tiers: undefined })).toThrow(/^fleet file: tiers: .* \(received missing\)$/);
  });

  it('reads a version-1 file (before the current database and blue/green deployments were captured) as the defined database with no deployment', async () => {
    const fleet = await captured();
    const v1 = {
      ...fleet,
      version: 1,
      databases: fleet.databases.map(({ current: _current, blueGreenDeployments: _deployments, snapshots, ...rest }) => ({ ...rest, snapshots: snapshots.map(({ instance: _instance, ...s }) => s) })),
    };

    const read = parseFleetFile(v1);

    expect(read.version).toBe(2);
    expect(read.databases[0]).toMatchObject({ identifier: 'canonical-db', current: 'canonical-db', blueGreenDeployments: [] });
    // A version-1 file holds only version-1 fields: one with version 2's is refused, naming the field.
    expect(() => parseFleetFile({ ...fleet, version: 1 })).toThrow(/^fleet file: databases\[0\]: .*current/);
  });

  it('refuses a blue/green deployment whose source is not the current database', async () => {
    const fleet = await captured();
    const other = structuredClone(fleet);
    other.databases[0]!.blueGreenDeployments.push({ id: 'bgd-0123456789abcdef', name: 'x', status: 'AVAILABLE', source: 'another-db', target: 'another-db-green-abc123', createdAt: CAPTURED_AT.toISOString(), tags: {} });
    expect(() => parseFleetFile(other)).toThrow("fleet file: databases[0].blueGreenDeployments[0].source: another-db is not the database's current instance canonical-db");
  });

  it('refuses a host captured in two tiers', async () => {
    const fleet = await captured();
    const twice = structuredClone(fleet);
    twice.tiers[2]!.hosts.push(twice.tiers[0]!.hosts[0]!);
    expect(() => parseFleetFile(twice)).toThrow(`fleet file: tiers[2].hosts[2].id: ${HOSTS.middle![0]![0]} is also a host of tier middle`);
  });

  it("refuses a fleet whose environment, tiers, target groups or database are not the definition's", async () => {
    const fleet = await captured();
    expect(() => checkFleetMatches(fleet, canonical)).not.toThrow();
    expect(() => checkFleetMatches({ ...fleet, environment: 'staging' }, canonical)).toThrow('fleet file does not match environment canonical: it was captured from environment "staging"');
    expect(() => checkFleetMatches({ ...fleet, tiers: fleet.tiers.slice(1) }, canonical)).toThrow(
      'fleet file does not match environment canonical: its host tiers are monitoring, web, the environment\'s middle, monitoring, web',
    );
    const renamed = structuredClone(fleet);
    renamed.tiers[1]!.targetGroups[0]!.name = 'canonical-web-blue';
    expect(() => checkFleetMatches(renamed, canonical)).toThrow('tier web has target groups canonical-web-blue, the environment\'s canonical-web');
    expect(() => checkFleetMatches({ ...fleet, databases: [] }, canonical)).toThrow("its databases are none, the environment's database:canonical-db");
  });

  it('refuses, exit 2 before anything runs, a --fleet that is not JSON, malformed, or of another environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleet-'));
    const fleet = await captured();
    const files = { notJson: join(dir, 'not.json'), malformed: join(dir, 'malformed.json'), other: join(dir, 'other.json'), good: join(dir, 'good.json') };
    writeFileSync(files.good, JSON.stringify(fleet));
    writeFileSync(files.notJson, '{ "version": 1,');
    writeFileSync(files.malformed, JSON.stringify({ ...fleet, capturedAt: 'yesterday' }));
    writeFileSync(files.other, JSON.stringify({ ...fleet, tiers: fleet.tiers.slice(0, 2) }));
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      expect(await main(['simulate', 'deploy', '--fleet', files.notJson])).toBe(2);
      expect(await main(['simulate', 'deploy', '--fleet', files.malformed])).toBe(2);
      expect(await main(['simulate', 'replace', '--targets', 'web-1', '--fleet', files.other])).toBe(2);
      expect(await main(['simulate', 'deploy', '--fleet', files.malformed, '--hosts', '3'])).toBe(2);
      // Faults name the captured fleet's hosts: the generated fleet's web-2 is not one of them.
      expect(await main(['simulate', 'deploy', '--fleet', files.good, '--fault', 'patch-fail:web-2'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors).toHaveLength(5);
    expect(errors[4]).toMatch(/web-2/);
    expect(errors[4]).toMatch(/storefront-b/);
    for (const line of errors) expect(line.trimEnd().split('\n')).toHaveLength(1);
    expect(errors[0]).toMatch(/^fleetflow: --fleet ".*not\.json" is not JSON \(/);
    expect(errors[1]!.trimEnd()).toMatch(/^fleetflow: --fleet ".*malformed\.json": capturedAt: .* \(received "yesterday"\) \(see: fleetflow simulate deploy --help\)$/);
    expect(errors[2]!.trimEnd()).toMatch(/does not match environment canonical: its host tiers are middle, web, the environment's middle, monitoring, web \(see: fleetflow simulate replace --help\)$/);
    expect(errors[3]).toMatch(/^fleetflow: --hosts sizes a generated fleet and --fleet gives the captured one: leave one out/);
  });

  it('loads what capture wrote', async () => {
    const fleet = await captured();
    const file = join(mkdtempSync(join(tmpdir(), 'fleet-')), 'fleet.json');
    writeFileSync(file, JSON.stringify(fleet));
    expect(loadFleetFile(file)).toEqual(fleet);
  });
});

describe('the simulated account seeded from a captured fleet', () => {
  it('holds the captured hosts, tags, zones, releases, target groups, delays, alarms, database and snapshots', async () => {
    const fleet = await captured();
    fleet.tiers[2]!.hosts[1]!.state = 'stopped';
    fleet.tiers[0]!.targetGroups[0]!.targets[1]!.state = 'unhealthy';
    fleet.alarms[0]!.state = 'ALARM';

    const account = seedAccount(canonical, noFaults(), { fleet, hostsPerTier: 5 });

    // hostsPerTier does not apply: the captured hosts, by their IDs and names.
    expect([...account.hosts.values()].map((h) => `${h.tier} ${h.id} ${h.name} ${h.availabilityZone} ${h.release} ${h.state}`)).toEqual(
      fleet.tiers.flatMap((t) => t.hosts.map((h) => `${t.name} ${h.id} ${h.name} ${h.availabilityZone} 1.0.0 ${h.state}`)),
    );
    expect(Object.fromEntries(account.hosts.get(HOSTS.web![1]![0])!.tags)).toEqual(fleet.tiers[1]!.hosts[1]!.tags);
    // Launched 17 days 2 hours before the capture: as long before the simulation's start.
    expect(account.startedAt - account.hosts.get(HOSTS.web![0]![0])!.launchedAt).toBe(CAPTURED_AT.getTime() - Date.parse('2026-11-20T08:00:00.000Z'));
    const groups = [...account.targetGroups.values()].map((g) => [g.name, g.port, g.intervalSeconds, g.healthyThreshold, g.unhealthyThreshold, g.deregistrationDelaySeconds, g.targets.size]);
    expect(groups).toEqual([
      ['canonical-middle', 8080, 20, 3, 2, 120, 2],
      ['canonical-web', 80, 15, 2, 4, 45, 2],
    ]);
    // The target found unhealthy is a host whose service is down; the others serve.
    expect(account.inService(account.hosts.get(HOSTS.middle![1]![0])!)).toBe(false);
    expect(account.inService(account.hosts.get(HOSTS.middle![0]![0])!)).toBe(true);
    expect(account.alarms.get('canonical-availability')!.baseState).toBe('ALARM');
    // No alarm the capture did not find (the generated fleet adds "<prefix>errors" ones).
    expect([...account.alarms.keys()].sort()).toEqual(fleet.alarms.map((a) => a.name).sort());
    expect([...account.databases.values()].map((d) => [d.identifier, d.status, d.definition?.multiAz, d.tags])).toEqual([['canonical-db', 'available', true, { team: 'orders' }]]);
    expect([...account.snapshots.values()].map((s) => [s.id, s.type, account.startedAt - s.createdAt])).toEqual(
      fleet.databases[0]!.snapshots.map((s) => [s.id, s.type, CAPTURED_AT.getTime() - Date.parse(s.createdAt)]),
    );
  });

  it("gives restore-data's point-in-time check the captured window's times: the run starts at the capture's instant", async () => {
    const fleet = await captured();

    const window = await simulatedRestoreWindow(canonical, noFaults(), undefined, fleet);

    // From the oldest captured automated snapshot to LatestRestorableTime, five minutes before the capture.
    expect(window).toEqual({ instance: 'canonical-db', earliest: Date.parse('2026-12-06T02:00:00.000Z'), latest: CAPTURED_AT.getTime() - 5 * 60 * 1000 });
    expect(() => checkPointInTime('2026-12-07T09:00:00Z', window!)).not.toThrow();
    expect(() => checkPointInTime('2026-12-07T09:58:00Z', window!)).toThrow(/outside the restorable window of canonical-db/);
  });

  it('rehearses replace-database beside a blue/green deployment the capture found open, and refuses it as the real plan does', async () => {
    // Prepare: an account whose database a person put in a blue/green deployment; captured through the CLI's own clients.
    const restore = useSimulatedAwsEnvironment();
    const live = seedAccount(canonical, noFaults(), { hostsPerTier: 1 });
    let detach = attachSimulator(allClients as never, live);
    try {
      await sharedRds.send(new CreateBlueGreenDeploymentCommand({ BlueGreenDeploymentName: 'upgrade-by-hand', Source: 'arn:aws:rds:us-east-1:123456789012:db:canonical-db' }));
      const fleet = await captureFleet({ environment: canonical, clients: { ec2: sharedEc2, elbv2: sharedElbv2, cloudwatch: sharedCloudwatch, rds: sharedRds, ssm: sharedSsm } });
      const [open] = fleet.databases[0]!.blueGreenDeployments;
      expect(open).toMatchObject({ name: 'upgrade-by-hand', status: 'PROVISIONING', source: 'canonical-db' });
      detach();

      // Act: the rehearsal's account, seeded from the file as simulate --fleet seeds it.
      const rehearsal = seedAccount(canonical, noFaults(), { fleet: parseFleetFile(JSON.parse(JSON.stringify(fleet))) });
      detach = attachSimulator(allClients as never, rehearsal);
      const refusal = planReplaceDatabase({ environment: canonical, input: {}, execution: 'exec-rehearsal' });

      // Assess: refused before anything changed, naming the deployment, as on AWS.
      await expect(refusal).rejects.toThrow(InventoryError);
      await expect(refusal).rejects.toThrow(`database canonical-db is already the source of blue/green deployment ${open!.id} (upgrade-by-hand, PROVISIONING)`);
      expect(rehearsal.databases.get(open!.target)?.replica?.source).toBe(rehearsal.databases.get('canonical-db'));
    } finally {
      detach();
      restore();
    }
  });

  it('holds the database the environment used after a restore: its record, the hosts\' connection, and what replace-database would replace', async () => {
    const fleet = await captured();
    const restored = 'canonical-db-pitr-20261206-0300-c8418a84';
    fleet.databases[0] = { ...fleet.databases[0]!, current: restored };

    const account = seedAccount(canonical, noFaults(), { fleet });

    expect([...account.databases.keys()]).toEqual([restored]);
    expect(account.parameters.get('/fleetflow/canonical/database/current')?.value).toBe(restored);
    expect(account.connectedDatabase()).toBe(restored);
    expect(account.dataTier?.identifier).toBe(restored);
    // The defined instance's snapshots stay its own.
    expect(new Set([...account.snapshots.values()].map((snapshot) => snapshot.instance))).toEqual(new Set(['canonical-db']));
  });

  it('refuses, naming it, a fleet caught mid-switchover: the simulator cannot start from it', async () => {
    const fleet = await captured();
    fleet.databases[0]!.blueGreenDeployments.push({ id: 'bgd-0123456789abcdef', name: 'x', status: 'SWITCHOVER_IN_PROGRESS', source: 'canonical-db', target: 'canonical-db-green-abc123', createdAt: CAPTURED_AT.toISOString(), tags: {} });
    expect(() => checkFleetMatches(fleet, canonical)).toThrow(
      'fleet file: blue/green deployment bgd-0123456789abcdef of canonical-db was "SWITCHOVER_IN_PROGRESS" when captured, which the simulator cannot start from (it holds PROVISIONING, AVAILABLE, SWITCHOVER_FAILED); capture again once it has settled',
    );
  });

  it('holds a database the capture found gone, with retained backups, as a lost instance a recovery can restore', async () => {
    const fleet = await captured();
    const [db] = fleet.databases;
    // DescribeDBInstances found no instance; its retained backup's window ended an hour before the capture.
    fleet.databases[0] = { ...db!, instance: null, restorableWindow: { earliest: '2026-12-06T02:00:00.000Z', latest: '2026-12-07T09:00:00.000Z' } };

    const account = seedAccount(canonical, noFaults(), { fleet });

    expect(account.databases.size).toBe(0);
    const backups = automatedBackups(account);
    expect(backups.map((b) => [b.identifier, b.status, account.startedAt - b.latest])).toEqual([['canonical-db', 'retained', 3600 * 1000]]);
    // Without a window (no automated backup retained), only the snapshots are left.
    fleet.databases[0] = { ...fleet.databases[0]!, restorableWindow: null };
    const bare = seedAccount(canonical, noFaults(), { fleet });
    expect(automatedBackups(bare)).toEqual([]);
    expect(bare.snapshots.size).toBe(3);
  });
});
