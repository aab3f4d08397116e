/**
 * What a data restore (restore-data, recover) did to the simulated account, read from the
 * account itself rather than from what the workflow says it did: the DB instance created
 * during the run, what became of the one the hosts used before, and which database each
 * host of the restore tiers is configured for at the end.
 */
import { type SimulatedAccount, databaseAtEndpoint, definitionOf } from './account';
import { parameterGroupOf } from './services/rds';

/** One DB instance before the run. */
export interface DatabaseBefore {
  readonly identifier: string;
  /** What it was created as (JSON), to tell whether it was changed. */
  readonly definition: string;
  /** Its data: the schema release it holds. */
  readonly schemaRelease: string;
  readonly status: string;
}

/** The account's databases before the run, and where the connection parameter pointed. */
export interface DatabasesBefore {
  readonly databases: readonly DatabaseBefore[];
  /** The connection parameter's name and value (null when there is none, or it did not exist). */
  readonly connectionParameter: string | null;
  readonly connection: string | null;
  /** The instance that answered at that endpoint, if one did: the database the hosts used. */
  readonly connectedTo: string | null;
}

export interface NewDatabaseReport {
  readonly identifier: string;
  readonly status: string;
  /** A snapshot's identifier, `<source>@<ISO time>` for a point in time, or null for a new empty instance. */
  readonly restoredFrom: string | null;
  readonly instanceClass: string;
  readonly multiAz: boolean;
  readonly subnetGroup: string;
  readonly securityGroups: readonly string[];
  readonly parameterGroup: string;
}

export interface OldDatabaseReport {
  readonly identifier: string;
  /** Still exists, with the same definition and the same data (schema release). */
  readonly unchanged: boolean;
  /** Its status at the end; null once it no longer exists. */
  readonly status: string | null;
  /** Its tags at the end (tags are not part of what it was created as: a restore may add some). */
  readonly tags: Readonly<Record<string, string>>;
}

export interface DataReport {
  /** The instance that did not exist before the run (the newest, if several), or null. */
  readonly newDatabase: NewDatabaseReport | null;
  /** The instance the connection parameter pointed to before the run, if it existed, or null. */
  readonly oldDatabase: OldDatabaseReport | null;
  /** Every running host of the restore tiers: the database its service is configured for ('' for none). */
  readonly hostsOnDatabase: Readonly<Record<string, string>>;
}

const fingerprint = (definition: unknown) => JSON.stringify(definition ?? null);

/**
 * Before the run: each instance (definition, data, status), and the instance the
 * connection parameter points to (by default the environment's, from fleet.ts).
 */
export function captureDatabases(account: SimulatedAccount, connectionParameter = account.dataTier?.connectionParameter): DatabasesBefore {
  account.settle();
  const connection = connectionParameter !== undefined ? (account.parameters.get(connectionParameter)?.value ?? null) : null;
  return {
    databases: [...account.databases.values()].map((db) => ({
      identifier: db.identifier,
      definition: fingerprint(db.definition),
      schemaRelease: db.schemaRelease,
      status: account.databaseStatus(db),
    })),
    connectionParameter: connectionParameter ?? null,
    connection,
    connectedTo: connection !== null ? (databaseAtEndpoint(account, connection)?.identifier ?? null) : null,
  };
}

/** The newest instance that did not exist before, as it is at `end`. */
function newDatabase(account: SimulatedAccount, before: DatabasesBefore, end: number): NewDatabaseReport | null {
  const existed = new Set(before.databases.map((d) => d.identifier));
  const created = [...account.databases.values()].filter((db) => !existed.has(db.identifier));
  const db = created.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0];
  if (!db) return null;
  const definition = definitionOf(db);
  return {
    identifier: db.identifier,
    status: account.databaseStatus(db, end),
    restoredFrom: db.restoredFrom ?? null,
    instanceClass: definition.instanceClass,
    multiAz: definition.multiAz,
    subnetGroup: definition.subnetGroup,
    securityGroups: [...definition.securityGroups],
    parameterGroup: parameterGroupOf(definition),
  };
}

/** The instance the hosts used before the run, and whether it is still there as it was. */
function oldDatabase(account: SimulatedAccount, before: DatabasesBefore, end: number): OldDatabaseReport | null {
  const was = before.databases.find((d) => d.identifier === before.connectedTo);
  if (!was) return null;
  const db = account.databases.get(was.identifier);
  const unchanged = db !== undefined && fingerprint(db.definition) === was.definition && db.schemaRelease === was.schemaRelease;
  return { identifier: was.identifier, unchanged, status: db ? account.databaseStatus(db, end) : null, tags: { ...(db?.tags ?? {}) } };
}

/** Which database each running host of the restore tiers is configured for, read from the simulated host. */
function hostsOnDatabase(account: SimulatedAccount): Record<string, string> {
  const tiers = new Set(account.dataTier?.restoreTiers ?? []);
  const hosts = [...account.hosts.values()].filter((h) => tiers.has(h.tier) && h.state === 'running');
  return Object.fromEntries(hosts.map((h) => [h.name, h.database]));
}

/** What the run did to the databases, at `end` (virtual ms). */
export function dataReport(account: SimulatedAccount, before: DatabasesBefore, end: number): DataReport {
  account.settle();
  return { newDatabase: newDatabase(account, before, end), oldDatabase: oldDatabase(account, before, end), hostsOnDatabase: hostsOnDatabase(account) };
}
