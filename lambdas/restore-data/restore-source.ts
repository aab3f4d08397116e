/**
 * Where restored data comes from, checked against RDS before anything changes: by
 * Plan Restore Data, and by Plan Recover before it launches a single host.
 */
import { DescribeDBInstanceAutomatedBackupsCommand, DescribeDBSnapshotsCommand, type DBInstance, type DBInstanceAutomatedBackup, type DBSnapshot } from '@aws-sdk/client-rds';
import type { RestoreSource } from '../domain/compute-input';
import type { DatabaseTierDefinition } from '../domain/environment/model';
import { rds } from '../shared/aws/rds';
import { newestSnapshot } from '../shared/database-record';
import { restoredPrefix, snapshotNameGranted, snapshotNamePatterns } from '../domain/contract/records';
import { InvalidInputError, NoSnapshotError } from '../domain/contract/errors';
import type { ResolvedSource } from '../domain/contract/payloads';

/**
 * The source, checked against RDS: a snapshot that exists, is available and is of this
 * environment's database; the newest such snapshot; or a time inside the instance's
 * restorable window (DescribeDBInstanceAutomatedBackups RestoreWindow, whose LatestTime is
 * the instance's LatestRestorableTime).
 *
 * `latest` is the newest data there is. With automated backups that is the latest restorable
 * time ("LatestRestorableTime: the latest time to which a database in this DB instance can be
 * restored with point-in-time restore", DBInstance, RDS API Reference), typically minutes
 * old, where the newest snapshot may be most of a day old: restoring that snapshot would lose
 * every write in between. Without automated backups (retention 0, or the instance is gone) it
 * is the newest snapshot, and the plan says so. `latest-snapshot` asks for the snapshot.
 */
