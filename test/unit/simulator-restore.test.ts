/**
 * Data restore and disaster recovery in the simulated account: the connection parameter
 * and the database each host is configured for, the reconfigure and check documents, RDS
 * point-in-time restore, automated backups (active and retained) and tags, the restore
 * faults, and the data report. Calls go through callService, as the handlers' SDK clients
 * do in a simulated run.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { CHECK_SECONDS, MIGRATION_SECONDS, RECONFIGURE_SECONDS, SSM_DELIVERY_SECONDS, type SimHost, type SimulatedAccount, PREREQUISITE_SECONDS, SSM_REGISTRATION_SECONDS, databaseAtEndpoint, endpointOf } from '../../lib/simulator/account';
import { BOOT_SECONDS } from '../../lib/simulator/services/ec2';
import { DB_RESTORE_SECONDS, seedAutomatedSnapshots } from '../../lib/simulator/services/rds';
import { captureDatabases, dataReport } from '../../lib/simulator/data-report';
import { InvalidFaultError, noFaults, parseFaults } from '../../lib/simulator/faults';
import { faultScope, seedAccount, type FleetOptions } from '../../lib/simulator/fleet';
import { callService } from '../../lib/simulator/services/index';
import { NOW } from './fixtures';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));
const CONNECTION = '/canonical/database/endpoint';
const RECONFIGURE = 'FleetFlow-ReconnectDatabase';
const CHECK = 'FleetFlow-CheckDatabase';
const OLD_ENDPOINT = 'canonical-db.c0sim0example.us-east-1.rds.amazonaws.com:5432';
const HOUR = 3600_000;

function seed(options: FleetOptions = {}, faults: readonly string[] = []): SimulatedAccount {
  const account = seedAccount(canonical, noFaults(), options);
  const hosts = new Set([...account.hosts.values()].map((h) => h.name));
  account.useFaults(parseFaults(faults, hosts, new Set(account.alarms.keys()), undefined, faultScope(canonical)));
  return account;
}

const call = (account: SimulatedAccount, service: string, operation: string, input: Record<string, any>): any =>
  callService(account, service, operation, input, 'Throttling');

/** What a call throws, for asserting its name and message. */
function refusal(act: () => unknown): Error & { $metadata?: { httpStatusCode: number } } {
  try {
    act();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the call was not refused');
}

const elapse = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);
const hostNamed = (account: SimulatedAccount, name: string) => [...account.hosts.values()].find((h) => h.name === name)!;
const describeDb = (account: SimulatedAccount, id: string) => call(account, 'rds', 'DescribeDBInstances', { DBInstanceIdentifier: id }).DBInstances[0];
const endpointText = (described: { Endpoint: { Address: string; Port: number } }) => `${described.Endpoint.Address}:${described.Endpoint.Port}`;
const send = (account: SimulatedAccount, document: string, hosts: SimHost[], parameters: Record<string, string[]> = {}) =>
  call(account, 'ssm', 'SendCommand', { DocumentName: document, InstanceIds: hosts.map((h) => h.id), Parameters: parameters }).Command.CommandId as string;
const invocation = (account: SimulatedAccount, commandId: string, host: SimHost) => call(account, 'ssm', 'GetCommandInvocation', { CommandId: commandId, InstanceId: host.id });
const healthy = (account: SimulatedAccount, host: SimHost) => account.hostHealthyAt(host, Date.now());
const point = (account: SimulatedAccount, value: string) => call(account, 'ssm', 'PutParameter', { Name: CONNECTION, Value: value, Type: 'String', Overwrite: true });
const reconfigure = (account: SimulatedAccount, hosts: SimHost[]) => send(account, RECONFIGURE, hosts, { connectionParameter: [CONNECTION] });

