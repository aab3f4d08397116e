/**
 * Which RDS instance is the environment's database. A restore never reuses the defined
 * identifier (it restores into a new instance), so once one has run, the current instance
 * is the one recorded in Parameter Store, `/fleetflow/<environment>/database/current`;
 * before that, the definition's `instanceIdentifier`. Every workflow that touches the
 * database (a release's snapshot and migration, allocate, restore-data) asks here.
 */
import { DescribeDBInstancesCommand, paginateDescribeDBSnapshots, type DBInstance } from '@aws-sdk/client-rds';
import type { DatabaseTierDefinition, EnvironmentDefinition } from '../domain/environment/model';
import { isHostTier } from '../domain/environment/model';
import { rds } from './aws/rds';
import { readParameter } from './parameters';

export function databaseParameterName(environment: string): string {
  return `/fleetflow/${environment}/database/current`;
}

/** RDS DB instance identifiers: at most 63 characters (RDS API reference, CreateDBInstance). */
const MAX_IDENTIFIER_CHARS = 63;
/** `-<kind>-YYYYMMDDHHMM-xxxxxxxx`: what a restored instance's name adds to the database's. */
const RESTORED_SUFFIX_CHARS = 1 + 4 + 1 + 12 + 1 + 8;
export const RESTORED_KINDS = { snapshot: 'snap', 'point-in-time': 'pitr' } as const;

/**
 * How every instance restored from the database `base` begins: `<base>-snap-` or
 * `<base>-pitr-` (the base lowercased, as RDS stores identifiers, and cut so that the whole
 * identifier fits 63 characters). Restores name their instances with it, and IAM pins the
 * restore and the release's database grants to it.
 */
export function restoredPrefix(base: string, kind: keyof typeof RESTORED_KINDS): string {
  const head = base.toLowerCase().replace(/--+/g, '-').slice(0, MAX_IDENTIFIER_CHARS - RESTORED_SUFFIX_CHARS).replace(/-+$/, '');
  return `${head}-${RESTORED_KINDS[kind]}-`;
}

/**
 * The snapshot names FleetFlow's IAM grants let it read and restore, for the database `defined`
 * of the environment: automated snapshots of it and of the instances restores made of it
 * (`rds:<instance>-<time>`), manual ones named after either, and FleetFlow's own
 * (`fleetflow-<environment>-...`). IAM authorizes a snapshot by its name only (no condition key
 * says which instance it was taken of), so these names are the grant; the restore also checks
 * the snapshot's source instance.
 */
export function snapshotNamePatterns(defined: string, environment: string): string[] {
  const heads = [defined.toLowerCase() + '-', ...(Object.keys(RESTORED_KINDS) as Array<keyof typeof RESTORED_KINDS>).map((kind) => restoredPrefix(defined, kind))];
  // A restored instance's prefix is already covered when the database's full name begins it.
  const kept = heads.filter((head, i) => !heads.some((other, j) => j !== i && other.length < head.length && head.startsWith(other)));
  return [...new Set([...kept.map((h) => `rds:${h}*`), ...kept.map((h) => `${h}*`), `fleetflow-${environment}-*`])];
}

/** Whether a snapshot name is one of `snapshotNamePatterns` (each a prefix and `*`). */
export function snapshotNameGranted(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => name.toLowerCase().startsWith(p.slice(0, -1)));
}

export function dataTierOf(environment: EnvironmentDefinition): DatabaseTierDefinition | undefined {
  const data = environment.tiers.find((t) => !isHostTier(t));
  return data && !isHostTier(data) ? data : undefined;
}

/** The identifier of the environment's current database instance (it may no longer exist). */
export async function currentDatabaseIdentifier(environment: EnvironmentDefinition): Promise<string | undefined> {
  const data = dataTierOf(environment);
  if (!data) return undefined;
  return (await readParameter(databaseParameterName(environment.name))) ?? data.database.instanceIdentifier;
}

/** The instance as DescribeDBInstances reports it, or undefined when RDS has no instance of that identifier. */
export async function describeDatabase(identifier: string): Promise<DBInstance | undefined> {
  try {
    const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier }));
    return DBInstances[0];
  } catch (err) {
    if ((err as Error).name === 'DBInstanceNotFoundFault') return undefined;
    throw err;
  }
}

/** "<address>:<port>", as the connection parameter holds it. */
export function endpointOf(instance: DBInstance): string | undefined {
  const { Address, Port } = instance.Endpoint ?? {};
  return Address && Port ? `${Address}:${Port}` : undefined;
}

export interface SnapshotRef {
  readonly identifier: string;
  readonly instance: string;
  /** ISO-8601: the time of the data it holds. */
  readonly createdAt: string;
  readonly type: string;
}

/**
 * The newest available snapshot of any of the instances, manual or automated
 * (DescribeDBSnapshots by DBInstanceIdentifier without SnapshotType returns both; paginated,
 * MaxRecords at most 100), or undefined when there is none. Snapshots of a deleted instance
 * are still found by its identifier.
 */
export async function newestSnapshot(instances: readonly string[]): Promise<SnapshotRef | undefined> {
  let newest: SnapshotRef | undefined;
  for (const instance of new Set(instances)) {
    for await (const page of paginateDescribeDBSnapshots({ client: rds, pageSize: 100 }, { DBInstanceIdentifier: instance })) {
      for (const snapshot of page.DBSnapshots ?? []) {
        if (snapshot.Status !== 'available' || !snapshot.DBSnapshotIdentifier || !snapshot.SnapshotCreateTime) continue;
        const createdAt = new Date(snapshot.SnapshotCreateTime).toISOString();
        if (!newest || createdAt > newest.createdAt) {
          newest = { identifier: snapshot.DBSnapshotIdentifier, instance: snapshot.DBInstanceIdentifier ?? instance, createdAt, type: snapshot.SnapshotType ?? 'manual' };
        }
      }
    }
  }
  return newest;
}
