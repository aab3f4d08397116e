/**
 * Check Database: the release only touches a database that is `available`, and checks
 * again after the migration that it still is. FleetFlow never reboots, stops or
 * modifies the instance.
 *
 * The check is pollable. RDS reports transient statuses that end on their own (a snapshot
 * or automated backup: `backing-up`; a modification: `modifying`, `storage-optimization`,
 * `configuring-*`; `upgrading`, `maintenance`, `rebooting`, ...): the check returns
 * `done: false` with the pause before the next look, up to a deadline. Statuses that need
 * a person (`failed`, `incompatible-*`, `inaccessible-encryption-credentials*`,
 * `storage-full`, `stopped`, `stopping`, `deleting`, `restore-error`, ...) fail at once.
 * Statuses are those of the RDS User Guide's DB instance status table.
 */
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { rds } from '../shared/aws/rds';
import { DatabaseUnavailableError } from '../domain/contract/errors';
import { continuePhase, watchPhase } from '../shared/phase';
import type { PhaseState, DatabaseTaskInput } from '../domain/contract/payloads';
import { isTransient } from '../domain/contract/rds-status';

export { DATABASE_WAIT_SECONDS } from '../shared/poll-schedule';
export { TRANSIENT_STATUSES, isTransient } from '../domain/contract/rds-status';
import { DATABASE_WAIT_SECONDS } from '../shared/poll-schedule';

/** The phase of the check, with the status it found. */
export interface DatabaseCheck extends PhaseState {
  /** DBInstanceStatus at this look. */
  readonly status: string;
}

/**
 * Input: `{ release, execution, database, phase? }`. Without `phase` (the first look) the
 * wait starts now and ends DATABASE_WAIT_SECONDS later; with it, the phase goes on.
 * Output: the phase (`startedAt`, `deadline`, `done`, `waitSeconds`) and the `status`.
 * `done: true` once the instance is `available`; `done: false` with `waitSeconds` (for the
 * Wait state) while it is in a transient status before the deadline. Throws
 * DatabaseUnavailableError, naming the status, for a status that does not end by itself,
 * for a transient one still there at the deadline, and for an instance that does not exist.
 */
// Watches while the end is near (shared/phase.ts); a throttled look learned nothing: look again later, within the phase.
export const handler = watchPhase(checkDatabase, (event: DatabaseTaskInput) => event.database.polling);
/** The watch's own budget, well inside the function's timeout (test/infra/lambda-timeouts.test.ts). */
export { TIME_BUDGET_MS } from '../shared/phase';

export async function checkDatabase(event: DatabaseTaskInput): Promise<DatabaseCheck> {
  const { database } = event;
  const identifier = database.instanceIdentifier;
  const startedAt = event.phase?.startedAt ?? Date.now();
  const phase: PhaseState = event.phase ?? { startedAt, deadline: startedAt + DATABASE_WAIT_SECONDS * 1000, done: false, waitSeconds: 0 };
  const status = await instanceStatus(identifier);
  const now = Date.now();
  if (status === 'available') return { ...phase, done: true, waitSeconds: 0, status };
  if (!isTransient(status)) {
    throw new DatabaseUnavailableError(`database ${identifier} is ${status}, not available; FleetFlow does not wait for this status; ${UNTOUCHED}`);
  }
  if (now >= phase.deadline) {
    throw new DatabaseUnavailableError(
      `database ${identifier} is still ${status} after ${Math.round((now - phase.startedAt) / 1000)}s of waiting for it to be available; ${UNTOUCHED}`,
    );
  }
  return { ...continuePhase(phase, database.polling, now), status };
}

/**
 * What is true whenever this check fails, before or after the migration: the database
 * step runs before any host leaves traffic. (Whether the schema was migrated depends on
 * which check this is, which the task is not told: the message does not claim either.)
 */
const UNTOUCHED = 'no host was taken out of traffic or patched';

async function instanceStatus(identifier: string): Promise<string> {
  try {
    const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
    const status = DBInstances[0]?.DBInstanceStatus;
    if (status) return status;
  } catch (err) {
    // RDS answers an unknown identifier with DBInstanceNotFoundFault, not an empty list.
    if ((err as Error).name !== 'DBInstanceNotFoundFault') throw err;
    throw new DatabaseUnavailableError(`database ${identifier} does not exist; ${UNTOUCHED}`, { cause: err });
  }
  throw new DatabaseUnavailableError(`database ${identifier} is not described by RDS; ${UNTOUCHED}`);
}
