/**
 * Plan Recover (read-only): what disaster recovery runs, each part an execution of its own
 * workflow. It checks, before anything starts, what would otherwise fail halfway: a restore
 * source that does not exist, and a release to put back (the recorded one, or the input's when
 * none is recorded).
 */
import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { parseComputeInput } from '../../lib/compute-input';
import { rds } from '../shared/aws/rds';
import { currentDatabaseIdentifier, dataTierOf, newestSnapshot } from '../shared/database-record';
import { InvalidInputError, NoSnapshotError } from '../shared/errors';
import { logger } from '../shared/logger';
import { readParameter } from '../shared/parameters';
import { releaseParameterName } from '../shared/release-record';
import { environmentOf } from '../compute/provision-plan';

export interface RecoverPlan {
  /** Epoch ms: where the recovery time is counted from. */
  readonly startedAt: number;
  readonly release: string;
  /** The inputs of the child executions. */
  readonly allocate: Record<string, unknown>;
  readonly restore: Record<string, unknown>;
  readonly deploy: Record<string, unknown>;
}

export const handler = async (event: { environment: unknown; input: unknown; execution: string }): Promise<RecoverPlan> => {
  const plan = await planRecover(event);
  logger.info('planned recovery', { release: plan.release, source: plan.restore.source });
  return plan;
};

export async function planRecover(event: { environment: unknown; input: unknown }): Promise<RecoverPlan> {
  const startedAt = Date.now();
  const input = parseComputeInput('recover', event.input);
  const environment = environmentOf(event.environment);
  const data = dataTierOf(environment);
  if (!data?.database.restore) {
    throw new InvalidInputError(`environment ${environment.name} defines no database.restore, so its data cannot be restored; nothing was changed`);
  }
  const recorded = await readParameter(releaseParameterName(environment.name, 'application', 'current'));
  const release = recorded ?? input.release;
  if (!release) {
    throw new InvalidInputError(`no release is recorded for ${environment.name} (${releaseParameterName(environment.name, 'application', 'current')}); give "release"; nothing was changed`);
  }
  const current = (await currentDatabaseIdentifier(environment))!;
  if (input.source === 'latest') {
    const instances = [current, data.database.instanceIdentifier];
    if (!(await newestSnapshot(instances))) {
      throw new NoSnapshotError(`no available snapshot of ${[...new Set(instances)].join(' or ')} to recover the data from; nothing was changed`);
    }
  } else if (typeof input.source === 'string') {
    try {
      await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: input.source }));
    } catch (err) {
      if ((err as Error).name !== 'DBSnapshotNotFoundFault') throw err;
      throw new NoSnapshotError(`source: snapshot ${input.source} does not exist; nothing was changed`, { cause: err });
    }
  }
  return {
    startedAt,
    release,
    // The database comes back through restore-data, into a new instance: allocate leaves it alone.
    allocate: { database: 'none', ...(recorded ? {} : { release }) },
    restore: { source: input.source, reason: 'disaster-recovery' },
    deploy: { release },
  };
}
