/**
 * Plan Restore Data (read-only; every refusal happens here, before the lock): the input's
 * source resolved to a snapshot or a point in time inside the instance's restorable window,
 * the new instance's identifier (naming the source and the execution) and settings (the
 * current instance's, else the definition's), the host that runs the check document, and
 * the hosts of the tiers that use the database as rolling batches (the release's capacity
 * rules; hosts a stopped execution left out of traffic first), written to the plan table.
 *
 * A restore an earlier execution stopped while repointing (earlier-restore.ts) is resumed:
 * its instance is the target (no second restore), the hosts it moved stay on it, the rest are
 * repointed, and the recovery point is its own. When the input asks for other data, refused.
 */
import { parseComputeInput } from '../domain/compute-input';
import { partition } from '../domain/environment/batch-policy';
import type { DatabaseTierDefinition, EnvironmentDefinition, HostTierDefinition } from '../domain/environment/model';
import { isHostTier } from '../domain/environment/tiers';
import { dataTierOf } from '../shared/database-record';
import { InvalidInputError, InventoryError } from '../domain/contract/errors';
import { logger } from '../shared/logger';
import { storeTiers } from '../shared/plan-store';
import { describeHosts } from '../shared/polling';
import { healthyTargets } from '../shared/target-health';
import { tierSpec } from '../shared/tier-spec';
import { environmentOf } from '../shared/provision-plan';
import { findHosts, policyFor, resolveTraffic } from '../shared/tier-hosts';
import type { HostRef, PlannedTier, TrafficPlan, RestorePlan } from '../domain/contract/payloads';
import { planRestoreTarget, type RestoreTarget } from './restore-target';
import { findEarlierRestore, hostsOf, parseRestoredFrom, sameData, sourceArgument, type EarlierRestore } from './earlier-restore';
import { resolveSource } from './restore-source';
import { findInstances, tagFilters, type InstanceFacts } from '../shared/instances';
import { describeDatabase, endpointOf } from '../shared/database-record';
import type { RestoreSource } from '../domain/compute-input';

export { newIdentifier } from './restore-target';

export interface PlanRestoreEvent {
  readonly environment: unknown;
  readonly input: unknown;
  readonly execution: string;
}

export const handler = async (event: PlanRestoreEvent): Promise<RestorePlan> => {
  const plan = await planRestoreData(event);
  logger.info('planned restore', { source: plan.source, target: plan.target.identifier, hosts: plan.hostCount, ...(plan.resume ? { resumes: plan.resume.execution } : {}) });
  return plan;
};

export async function planRestoreData(event: PlanRestoreEvent): Promise<RestorePlan> {
  const input = parseComputeInput('restore-data', event.input);
  const environment = environmentOf(event.environment);
  const data = dataTierOf(environment);
  if (!data?.database.restore) {
    throw new InvalidInputError(`environment ${environment.name} defines no database.restore (connection parameter, check and reconfigure documents); nothing was changed`);
  }
  const restore = data.database.restore;
  const fresh = await planRestoreTarget(environment, data, { source: input.source, reason: input.reason }, event.execution);
  const currentId = fresh.current.identifier;

  const hostTiers = restore.tiers.map((name) => environment.tiers.find((t) => t.name === name)).filter((t): t is HostTierDefinition => !!t && isHostTier(t));
  // Every running host of those tiers with its tags: what a stopped restore left on them.
  const tagged: InstanceFacts[] = [];
  for (const tier of hostTiers) tagged.push(...(await findInstances(tagFilters(tier.hosts.tags, ['running']))));
  const earlier = await findEarlierRestore({ base: data.database.instanceIdentifier, currentId, connection: fresh.previousEndpoint, hosts: tagged, execution: event.execution });
  const target = earlier ? await resumeOnto(fresh, earlier, input.source, environment, data) : fresh;
  const identifier = target.target.identifier;
  // Hosts the stopped restore moved and put back in traffic use the target already: not repointed again.
  const moved = new Set(earlier?.moved.map((h) => h.id) ?? []);

  const planned: PlannedTier[] = [];
  const hostsByTier = new Map<string, HostRef[]>();
  for (const tier of hostTiers) {
    const hosts = await findHosts(tier);
    hostsByTier.set(tier.name, hosts);
    if (hosts.filter((h) => !moved.has(h.id)).length === 0) continue;
    planned.push(await repointTier(environment, tier, hosts, identifier, restore.reconfigure, currentId, moved));
  }
  const runner = hostsByTier.get(data.database.migration.runnerTier)?.[0] ?? (await runnerOf(environment, data));
  const tiers = await storeTiers(environment.name, event.execution, 'repoint', planned);
  return {
    ...target,
    check: { ...target.check, runner },
    tiers,
    hostCount: planned.reduce((n, t) => n + t.batches.flat().length, 0),
  };
}

