/**
 * The data workflows end to end, on the simulated account: restore-data puts the
 * environment's data back into a NEW instance (from the newest snapshot, a snapshot by
 * identifier, or a point in time inside the restorable window), checks it, repoints every
 * host that uses the database in rolling batches and records it, the old instance kept and
 * tagged; a failure before the repoint changes nothing, one during it points every host
 * back. Recover rebuilds a lost environment: every tier, the data, the recorded release.
 *
 * Every expectation is read from the simulated account (databases, snapshots, parameters,
 * hosts, the lock table) or from the report the simulator derives from it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_SENT_TAG, DATABASE_TAG, REPLACED_AT_TAG, REPLACED_BY_TAG, REPLACED_REASON_TAG } from '../../../lambdas/domain/contract/tags';
import { databaseParameterName, releaseParameterName } from '../../../lambdas/domain/contract/records';
import { isHostTier } from '../../../lambdas/domain/environment/model';
import { type SimulatedAccount, databaseAtEndpoint, endpointOf } from '../../../lib/simulator/account';
import { automatedBackups, DB_RESTORE_SECONDS, loseDatabase } from '../../../lib/simulator/services/rds';
import { failedStates } from '../../../lib/simulator/campaign';
import { noFaults } from '../../../lib/simulator/faults';
import { LOCK_TABLE_NAME, seedAccount } from '../../../lib/simulator/fleet';
import type { ExecutionEvent } from '../../../lib/simulator/progress';
import { simulateExecutions, SIMULATION_EPOCH, type SimulationReport } from '../../../lib/simulator/simulate';
import { canonical, host } from '../helpers';

const RESTORE = canonical.tiers.find((t) => !isHostTier(t) && t.database.restore);
if (!RESTORE || isHostTier(RESTORE) || !RESTORE.database.restore) throw new Error('the canonical environment defines no database.restore');
const DATA = RESTORE.database;
const CONNECTION = DATA.restore!.connectionParameter;
/** The host tiers that use the database: web and middle. */
const RESTORE_TIERS = DATA.restore!.tiers;
const RECORD = databaseParameterName(canonical.name);
const RELEASE_RECORD = releaseParameterName(canonical.name, 'application', 'current');

/** What the account held before anything ran (captured in `prepare`, on the virtual clock). */
interface Before {
  readonly connection: string | undefined;
  readonly record: string | undefined;
  readonly recordedRelease: string | undefined;
  readonly databases: string[];
  /** The restorable window of the environment's instance (virtual ms), when it has one. */
  readonly window?: { earliest: number; latest: number; status: string };
  /** Snapshots of the environment's instance, newest first. */
  readonly snapshots: Array<{ id: string; createdAt: number; type: string }>;
}

interface Run {
  readonly report: SimulationReport;
  readonly account: SimulatedAccount;
  readonly events: ExecutionEvent[];
  /** The child executions' histories (rollout segments). */
  readonly childEvents: ExecutionEvent[][];
  readonly before: Before;
}

async function run(
  workflow: 'restore-data' | 'recover',
  input: unknown,
  faults: string[] = [],
  options: { empty?: boolean; keepSnapshots?: boolean; onProgress?: (line: string) => void } = {},
): Promise<Run> {
  let before!: Before;
  const result = await simulateExecutions({
    environment: canonical,
    input,
    workflow,
    faults,
    ...options,
    executions: [{ input }],
    prepare: (account) => {
      const backup = automatedBackups(account).find((b) => b.identifier === DATA.instanceIdentifier);
      before = {
        connection: account.parameters.get(CONNECTION)?.value,
        record: account.parameters.get(RECORD)?.value,
        recordedRelease: account.parameters.get(RELEASE_RECORD)?.value,
        databases: [...account.databases.keys()],
        ...(backup ? { window: { earliest: backup.earliest, latest: backup.latest, status: backup.status } } : {}),
        snapshots: [...account.snapshots.values()]
          .filter((s) => s.instance === DATA.instanceIdentifier)
          .sort((a, b) => b.createdAt - a.createdAt)
          .map((s) => ({ id: s.id, createdAt: s.createdAt, type: s.type ?? 'manual' })),
      };
    },
  });
  return { report: result.reports[0]!, account: result.account, events: result.events[0]!, childEvents: result.childEvents[0] ?? [], before };
}

