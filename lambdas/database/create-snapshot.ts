/**
 * Create Snapshot: a manual RDS snapshot named after the release and execution, taken
 * before any schema change so the migration can be undone by a restore. A retried call
 * that finds its own snapshot already there carries on.
 */
import { CreateDBSnapshotCommand } from '@aws-sdk/client-rds';
import { rds } from '../shared/aws/rds';
import { DatabaseUnavailableError } from '../domain/contract/errors';
import { startPhase } from '../shared/phase';
import type { PhaseState, DatabaseTaskInput } from '../domain/contract/payloads';

export const handler = async (event: DatabaseTaskInput): Promise<PhaseState> => createSnapshot(event);

export async function createSnapshot(event: DatabaseTaskInput): Promise<PhaseState> {
  const { database } = event;
  try {
    await rds.send(
      new CreateDBSnapshotCommand({
        DBInstanceIdentifier: database.instanceIdentifier,
        DBSnapshotIdentifier: database.snapshotId,
        Tags: [
          { Key: 'fleetflow:release', Value: event.release },
          { Key: 'fleetflow:execution', Value: event.execution },
        ],
      }),
    );
  } catch (err) {
    const name = (err as Error).name;
    // RDS API reference, CreateDBSnapshot: "The source DB instance must be in the available
    // or storage-optimization state", else InvalidDBInstanceState, e.g. while it is
    // backing-up (an automated backup, or a snapshot, perhaps this task's own on a retried
    // call). Whether this snapshot exists is not known here (this task may not describe
    // snapshots), so the message does not say; it fails before any migration.
    if (name === 'InvalidDBInstanceStateFault') {
      throw new DatabaseUnavailableError(
        `RDS refused snapshot ${database.snapshotId} of ${database.instanceIdentifier}: the instance is not available ` +
          `(InvalidDBInstanceState: ${(err as Error).message}); nothing was migrated and no host was taken out of traffic or patched`,
        { cause: err },
      );
    }
    if (name !== 'DBSnapshotAlreadyExistsFault') throw err;
  }
  return startPhase(database.snapshotTimeoutSeconds, database.polling);
}
