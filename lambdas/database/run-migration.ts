/**
 * Run Migration: the release's expand-only schema and data migration, sent by SSM Run
 * Command to one runner host. The document receives the release and the snapshot name;
 * credentials are resolved on the host from the parameters' references.
 */
import { startPhase } from '../shared/phase';
import { sendToHosts } from '../shared/ssm-commands';
import type { PhaseState } from '../deploy/types';
import type { DatabaseTaskInput } from './types';

export const handler = async (event: DatabaseTaskInput): Promise<PhaseState> => runMigration(event);

export async function runMigration(event: DatabaseTaskInput): Promise<PhaseState> {
  const { database } = event;
  const commandIds = await sendToHosts({
    command: database.migration,
    instanceIds: [database.runner.id],
    parameters: { release: [event.release], snapshot: [database.snapshotId] },
    comment: `fleetflow migrate ${database.instanceIdentifier} to ${event.release}`,
  });
  return startPhase(database.migration.timeoutSeconds, database.polling, commandIds);
}