const restoreHosts = (report: SimulationReport) => report.hosts.filter((h) => RESTORE_TIERS.includes(h.tier));
const entered = (events: ExecutionEvent[], state: string) => events.some((e) => e.type === 'StateEntered' && e.state?.name === state);
const iso = (ms: number) => new Date(ms).toISOString();

/** Every web and middle host runs and uses `database`; the report lists exactly those hosts. */
function expectEveryHostOn(report: SimulationReport, database: string) {
  const hosts = restoreHosts(report);
  expect(hosts.length, 'hosts of the restore tiers').toBeGreaterThan(0);
  expect(new Set(hosts.map((h) => h.tier)), 'every restore tier has hosts').toEqual(new Set(RESTORE_TIERS));
  expect(Object.keys(report.hostsOnDatabase ?? {}).sort(), 'every running host of the restore tiers is reported').toEqual(hosts.map((h) => h.name).sort());
  for (const h of hosts) {
    expect(report.hostsOnDatabase?.[h.name], `${h.name} database`).toBe(database);
    expect(h.inService, `${h.name} in service`).toBe(true);
  }
}

/** FleetFlow's record on each host (its fleetflow:database tag) is the database it really uses; no reconfigure left marked as sent. */
function expectHostRecordsTrue(account: SimulatedAccount) {
  const hosts = [...account.hosts.values()].filter((h) => RESTORE_TIERS.includes(h.tier) && h.state === 'running');
  expect(hosts.length).toBeGreaterThan(0);
  for (const h of hosts) {
    expect(h.tags.get(DATABASE_TAG) ?? h.database, `${h.name} record`).toBe(h.database);
    expect(h.tags.has(DATABASE_SENT_TAG), `${h.name} still marked ${DATABASE_SENT_TAG}`).toBe(false);
  }
}

/** Never fewer hosts in service than the release's capacity rules allow, in every restore tier. */
function expectCapacityKept(report: SimulationReport) {
  for (const tier of RESTORE_TIERS) {
    const required = report.minHealthyRequired[tier];
    expect(required, `${tier}: a minimum in service was planned`).toBeGreaterThanOrEqual(1);
    expect(report.minInService[tier], `${tier} capacity`).toBeGreaterThanOrEqual(required!);
  }
}

/** Nothing a host uses moved: the connection parameter, the current record, the old instance untagged and unchanged. */
function expectNothingRepointed({ report, account, before }: Run) {
  expect(report.oldDatabase?.identifier).toBe(DATA.instanceIdentifier);
  expectEveryHostOn(report, report.oldDatabase!.identifier);
  expect(account.parameters.get(CONNECTION)?.value, 'connection parameter unchanged').toBe(before.connection);
  expect(databaseAtEndpoint(account, account.parameters.get(CONNECTION)!.value)?.identifier, 'it still names the old instance').toBe(report.oldDatabase!.identifier);
  expect(account.parameters.get(RECORD)?.value, 'current database record unchanged').toBe(before.record);
  expect([undefined, report.oldDatabase!.identifier]).toContain(account.parameters.get(RECORD)?.value);
  expect(report.oldDatabase?.unchanged).toBe(true);
  expect(report.oldDatabase?.status).toBe('available');
  for (const tag of [REPLACED_BY_TAG, REPLACED_AT_TAG, REPLACED_REASON_TAG]) expect(report.oldDatabase?.tags, `old database tagged ${tag}`).not.toHaveProperty([tag]);
  expect(account.table(LOCK_TABLE_NAME).size, 'lock released').toBe(0);
}

/** A refusal: failed at the plan, before the lock, before any database or host changed. */
function expectRefusedBeforeAnything({ report, account, events, before }: Run) {
  expect(report.newDatabase, 'no new database').toBeNull();
  expect([...account.databases.keys()].sort()).toEqual([...before.databases].sort());
  expect(entered(events, 'Acquire Lock'), 'the lock was never taken').toBe(false);
  expect(account.table(LOCK_TABLE_NAME).size, 'no lock left').toBe(0);
  expect(account.calls.get('ssm:SendCommand') ?? 0, 'no command sent to any host').toBe(0);
  expect(report.notifications).toEqual(['Failed']);
  expect(report.cause).toContain('nothing was changed');
  expectNothingRepointed({ report, account, events, childEvents: [], before });
}