/** Restores canonical-db to its latest restorable time as `identifier`, and waits until it is available. */
function restoreLatest(account: SimulatedAccount, identifier = 'canonical-db-restored', wait = true): string {
  call(account, 'rds', 'RestoreDBInstanceToPointInTime', { SourceDBInstanceIdentifier: 'canonical-db', TargetDBInstanceIdentifier: identifier, UseLatestRestorableTime: true });
  if (wait) elapse(DB_RESTORE_SECONDS);
  return identifier;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the connection parameter and the database each host uses', () => {
  it('seeds the restore documents and the connection parameter with the endpoint DescribeDBInstances reports; seeded hosts use the database', () => {
    // Prepare
    const account = seed();

    // Act
    const described = describeDb(account, 'canonical-db');
    const parameter = call(account, 'ssm', 'GetParameter', { Name: CONNECTION });

    // Assess
    expect(parameter.Parameter).toMatchObject({ Type: 'String', Value: endpointText(described) });
    expect(parameter.Parameter.Value).toBe(OLD_ENDPOINT);
    expect(databaseAtEndpoint(account, parameter.Parameter.Value)?.identifier).toBe('canonical-db');
    expect(endpointOf(account.databases.get('canonical-db')!)).toBe(OLD_ENDPOINT);
    expect([account.documents.get(RECONFIGURE), account.documents.get(CHECK)]).toEqual(['reconfigure', 'database-check']);
    expect(new Set([...account.hosts.values()].map((h) => h.database))).toEqual(new Set(['canonical-db']));
  });

  it('seeds the connection parameter in an empty account too: it outlives the instance and points at nothing', () => {
    // Act
    const account = seed({ empty: true });

    // Assess
    expect(account.parameters.get(CONNECTION)).toMatchObject({ type: 'String', value: OLD_ENDPOINT });
    expect(databaseAtEndpoint(account, OLD_ENDPOINT)).toBeUndefined();
    expect(account.connectedDatabase()).toBe('');
  });

  /** Launches a web host and runs its prerequisites and an install of 1.0.0 on it; returns it and the install's outcome. */
  function launchAndInstall(account: SimulatedAccount): { host: SimHost; status: string } {
    const tags = Object.entries({ 'fleetflow:environment': 'canonical', 'fleetflow:tier': 'web' }).map(([Key, Value]) => ({ Key, Value }));
    const output = call(account, 'ec2', 'RunInstances', {
      LaunchTemplate: { LaunchTemplateName: 'canonical-web', Version: '1' }, MinCount: 1, MaxCount: 1, SubnetId: 'subnet-0a1b2c3d4e5f60001',
      TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
    });
    const host = account.hosts.get(output.Instances[0].InstanceId)!;
    elapse(BOOT_SECONDS + SSM_REGISTRATION_SECONDS);
    for (const document of ['FleetFlow-InstallWebServer', 'FleetFlow-InstallCertificates']) {
      send(account, document, [host], {});
      elapse(SSM_DELIVERY_SECONDS + PREREQUISITE_SECONDS);
    }
    return { host, status: installOn(account, host) };
  }

  function installOn(account: SimulatedAccount, host: SimHost): string {
    const id = send(account, 'FleetFlow-InstallRelease', [host], { release: ['1.0.0'] });
    elapse(SSM_DELIVERY_SECONDS + host.profile.installSeconds);
    return invocation(account, id, host).Status;
  }

  it('configures a launched host, when its first install succeeds, for the database the connection parameter points to', () => {
    // Prepare
    const account = seed();

    // Act
    const { host, status } = launchAndInstall(account);

    // Assess
    expect(status).toBe('Success');
    expect(host.database).toBe('canonical-db');
  });

  it('leaves a launched host with no database while the parameter points at nothing, and configures it at a later install', () => {
    // Prepare: the instance was lost; allocate restores it under its identifier.
    const account = seed({ empty: true, keepSnapshots: true });
    const { host, status } = launchAndInstall(account);
    const before = host.database;
    const [snapshot] = call(account, 'rds', 'DescribeDBSnapshots', { DBInstanceIdentifier: 'canonical-db', SnapshotType: 'automated' }).DBSnapshots;
    call(account, 'rds', 'RestoreDBInstanceFromDBSnapshot', { DBInstanceIdentifier: 'canonical-db', DBSnapshotIdentifier: snapshot.DBSnapshotIdentifier });

    // Act
    const again = installOn(account, host);

    // Assess
    expect([status, before]).toEqual(['Success', '']);
    expect([again, host.database]).toEqual(['Success', 'canonical-db']);
  });

  it('does not change the database of a host that has one when an install succeeds', () => {
    // Prepare
    const account = seed();
    const web = hostNamed(account, 'web-1');
    const restored = restoreLatest(account);
    point(account, endpointOf(account.databases.get(restored)!));

    // Act
    const status = installOn(account, web);

    // Assess
    expect(status).toBe('Success');
    expect(web.database).toBe('canonical-db');
  });
});

