/**
 * Plan Allocation: how many hosts each tier launches so that it has the count asked for
 * (the input's, else the environment's declared `count`), spread evenly over its subnets
 * around the hosts it already has; and whether the data tier's instance must be created.
 * Read-only: every refusal happens here, before the lock and before anything launches.
 * A fresh environment launches every host; a partly lost one only what is missing. Hosts
 * a stopped run launched and never set up do not count (leftovers.ts): started again, an
 * allocate launches what the tier still misses and terminates them. A host set up (a release)
 * but registered in none of its tier's target groups, not taken out of traffic by FleetFlow, is
 * refused, named, before the lock: a stopped run's or one deregistered by hand, a person decides.
 */
import { parseComputeInput, type AllocateInput } from '../domain/compute-input';
import type { DatabaseCreateDefinition, EnvironmentDefinition } from '../domain/environment/model';
import { masterSecretName, usesFleetFlowSecret } from '../domain/environment/master-password';
import { isHostTier } from '../domain/environment/tiers';
import { currentDatabaseIdentifier, dataTierOf, describeDatabase, newestSnapshot } from '../shared/database-record';
import { InvalidInputError } from '../domain/contract/errors';
import { CREATING } from '../domain/contract/rds-status';
import { liveHosts, refuseOutOfService, tierLiveHosts } from './leftovers';
import type { InstanceFacts } from '../shared/instances';
import { describeHosts } from '../shared/polling';
import { planRestoreTarget } from '../restore-data/restore-target';
import { checkTierNetwork } from './network-checks';
import { environmentOf, launchableTier, provisionTier, releaseFor, spreadEvenly } from '../shared/provision-plan';
import type { ComputePlan, DatabaseCreatePlan, LeftoverTier, ProvisionTier, RestorePlan } from '../domain/contract/payloads';

export interface PlanEvent {
  readonly environment: unknown;
  readonly input: unknown;
  readonly execution: string;
}

export { LIVE_STATES } from './leftovers';

export async function planAllocation(event: PlanEvent): Promise<ComputePlan> {
  const input = parseComputeInput('allocate', event.input);
  if (input.database !== 'restore' && (input.source !== undefined || input.reason !== undefined)) {
    throw new InvalidInputError(`allocate input: "source" and "reason" go with "database": "restore" (received "database": "${input.database}"); nothing was changed`);
  }
  const environment = environmentOf(event.environment);
  const hostTiers = environment.tiers.filter(isHostTier);
  const dataTier = environment.tiers.find((t) => !isHostTier(t));
  for (const [name, count] of Object.entries(input.tiers ?? {})) {
    if (name === dataTier?.name) {
      // The database is one instance: 1 makes sure it exists, 0 leaves it alone.
      if (count > 1) throw new InvalidInputError(`tiers.${name}: the data tier is one database instance; give 1 (create it if missing) or 0 (received ${count}); nothing was changed`);
      continue;
    }
    if (!hostTiers.some((t) => t.name === name)) launchableTier(environment, name, `tiers.${name}`);
  }
  const named = input.tiers ? hostTiers.filter((t) => t.name in input.tiers!) : hostTiers;
  const tiers: ProvisionTier[] = [];
  const leftovers: LeftoverTier[] = [];
  // Hosts set up and registered in no target group, by tier: refused, all named, before the lock (leftovers.ts).
  const outOfService = new Map<string, InstanceFacts[]>();
  const left: InstanceFacts[] = [];
  for (const definition of named) {
    const wanted = input.tiers?.[definition.name] ?? definition.count;
    if (wanted === undefined) {
      throw new InvalidInputError(`tiers.${definition.name}: the tier declares no count and the input gives none; nothing was changed`);
    }
    const tier = launchableTier(environment, definition.name, `tiers.${definition.name}`);
    // Hosts a stopped run launched and never set up are not the tier's: they are terminated, and replaced.
    // A host set up and registered in no target group is refused (below), never terminated.
    const { counted: existing, leftovers: found, leftoverTier, outOfService: out } = await tierLiveHosts(tier, event.execution);
    outOfService.set(tier.name, out);
    left.push(...found);
    if (leftoverTier) leftovers.push(leftoverTier);
    const missing = wanted - existing.length;
    if (missing <= 0) continue;
    const release = await releaseFor(environment, tier, input.release);
    const perSubnet = balance(missing, wanted, tier.launch.subnets.map((s) => existing.filter((h) => h.subnetId === s.id).length));
    // Listeners and security groups, before the lock and before anything is launched.
    await checkTierNetwork(tier);
    tiers.push(await provisionTier(environment, tier, { count: missing, perSubnet, release }));
  }
  refuseOutOfService(outOfService, left);
  const database = input.database === 'restore' ? undefined : await planDatabase(environment, input.tiers, input.database);
  const restore = input.database === 'restore' ? await planRestore(environment, input, tiers, event.execution) : undefined;
  const launchCount = tiers.reduce((n, t) => n + t.spec.hostCount, 0);
  // Every tier has its hosts, the database is there, no stopped run left hosts: the run ends before the lock.
  const nothingToDo = launchCount === 0 && !database && !restore && leftovers.length === 0;
  return {
    environment: environment.name,
    workflow: 'allocate',
    tiers,
    launchCount,
    ...(database ? { database } : {}),
    ...(restore ? { restore } : {}),
    ...(leftovers.length > 0 ? { leftovers } : {}),
    ...(nothingToDo ? { nothingToDo: 'every tier has its hosts and the database is there: nothing allocated' } : {}),
  };
}