describe('restore-data --source latest-snapshot', () => {
  let r: Run;
  beforeAll(async () => {
    r = await run('restore-data', { source: 'latest-snapshot' });
  });

  it('succeeds, restoring the newest snapshot (automated or manual) into a new, available instance', () => {
    const { report, account, before } = r;

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    // The seeded account holds automated and manual snapshots: the newest wins, whatever its type.
    expect(new Set(before.snapshots.map((s) => s.type))).toEqual(new Set(['automated', 'manual']));
    const newest = before.snapshots[0]!;
    const newestManual = before.snapshots.find((s) => s.type === 'manual')!;
    expect(newest.createdAt).toBeGreaterThan(newestManual.createdAt);
    expect(report.newDatabase).not.toBeNull();
    expect(report.newDatabase!.identifier).not.toBe(DATA.instanceIdentifier);
    expect(before.databases, 'a new instance, not one that existed').not.toContain(report.newDatabase!.identifier);
    expect(report.newDatabase!.status).toBe('available');
    expect(report.newDatabase!.restoredFrom).toBe(newest.id);
    expect(account.databases.get(report.newDatabase!.identifier)?.restoredFrom).toBe(newest.id);
    expect(account.calls.get('rds:RestoreDBInstanceFromDBSnapshot')).toBe(1);
  });

  it("gives the new instance the old one's settings, passed explicitly rather than RDS's restore defaults", () => {
    const { report, account } = r;
    const old = account.databases.get(report.oldDatabase!.identifier)!.definition!;

    expect(old, 'the old instance has a definition to compare').toBeDefined();
    expect(report.newDatabase).toMatchObject({
      instanceClass: old.instanceClass,
      multiAz: old.multiAz,
      subnetGroup: old.subnetGroup,
      securityGroups: [...old.securityGroups],
      parameterGroup: old.parameterGroup,
    });
    // The old instance's settings are not RDS's restore defaults (the default subnet group and
    // parameter group, Single-AZ), so a restore that left them out would show here.
    expect(old.subnetGroup).not.toBe('default');
    expect(old.parameterGroup ?? 'default.').not.toMatch(/^default\./);
    expect(old.multiAz).toBe(true);
  });

  it('moves every web and middle host onto the new instance, each in service, never below the tier\'s minimum', () => {
    const { report } = r;

    expectEveryHostOn(report, report.newDatabase!.identifier);
    expectCapacityKept(report);
    expect(report.dbAvailableThroughout).toBe(true);
    // The record on every host names the new instance.
    expectHostRecordsTrue(r.account);
    for (const h of restoreHosts(report)) expect(r.account.hosts.get(h.id)?.tags.get(DATABASE_TAG), h.name).toBe(report.newDatabase!.identifier);
  });

  it('keeps the old instance as it was, tagged with who replaced it, when and why', () => {
    const { report, account, events } = r;
    const old = report.oldDatabase!;

    expect(old.identifier).toBe(DATA.instanceIdentifier);
    expect(old.unchanged).toBe(true);
    expect(old.status).toBe('available');
    expect(old.tags[REPLACED_BY_TAG]).toBe(report.executionName);
    const replacedAt = Date.parse(old.tags[REPLACED_AT_TAG] ?? '');
    expect(replacedAt, 'replaced-at is a time during the run').toBeGreaterThanOrEqual(events[0]!.timestamp);
    expect(replacedAt).toBeLessThanOrEqual(events.at(-1)!.timestamp);
    expect(old.tags[REPLACED_REASON_TAG]).toContain(report.newDatabase!.identifier);
    expect(account.databases.has(old.identifier)).toBe(true);
  });

  it('records the new instance as current and points the connection parameter at its endpoint; the lock is released', () => {
    const { report, account, before } = r;
    const created = account.databases.get(report.newDatabase!.identifier)!;

    expect(before.record, 'the record differed before').not.toBe(report.newDatabase!.identifier);
    expect(account.parameters.get(RECORD)?.value).toBe(report.newDatabase!.identifier);
    expect(account.parameters.get(CONNECTION)?.value).not.toBe(before.connection);
    expect(account.parameters.get(CONNECTION)?.value).toBe(endpointOf(created));
    expect(databaseAtEndpoint(account, account.parameters.get(CONNECTION)!.value)?.identifier).toBe(report.newDatabase!.identifier);
    expect(account.table(LOCK_TABLE_NAME).size).toBe(0);
    expect(report.notifications).toEqual(['Started', 'Succeeded']);
  });
});