describe('the reconfigure document', () => {
  it('reconnects the host to the database the connection parameter points to, its service down while it runs', () => {
    // Prepare
    const account = seed();
    const web = hostNamed(account, 'web-1');
    const restored = restoreLatest(account);
    point(account, endpointOf(account.databases.get(restored)!));

    // Act
    const id = reconfigure(account, [web]);
    elapse(SSM_DELIVERY_SECONDS);
    const running = [invocation(account, id, web).Status, healthy(account, web)];
    elapse(RECONFIGURE_SECONDS);
    const done = invocation(account, id, web);

    // Assess
    expect(running).toEqual(['InProgress', false]);
    expect([done.Status, done.ResponseCode, healthy(account, web), web.database]).toEqual(['Success', 0, true, restored]);
  });

  it('fails while the database is still being created, leaving the service down, until a later reconfigure succeeds', () => {
    // Prepare
    const account = seed();
    const web = hostNamed(account, 'web-1');
    const restored = restoreLatest(account, 'canonical-db-restored', false);
    const endpoint = endpointOf(account.databases.get(restored)!);
    point(account, endpoint);

    // Act
    const first = reconfigure(account, [web]);
    elapse(SSM_DELIVERY_SECONDS + RECONFIGURE_SECONDS);
    const failed = invocation(account, first, web);
    const downAfterFailure = healthy(account, web);
    elapse(DB_RESTORE_SECONDS);
    const stillDown = healthy(account, web);
    const second = reconfigure(account, [web]);
    elapse(SSM_DELIVERY_SECONDS + RECONFIGURE_SECONDS);

    // Assess
    expect([failed.Status, failed.ResponseCode, failed.StandardErrorContent]).toEqual(['Failed', 1, `reconnect: cannot connect to ${endpoint}`]);
    expect([downAfterFailure, stillDown]).toEqual([false, false]);
    expect(invocation(account, second, web).Status).toBe('Success');
    expect([healthy(account, web), web.database]).toEqual([true, restored]);
  });

  it('reads the parameter the document names', () => {
    // Prepare
    const account = seed();
    const mid = hostNamed(account, 'mid-1');
    const restored = restoreLatest(account);
    call(account, 'ssm', 'PutParameter', { Name: '/canonical/database/endpoint-next', Value: endpointOf(account.databases.get(restored)!), Type: 'String' });

    // Act
    const id = send(account, RECONFIGURE, [mid], { connectionParameter: ['/canonical/database/endpoint-next'] });
    elapse(SSM_DELIVERY_SECONDS + RECONFIGURE_SECONDS);

    // Assess
    expect(invocation(account, id, mid).Status).toBe('Success');
    expect(mid.database).toBe(restored);
  });

  it('reconfigure-fail:HOST: the host refuses any database but its original one, and can go back to it', () => {
    // Prepare
    const account = seed({}, ['reconfigure-fail:web-1']);
    const [web1, web2] = [hostNamed(account, 'web-1'), hostNamed(account, 'web-2')];
    const restored = restoreLatest(account);
    point(account, endpointOf(account.databases.get(restored)!));

    // Act
    const toNew = reconfigure(account, [web1, web2]);
    elapse(SSM_DELIVERY_SECONDS + RECONFIGURE_SECONDS);
    point(account, OLD_ENDPOINT);
    const back = reconfigure(account, [web1]);
    elapse(SSM_DELIVERY_SECONDS + RECONFIGURE_SECONDS);

    // Assess
    const refused = invocation(account, toNew, web1);
    expect([refused.Status, refused.StandardErrorContent]).toEqual(['Failed', `reconnect: connection refused by ${restored}`]);
    expect([invocation(account, toNew, web2).Status, web2.database]).toEqual(['Success', restored]);
    expect([invocation(account, back, web1).Status, web1.database, healthy(account, web1)]).toEqual(['Success', 'canonical-db', true]);
  });

  it('gives back the service as it was: a host whose service was down stays down', () => {
    // Prepare
    const account = seed({}, ['down:web-2']);
    const web2 = hostNamed(account, 'web-2');

    // Act
    const id = reconfigure(account, [web2]);
    elapse(SSM_DELIVERY_SECONDS + RECONFIGURE_SECONDS);

    // Assess
    expect(invocation(account, id, web2).Status).toBe('Success');
    expect(healthy(account, web2)).toBe(false);
  });
});

