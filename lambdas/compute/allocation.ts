/**
 * Plan Allocation: how many hosts each tier launches so that it has the count asked for
 * (the input's, else the environment's declared `count`), spread evenly over its subnets
 * around the hosts it already has; and whether the data tier's instance must be created.
 * Read-only: every refusal happens here, before the lock and before anything launches.
 * A fresh environment launches every host; a partly lost one only what is missing. Hosts
 * a stopped run launched and never set up do not count (leftovers.ts): started again, an
 * allocate launches what the tier still misses and terminates them.
 */
import { parseComputeInput } from '../domain/compute-input';
import type { EnvironmentDefinition } from '../domain/environment/model';
import { isHostTier } from '../domain/environment/tiers';
import { currentDatabaseIdentifier, dataTierOf, describeDatabase, newestSnapshot } from '../shared/database-record';
import { InvalidInputError } from '../domain/contract/errors';
import { CREATING } from '../domain/contract/rds-status';
import { leftoverTier, liveHosts } from './leftovers';
import { checkTierNetwork } from './network-checks';
import { environmentOf, launchableTier, provisionTier, releaseFor, spreadEvenly } from '../shared/provision-plan';
import type { ComputePlan, DatabaseCreatePlan, LeftoverTier, ProvisionTier } from '../domain/contract/payloads';

export interface PlanEvent {
  readonly environment: unknown;
  readonly input: unknown;
  readonly execution: string;
}

export { LIVE_STATES } from './leftovers';

export async function planAllocation(event: PlanEvent): Promise<ComputePlan> {
  const input = parseComputeInput('allocate', event.input);
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
  for (const definition of named) {
    const wanted = input.tiers?.[definition.name] ?? definition.count;
    if (wanted === undefined) {
      throw new InvalidInputError(`tiers.${definition.name}: the tier declares no count and the input gives none; nothing was changed`);
    }
    const tier = launchableTier(environment, definition.name, `tiers.${definition.name}`);
    // Hosts a stopped run launched and never set up are not the tier's: they are terminated, and replaced.
    const { counted: existing, leftovers: left } = await liveHosts(tier.hosts.tags, event.execution);
    if (left.length > 0) leftovers.push(leftoverTier(tier.name, tier.hosts.tags, left));
    const missing = wanted - existing.length;
    if (missing <= 0) continue;
    const release = await releaseFor(environment, tier, input.release);
    const perSubnet = balance(missing, wanted, tier.launch.subnets.map((s) => existing.filter((h) => h.subnetId === s.id).length));
    // Listeners and security groups, before the lock and before anything is launched.
    await checkTierNetwork(tier);
    tiers.push(await provisionTier(environment, tier, { count: missing, perSubnet, release }));
  }
  const database = await planDatabase(environment, input.tiers, input.database);
  return {
    environment: environment.name,
    workflow: 'allocate',
    tiers,
    launchCount: tiers.reduce((n, t) => n + t.spec.hostCount, 0),
    ...(database ? { database } : {}),
    ...(leftovers.length > 0 ? { leftovers } : {}),
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
    return stillCreating ? { instanceIdentifier: identifier, create: data.database.create!, timeoutSeconds: data.database.create!.timeoutSeconds, polling: environment.polling } : undefined;
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
  return { instanceIdentifier: identifier, create: data.database.create, ...(fromSnapshot ? { fromSnapshot } : {}), timeoutSeconds: data.database.create.timeoutSeconds, polling: environment.polling };
}

/** The newest available snapshot of the instance, manual or automated: what "latest-snapshot" restores. */
async function latestSnapshot(identifier: string): Promise<{ identifier: string; createdAt: string }> {
  const newest = await newestSnapshot([identifier]);
  if (!newest) throw new InvalidInputError(`database: no available snapshot of ${identifier} to restore from; give "database": "create" to create it empty; nothing was changed`);
  return { identifier: newest.identifier, createdAt: newest.createdAt };
}