/**
 * New hosts per subnet so that the tier ends as evenly spread as it can: each subnet is
 * filled up to its even share of `wanted`, then any remainder goes round.
 */
export function balance(missing: number, wanted: number, existingPerSubnet: readonly number[]): number[] {
  const share = spreadEvenly(wanted, existingPerSubnet.length);
  const launch = share.map((s, i) => Math.max(0, s - existingPerSubnet[i]!));
  let extra = missing - launch.reduce((a, b) => a + b, 0);
  // More hosts exist in some subnets than their share: trim from the largest.
  while (extra < 0) {
    const i = launch.indexOf(Math.max(...launch));
    launch[i]! -= 1;
    extra += 1;
  }
  for (let i = 0; extra > 0; i = (i + 1) % launch.length, extra -= 1) launch[i]! += 1;
  return launch;
}

/** The data tier's instance is created when it does not exist (and the definition says how). */
async function planDatabase(
  environment: EnvironmentDefinition,
  named: Record<string, number> | undefined,
  how: 'create' | 'latest-snapshot' | 'none',
): Promise<DatabaseCreatePlan | undefined> {
  const data = dataTierOf(environment);
  if (!data || how === 'none') return undefined;
  if (named && !named[data.name]) return undefined;
  // After a restore-data the current instance is the restored one, not the defined identifier.
  const current = (await currentDatabaseIdentifier(environment))!;
  const identifier = data.database.instanceIdentifier;
  const existing = await describeDatabase(current);
  if (existing) {
    // Not available yet, on its way there (an allocate stopped while it waited for it): waited for again, as
    // this run's own (Create Database takes an existing instance of the identifier as created).
    const stillCreating = CREATING.has(existing.DBInstanceStatus ?? '') && current === identifier && data.database.create;
    return stillCreating ? { instanceIdentifier: identifier, create: data.database.create!, ...masterSecretOf(environment, data.database.create), timeoutSeconds: data.database.create!.timeoutSeconds, polling: environment.polling } : undefined;
  }
  if (current !== identifier) {
    throw new InvalidInputError(
      `database ${current} (the environment's current database) does not exist; restore it with restore-data (or recover), ` +
        `or give "database": "none"; nothing was changed`,
    );
  }
  if (!data.database.create) {
    throw new InvalidInputError(
      `database ${identifier} does not exist and tiers.${data.name}.database.create does not say how to create it; nothing was changed`,
    );
  }
  const fromSnapshot = how === 'latest-snapshot' ? await latestSnapshot(identifier) : undefined;
  return { instanceIdentifier: identifier, create: data.database.create, ...masterSecretOf(environment, data.database.create), ...(fromSnapshot ? { fromSnapshot } : {}), timeoutSeconds: data.database.create.timeoutSeconds, polling: environment.polling };
}