describe('the database check document', () => {
  const check = (account: SimulatedAccount, endpoint: string) => {
    const mid = hostNamed(account, 'mid-1');
    const id = send(account, CHECK, [mid], { endpoint: [endpoint] });
    elapse(SSM_DELIVERY_SECONDS + CHECK_SECONDS);
    return invocation(account, id, mid);
  };

  it('is refused without its endpoint parameter, as SSM refuses a missing required parameter', () => {
    // Prepare
    const account = seed();

    // Act
    const error = refusal(() => send(account, CHECK, [hostNamed(account, 'mid-1')], {}));

    // Assess
    expect([error.name, error.message]).toEqual(['InvalidParameters', 'Parameter "endpoint" is required']);
  });

  it('succeeds against a database that serves there, and fails where none answers or it is still being created', () => {
    // Prepare
    const account = seed();
    const restored = restoreLatest(account, 'canonical-db-restored', false);
    const creatingAt = endpointOf(account.databases.get(restored)!);

    // Act
    const creating = check(account, creatingAt);
    const nowhere = check(account, 'nope.c0sim0example.us-east-1.rds.amazonaws.com:5432');
    const old = check(account, OLD_ENDPOINT);

    // Assess
    expect([creating.Status, creating.ResponseCode, creating.StandardErrorContent]).toEqual(['Failed', 1, `check: cannot connect to ${creatingAt}`]);
    expect(nowhere.Status).toBe('Failed');
    expect(old.Status).toBe('Success');
  });

  it('restored-db-invalid: fails its query on a database restored during the run, not on the original', () => {
    // Prepare
    const account = seed({}, ['restored-db-invalid']);
    const restored = restoreLatest(account);

    // Act
    const onRestored = check(account, endpointOf(account.databases.get(restored)!));
    const onOriginal = check(account, OLD_ENDPOINT);

    // Assess
    expect([onRestored.Status, onRestored.StandardErrorContent]).toEqual(['Failed', `check: query failed on ${restored}: relation "orders" does not exist`]);
    expect(onOriginal.Status).toBe('Success');
  });
});

describe('migrations', () => {
  const migrate = (account: SimulatedAccount, host: SimHost, release: string) => {
    const id = send(account, 'FleetFlow-ApplyMigration', [host], { release: [release], databaseSecret: ['/canonical/database/migrator-password'] });
    elapse(SSM_DELIVERY_SECONDS + MIGRATION_SECONDS);
    return invocation(account, id, host);
  };

  it('change the database the runner host is configured for, not every database', () => {
    // Prepare
    const account = seed();
    const mid = hostNamed(account, 'mid-1');
    const restored = restoreLatest(account);
    point(account, endpointOf(account.databases.get(restored)!));
    reconfigure(account, [mid]);
    elapse(SSM_DELIVERY_SECONDS + RECONFIGURE_SECONDS);

    // Act
    const outcome = migrate(account, mid, '2.0.0');

    // Assess
    expect(outcome.Status).toBe('Success');
    expect([account.databases.get(restored)!.schemaRelease, account.databases.get('canonical-db')!.schemaRelease]).toEqual(['2.0.0', '1.0.0']);
  });

  it("change the environment's database when the host is configured for none, and fail when its database does not exist", () => {
    // Prepare
    const account = seed();
    const [mid1, mid2] = [hostNamed(account, 'mid-1'), hostNamed(account, 'mid-2')];
    mid1.database = '';
    mid2.database = 'gone-db';

    // Act
    const fallback = migrate(account, mid1, '2.0.0');
    const missing = migrate(account, mid2, '3.0.0');

    // Assess
    expect([fallback.Status, account.databases.get('canonical-db')!.schemaRelease]).toEqual(['Success', '2.0.0']);
    expect([missing.Status, missing.ResponseCode, missing.StandardErrorContent]).toEqual(['Failed', 1, 'migrate: cannot connect to database gone-db: it does not exist']);
  });
});

