/**
 * Plan Restore Data after a run stopped mid-repoint (review item 2): the earlier run's restored
 * instance is found from what it left (the connection parameter, the hosts' database tags, its
 * own created-by and restored-from tags), and the restore is resumed onto it when the input asks
 * for its data, or refused before anything changes when it asks for other data. The stopped
 * run's state is made by the real handlers (Restore Database, Write Connection, the hosts'
 * records) against the simulated account, not written by hand.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { checkRestore, restoreDatabase } from '../../../lambdas/restore-data/restore';
import { planRestoreData } from '../../../lambdas/restore-data/plan-restore-data';
import { writeConnection } from '../../../lambdas/restore-data/write-connection';
import { parseRestoredFrom, sameData } from '../../../lambdas/restore-data/earlier-restore';
import { markReconfiguring, recordDatabase } from '../../../lambdas/shared/host-records';
import type { RestorePlan } from '../../../lambdas/domain/contract/payloads';
import { allClients } from '../../../lambdas/shared/clients';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { type SimulatedAccount, endpointOf } from '../../../lib/simulator/account';
import { DB_RESTORE_SECONDS } from '../../../lib/simulator/services/rds';
import { noFaults } from '../../../lib/simulator/faults';
import { seedAccount } from '../../../lib/simulator/fleet';
import { attachSimulator } from '../../../lib/simulator/intercept';
import { useSimulatedAwsEnvironment } from '../simulated-aws-environment';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url)));
const PARAMETER = '/canonical/database/endpoint';

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

const plan = (execution: string, source: unknown = 'latest') => planRestoreData({ environment: canonical, input: { source }, execution });
const hostId = (name: string) => [...account.hosts.values()].find((h) => h.name === name)!.id;

/** exec-1 restored, checked, wrote the parameter, moved mid-1 and sent mid-2's reconfigure: then it was stopped. */
async function stoppedMidRepoint(source: unknown = 'latest'): Promise<RestorePlan> {
  const first = await plan('exec-1', source);
  const phase = await restoreDatabase({ execution: 'exec-1', plan: first });
  vi.setSystemTime(Date.now() + DB_RESTORE_SECONDS * 1000);
  expect(await checkRestore({ execution: 'exec-1', plan: first, phase })).toMatchObject({ done: true });
  await writeConnection({ parameter: PARAMETER, endpoint: endpointOf(account.databases.get(first.target.identifier)!) });
  await markReconfiguring([hostId('mid-1')], first.target.identifier);
  await recordDatabase([hostId('mid-1')], first.target.identifier);
  await markReconfiguring([hostId('mid-2')], first.target.identifier);
  vi.setSystemTime(Date.now() + 120_000);
  return first;
}

