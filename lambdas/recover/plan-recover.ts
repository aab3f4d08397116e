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
  // Every source is checked as restore-data will check it: nothing is launched for a restore that cannot happen.
  const current = (await currentDatabaseIdentifier(environment))!;
  await resolveSource(environment.name, data, current, await describeDatabase(current), input.source);
  return {
    startedAt,
    release,
    // The database comes back through restore-data, into a new instance: allocate leaves it alone.
    allocate: { database: 'none', ...(recorded ? {} : { release }) },
    restore: { source: input.source, reason: 'disaster-recovery' },
    deploy: { release },
  };
}