describe('restore-data from a named snapshot', () => {
  let r: Run;
  let manualId: string;
  beforeAll(async () => {
    // The manual snapshot, older than the newest automated one: naming it must restore it, not the newest.
    const snapshots = [...seedAccount(canonical, noFaults()).snapshots.values()].filter((s) => s.instance === DATA.instanceIdentifier);
    manualId = snapshots.find((s) => s.type === 'manual')!.id;
    r = await run('restore-data', { source: manualId });
  });

  it('restores exactly that snapshot into a new instance and repoints every host onto it', () => {
    const { report, account, before } = r;
    const manual = before.snapshots.find((s) => s.id === manualId);

    expect(manual?.type, 'the account holds that manual snapshot').toBe('manual');
    expect(before.snapshots[0]!.id, 'it is not the newest').not.toBe(manualId);
    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(report.newDatabase!.restoredFrom).toBe(manualId);
    expect(account.databases.get(report.newDatabase!.identifier)?.restoredFrom).toBe(manualId);
    expect((report.output as { recoveryPointTime?: string }).recoveryPointTime).toBe(iso(manual!.createdAt));
    expectEveryHostOn(report, report.newDatabase!.identifier);
    expectCapacityKept(report);
    expect(account.parameters.get(RECORD)?.value).toBe(report.newDatabase!.identifier);
  });
});

describe('restore-data to a point in time inside the restorable window', () => {
  let r: Run;
  let wanted: number;
  beforeAll(async () => {
    // 30 minutes before the simulation starts; checked below against the window the account reports.
    wanted = SIMULATION_EPOCH - 30 * 60 * 1000;
    r = await run('restore-data', { source: { pointInTime: iso(wanted) } });
  });

  it('picks a time the account reports inside the window', () => {
    expect(r.before.window, 'the instance has a restorable window').toBeDefined();
    expect(wanted).toBeGreaterThanOrEqual(r.before.window!.earliest);
    expect(wanted).toBeLessThanOrEqual(r.before.window!.latest);
  });

  it('restores with RestoreDBInstanceToPointInTime into a new instance, restored from <instance>@<time>, and repoints every host', () => {
    const { report, account } = r;

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(account.calls.get('rds:RestoreDBInstanceToPointInTime')).toBe(1);
    expect(account.calls.get('rds:RestoreDBInstanceFromDBSnapshot') ?? 0).toBe(0);
    expect(report.newDatabase!.restoredFrom).toBe(`${DATA.instanceIdentifier}@${iso(wanted)}`);
    expect(report.newDatabase!.status).toBe('available');
    const old = account.databases.get(DATA.instanceIdentifier)!.definition!;
    expect(report.newDatabase).toMatchObject({ instanceClass: old.instanceClass, multiAz: old.multiAz, subnetGroup: old.subnetGroup, parameterGroup: old.parameterGroup });
    expectEveryHostOn(report, report.newDatabase!.identifier);
    expectCapacityKept(report);
    expect(report.oldDatabase?.unchanged).toBe(true);
    expect(report.oldDatabase?.tags[REPLACED_BY_TAG]).toBe(report.executionName);
  });
});

