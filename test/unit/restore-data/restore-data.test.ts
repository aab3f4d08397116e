/**
 * Restore-data at task level, against the simulated account: Restore Database is safe to
 * retry (a second call with the same execution finds the instance it created by its
 * fleetflow:created-by tag, and creates no other) yet never adopts an instance another
 * execution created; the new instance's identifier keeps to RDS's rules and differs per
 * execution; the restore-data input refuses sources that are not a source.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkRestore, restoreDatabase } from '../../../lambdas/restore-data/restore';
import { newIdentifier, planRestoreData } from '../../../lambdas/restore-data/plan-restore-data';
import { planRecover } from '../../../lambdas/recover/plan-recover';
import { planAllocation } from '../../../lambdas/compute/allocation';
import { CREATED_BY_TAG } from '../../../lambdas/domain/contract/tags';
import type { ResolvedSource, RestorePlan } from '../../../lambdas/domain/contract/payloads';
import { allClients } from '../../../lambdas/shared/clients';
import { DatabaseRestoreFailedError, InvalidInputError, NoSnapshotError } from '../../../lambdas/domain/contract/errors';
import { parseComputeInput } from '../../../lambdas/domain/compute-input';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import type { SimulatedAccount } from '../../../lib/simulator/account';
import { DB_RESTORE_SECONDS } from '../../../lib/simulator/services/rds';
import { noFaults } from '../../../lib/simulator/faults';
import { seedAccount } from '../../../lib/simulator/fleet';
import { attachSimulator } from '../../../lib/simulator/intercept';
import { NOW } from '../fixtures';
import { useSimulatedAwsEnvironment } from '../simulated-aws-environment';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { rds } from '../../../lambdas/shared/aws/rds';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url)));

let account: SimulatedAccount;
let detach: (() => void) | undefined;

useSimulatedAwsEnvironment();
beforeEach(() => {
  account = seedAccount(canonical, noFaults());
  detach = attachSimulator(allClients as never, account);
});

afterEach(() => {
  detach?.();
  detach = undefined;
});

const databasesExisting = () => new Set(account.databases.keys());
const createdSince = (before: ReadonlySet<string>) => [...account.databases.values()].filter((db) => !before.has(db.identifier));

describe('Restore Database: safe to retry, never adopting another execution\'s instance', () => {
  async function plan(execution: string, source: unknown = 'latest-snapshot'): Promise<RestorePlan> {
    return planRestoreData({ environment: canonical, input: { source }, execution });
  }

  it('called twice by the same execution (a retry whose answer was lost): one instance, its own, found by its created-by tag', async () => {
    const before = databasesExisting();
    const restorePlan = await plan('exec-1');

    const first = await restoreDatabase({ execution: 'exec-1', plan: restorePlan });
    const retried = await restoreDatabase({ execution: 'exec-1', plan: restorePlan });

    const created = createdSince(before);
    expect(created.map((db) => db.identifier), 'exactly one new instance, the plan\'s').toEqual([restorePlan.target.identifier]);
    expect(created[0]!.tags?.[CREATED_BY_TAG]).toBe('exec-1');
    // The retry asked RDS again and was told the instance exists: it took it as its own.
    expect(account.calls.get('rds:RestoreDBInstanceFromDBSnapshot')).toBe(2);
    for (const phase of [first, retried]) expect(phase).toMatchObject({ done: false });
    // The retry's phase leads to the instance becoming available, as the first one's would.
    vi.setSystemTime(Date.now() + DB_RESTORE_SECONDS * 1000);
    const checked = await checkRestore({ execution: 'exec-1', plan: restorePlan, phase: retried });
    expect(checked).toMatchObject({ done: true });
  });

  it('a point-in-time restore retried by the same execution: one instance too', async () => {
    const before = databasesExisting();
    const pointInTime = new Date(NOW - 30 * 60 * 1000).toISOString();
    const restorePlan = await plan('exec-1', { pointInTime });

    await restoreDatabase({ execution: 'exec-1', plan: restorePlan });
    await restoreDatabase({ execution: 'exec-1', plan: restorePlan });

    expect(createdSince(before).map((db) => db.identifier)).toEqual([restorePlan.target.identifier]);
    expect(account.databases.get(restorePlan.target.identifier)!.restoredFrom).toBe(`canonical-db@${pointInTime}`);
  });

  it('another execution that finds the identifier taken fails DatabaseRestoreFailedError, leaving that instance alone', async () => {
    const before = databasesExisting();
    const restorePlan = await plan('exec-1');
    await restoreDatabase({ execution: 'exec-1', plan: restorePlan });
    const theirs = account.databases.get(restorePlan.target.identifier)!;
    const tagsBefore = { ...theirs.tags };

    const failure = await restoreDatabase({ execution: 'exec-2', plan: restorePlan }).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(DatabaseRestoreFailedError);
    expect((failure as Error).message).toContain(restorePlan.target.identifier);
    expect((failure as Error).message).toContain('DBInstanceAlreadyExists');
    expect(createdSince(before).map((db) => db.identifier), 'no second instance').toEqual([restorePlan.target.identifier]);
    expect(account.databases.get(restorePlan.target.identifier)!.tags, 'its tags untouched').toEqual(tagsBefore);
    expect(account.databases.get(restorePlan.target.identifier)!.tags?.[CREATED_BY_TAG]).toBe('exec-1');
  });

  it('plans a different instance for each execution, so two executions never meet on one identifier', async () => {
    const [a, b] = [await plan('exec-1'), await plan('exec-2')];

    expect(a.source).toEqual(b.source);
    expect(a.target.identifier).not.toBe(b.target.identifier);
  });
});

describe('newIdentifier', () => {
  const snapshot: ResolvedSource = { kind: 'snapshot', snapshot: 'rds:canonical-db-2026-01-06-02-00', instance: 'canonical-db', snapshotType: 'automated' };
  const pointInTime: ResolvedSource = { kind: 'point-in-time', instance: 'canonical-db' };
  const TIME = '2026-01-06T02:00:00.000Z';
  const execution = 'sim-1-2026-01-06T03-00-00-000Z';

  /** RDS DB instance identifier rules: 1-63 letters, digits or hyphens, a letter first, no two hyphens in a row, none at the end. */
  function expectValidRdsIdentifier(identifier: string, label: string) {
    expect(identifier.length, `${label}: ${identifier} length`).toBeLessThanOrEqual(63);
    expect(identifier.length, `${label}: ${identifier} length`).toBeGreaterThan(0);
    expect(identifier, `${label}: letters, digits, hyphens, a letter first`).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(identifier, `${label}: no "--"`).not.toContain('--');
    expect(identifier, `${label}: no trailing "-"`).not.toMatch(/-$/);
  }

  const bases = [
    'canonical-db',
    'a'.repeat(63),
    `${'b'.repeat(34)}-x-very-long-identifier`,
    // A hyphen right where the base is cut, and runs of hyphens.
    `${'c'.repeat(35)}-${'d'.repeat(27)}`,
    `${'e'.repeat(34)}--${'f'.repeat(27)}`,
    'Upper-Case-DB-Identifier-That-Is-Quite-Long-Indeed-Yes-It-Is-63',
    'x-y-z-x-y-z-x-y-z-x-y-z-x-y-z-x-y-z-x-y-z-x-y-z-x-y-z-x-y-z-xyz',
  ];

  for (const base of bases) {
    it(`stays within RDS's rules for base ${base.length > 20 ? `${base.slice(0, 20)}… (${base.length} chars)` : base}`, () => {
      for (const source of [snapshot, pointInTime]) {
        expectValidRdsIdentifier(newIdentifier(base, source, TIME, execution), `${source.kind} of ${base}`);
      }
    });
  }

  it('keeps every cut of a long base valid (a hyphen may fall anywhere)', () => {
    for (let at = 1; at < 63; at += 1) {
      const base = `${'g'.repeat(at)}-${'h'.repeat(Math.max(1, 62 - at))}`.slice(0, 63);
      expectValidRdsIdentifier(newIdentifier(base, snapshot, TIME, execution), `hyphen at ${at}`);
    }
  });

  it('differs per execution, and names the source kind and the time of the data', () => {
    const a = newIdentifier('canonical-db', snapshot, TIME, 'exec-1');
    const b = newIdentifier('canonical-db', snapshot, TIME, 'exec-2');

    expect(a).not.toBe(b);
    expect(newIdentifier('canonical-db', snapshot, TIME, 'exec-1'), 'deterministic for one execution (a retry plans the same)').toBe(a);
    expect(a).toMatch(/^canonical-db-snap-202601060200-[0-9a-f]{8}$/);
    expect(newIdentifier('canonical-db', pointInTime, TIME, 'exec-1')).toMatch(/^canonical-db-pitr-202601060200-[0-9a-f]{8}$/);
    // Long execution names that differ only at the end still give different identifiers.
    const long = 'x'.repeat(80);
    expect(newIdentifier('a'.repeat(63), snapshot, TIME, `${long}-1`)).not.toBe(newIdentifier('a'.repeat(63), snapshot, TIME, `${long}-2`));
  });
});

