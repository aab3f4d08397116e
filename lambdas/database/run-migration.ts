/**
 * Run Migration: the release's expand-only schema and data migration, sent by SSM Run
 * Command to one runner host. The document receives the release and the snapshot name;
 * credentials are resolved on the host from the parameters' references.
 */
import { MigrationFailedError } from '../domain/contract/errors';
import { startPhase } from '../shared/phase';
import { CommandRefusedError, describeRefusal, sendToHosts } from '../shared/ssm-commands';
import type { PhaseState, DatabaseTaskInput } from '../domain/contract/payloads';

export const handler = async (event: DatabaseTaskInput): Promise<PhaseState> => runMigration(event);

export async function runMigration(event: DatabaseTaskInput): Promise<PhaseState> {
  const { database } = event;
  const commandIds = await sendToHosts({
    command: database.migration,
    instanceIds: [database.runner.id],
    parameters: { release: [event.release], snapshot: [database.snapshotId] },
    comment: `fleetflow migrate ${database.instanceIdentifier} to ${event.release}`,
  }).catch((err: unknown) => {
    if (!(err instanceof CommandRefusedError)) throw err;
    // Refused as a whole: the migration did not start; the snapshot was taken before.
    throw new MigrationFailedError(
      `migration of ${database.instanceIdentifier} to ${event.release}: ${describeRefusal('migration', [database.runner], err)}; ` +
        `snapshot ${database.snapshotId} was taken; no host was touched`,
      { cause: err },
    );
  });
  return startPhase(database.migration.timeoutSeconds, database.polling, commandIds, database.migration.expectedSeconds);
}