describe('restore-data --source latest, with automated backups', () => {
  it('restores the latest restorable time, not the hour-older newest snapshot, and says what it loses before it starts', async () => {
    const lines: string[] = [];
    const r = await run('restore-data', { source: 'latest' }, [], { onProgress: (line) => lines.push(line) });
    const { report, account, before } = r;
    // Said when the restore starts: the recovery point and the writes after it (five minutes: LatestRestorableTime's lag).
    const restoring = lines.find((l) => l.includes('database: restoring'));
    expect(restoring).toContain(`${DATA.instanceIdentifier} as of ${iso(before.window!.latest).replace('.000Z', 'Z')}`);
    expect(restoring).toMatch(/\(loses 5 min of writes and any until the repoint\)$/);
    expect(lines.indexOf(restoring!)).toBeLessThan(lines.findIndex((l) => l.includes('available; checking it')));

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(account.calls.get('rds:RestoreDBInstanceToPointInTime')).toBe(1);
    expect(account.calls.get('rds:RestoreDBInstanceFromDBSnapshot') ?? 0).toBe(0);
    // The end of the restorable window when the restore was planned: newer than any snapshot.
    expect(report.recoveryPointTime).toBe(iso(before.window!.latest));
    expect(before.window!.latest).toBeGreaterThan(before.snapshots[0]!.createdAt);
    expect(report.newDatabase!.restoredFrom).toBe(`${DATA.instanceIdentifier}@${iso(before.window!.latest)}`);
    expectEveryHostOn(report, report.newDatabase!.identifier);
  });
});

describe('restore-data: restored-db-invalid', () => {
  let r: Run;
  beforeAll(async () => {
    r = await run('restore-data', { source: 'latest' }, ['restored-db-invalid']);
  });

  it('fails RestoredDataInvalidError before any host is repointed; the old database stays current and untagged', () => {
    const { report } = r;

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('RestoredDataInvalidError');
    expect(report.cause).toContain('no host was repointed');
    // The restored instance is kept for inspection.
    expect(report.newDatabase?.status).toBe('available');
    expect(report.cause).toContain(report.newDatabase!.identifier);
    expectNothingRepointed(r);
    expectCapacityKept(report);
    expect(report.notifications).toEqual(['Started', 'Failed']);
  });
});

describe('restore-data: reconfigure-fail:web-2', () => {
  let r: Run;
  beforeAll(async () => {
    r = await run('restore-data', { source: 'latest' }, ['reconfigure-fail:web-2']);
  });

  it('fails ReconfigureFailedError, naming web-2 and saying every host that moved was pointed back', () => {
    const { report } = r;

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('ReconfigureFailedError');
    expect(report.cause).toContain('web-2');
    expect(report.cause).toContain(`pointed back to ${report.oldDatabase!.identifier}`);
  });

  it('leaves every web and middle host on the old database and in service; the connection parameter and record as before', () => {
    const { report, account } = r;

    // Some hosts did move (the middle tier goes first), so the repoint back had work to do.
    const movedCommands = [...account.commands.values()].filter((c) => c.document === DATA.restore!.reconfigure.document);
    expect(movedCommands.length, 'reconfigure commands were sent').toBeGreaterThan(0);
    expectNothingRepointed(r);
    for (const h of restoreHosts(report)) expect(h.inService, `${h.name} in service`).toBe(true);
    expectHostRecordsTrue(account);
  });

  it('never drops a tier below its minimum in service, through the repoint and the repoint back', () => {
    expectCapacityKept(r.report);
    expect(r.report.dbAvailableThroughout).toBe(true);
  });
});

describe('restore-data: the point back fails on a host the repoint left out of traffic', () => {
  let r: Run;
  beforeAll(async () => {
    // mid-1's reconfigure for the new database fails (its service stays down), then pointing it back fails too.
    r = await run('restore-data', { source: 'latest' }, ['reconfigure-fail:mid-1', 'error:Reconfigure Repoint Back Batch@1']);
  });

  it('fails RepointFailedError, its cause naming mid-1 as possibly out of traffic', () => {
    const { report } = r;

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('RepointFailedError');
    expect(host(report, 'mid-1').inService).toBe(false);
    expect(report.cause).toMatch(/on tier middle, mid-1 \(i-[0-9a-f]+\) could not be put back in service and may be out of traffic/);
  });
});