describe('the restore-data input', () => {
  const refused = (source: unknown) => {
    try {
      parseComputeInput('restore-data', source === undefined ? {} : { source });
    } catch (err) {
      return err;
    }
    return undefined;
  };

  for (const [label, source] of [
    ['a missing source', undefined],
    ['an empty string', ''],
    ['a number', 42],
    ['null', null],
    ['a list', ['latest']],
    ['"rds:" alone', 'rds:'],
    ['a snapshot identifier starting with a digit', '1-canonical-db'],
    ['a snapshot identifier with a space', 'canonical db'],
    ['a snapshot identifier with an underscore', 'canonical_db_snapshot'],
    ['a time given as a bare string', '2026-01-06T02:00:00Z'],
    ['a point in time without a time zone', { pointInTime: '2026-01-06T02:00:00' }],
    ['a point in time that is not a time', { pointInTime: 'yesterday' }],
    ['a point in time of month 13', { pointInTime: '2026-13-01T00:00:00Z' }],
    ['a point in time of minute 60', { pointInTime: '2026-01-06T02:60:00Z' }],
    ['a point in time of 30 February', { pointInTime: '2026-02-30T00:00:00Z' }],
    ['a point in time of 31 April', { pointInTime: '2026-04-31T10:00:00Z' }],
    ['a point in time as a number', { pointInTime: 1767664800000 }],
    ['a point in time with another field', { pointInTime: '2026-01-06T02:00:00Z', snapshot: 'x' }],
    ['an object without pointInTime', { time: '2026-01-06T02:00:00Z' }],
  ] as const) {
    it(`refuses ${label} with InvalidInputError`, () => {
      const err = refused(source);

      expect(err, `${JSON.stringify(source)} accepted`).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toMatch(/source/);
      expect((err as Error).message).toContain('nothing was changed');
    });
  }

  it('accepts "latest", a manual or automated snapshot identifier, and a point in time with a time zone', () => {
    for (const source of ['latest', 'canonical-db-manual-before-release', 'rds:canonical-db-2026-01-06-02-00', { pointInTime: '2026-01-06T02:30:00Z' }, { pointInTime: '2026-01-06T04:30:00+02:00' }]) {
      expect(parseComputeInput('restore-data', { source }).source, JSON.stringify(source)).toEqual(source);
    }
    expect(parseComputeInput('restore-data', { source: 'latest' }).reason).toBe('restore-data');
  });

  it('refuses an input that is not an object, and unknown fields', () => {
    for (const raw of [null, 'latest', ['latest'], { source: 'latest', force: true }]) {
      expect(() => parseComputeInput('restore-data', raw), JSON.stringify(raw)).toThrow(InvalidInputError);
    }
  });
});