/** One tier's hosts as repoint batches: the release's batch size and minimum, hosts left out of traffic first. */
async function repointTier(
  environment: EnvironmentDefinition,
  tier: HostTierDefinition,
  hosts: HostRef[],
  database: string,
  reconfigure: RestorePlan['reconfigure'],
  currentId: string,
  moved: ReadonlySet<string>,
): Promise<PlannedTier> {
  // The policy and the floor count every host of the tier, those already moved too: they serve.
  const { batchSize, minHealthy, rollbackBatchSize } = policyFor(tier, hosts.length);
  const { traffic, healthyAfterSeconds, outOfTraffic } = await resolveTraffic(tier, hosts);
  await assertHealthy(tier, traffic, hosts.filter((h) => !outOfTraffic.has(h.id)));
  // `previous` is what the host uses now: what a repoint back returns it to.
  const refs = hosts.filter((h) => !moved.has(h.id)).map((h) => ({ id: h.id, name: h.name, previous: currentId }));
  const ordered = [...refs.filter((h) => outOfTraffic.has(h.id)), ...refs.filter((h) => !outOfTraffic.has(h.id))];
  const batches = partition(ordered, batchSize);
  return {
    mode: 'repoint',
    spec: {
      ...tierSpec(environment, tier, { traffic, healthyAfterSeconds }, { hostCount: hosts.length, minHealthy, batchSize, rollbackBatchSize }),
      reconfigure: { command: reconfigure, database },
    },
    batchCount: batches.length,
    batches,
  };
}

/**
 * Every host in traffic must be healthy before its database changes: a repointed host proves
 * the new database by passing its health checks again, which one already failing cannot, and
 * the restore would then be undone after it was done. Refused here, nothing changed.
 */
async function assertHealthy(tier: HostTierDefinition, traffic: TrafficPlan, hosts: readonly HostRef[]): Promise<void> {
  if (traffic.kind !== 'target-group') return;
  for (const arn of traffic.targetGroupArns) {
    const healthy = await healthyTargets(arn);
    const unhealthy = hosts.filter((h) => !healthy.has(h.id));
    if (unhealthy.length > 0) {
      throw new InventoryError(
        `tier ${tier.name}: ${describeHosts(unhealthy)} not healthy in ${arn.split(':').pop()}; a repoint could not tell the new database works on them: ` +
          'replace them first (replace --targets unhealthy); nothing was changed',
      );
    }
  }
}

/** The check runs on the first running host of the migration's runner tier. */
async function runnerOf(environment: EnvironmentDefinition, data: DatabaseTierDefinition): Promise<HostRef> {
  const tier = environment.tiers.find((t) => t.name === data.database.migration.runnerTier);
  const hosts = tier && isHostTier(tier) ? await findHosts(tier) : [];
  if (!hosts[0]) {
    throw new InventoryError(`no running host in tier ${data.database.migration.runnerTier} to check the restored database from; allocate it first; nothing was changed`);
  }
  return hosts[0];
}


/**
 * The plan of a restore resumed onto the instance a stopped execution restored and began
 * repointing to, when the input asks for its data; otherwise refused, naming it, the hosts on
 * it and the writes at stake, and the command that finishes it. The repoint back after a
 * failure goes to the current database's own endpoint: the parameter names the target now.
 */
async function resumeOnto(
  fresh: RestoreTarget,
  earlier: EarlierRestore,
  input: RestoreSource,
  environment: EnvironmentDefinition,
  data: DatabaseTierDefinition,
): Promise<RestoreTarget> {
  const currentId = fresh.current.identifier;
  const from = parseRestoredFrom(earlier.restoredFrom);
  const hosts = hostsOf(earlier);
  const state = [
    ...(earlier.connectionNamesIt ? [`the connection parameter ${fresh.connectionParameter} names it`] : []),
    ...(hosts ? [`${hosts} use it or were being moved onto it`] : []),
  ].join('; ');
  if (!from || !sameData(from, input, fresh.source)) {
    const asked = typeof input === 'string' ? input : input.pointInTime;
    const finish = from
      ? `Finish it: start restore-data again with source ${sourceArgument(from)} (npx fleetflow start restore-data --input '${JSON.stringify({ source: sourceArgument(from) })}'); or undo it`
      : 'Undo it';
    throw new InvalidInputError(
      `an earlier restore-data execution, ${earlier.execution}, restored ${earlier.identifier} (${earlier.restoredFrom}) and was stopped while repointing the hosts to it: ${state}. ` +
        `Writes made through those hosts since they moved are only in ${earlier.identifier}; restoring ${asked} now would move them away and lose those writes ` +
        `(${currentId} is still the recorded database). ${finish}: point those hosts and the parameter back to ${currentId} first; nothing was changed`,
    );
  }
  let source = fresh.source;
  let time = fresh.recoveryPointTime;
  if (from.kind === 'point-in-time') {
    source = { kind: 'point-in-time', instance: from.instance };
    time = from.time;
  } else if (fresh.source.kind !== 'snapshot' || fresh.source.snapshot !== from.snapshot) {
    const current = await describeDatabase(currentId);
    ({ source, time } = await resolveSource(environment.name, data, currentId, current, from.snapshot));
  }
  const current = fresh.current.exists ? await describeDatabase(currentId) : undefined;
  return {
    ...fresh,
    release: earlier.identifier,
    source,
    recoveryPointTime: time,
    dataLossSeconds: Math.max(0, Math.round((Date.now() - Date.parse(time)) / 1000)),
    target: { ...fresh.target, identifier: earlier.identifier },
    // Back to the old database itself; with no old database there is no way back (the workflow's choice).
    previousEndpoint: (current && endpointOf(current)) ?? null,
    resume: { execution: earlier.execution, moved: earlier.moved.length, underway: earlier.underway.length, hosts, connectionNamesTarget: earlier.connectionNamesIt },
  };
}