export async function resolveSource(
  environment: string,
  data: DatabaseTierDefinition,
  currentId: string,
  current: DBInstance | undefined,
  source: RestoreSource,
): Promise<{ source: ResolvedSource; time: string }> {
  const defined = data.database.instanceIdentifier;
  if (source === 'latest') {
    const window = current ? await restorableWindow(currentId, current) : undefined;
    if (window) return { source: { kind: 'point-in-time', instance: currentId }, time: window.latest.toISOString() };
  }
  if (source === 'latest' || source === 'latest-snapshot') {
    // Only the current instance's: after a restore the defined instance is kept, unused, and RDS
    // still snapshots it daily, so its newest snapshot is recent by date and stale by content.
    const newest = await newestSnapshot([currentId]);
    if (!newest) {
      const backups = source === 'latest' ? 'no automated backups to restore a point in time from, and ' : '';
      throw new NoSnapshotError(`${backups}no available snapshot of ${currentId} (the current database), manual or automated, to restore from; nothing was changed`);
    }
    return { source: { kind: 'snapshot', snapshot: newest.identifier, instance: newest.instance, snapshotType: newest.type }, time: newest.createdAt };
  }
  if (typeof source === 'string') {
    // Existence first: a name that is no snapshot at all is NoSnapshotError (as restore-data.md promises),
    // not advice to copy something that is not there. The planners may describe any snapshot (read-only,
    // lib/data-access.ts) so that RDS, not IAM, answers: "DBSnapshotNotFound: DBSnapshotIdentifier does not
    // refer to an existing DB snapshot" (DescribeDBSnapshots, RDS API Reference).
    let snapshot: DBSnapshot | undefined;
    try {
      snapshot = (await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: source }))).DBSnapshots?.[0];
    } catch (err) {
      if ((err as Error).name !== 'DBSnapshotNotFoundFault') throw err;
    }
    if (!snapshot) throw new NoSnapshotError(`source: snapshot ${source} does not exist; nothing was changed`);
    // IAM authorizes a restore by the snapshot's name, never by the instance it was taken of: one that exists
    // outside the granted names would be denied, so it is refused here, before the lock, saying what to do.
    const granted = snapshotNamePatterns(defined, environment);
    if (!snapshotNameGranted(source, granted)) {
      throw new InvalidInputError(
        `source: snapshot ${source} is not named as FleetFlow's IAM grant allows (${granted.join(', ')}): IAM authorizes a snapshot by its name, ` +
          `and no condition key says which instance it is of, so a grant of any snapshot of the database would be one of every snapshot in the account; ` +
          `copy it under such a name (aws rds copy-db-snapshot --source-db-snapshot-identifier ${source} --target-db-snapshot-identifier ${defined}-<name>) and restore the copy; nothing was changed`,
      );
    }
    const instance = snapshot.DBInstanceIdentifier ?? '';
    // Ours: the defined instance, or one a restore of it created (another database may merely share the prefix).
    const lower = instance.toLowerCase();
    const ourInstance = lower === defined.toLowerCase() || lower === currentId.toLowerCase() || (['snapshot', 'point-in-time'] as const).some((kind) => lower.startsWith(restoredPrefix(defined, kind)));
    if (!ourInstance) {
      throw new InvalidInputError(`source: snapshot ${source} is of instance ${instance}, not of this environment's database (${currentId}); nothing was changed`);
    }
    if (snapshot.Status !== 'available' || !snapshot.SnapshotCreateTime) {
      throw new InvalidInputError(`source: snapshot ${source} is ${snapshot.Status ?? 'not available'}, not available; nothing was changed`);
    }
    return {
      source: { kind: 'snapshot', snapshot: source, instance, snapshotType: snapshot.SnapshotType ?? 'manual' },
      time: new Date(snapshot.SnapshotCreateTime).toISOString(),
    };
  }
  const wanted = new Date(source.pointInTime);
  if (!current) {
    throw new InvalidInputError(`source: a point in time restores from ${currentId}'s automated backups, and ${currentId} does not exist; restore a snapshot instead; nothing was changed`);
  }
  const window = await restorableWindow(currentId, current);
  if (!window) {
    throw new InvalidInputError(`source: ${currentId} has no restorable window (no automated backups); restore a snapshot instead; nothing was changed`);
  }
  const { earliest, latest: last } = window;
  if (wanted < earliest || wanted > last) {
    throw new InvalidInputError(
      `source: ${source.pointInTime} is outside the restorable window of ${currentId}, ${earliest.toISOString()} to ${last.toISOString()}; nothing was changed`,
    );
  }
  return { source: { kind: 'point-in-time', instance: currentId }, time: wanted.toISOString() };
}

/** The current instance's point-in-time window, or undefined without automated backups. */
async function restorableWindow(currentId: string, current: DBInstance): Promise<{ earliest: Date; latest: Date } | undefined> {
  // Backups off (retention 0): no window, and RDS would answer DBInstanceAutomatedBackupNotFound.
  if (current.BackupRetentionPeriod === 0) return undefined;
  let DBInstanceAutomatedBackups: DBInstanceAutomatedBackup[] = [];
  try {
    ({ DBInstanceAutomatedBackups = [] } = await rds.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: currentId })));
  } catch (err) {
    // "DBInstanceAutomatedBackupNotFound: No automated backup for this DB instance was found" (HTTP 404).
    if ((err as Error).name !== 'DBInstanceAutomatedBackupNotFoundFault') throw err;
  }
  // The current instance's own backups: retained ones of an earlier instance of the same name have another resource ID.
  const window = DBInstanceAutomatedBackups.find(
    (b) => b.RestoreWindow?.EarliestTime && b.RestoreWindow.LatestTime && (current.DbiResourceId ? b.DbiResourceId === current.DbiResourceId : b.Status === 'active'),
  )?.RestoreWindow;
  const latest = current.LatestRestorableTime ?? window?.LatestTime;
  if (!window?.EarliestTime || !latest) return undefined;
  return { earliest: new Date(window.EarliestTime), latest: new Date(latest) };
}