describe("Plan Restore Data: settings the restore's IAM grant allows, and never public", () => {
  it('refuses, before the lock, a live instance whose class drifted from database.create (the grant names the declared class)', async () => {
    const db = account.databases.get('canonical-db')!;
    (db as { definition?: unknown }).definition = { ...db.definition!, instanceClass: 'db.r6g.16xlarge' };

    await expect(planRestoreData({ environment: canonical, input: { source: 'latest' }, execution: 'exec-drift' })).rejects.toThrow(
      /class db\.r6g\.16xlarge \(tiers\.database\.database\.create\.instanceClass: db\.m6g\.large\).*nothing was changed/,
    );
  });

  it('restores with PubliclyAccessible false, whatever the live instance is', async () => {
    const plan = await planRestoreData({ environment: canonical, input: { source: 'latest' }, execution: 'exec-private' });

    expect(plan.target.settings.publiclyAccessible).toBe(false);
  });
});

describe('Plan Restore Data: the source is the current database\'s, and only ours', () => {
  /** A snapshot as RDS would hold it: available, of `instance`, taken `hoursAgo` before now. */
  function addSnapshot(id: string, instance: string, hoursAgo: number): void {
    const createdAt = NOW - hoursAgo * 3600 * 1000;
    account.snapshots.set(id, { id, instance, createdAt, availableAt: createdAt + 120_000, tags: {}, type: 'manual', schemaRelease: '1.0.0' });
  }

  it('"latest" with automated backups: a point-in-time restore to the latest restorable time, saying the writes it will not have', async () => {
    const latestRestorable = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'canonical-db' }))).DBInstances![0]!.LatestRestorableTime!;

    const plan = await planRestoreData({ environment: canonical, input: { source: 'latest' }, execution: 'exec-latest-pitr' });

    expect(plan.source).toEqual({ kind: 'point-in-time', instance: 'canonical-db' });
    expect(plan.recoveryPointTime).toBe(new Date(latestRestorable).toISOString());
    // The newest snapshot is an hour older: restoring it would lose 55 minutes more.
    expect(plan.dataLossSeconds).toBe(Math.round((NOW - new Date(latestRestorable).getTime()) / 1000));
    expect(plan.dataLossSeconds).toBeLessThan(600);
  });

  it('"latest-snapshot": the newest snapshot, even with automated backups, and the hour of writes it will not have', async () => {
    const plan = await planRestoreData({ environment: canonical, input: { source: 'latest-snapshot' }, execution: 'exec-latest-snapshot' });

    expect(plan.source).toMatchObject({ kind: 'snapshot', instance: 'canonical-db' });
    expect(plan.dataLossSeconds).toBe(Math.round((NOW - Date.parse(plan.recoveryPointTime)) / 1000));
    expect(plan.dataLossSeconds).toBeGreaterThan(3_000);
  });

  it('"latest-snapshot" after an earlier restore: the newest snapshot of the restored (current) instance, not a newer one of the replaced instance, kept unused', async () => {
    const restored = 'canonical-db-snap-202601050200-1a2b3c4d';
    account.parameters.set('/fleetflow/canonical/database/current', { type: 'String', value: restored, version: 1 });
    addSnapshot(`${restored}-daily`, restored, 6);
    // RDS keeps snapshotting the old instance: a newer date, stale data.
    addSnapshot('canonical-db-newer-but-stale', 'canonical-db', 0.5);

    const plan = await planRestoreData({ environment: canonical, input: { source: 'latest-snapshot' }, execution: 'exec-latest' });

    expect(plan.source).toMatchObject({ kind: 'snapshot', snapshot: `${restored}-daily`, instance: restored });
    expect(plan.recoveryPointTime).toBe(new Date(NOW - 6 * 3600 * 1000).toISOString());
  });

  it('refuses a snapshot of another database whose identifier merely begins like ours', async () => {
    addSnapshot('canonical-db-reports-nightly', 'canonical-db-reports', 2);

    await expect(planRestoreData({ environment: canonical, input: { source: 'canonical-db-reports-nightly' }, execution: 'exec-foreign' })).rejects.toThrow(
      /is of instance canonical-db-reports, not of this environment's database/,
    );
  });

  it('accepts a snapshot of the database by its source instance, whatever its name says after the granted prefix', async () => {
    addSnapshot('canonical-db-before-upgrade', 'canonical-db', 3);

    const plan = await planRestoreData({ environment: canonical, input: { source: 'canonical-db-before-upgrade' }, execution: 'exec-named' });

    expect(plan.source).toMatchObject({ kind: 'snapshot', snapshot: 'canonical-db-before-upgrade', instance: 'canonical-db' });
  });

  it('refuses up front, saying why, a snapshot of the database named outside the IAM grant: IAM authorizes a snapshot by name, not by instance', async () => {
    addSnapshot('before-upgrade', 'canonical-db', 3);

    const refusal = planRestoreData({ environment: canonical, input: { source: 'before-upgrade' }, execution: 'exec-unnamed' });

    await expect(refusal).rejects.toThrow(InvalidInputError);
    await expect(refusal).rejects.toThrow(/not named as FleetFlow's IAM grant allows \(rds:canonical-db-\*, canonical-db-\*, fleetflow-canonical-\*\).*copy-db-snapshot.*nothing was changed/);
  });

  it('refuses a named snapshot that does not exist as NoSnapshotError, before the IAM-name rule (no advice to copy what is not there)', async () => {
    // Outside the granted names and absent: existence decides, as restore-data.md promises.
    const refusal = planRestoreData({ environment: canonical, input: { source: 'nosuchsnap' }, execution: 'exec-missing' });

    await expect(refusal).rejects.toThrow(NoSnapshotError);
    await expect(refusal).rejects.toThrow(/snapshot nosuchsnap does not exist; nothing was changed/);
    await expect(refusal).rejects.not.toThrow(/copy-db-snapshot/);
  });
});