describe('restore-data: a failure once every host has moved (during the bake)', () => {
  let r: Run;
  beforeAll(async () => {
    // Check Bake fails three times in a row (its retries used up): after the last batch, before Record Database.
    r = await run('restore-data', { source: 'latest' }, ['error:Repoint Check Bake@1', 'error:Repoint Check Bake@2', 'error:Repoint Check Bake@3']);
  });

  it('points every host back to the old database, in service, never below the minimum; records nothing', () => {
    const { report, account } = r;

    expect(report.status).toBe('FAILED');
    // The cause names the error and the scope; the state that failed is in the history.
    expect(report.cause).toContain('a state failed unexpectedly with TypeError repointing the hosts');
    expect(failedStates(r.events, r.childEvents)).toContainEqual({ state: 'Repoint Check Bake', error: 'TypeError' });
    expect(report.cause).toContain(`pointed back to ${report.oldDatabase!.identifier}`);
    // Every host had moved: one reconfigure per host to the new instance, then one back.
    const reconfigured = [...account.commands.values()].filter((c) => c.document === DATA.restore!.reconfigure.document).flatMap((c) => [...c.invocations.keys()]);
    const hosts = restoreHosts(report);
    for (const h of hosts) expect(reconfigured.filter((id) => id === h.id), `${h.name} reconfigured there and back`).toHaveLength(2);
    expectNothingRepointed(r);
    expectHostRecordsTrue(account);
    expectCapacityKept(report);
  });
});

describe('restore-data refusals', () => {
  it('a point in time outside the window (2020-01-01T00:00:00Z): InvalidInputError naming both bounds, before anything changed', async () => {
    const r = await run('restore-data', { source: { pointInTime: '2020-01-01T00:00:00Z' } });

    expect(r.report.status).toBe('FAILED');
    expect(r.report.error).toBe('InvalidInputError');
    expect(r.before.window, 'the instance has a restorable window').toBeDefined();
    expect(r.report.cause).toContain('2020-01-01T00:00:00Z');
    expect(r.report.cause).toContain(iso(r.before.window!.earliest));
    expect(r.report.cause).toContain(iso(r.before.window!.latest));
    expect(r.account.calls.get('rds:RestoreDBInstanceToPointInTime') ?? 0).toBe(0);
    expectRefusedBeforeAnything(r);
  });

  it('no-snapshot with source latest (no automated backups either): NoSnapshotError, before anything changed', async () => {
    const r = await run('restore-data', { source: 'latest' }, ['no-snapshot']);

    expect(r.report.status).toBe('FAILED');
    expect(r.report.error).toBe('NoSnapshotError');
    expect(r.report.cause).toContain(DATA.instanceIdentifier);
    expect(r.report.cause).toContain('no automated backups');
    expectRefusedBeforeAnything(r);
  });

  it('a snapshot that does not exist: NoSnapshotError, before anything changed', async () => {
    const r = await run('restore-data', { source: 'canonical-db-no-such-snapshot' });

    expect(r.report.error).toBe('NoSnapshotError');
    expect(r.report.cause).toContain('canonical-db-no-such-snapshot');
    expectRefusedBeforeAnything(r);
  });
});

describe('restore-data: restore-fail', () => {
  it('fails DatabaseRestoreFailedError; nothing repointed, the old database current and untagged', async () => {
    const r = await run('restore-data', { source: 'latest' }, ['restore-fail']);

    expect(r.report.status).toBe('FAILED');
    expect(r.report.error).toBe('DatabaseRestoreFailedError');
    expect(r.report.newDatabase?.status, 'the restore never became available').not.toBe('available');
    expect(r.account.calls.get('ssm:SendCommand') ?? 0, 'neither the check nor a reconfigure was sent').toBe(0);
    expectNothingRepointed(r);
    expectCapacityKept(r.report);
  });
});

