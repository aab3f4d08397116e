/**
 * Create Snapshot: a manual RDS snapshot named after the release and execution, taken
 * before any schema change so the migration can be undone by a restore. A retried call
 * that finds its own snapshot already there carries on.
 */
import { CreateDBSnapshotCommand } from '@aws-sdk/client-rds';
import { rds } from '../shared/aws/rds';
import { startPhase } from '../shared/phase';
import type { PhaseState } from '../deploy/types';
import type { DatabaseTaskInput } from './types';

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
    if ((err as Error).name !== 'DBSnapshotAlreadyExistsFault') throw err;
  }
  return startPhase(database.snapshotTimeoutSeconds, database.polling);
}