describe('RDS automated backups and point-in-time restore', () => {
  it('describes an instance with its ARN, resource ID and backup retention', () => {
    // Prepare
    const account = seed();

    // Act
    const described = describeDb(account, 'canonical-db');

    // Assess
    expect(described).toMatchObject({
      DBInstanceArn: 'arn:aws:rds:us-east-1:123456789012:db:canonical-db',
      DbiResourceId: expect.stringMatching(/^db-[A-Z2-7]{26}$/),
      BackupRetentionPeriod: 7,
    });
  });

  it('lists the active backup of an existing instance, restorable from its oldest automated snapshot to five minutes ago', () => {
    // Prepare
    const account = seed();

    // Act
    const [backup, ...others] = call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', { DBInstanceIdentifier: 'canonical-db' }).DBInstanceAutomatedBackups;

    // Assess
    expect(others).toEqual([]);
    expect(backup).toMatchObject({
      DBInstanceIdentifier: 'canonical-db',
      DBInstanceArn: 'arn:aws:rds:us-east-1:123456789012:db:canonical-db',
      DbiResourceId: describeDb(account, 'canonical-db').DbiResourceId,
      Status: 'active',
      BackupRetentionPeriod: 7,
      RestoreWindow: { EarliestTime: new Date(NOW - 24 * HOUR), LatestTime: new Date(NOW - 5 * 60_000) },
    });
  });

  it('refuses MaxRecords outside 20-100, an unknown instance (404) and an unknown filter; pages with Marker', () => {
    // Prepare: 21 more instances with automated snapshots.
    const account = seed();
    for (let i = 1; i <= 21; i += 1) {
      const db = { identifier: `extra-${i}`, name: `extra-${i}`, status: 'available', schemaRelease: '1.0.0', availableThroughout: true, createdAt: NOW - 30 * 24 * HOUR };
      account.databases.set(db.identifier, db);
      seedAutomatedSnapshots(account, db);
    }

    // Act
    const records = refusal(() => call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', { MaxRecords: 19 }));
    const unknown = refusal(() => call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', { DBInstanceIdentifier: 'nope' }));
    const filter = refusal(() => call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', { Filters: [{ Name: 'engine', Values: ['postgres'] }] }));
    const first = call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', { MaxRecords: 20 });
    const second = call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', { MaxRecords: 20, Marker: first.Marker });

    // Assess
    expect(records.name).toBe('InvalidParameterValue');
    expect([unknown.name, unknown.$metadata?.httpStatusCode]).toEqual(['DBInstanceAutomatedBackupNotFoundFault', 404]);
    expect(filter.name).toBe('InvalidParameterValue');
    expect([first.DBInstanceAutomatedBackups.length, second.DBInstanceAutomatedBackups.length, second.Marker]).toEqual([20, 2, undefined]);
  });

  it('restores the latest restorable time to a new instance: creating, then available, with the source\'s data and RDS\'s defaults', () => {
    // Prepare
    const account = seed();

    // Act
    const output = call(account, 'rds', 'RestoreDBInstanceToPointInTime', {
      SourceDBInstanceIdentifier: 'canonical-db', TargetDBInstanceIdentifier: 'canonical-db-pitr', UseLatestRestorableTime: true,
      Tags: [{ Key: 'fleetflow:created-by', Value: 'restore-1' }],
    });
    elapse(DB_RESTORE_SECONDS - 1);
    const stillCreating = describeDb(account, 'canonical-db-pitr').DBInstanceStatus;
    elapse(1);
    const available = describeDb(account, 'canonical-db-pitr');
    const db = account.databases.get('canonical-db-pitr')!;

    // Assess
    expect([output.DBInstance.DBInstanceStatus, stillCreating, available.DBInstanceStatus]).toEqual(['creating', 'creating', 'available']);
    expect(db.restoredFrom).toBe(`canonical-db@${new Date(NOW - 5 * 60_000).toISOString()}`);
    expect(db.schemaRelease).toBe('1.0.0');
    expect(db.definition).toMatchObject({ instanceClass: 'db.m6g.large', multiAz: false, subnetGroup: 'default', engine: 'postgres', engineVersion: '16.4' });
    expect(available.DBParameterGroups[0].DBParameterGroupName).toBe('default.postgres');
    expect(available.TagList).toEqual([{ Key: 'fleetflow:created-by', Value: 'restore-1' }]);
  });

  it('restores a time within the window with the settings it is given', () => {
    // Prepare
    const account = seed();
    const at = new Date(NOW - 2 * HOUR);

    // Act
    call(account, 'rds', 'RestoreDBInstanceToPointInTime', {
      SourceDBInstanceIdentifier: 'canonical-db', TargetDBInstanceIdentifier: 'canonical-db-pitr', RestoreTime: at,
      DBSubnetGroupName: 'canonical-db', VpcSecurityGroupIds: ['sg-0a1b2c3d4e5f60001'], DBParameterGroupName: 'canonical-postgres16', MultiAZ: true, DBInstanceClass: 'db.r6g.large',
    });

    // Assess
    const db = account.databases.get('canonical-db-pitr')!;
    expect(db.restoredFrom).toBe(`canonical-db@${at.toISOString()}`);
    expect(db.definition).toMatchObject({ subnetGroup: 'canonical-db', securityGroups: ['sg-0a1b2c3d4e5f60001'], parameterGroup: 'canonical-postgres16', multiAz: true, instanceClass: 'db.r6g.large' });
  });

  it.each([
    ['both times', { RestoreTime: new Date(NOW - HOUR), UseLatestRestorableTime: true }, 'InvalidParameterCombination', 'Exactly one of RestoreTime or UseLatestRestorableTime must be specified'],
    ['no time', {}, 'InvalidParameterCombination', 'Exactly one of RestoreTime or UseLatestRestorableTime must be specified'],
    [
      'a time before the window',
      { RestoreTime: new Date(NOW - 25 * HOUR) },
      'InvalidRestoreFault',
      `The restore time ${new Date(NOW - 25 * HOUR).toISOString()} is not within the restorable window of canonical-db (${new Date(NOW - 24 * HOUR).toISOString()} to ${new Date(NOW - 5 * 60_000).toISOString()})`,
    ],
    ['a time after it', { RestoreTime: new Date(NOW - 60_000) }, 'InvalidRestoreFault', 'is not within the restorable window of canonical-db'],
    ['an unknown source', { SourceDBInstanceIdentifier: 'nope', UseLatestRestorableTime: true }, 'DBInstanceNotFoundFault', 'DBInstance nope not found.'],
    ['a target in use', { TargetDBInstanceIdentifier: 'canonical-db', UseLatestRestorableTime: true }, 'DBInstanceAlreadyExistsFault', 'DB instance already exists'],
    ['a bad target', { TargetDBInstanceIdentifier: 'bad--name', UseLatestRestorableTime: true }, 'InvalidParameterValue', 'TargetDBInstanceIdentifier is not a valid identifier'],
    ['a missing subnet group', { DBSubnetGroupName: 'nope', UseLatestRestorableTime: true }, 'DBSubnetGroupNotFoundFault', "DBSubnetGroup 'nope' not found."],
    ['two sources', { SourceDbiResourceId: 'db-X', UseLatestRestorableTime: true }, 'InvalidParameterCombination', 'Exactly one of SourceDBInstanceIdentifier'],
  ])('refuses a point-in-time restore with %s', (_label, overrides, code, message) => {
    // Prepare
    const account = seed();
    const count = account.databases.size;

    // Act
    const error = refusal(() =>
      call(account, 'rds', 'RestoreDBInstanceToPointInTime', { SourceDBInstanceIdentifier: 'canonical-db', TargetDBInstanceIdentifier: 'canonical-db-pitr', ...overrides }),
    );

    // Assess
    expect(error.name).toBe(code);
    expect(error.message).toContain(message);
    expect(account.databases.size).toBe(count);
  });

  it('refuses a point-in-time restore of an instance without automated backups (PointInTimeRestoreNotEnabled)', () => {
    // Prepare: an instance restored during the run has no automated snapshot yet.
    const account = seed();
    restoreLatest(account, 'canonical-db-restored');

    // Act
    const error = refusal(() => call(account, 'rds', 'RestoreDBInstanceToPointInTime', { SourceDBInstanceIdentifier: 'canonical-db-restored', TargetDBInstanceIdentifier: 'x', UseLatestRestorableTime: true }));

    // Assess
    expect(error.name).toBe('PointInTimeRestoreNotEnabledFault');
  });
});

describe('disaster recovery: an account that lost every instance but kept its snapshots', () => {
  it('keeps all three snapshots and lists the lost instance\'s automated backup as retained, its window ending at the loss', () => {
    // Prepare
    const account = seed({ empty: true, keepSnapshots: true });

    // Act
    const snapshots = call(account, 'rds', 'DescribeDBSnapshots', { DBInstanceIdentifier: 'canonical-db' }).DBSnapshots;
    const [backup] = call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', { DBInstanceIdentifier: 'canonical-db' }).DBInstanceAutomatedBackups;
    const retained = call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', { Filters: [{ Name: 'status', Values: ['retained'] }] }).DBInstanceAutomatedBackups;

    // Assess
    expect(snapshots.map((s: { SnapshotType: string }) => s.SnapshotType).sort()).toEqual(['automated', 'automated', 'manual']);
    expect(backup).toMatchObject({ Status: 'retained', RestoreWindow: { EarliestTime: new Date(NOW - 24 * HOUR), LatestTime: new Date(NOW) } });
    expect(retained).toHaveLength(1);
  });

  it('restores the retained backup by resource ID, not by the identifier of the instance that is gone', () => {
    // Prepare
    const account = seed({ empty: true, keepSnapshots: true });
    const [backup] = call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', {}).DBInstanceAutomatedBackups;

    // Act
    const byIdentifier = refusal(() =>
      call(account, 'rds', 'RestoreDBInstanceToPointInTime', { SourceDBInstanceIdentifier: 'canonical-db', TargetDBInstanceIdentifier: 'canonical-db', UseLatestRestorableTime: true }),
    );
    call(account, 'rds', 'RestoreDBInstanceToPointInTime', { SourceDbiResourceId: backup.DbiResourceId, TargetDBInstanceIdentifier: 'canonical-db', UseLatestRestorableTime: true });
    elapse(DB_RESTORE_SECONDS);

    // Assess
    expect([byIdentifier.name, byIdentifier.$metadata?.httpStatusCode]).toEqual(['DBInstanceNotFoundFault', 404]);
    expect(describeDb(account, 'canonical-db').DBInstanceStatus).toBe('available');
    expect(account.databases.get('canonical-db')!.restoredFrom).toBe(`canonical-db@${new Date(NOW).toISOString()}`);
    // Its endpoint is the lost one's: the connection parameter points at it again.
    expect(account.connectedDatabase()).toBe('canonical-db');
    // The new instance is another instance: the retained backup is still the old one's.
    expect(call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', {}).DBInstanceAutomatedBackups.map((b: { Status: string }) => b.Status)).toEqual(['retained']);
  });
});

describe('RDS tags', () => {
  const ARN = 'arn:aws:rds:us-east-1:123456789012:db:canonical-db';

  it('adds tags to an instance by its ARN and lists them, without changing what it was created as', () => {
    // Prepare
    const account = seed();
    const definition = account.databases.get('canonical-db')!.definition;

    // Act
    call(account, 'rds', 'AddTagsToResource', { ResourceName: ARN, Tags: [{ Key: 'fleetflow:replaced-by', Value: 'restore-1' }] });
    call(account, 'rds', 'AddTagsToResource', { ResourceName: ARN, Tags: [{ Key: 'fleetflow:replaced-by', Value: 'restore-2' }, { Key: 'team', Value: 'data' }] });
    const listed = call(account, 'rds', 'ListTagsForResource', { ResourceName: ARN }).TagList;

    // Assess
    expect(listed).toEqual([{ Key: 'fleetflow:replaced-by', Value: 'restore-2' }, { Key: 'team', Value: 'data' }]);
    expect(describeDb(account, 'canonical-db').TagList).toEqual(listed);
    expect(account.databases.get('canonical-db')!.definition).toBe(definition);
  });

  it.each([
    ['arn:aws:rds:us-east-1:123456789012:db:nope', 'DBInstanceNotFoundFault', 404],
    ['arn:aws:rds:us-east-1:123456789012:cluster:canonical', 'InvalidParameterValue', 400],
    ['canonical-db', 'InvalidParameterValue', 400],
  ])('refuses %s', (ResourceName, code, status) => {
    // Prepare
    const account = seed();

    // Act
    const error = refusal(() => call(account, 'rds', 'AddTagsToResource', { ResourceName, Tags: [{ Key: 'k', Value: 'v' }] }));

    // Assess
    expect([error.name, error.$metadata?.httpStatusCode]).toEqual([code, status]);
  });
});

describe('restore faults', () => {
  it('restore-fail: every restore, from a snapshot or a point in time, ends incompatible-restore and never serves', () => {
    // Prepare
    const account = seed({}, ['restore-fail']);
    const snapshot = 'canonical-db-manual-before-release';

    // Act
    call(account, 'rds', 'RestoreDBInstanceFromDBSnapshot', { DBInstanceIdentifier: 'from-snapshot', DBSnapshotIdentifier: snapshot });
    restoreLatest(account, 'from-pitr', false);
    const creating = [describeDb(account, 'from-snapshot').DBInstanceStatus, describeDb(account, 'from-pitr').DBInstanceStatus];
    elapse(DB_RESTORE_SECONDS + 3600);
    const after = [describeDb(account, 'from-snapshot').DBInstanceStatus, describeDb(account, 'from-pitr').DBInstanceStatus];

    // Assess
    expect(creating).toEqual(['creating', 'creating']);
    expect(after).toEqual(['incompatible-restore', 'incompatible-restore']);
    // An instance that never served does not count against dbAvailableThroughout.
    expect([...account.databases.values()].every((d) => d.availableThroughout)).toBe(true);
  });

  it('no-snapshot: no snapshot at all, no automated backup, backups reported off', () => {
    // Prepare
    const account = seed({}, ['no-snapshot']);

    // Act
    const snapshots = call(account, 'rds', 'DescribeDBSnapshots', {}).DBSnapshots;
    const backups = call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', {}).DBInstanceAutomatedBackups;
    const pitr = refusal(() => restoreLatest(account));
    const described = describeDb(account, 'canonical-db');

    // Assess
    expect([snapshots, backups]).toEqual([[], []]);
    expect(pitr.name).toBe('PointInTimeRestoreNotEnabledFault');
    expect(described.BackupRetentionPeriod).toBe(0);
    expect(described.LatestRestorableTime).toBeUndefined();
  });

  it('no-snapshot in an account that lost its instance: nothing is left to restore', () => {
    // Prepare
    const account = seed({ empty: true, keepSnapshots: true }, ['no-snapshot']);

    // Act
    const error = refusal(() => call(account, 'rds', 'DescribeDBInstanceAutomatedBackups', { DBInstanceIdentifier: 'canonical-db' }));

    // Assess
    expect(error.name).toBe('DBInstanceAutomatedBackupNotFoundFault');
    expect(account.snapshots.size).toBe(0);
  });

  it('parses the restore faults, and refuses bad specs helpfully', () => {
    // Prepare
    const hosts = new Set(['web-1', 'mid-1']);
    const parse = (specs: string[]) => parseFaults(specs, hosts, new Set(), undefined, faultScope(canonical));

    // Act
    const faults = parse(['restore-fail', 'restored-db-invalid', 'no-snapshot', 'reconfigure-fail:web-1', 'reconfigure-fail:web-5']);

    // Assess
    expect([faults.restoreFail, faults.restoredDbInvalid, faults.noSnapshot]).toEqual([true, true, true]);
    expect(faults.reconfigureFail).toEqual(new Set(['web-1', 'web-5']));
    expect(() => parse(['reconfigure-fail:db-1'])).toThrow(InvalidFaultError);
    expect(() => parse(['reconfigure-fail:db-1'])).toThrow('no simulated host is named "db-1"');
    expect(() => parse(['restore-fail:canonical-db'])).toThrow('restore-fail names nothing; use --fault restore-fail');
  });
});

describe('the data report', () => {
  it('reports the new database, the old one unchanged but tagged, and the database each host of the restore tiers uses', () => {
    // Prepare
    const account = seed();
    const before = captureDatabases(account);
    const restored = restoreLatest(account);
    call(account, 'rds', 'AddTagsToResource', { ResourceName: 'arn:aws:rds:us-east-1:123456789012:db:canonical-db', Tags: [{ Key: 'fleetflow:replaced-by', Value: 'restore-1' }] });
    point(account, endpointOf(account.databases.get(restored)!));
    reconfigure(account, [hostNamed(account, 'web-1'), hostNamed(account, 'mid-1')]);
    elapse(SSM_DELIVERY_SECONDS + RECONFIGURE_SECONDS);

    // Act
    const report = dataReport(account, before, Date.now());

    // Assess
    expect(before.connectedTo).toBe('canonical-db');
    expect(report.newDatabase).toEqual({
      identifier: restored, status: 'available', restoredFrom: expect.stringMatching(/^canonical-db@/), instanceClass: 'db.m6g.large', multiAz: false,
      subnetGroup: 'default', securityGroups: ['sg-0default00000001'], parameterGroup: 'default.postgres',
    });
    expect(report.oldDatabase).toEqual({ identifier: 'canonical-db', unchanged: true, status: 'available', tags: { 'fleetflow:replaced-by': 'restore-1' } });
    expect(report.hostsOnDatabase).toEqual({ 'mid-1': restored, 'mid-2': 'canonical-db', 'web-1': restored, 'web-2': 'canonical-db' });
  });

  it('reports the old database changed when its data changed, and no new database when none was created', () => {
    // Prepare
    const account = seed();
    const before = captureDatabases(account);
    const mid = hostNamed(account, 'mid-1');
    send(account, 'FleetFlow-ApplyMigration', [mid], { release: ['2.0.0'], databaseSecret: ['/canonical/database/migrator-password'] });
    elapse(SSM_DELIVERY_SECONDS + MIGRATION_SECONDS);

    // Act
    const report = dataReport(account, before, Date.now());

    // Assess
    expect(report.newDatabase).toBeNull();
    expect(report.oldDatabase).toMatchObject({ identifier: 'canonical-db', unchanged: false });
  });

  it('reports no old database when the connection parameter pointed at nothing (disaster recovery)', () => {
    // Prepare
    const account = seed({ empty: true, keepSnapshots: true });
    const before = captureDatabases(account);

    // Act
    const report = dataReport(account, before, Date.now());

    // Assess
    expect([before.connection, before.connectedTo, report.oldDatabase]).toEqual([OLD_ENDPOINT, null, null]);
    expect(report.hostsOnDatabase).toEqual({});
  });
});
