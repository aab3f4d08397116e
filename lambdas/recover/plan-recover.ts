/**
 * Plan Recover (read-only): what disaster recovery runs, each part an execution of its own
 * workflow. It checks, before anything starts, what would otherwise fail halfway: the restore
 * source (as restore-data resolves it: a snapshot that exists, or a time inside the current
 * instance's window) and a release to put back (the recorded one, or the input's when none is
 * recorded).
 */
import { parseComputeInput } from '../domain/compute-input';
import { currentDatabaseIdentifier, dataTierOf, describeDatabase } from '../shared/database-record';
import { InvalidInputError } from '../domain/contract/errors';
import { logger } from '../shared/logger';
import { readParameter } from '../shared/parameters';
import { releaseParameterName } from '../domain/contract/records';
import { environmentOf } from '../shared/provision-plan';
import { resolveSource } from '../restore-data/restore-source';
import type { EnvironmentDefinition } from '../domain/environment/model';
import { isHostTier } from '../domain/environment/tiers';
import { liveHosts } from '../compute/leftovers';

export interface RecoverPlan {
  /** Epoch ms: where the recovery time is counted from. */
  readonly startedAt: number;
  readonly release: string;
  /** The time of the data the source holds, as resolved now (the restore resolves it again, the same way). */
  readonly recoveryPointTime: string;
  /**
   * The inputs of the child executions. Without `restore`, nothing serves on the database:
   * allocate restores it while it launches, and its hosts first serve on the restored data.
   */
  readonly allocate: Record<string, unknown>;
  readonly restore?: Record<string, unknown>;
  readonly deploy: Record<string, unknown>;
}

const REASON = 'disaster-recovery';

/** Live hosts of the tiers that use the database, as allocate counts them (a stopped run's leftovers never served). */
async function servingHosts(environment: EnvironmentDefinition, tiers: readonly string[]): Promise<number> {
  let n = 0;
  for (const tier of environment.tiers.filter(isHostTier).filter((t) => tiers.includes(t.name))) {
    n += (await liveHosts(tier.hosts.tags, '')).counted.length;
  }
  return n;
}

export const handler = async (event: { environment: unknown; input: unknown; execution: string }): Promise<RecoverPlan> => {
  const plan = await planRecover(event);
  logger.info('planned recovery', { release: plan.release, source: plan.restore?.source ?? plan.allocate.source });
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
  // Every source is checked as restore-data will check it: nothing is launched for a restore that cannot happen.
  const current = (await currentDatabaseIdentifier(environment))!;
  const instance = await describeDatabase(current);
  const { time } = await resolveSource(environment.name, data, current, instance, input.source);
  const release_ = recorded ? {} : { release };
  // Hosts that use the database and are still there serve on the old one (or the instance itself is still there):
  // restore-data repoints them, after allocate.
  if (instance || (await servingHosts(environment, data.database.restore.tiers)) > 0) {
    return {
      startedAt,
      release,
      recoveryPointTime: time,
      allocate: { database: 'none', ...release_ },
      restore: { source: input.source, reason: REASON },
      deploy: { release },
    };
  }
  // The database is gone and nothing serves: the restore overlaps the hosts' launch, and they first serve on the restored data.
  return { startedAt, release, recoveryPointTime: time, allocate: { database: 'restore', source: input.source, reason: REASON, ...release_ }, deploy: { release } };
}