describe('disaster recovery when nothing serves: allocate restores while it launches ("database": "restore")', () => {
  const lost = () => {
    account = seedAccount(canonical, noFaults(), { empty: true, keepSnapshots: true });
    detach?.();
    detach = attachSimulator(allClients as never, account);
  };

  it('Plan Recover sends allocate "database": "restore" (no restore-data part) once the database and every host using it are gone', async () => {
    lost();
    const plan = await planRecover({ environment: canonical, input: {} });

    expect(plan.restore, 'no restore-data part: nothing to repoint').toBeUndefined();
    expect(plan.allocate).toMatchObject({ database: 'restore', source: 'latest', reason: 'disaster-recovery' });
    expect(plan.recoveryPointTime).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('Plan Recover keeps the restore-data part (a repoint in rolling batches) while the database or hosts using it remain', async () => {
    const plan = await planRecover({ environment: canonical, input: { release: '1.0.0' } });

    expect(plan.allocate).toMatchObject({ database: 'none' });
    expect(plan.restore).toMatchObject({ source: 'latest', reason: 'disaster-recovery' });
  });

  it('Plan Allocation plans the restore into a new instance, checked from the runner tier\'s first new host (no runner yet), with the hosts it launches', async () => {
    lost();
    const plan = await planAllocation({ environment: canonical, input: { database: 'restore' }, execution: 'allocate-1' });

    expect(plan.database, 'nothing created').toBeUndefined();
    expect(plan.restore!.target.identifier).toMatch(/^canonical-db-snap-\d{12}-[0-9a-f]{8}$/);
    expect(plan.restore!.check.runner, 'the runner is one of the hosts this run launches').toBeUndefined();
    expect(plan.restore!.connectionParameter).toBe(canonical.tiers.find((t) => t.role === 'data')!.database!.restore!.connectionParameter);
    expect(plan.tiers.map((t) => t.spec.name).sort()).toEqual(['middle', 'monitoring', 'web']);
  });

  it('Plan Allocation refuses "database": "restore" while a host that uses the database is there, or the database itself, and "source" without it', async () => {
    await expect(planAllocation({ environment: canonical, input: { database: 'restore' }, execution: 'allocate-1' })).rejects.toThrow(/tier (middle|web) has .* which use the current database/);
    // Every host lost, the database not.
    for (const host of account.hosts.values()) host.state = 'terminated';
    await expect(planAllocation({ environment: canonical, input: { database: 'restore', release: '1.0.0' }, execution: 'allocate-1' })).rejects.toThrow(/still exists; restore its data with restore-data/);
    await expect(planAllocation({ environment: canonical, input: { source: 'latest' }, execution: 'allocate-1' })).rejects.toThrow(/"source" and "reason" go with "database": "restore"/);
  });
});
