/**
 * Check Migration: polls the migration command. A failure names the snapshot taken
 * before it, which is what an operator restores from.
 */
import { MigrationFailedError } from '../domain/contract/errors';
import { describeHosts } from '../shared/polling';
import { completePhase, continuePhase, requirePhase, watchPhase } from '../shared/phase';
import { cancelCommands, readProgress } from '../shared/ssm-commands';
import type { PhaseState, DatabaseTaskInput } from '../domain/contract/payloads';

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkMigration, (event: DatabaseTaskInput) => event.database.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

export async function checkMigration(event: DatabaseTaskInput): Promise<PhaseState> {
  const { database } = event;
  const phase = requirePhase(event);
  const now = Date.now();
  const progress = await readProgress(phase.commandIds ?? [], [database.runner.id]);
  const restore = `restore from snapshot ${database.snapshotId} if the schema must be undone; no host was touched`;
  if (progress.failed.length > 0) {
    throw new MigrationFailedError(
      `migration of ${database.instanceIdentifier} to ${event.release} failed on ${describeHosts([database.runner])} ` +
        `(${progress.failed[0]!.details}); ${restore}`,
    );
  }
  if (progress.pending.length === 0) return completePhase(phase, now);
  if (now >= phase.deadline) {
    await cancelCommands(phase.commandIds ?? []);
    throw new MigrationFailedError(`migration of ${database.instanceIdentifier} did not finish within ${database.migration.timeoutSeconds}s; ${restore}`);
  }
  return continuePhase(phase, database.polling, now);
}
