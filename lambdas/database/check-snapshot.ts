/**
 * Check Snapshot: polls the snapshot until it is `available`.
 */
import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { rds } from '../shared/aws/rds';
import { SnapshotFailedError } from '../domain/contract/errors';
import { completePhase, continuePhase, requirePhase, watchPhase } from '../shared/phase';
import type { PhaseState, DatabaseTaskInput } from '../domain/contract/payloads';

const FAILED_STATUSES = new Set(['failed', 'deleted', 'deleting', 'incompatible-restore']);

// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkSnapshot, (event: DatabaseTaskInput) => event.database.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

export async function checkSnapshot(event: DatabaseTaskInput): Promise<PhaseState> {
  const { database } = event;
  const phase = requirePhase(event);
  let DBSnapshots;
  try {
    ({ DBSnapshots = [] } = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: database.snapshotId })));
  } catch (err) {
    // RDS answers an unknown identifier with DBSnapshotNotFoundFault, not an empty list.
    if ((err as Error).name !== 'DBSnapshotNotFoundFault') throw err;
    throw new SnapshotFailedError(`snapshot ${database.snapshotId} of ${database.instanceIdentifier} not found; nothing was migrated`, { cause: err });
  }
  const status = DBSnapshots[0]?.Status ?? 'missing';
  const percent = DBSnapshots[0]?.PercentProgress ?? 0;
  const now = Date.now();
  if (status === 'available') return completePhase(phase, now);
  if (FAILED_STATUSES.has(status) || status === 'missing') {
    throw new SnapshotFailedError(`snapshot ${database.snapshotId} of ${database.instanceIdentifier} is ${status}; nothing was migrated`);
  }
  if (now >= phase.deadline) {
    throw new SnapshotFailedError(`snapshot ${database.snapshotId} still ${status} after ${database.snapshotTimeoutSeconds}s; nothing was migrated`);
  }
  // RDS reports how far the snapshot is (PercentProgress, whole percent): the next look is
  // when the snapshot would be done at its pace so far. The percent is rounded down, so
  // counting one more keeps the estimate early, never late.
  const elapsedSeconds = (now - phase.startedAt) / 1000;
  const expectedSeconds = percent > 0 && percent < 100 ? Math.ceil((elapsedSeconds * 100) / (percent + 1)) : phase.expectedSeconds;
  return continuePhase({ ...phase, ...(expectedSeconds !== undefined ? { expectedSeconds } : {}) }, database.polling, now);
}
