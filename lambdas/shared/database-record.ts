/**
 * Which RDS instance is the environment's database. A restore never reuses the defined
 * identifier (it restores into a new instance), so once one has run, the current instance
 * is the one recorded in Parameter Store, `/fleetflow/<environment>/database/current`;
 * before that, the definition's `instanceIdentifier`. Every workflow that touches the
 * database (a release's snapshot and migration, allocate, restore-data) asks here.
 */
import { DescribeDBInstancesCommand, paginateDescribeDBSnapshots, type DBInstance } from '@aws-sdk/client-rds';
import type { DatabaseTierDefinition, EnvironmentDefinition } from '../domain/environment/model';
import { isHostTier } from '../domain/environment/tiers';
import { rds } from './aws/rds';
import { readParameter } from './parameters';
import { databaseParameterName } from '../domain/contract/records';

export function dataTierOf(environment: EnvironmentDefinition): DatabaseTierDefinition | undefined {
  const data = environment.tiers.find((t) => !isHostTier(t));
  return data && !isHostTier(data) ? data : undefined;
}

/**
 * The identifier of the environment's current database instance (it may no longer exist).
 * `read` reads a parameter (null when there is none): `fleetflow capture` passes its own client's.
 */
export async function currentDatabaseIdentifier(environment: EnvironmentDefinition, read: (name: string) => Promise<string | null> = readParameter): Promise<string | undefined> {
  const data = dataTierOf(environment);
  if (!data) return undefined;
  return (await read(databaseParameterName(environment.name))) ?? data.database.instanceIdentifier;
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