describe('restore-data: RDS throttled while the restore is polled', () => {
  it('rides out two and a half minutes of throttling inside the restore\'s timeout, and succeeds', async () => {
    // Every RDS call from 590 s to 740 s is throttled: the first look at the restore (600 s) and the next ones.
    const r = await run('restore-data', { source: 'latest' }, ['throttle:rds@590+150']);

    expect(r.report.status, `${r.report.error}: ${r.report.cause}`).toBe('SUCCEEDED');
    expect(r.account.calls.get('rds:DescribeDBInstances') ?? 0).toBeGreaterThan(0);
    expect(r.report.throttledCalls, 'the looks were throttled, not missed').toBeGreaterThan(6);
    expectCapacityKept(r.report);
  });
});

describe('recover on an account that lost everything but its snapshots', () => {
  let r: Run;
  beforeAll(async () => {
    r = await run('recover', {}, [], { empty: true, keepSnapshots: true });
  });

  it('succeeds: every tier built to its count, in service, on the recorded release', () => {
    const { report, before } = r;

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(before.databases, 'the database was lost').toEqual([]);
    expect(before.recordedRelease, 'a release is recorded').toBeDefined();
    for (const tier of canonical.tiers.filter(isHostTier)) {
      const hosts = report.hosts.filter((h) => h.tier === tier.name);
      expect(hosts, tier.name).toHaveLength(tier.count!);
      for (const h of hosts) {
        expect(h.inService, `${h.name} in service`).toBe(true);
        expect(h.version, `${h.name} runs the recorded release`).toBe(before.recordedRelease);
        expect(h.recordedVersion, `${h.name} records it`).toBe(before.recordedRelease);
        expect(h.halfInstalled).toBe(false);
      }
    }
    expect(report.recordedRelease).toBe(before.recordedRelease);
  });

  it('restores the newest snapshot into a new instance, and every web and middle host uses it', () => {
    const { report, account, before } = r;

    expect(report.newDatabase?.status).toBe('available');
    expect(report.newDatabase!.restoredFrom).toBe(before.snapshots[0]!.id);
    expectEveryHostOn(report, report.newDatabase!.identifier);
    expect(account.parameters.get(RECORD)?.value).toBe(report.newDatabase!.identifier);
    expect(account.parameters.get(CONNECTION)?.value).toBe(endpointOf(account.databases.get(report.newDatabase!.identifier)!));
    expect(account.table(LOCK_TABLE_NAME).size).toBe(0);
  });

  it("reports the recovery point (the restored snapshot's creation time) and the recovery time (the makespan)", () => {
    const { report, account } = r;
    const snapshot = account.snapshots.get(report.newDatabase!.restoredFrom!);

    expect(snapshot, 'the restored snapshot exists').toBeDefined();
    expect(report.recoveryPointTime).toBe(iso(snapshot!.createdAt));
    expect(report.recoveryTimeSeconds).toBeGreaterThan(0);
    expect(Math.abs(report.recoveryTimeSeconds! - report.makespanSeconds)).toBeLessThanOrEqual(1);
  });

  it('restores while the hosts launch, and points them at the restored instance before they first serve: no repoint, no restore-data part', () => {
    const { report, account, events } = r;
    const restored = account.databases.get(report.newDatabase!.identifier)!;
    const serves = restored.servesFrom!;

    expect(serves, 'the restored instance serves from some instant').toBeGreaterThan(0);
    expect(entered(events, 'Restored By Allocate'), 'allocate restored the data').toBe(true);
    expect(entered(events, 'Restore Environment Data'), 'no restore-data part repointed anything').toBe(false);
    for (const h of [...account.hosts.values()].filter((x) => x.tier === 'web' || x.tier === 'middle')) {
      // Launched before the restored instance was available: the two overlapped.
      expect(h.launchedAt, `${h.name} launched while the data was restored`).toBeLessThan(serves);
      // Its service was configured for the restored instance at its first install, before it ever served.
      const firstHealthy = h.healthTimeline.find((t) => t.healthy)?.at;
      expect(firstHealthy, `${h.name} served only once the restored instance did`).toBeGreaterThanOrEqual(serves);
      expect(h.database).toBe(restored.identifier);
    }
  });

  it('reports its lower bound, the sum over its critical path (the restore, the check, the slowest tier set up and in service), within 1.02 of what it took', () => {
    const { report } = r;

    expect(report.lowerBoundSeconds).toBeGreaterThan(DB_RESTORE_SECONDS);
    expect(report.lowerBoundSeconds).toBeLessThanOrEqual(report.makespanSeconds);
    expect(report.makespanSeconds).toBeLessThanOrEqual(1.02 * report.lowerBoundSeconds);
  });
});