/** The secret Create Database reads the master password from, in "fleetflow-secret" mode (its name only). */
function masterSecretOf(environment: EnvironmentDefinition, create: DatabaseCreateDefinition | undefined): { masterSecret?: string } {
  return usesFleetFlowSecret(create) ? { masterSecret: masterSecretName(environment.name) } : {};
}

/**
 * `"database": "restore"` (disaster recovery): the data restored into a new instance while
 * the hosts launch, checked from a new host of the runner tier, and the connection parameter
 * written before any host is set up, so that every host this run launches first serves on
 * the restored data. Only when the current instance is gone and no live host of a tier that
 * uses the database exists: those would keep the old database, and restore-data repoints
 * them in rolling batches instead.
 */
async function planRestore(environment: EnvironmentDefinition, input: AllocateInput, tiers: readonly ProvisionTier[], execution: string): Promise<RestorePlan> {
  const data = dataTierOf(environment);
  if (!data?.database.restore) {
    throw new InvalidInputError(`"database": "restore": environment ${environment.name} defines no database.restore; nothing was changed`);
  }
  if (input.tiers && input.tiers[data.name] === 0) {
    throw new InvalidInputError(`tiers.${data.name}: 0 leaves the database alone, but "database": "restore" restores it; nothing was changed`);
  }
  const restore = data.database.restore;
  const users = environment.tiers.filter(isHostTier).filter((t) => restore.tiers.includes(t.name));
  for (const tier of users) {
    const { counted } = await liveHosts(tier.hosts.tags, execution);
    if (counted.length > 0) {
      throw new InvalidInputError(
        `"database": "restore": tier ${tier.name} has ${describeHosts(counted)}, which use the current database and would stay on it; ` +
          'restore the data with restore-data (it repoints them), or recover, which does so when hosts remain; nothing was changed',
      );
    }
  }
  // Only a lost database: one still there has a restorable window and its own backups, which restore-data reads.
  const currentId = (await currentDatabaseIdentifier(environment))!;
  if (await describeDatabase(currentId)) {
    throw new InvalidInputError(`"database": "restore": database ${currentId} still exists; restore its data with restore-data; nothing was changed`);
  }
  const target = await planRestoreTarget(environment, data, { source: input.source ?? 'latest', reason: input.reason ?? 'allocate' }, execution);
  // The check runs on a host of the runner tier: one that is there now, else the first this run launches there.
  const runnerTier = environment.tiers.filter(isHostTier).find((t) => t.name === data.database.migration.runnerTier);
  const present = runnerTier ? (await liveHosts(runnerTier.hosts.tags, execution)).counted[0] : undefined;
  if (!present && !tiers.some((t) => t.spec.name === data.database.migration.runnerTier)) {
    throw new InvalidInputError(
      `"database": "restore": no host of tier ${data.database.migration.runnerTier} (database.migration.runnerTier) is there or launched by this allocate to check the restored data from; nothing was changed`,
    );
  }
  return {
    ...target,
    check: { ...target.check, runnerTier: data.database.migration.runnerTier, ...(present ? { runner: { id: present.id, name: present.name, previous: '' } } : {}) },
    tiers: [],
    hostCount: tiers.filter((t) => restore.tiers.includes(t.spec.name)).reduce((n, t) => n + t.spec.hostCount, 0),
  };
}

/** The newest available snapshot of the instance, manual or automated: what "latest-snapshot" restores. */
async function latestSnapshot(identifier: string): Promise<{ identifier: string; createdAt: string }> {
  const newest = await newestSnapshot([identifier]);
  if (!newest) throw new InvalidInputError(`database: no available snapshot of ${identifier} to restore from; give "database": "create" to create it empty; nothing was changed`);
  return { identifier: newest.identifier, createdAt: newest.createdAt };
}