describe('Plan Restore Data after a run stopped mid-repoint', () => {
  it('resumes onto the stopped run\'s instance: no second restore, its recovery point, mid-1 left where it is, the way back to the old database', async () => {
    const first = await stoppedMidRepoint();
    const databases = account.databases.size;

    const second = await plan('exec-2');

    expect(second.target.identifier, 'the stopped run\'s instance, not a new one').toBe(first.target.identifier);
    expect(second.resume).toMatchObject({ execution: 'exec-1', moved: 1, underway: 1, connectionNamesTarget: true });
    expect(second.resume!.hosts).toBe('mid-1, mid-2');
    // The data is the first restore's: its recovery point, and the writes since it counted to now.
    expect(second.recoveryPointTime).toBe(first.recoveryPointTime);
    expect(second.dataLossSeconds).toBe(Math.round((Date.now() - Date.parse(first.recoveryPointTime)) / 1000));
    expect(second.dataLossSeconds).toBeGreaterThan(first.dataLossSeconds + DB_RESTORE_SECONDS);
    // A repoint back must go to canonical-db itself: the parameter names the restored instance now.
    expect(second.previousEndpoint).toBe(endpointOf(account.databases.get('canonical-db')!));
    expect(second.current.identifier).toBe('canonical-db');
    // mid-1 uses it and serves: not repointed again; mid-2 (reconfigure unconfirmed) and the web tier are.
    expect(second.hostCount).toBe(first.hostCount - 1);

    // Restore Database takes the instance as it is: no restore call, done at once.
    const restores = account.calls.get('rds:RestoreDBInstanceToPointInTime') ?? 0;
    expect(await restoreDatabase({ execution: 'exec-2', plan: second })).toMatchObject({ done: true });
    expect(account.calls.get('rds:RestoreDBInstanceToPointInTime') ?? 0).toBe(restores);
    expect(account.databases.size).toBe(databases);
  });

  it('refuses, before anything changes, a source other than the stopped run\'s: naming the instance, the hosts on it, the writes, and the command that finishes it', async () => {
    const first = await stoppedMidRepoint();
    const snapshot = [...account.snapshots.values()].find((s) => s.instance === 'canonical-db')!.id;
    const databases = account.databases.size;

    const refused = await plan('exec-2', snapshot).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(InvalidInputError);
    const message = (refused as Error).message;
    expect(message).toContain(`exec-1, restored ${first.target.identifier}`);
    expect(message).toContain('mid-1, mid-2 use it or were being moved onto it');
    expect(message).toContain(`Writes made through those hosts since they moved are only in ${first.target.identifier}`);
    expect(message).toContain(`npx fleetflow start restore-data --input '{"source":"${first.recoveryPointTime}"}'`);
    expect(message).toMatch(/nothing was changed$/);
    expect(message.length).toBeLessThanOrEqual(1024);
    expect(account.databases.size).toBe(databases);
  });

  it('a point in time other than the stopped run\'s is refused too; the same one resumes', async () => {
    const first = await stoppedMidRepoint();
    const other = new Date(Date.parse(first.recoveryPointTime) - 60_000).toISOString();
    await expect(plan('exec-2', { pointInTime: other })).rejects.toThrow(InvalidInputError);
    expect((await plan('exec-3', { pointInTime: first.recoveryPointTime })).target.identifier).toBe(first.target.identifier);
  });

  it('a restored instance nothing was pointed at yet (stopped before Write Connection) is not resumed: a fresh restore, with newer data', async () => {
    const first = await plan('exec-1');
    await restoreDatabase({ execution: 'exec-1', plan: first });
    vi.setSystemTime(Date.now() + DB_RESTORE_SECONDS * 1000);

    const second = await plan('exec-2');

    expect(second.resume).toBeUndefined();
    expect(second.target.identifier).not.toBe(first.target.identifier);
    expect(Date.parse(second.recoveryPointTime)).toBeGreaterThan(Date.parse(first.recoveryPointTime));
  });
});

describe('which input asks for the stopped restore\'s data', () => {
  const pit = parseRestoredFrom('canonical-db at 2026-01-06T02:55:00.000Z')!;
  const snap = parseRestoredFrom('snapshot rds:canonical-db-2026-01-05-03-00')!;

  it('reads both forms of the restored-from tag, and nothing else', () => {
    expect(pit).toEqual({ kind: 'point-in-time', instance: 'canonical-db', time: '2026-01-06T02:55:00.000Z' });
    expect(snap).toEqual({ kind: 'snapshot', snapshot: 'rds:canonical-db-2026-01-05-03-00' });
    expect(parseRestoredFrom('canonical-db at yesterday')).toBeUndefined();
    expect(parseRestoredFrom('')).toBeUndefined();
  });

  it('latest: the same kind of restore of the same instance; latest-snapshot: a snapshot; otherwise the same snapshot or instant', () => {
    const nowPit = { kind: 'point-in-time', instance: 'canonical-db' } as const;
    const nowSnap = { kind: 'snapshot', snapshot: 'x', instance: 'canonical-db', snapshotType: 'automated' } as const;
    expect(sameData(pit, 'latest', nowPit)).toBe(true);
    expect(sameData(pit, 'latest', { kind: 'point-in-time', instance: 'other-db' })).toBe(false);
    expect(sameData(pit, 'latest', nowSnap)).toBe(false);
    expect(sameData(snap, 'latest-snapshot', nowSnap)).toBe(true);
    expect(sameData(pit, 'latest-snapshot', nowSnap)).toBe(false);
    expect(sameData(snap, 'rds:canonical-db-2026-01-05-03-00', nowSnap)).toBe(true);
    expect(sameData(snap, 'rds:canonical-db-2026-01-04-03-00', nowSnap)).toBe(false);
    expect(sameData(pit, { pointInTime: '2026-01-06T03:55:00+01:00' }, nowPit)).toBe(true);
    expect(sameData(pit, { pointInTime: '2026-01-06T02:56:00Z' }, nowPit)).toBe(false);
  });
});