describe('recover when the database was lost but the hosts that use it remain', () => {
  it('keeps them serving: allocate leaves the database alone, then restore-data repoints every host in rolling batches', async () => {
    // The seeded account records no release; the hosts run 1.0.0.
    const input = { release: '1.0.0' };
    const { reports, events, account } = await simulateExecutions({
      environment: canonical,
      input,
      workflow: 'recover',
      executions: [{ input }],
      prepare: (a) => loseDatabase(a, a.databases.get(DATA.instanceIdentifier)!, a.startedAt),
    });
    const report = reports[0]!;

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(entered(events[0]!, 'Restore Environment Data'), 'the restore-data part ran').toBe(true);
    expect(entered(events[0]!, 'Restored By Allocate')).toBe(false);
    expect(report.compute?.launched, 'every tier had its count').toEqual([]);
    expectEveryHostOn(report, report.newDatabase!.identifier);
    expect(account.parameters.get(RECORD)?.value).toBe(report.newDatabase!.identifier);
  });
});

describe('recover with no snapshot', () => {
  it('is refused NoSnapshotError before anything is launched', async () => {
    const { report, account, events } = await run('recover', {}, ['no-snapshot'], { empty: true, keepSnapshots: true });

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('NoSnapshotError');
    expect(report.cause).toContain('nothing was changed');
    expect(account.hosts.size, 'no instance launched').toBe(0);
    expect(account.calls.get('ec2:RunInstances') ?? 0).toBe(0);
    expect(account.databases.size, 'no database created or restored').toBe(0);
    expect(report.childExecutions, 'no part started').toBe(0);
    expect(entered(events, 'Allocate Environment')).toBe(false);
    expect(report.notifications).toEqual(['Failed']);
  });
});

describe("recover when the allocate's lock cannot be released (unlock-throttle:26)", () => {
  it('goes on: the allocate did its part (its hosts on the restored data), the release takes the lock over, and the recovery succeeds with every host on the new database', async () => {
    const { report, account, events } = await run('recover', {}, ['unlock-throttle:26'], { empty: true, keepSnapshots: true });

    expect(entered(events, 'Allocate Done But Locked?'), "the allocate part ended LockNotReleasedError").toBe(true);
    expect(report.status).toBe('SUCCEEDED');
    const restored = report.newDatabase!.identifier;
    expect(Object.values(report.hostsOnDatabase ?? {}).length).toBeGreaterThan(0);
    expect(Object.entries(report.hostsOnDatabase ?? {}).filter(([, db]) => db !== restored)).toEqual([]);
    expect(account.tables.get(LOCK_TABLE_NAME)?.size ?? 0, 'the lock is free at the end').toBe(0);
  });
});

describe('recover from a point in time after the instance was lost', () => {
  it('either restores it or is refused before anything is launched: never a half-built environment said to be unchanged', async () => {
    // The instance is gone: RDS restores its retained automated backup only by resource ID or backup ARN,
    // and the time picked lies inside that backup's window (it ends when the instance was lost).
    const wanted = SIMULATION_EPOCH - 30 * 60 * 1000;
    const { report, account, before } = await run('recover', { source: { pointInTime: iso(wanted) } }, [], { empty: true, keepSnapshots: true });

    expect(before.databases, 'the database was lost').toEqual([]);
    expect(before.window?.status, 'its automated backup is retained').toBe('retained');
    expect(wanted).toBeGreaterThanOrEqual(before.window!.earliest);
    expect(wanted).toBeLessThanOrEqual(before.window!.latest);
    if (report.status === 'SUCCEEDED') {
      expect(report.newDatabase?.restoredFrom).toBe(`${DATA.instanceIdentifier}@${iso(wanted)}`);
      expectEveryHostOn(report, report.newDatabase!.identifier);
    } else {
      expect(account.hosts.size, `${report.error}: ${report.cause}; yet instances were launched`).toBe(0);
    }
  });
});
