/**
 * RDS in the simulated account: DB instances created, or restored from a snapshot or to a
 * point in time, with their status lifecycle; snapshots and automated backups; tags. Whatever
 * RDS would refuse or fail, this refuses or fails the same way.
 */
import { DEFAULT_DB_SECURITY_GROUP, type DatabaseDefinition, type LostDatabase, SIM_VPC_ID, type SimBlueGreenDeployment, type SimDatabase, type SimSnapshot, type SimulatedAccount, definitionOf, endpointParts, findDatabase } from '../account';
import { type Input, type Operation, paginate } from './common';
import { SIM_ACCOUNT_ID, SimulatedServiceError, invalidParameterCombination, invalidParameterValue, missingParameter } from '../aws-errors';
import { createHash } from 'node:crypto';

const ms = (seconds: number) => seconds * 1000;

/** Seconds a new DB instance is `creating`, then `backing-up` (its first automated backup). */
export const DB_CREATE_SECONDS = 420;

export const DB_FIRST_BACKUP_SECONDS = 60;

/** Seconds a DB instance restored from a snapshot is `creating`. */
export const DB_RESTORE_SECONDS = 600;

type DatabaseRequest = Record<string, unknown>;

export type Tag = { Key?: string; Value?: string };

const DB_IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}$/;

/** The Region of the simulated account's RDS resources (their ARNs and endpoints). */
const RDS_REGION = 'us-east-1';

/**
 * DBInstanceIdentifier (CreateDBInstance, RestoreDBInstanceFromDBSnapshot), and
 * TargetDBInstanceIdentifier (RestoreDBInstanceToPointInTime): 1 to 63 letters, digits or
 * hyphens, a letter first, no trailing hyphen nor two consecutive ones; "stored as a
 * lowercase string".
 */
function checkIdentifier(value: unknown, parameter = 'DBInstanceIdentifier'): string {
  if (typeof value !== 'string' || value === '') throw missingParameter(parameter);
  if (!DB_IDENTIFIER.test(value) || value.endsWith('-')) {
    throw invalidParameterValue(
      `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  }
  return value.toLowerCase();
}

function requireNew(account: SimulatedAccount, identifier: string): void {
  if (findDatabase(account, identifier)) throw new SimulatedServiceError('DBInstanceAlreadyExistsFault', 'DB instance already exists');
}

function requireText(request: DatabaseRequest, name: string): string {
  const value = request[name];
  if (typeof value !== 'string' || value === '') throw missingParameter(name);
  return value;
}

/** DB subnet groups and parameter groups must exist ("Must match the name of an existing DB subnet group"). */
function checkGroups(account: SimulatedAccount, definition: DatabaseDefinition): void {
  if (!account.compute.dbSubnetGroups.has(definition.subnetGroup)) {
    throw new SimulatedServiceError('DBSubnetGroupNotFoundFault', `DBSubnetGroup '${definition.subnetGroup}' not found.`, { status: 404 });
  }
  const group = definition.parameterGroup;
  if (group !== undefined && !group.startsWith('default.') && !account.compute.dbParameterGroups.has(group)) {
    throw new SimulatedServiceError('DBParameterGroupNotFoundFault', `DBParameterGroup not found: ${group}`, { status: 404 });
  }
}

/**
 * The master password (CreateDBInstance): MasterUserPassword "Can't be specified if
 * ManageMasterUserPassword is turned on", and ManageMasterUserPassword cannot be used "if
 * MasterUserPassword is specified"; with neither, RDS has no password to set. A literal
 * password is a secret: the simulator watches that it never reaches an execution's history.
 */
function checkMasterPassword(account: SimulatedAccount, request: DatabaseRequest): void {
  const managed = request.ManageMasterUserPassword === true;
  const literal = typeof request.MasterUserPassword === 'string' && request.MasterUserPassword !== '';
  if (managed && literal) throw invalidParameterCombination('MasterUserPassword cannot be specified when ManageMasterUserPassword is turned on.');
  if (!managed && !literal) throw invalidParameterValue('The parameter MasterUserPassword must be provided and must not be blank.');
  if (literal) account.secretValues.add(request.MasterUserPassword as string);
}

/**
 * RDS API reference, Tag: a key or a value "can't be prefixed with aws: or rds:"; values are
 * at most 256 characters. Checked on every request that carries RDS tags (create, restore, AddTagsToResource).
 */
function checkRdsTags(request: DatabaseRequest): void {
  for (const tag of (request.Tags as Tag[] | undefined) ?? []) {
    for (const [what, text] of [['key', tag.Key ?? ''], ['value', tag.Value ?? '']] as const) {
      if (/^(aws|rds):/i.test(text)) throw invalidParameterValue(`Tag ${what} ${text.slice(0, 60)} is invalid: tag keys and values can't be prefixed with aws: or rds:`);
    }
    if ((tag.Value ?? '').length > 256) throw invalidParameterValue('Tag values must be at most 256 characters');
  }
}

const tagsOf = (request: DatabaseRequest): Record<string, string> => {
  checkRdsTags(request);
  return tagsFrom(request);
};

const tagsFrom = (request: DatabaseRequest): Record<string, string> =>
  Object.fromEntries(((request.Tags as Tag[] | undefined) ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/**
 * Adds an instance that goes through `steps` (status from each instant on), then stays
 * `final`; it serves from its first backup or from `available`, never if it ends otherwise.
 */
function addDatabase(
  account: SimulatedAccount,
  fields: Pick<SimDatabase, 'identifier' | 'schemaRelease' | 'definition' | 'tags' | 'restoredFrom'>,
  steps: ReadonlyArray<{ readonly seconds: number; readonly status: string }>,
  final: 'available' | 'incompatible-restore' = 'available',
): SimDatabase {
  const now = account.now();
  let at = now;
  const lifecycle = steps.map((step) => {
    const entry = { at, status: step.status };
    at += ms(step.seconds);
    return entry;
  });
  const db: SimDatabase = {
    ...fields,
    name: `db-${account.databases.size + 1}`,
    status: final,
    availableThroughout: true,
    createdAt: now,
    lifecycle: [...lifecycle, { at, status: final }],
    servesFrom: final === 'available' ? (lifecycle.find((l) => l.status === 'backing-up')?.at ?? at) : Number.POSITIVE_INFINITY,
  };
  account.databases.set(db.identifier, db);
  // Observe the instant each status begins, so a report sees every one of them.
  for (const entry of db.lifecycle!) account.schedule(entry.at, () => undefined);
  account.changed();
  return db;
}

/**
 * CreateDBInstance: `creating` for DB_CREATE_SECONDS, `backing-up` (its first automated
 * backup) for DB_FIRST_BACKUP_SECONDS, then `available`. Refused: an identifier in use
 * (DBInstanceAlreadyExists), a subnet or parameter group that does not exist, the master
 * password rules above, missing required parameters.
 */
export function createDatabase(account: SimulatedAccount, request: DatabaseRequest): object {
  const identifier = checkIdentifier(request.DBInstanceIdentifier);
  requireNew(account, identifier);
  const engine = requireText(request, 'Engine');
  const instanceClass = requireText(request, 'DBInstanceClass');
  const storage = request.AllocatedStorage;
  if (typeof storage !== 'number' || !Number.isInteger(storage) || storage < 1) {
    throw invalidParameterValue(`Invalid storage size for engine name ${engine} and storage type gp2: ${String(storage)}`);
  }
  if (typeof request.MasterUsername !== 'string' || request.MasterUsername === '') {
    throw invalidParameterValue('The parameter MasterUsername must be provided and must not be blank.');
  }
  checkMasterPassword(account, request);
  const definition: DatabaseDefinition = {
    engine,
    ...(typeof request.EngineVersion === 'string' ? { engineVersion: request.EngineVersion } : {}),
    instanceClass,
    allocatedStorage: storage,
    subnetGroup: (request.DBSubnetGroupName as string | undefined) ?? 'default',
    securityGroups: (request.VpcSecurityGroupIds as string[] | undefined) ?? [DEFAULT_DB_SECURITY_GROUP],
    ...(typeof request.DBParameterGroupName === 'string' ? { parameterGroup: request.DBParameterGroupName } : {}),
    multiAz: request.MultiAZ === true,
    masterUsername: request.MasterUsername,
    ...(request.ManageMasterUserPassword === true ? { managedMasterPassword: true } : {}),
  };
  checkGroups(account, definition);
  const db = addDatabase(account, { identifier, schemaRelease: '', definition, tags: tagsOf(request) }, [
    { seconds: DB_CREATE_SECONDS, status: 'creating' },
    { seconds: DB_FIRST_BACKUP_SECONDS, status: 'backing-up' },
  ]);
  return { DBInstance: describeDatabase(account, db) };
}

/**
 * RestoreDBInstanceFromDBSnapshot: a new instance with the snapshot's engine and data (its
 * schema release), restored as restoreInstance says. Refused: an identifier in use, a
 * snapshot that does not exist (DBSnapshotNotFound) or is not available (InvalidDBSnapshotState).
 */
export function restoreDatabase(account: SimulatedAccount, request: DatabaseRequest): object {
  const identifier = checkIdentifier(request.DBInstanceIdentifier);
  const snapshotId = requireText(request, 'DBSnapshotIdentifier');
  requireNew(account, identifier);
  const snapshot = account.snapshots.get(snapshotId);
  if (!snapshot) throw new SimulatedServiceError('DBSnapshotNotFoundFault', `DBSnapshot ${snapshotId} not found.`, { status: 404 });
  if (account.snapshotStatus(snapshot) !== 'available') {
    throw new SimulatedServiceError('InvalidDBSnapshotStateFault', `Snapshot ${snapshotId} is not in the available state.`);
  }
  const source = snapshot.definition ?? definitionOf(findDatabase(account, snapshot.instance));
  return restoreInstance(account, request, { identifier, source, schemaRelease: snapshot.schemaRelease ?? '', restoredFrom: snapshot.id });
}

/**
 * A new instance from a backup (a snapshot, or a point in time), `creating` for
 * DB_RESTORE_SECONDS, then `available`. What the request leaves out is RDS's default, not
 * the original's (API reference, both restores: "the default security group, the default
 * subnet group, and the default DB parameter group", Single-AZ); only the instance class
 * and the engine come from the source. With `restore-fail` it ends `incompatible-restore`
 * instead (RDS User Guide, DB instance status: "Amazon RDS can't do a point-in-time
 * restore"), and never serves.
 */
function restoreInstance(
  account: SimulatedAccount,
  request: DatabaseRequest,
  restore: { readonly identifier: string; readonly source: DatabaseDefinition; readonly schemaRelease: string; readonly restoredFrom: string },
): object {
  const { source } = restore;
  const definition: DatabaseDefinition = {
    engine: source.engine,
    ...(source.engineVersion !== undefined ? { engineVersion: source.engineVersion } : {}),
    instanceClass: (request.DBInstanceClass as string | undefined) ?? source.instanceClass,
    allocatedStorage: source.allocatedStorage,
    subnetGroup: (request.DBSubnetGroupName as string | undefined) ?? 'default',
    securityGroups: (request.VpcSecurityGroupIds as string[] | undefined) ?? [DEFAULT_DB_SECURITY_GROUP],
    ...(typeof request.DBParameterGroupName === 'string' ? { parameterGroup: request.DBParameterGroupName } : {}),
    multiAz: request.MultiAZ === true,
    masterUsername: source.masterUsername,
    // The restored instance keeps the snapshot's master password, and no RDS-managed secret: both restores'
    // ManageMasterUserPassword "Specifies whether to manage the master user password with Amazon Web Services
    // Secrets Manager in the restored DB instance", with "Constraints: Applies to RDS for Oracle only" (RDS API
    // reference, RestoreDBInstanceFromDBSnapshot). Asked of another engine, it is refused; the error's name is
    // not documented: InvalidParameterCombination, as RDS names a parameter another one's setting forbids.
  };
  if (request.ManageMasterUserPassword === true && !definition.engine.startsWith('oracle')) {
    throw invalidParameterCombination(`ManageMasterUserPassword applies to RDS for Oracle only; the snapshot's engine is ${definition.engine}.`);
  }
  checkGroups(account, definition);
  const db = addDatabase(
    account,
    { identifier: restore.identifier, schemaRelease: restore.schemaRelease, definition, tags: tagsOf(request), restoredFrom: restore.restoredFrom },
    [{ seconds: DB_RESTORE_SECONDS, status: 'creating' }],
    account.faults.restoreFail ? 'incompatible-restore' : 'available',
  );
  if (account.faults.restoreFail) account.faultFired('restore-fail');
  return { DBInstance: describeDatabase(account, db) };
}

/** The DB parameter group an instance uses: its own, else the engine's default (`default.<engine>`). */
export function parameterGroupOf(definition: DatabaseDefinition): string {
  return definition.parameterGroup ?? `default.${definition.engine}`;
}

/** `arn:aws:rds:<region>:<account>:db:<identifier>`, as DBInstanceArn. */
export function databaseArn(identifier: string): string {
  return `arn:aws:rds:${RDS_REGION}:${SIM_ACCOUNT_ID}:db:${identifier}`;
}

/**
 * DbiResourceId: "db-" and 26 base-32 characters, unique to one instance for its life (a
 * new instance under a lost one's identifier gets another). Derived from the identifier
 * and the creation time so that it is stable across runs.
 */
export function resourceIdOf(identifier: string, createdAt: number): string {
  const digest = createHash('sha256').update(`${identifier}@${createdAt}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `db-${Array.from(digest.subarray(0, 26), (byte) => alphabet[byte % 32]).join('')}`;
}

/** `arn:aws:secretsmanager:<region>:<account>:secret:rds!db-<id>-<6>`, the name RDS gives a managed master password's secret. */
function masterSecretArn(identifier: string): string {
  const digest = createHash('sha256').update(identifier).digest('hex');
  return `arn:aws:secretsmanager:${RDS_REGION}:${SIM_ACCOUNT_ID}:secret:rds!db-${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}-${digest.slice(32, 38)}`;
}

/** An instance as DescribeDBInstances reports it: no endpoint nor creation time while it is being created. */
export function describeDatabase(account: SimulatedAccount, db: SimDatabase, at = account.now()): object {
  const status = account.databaseStatus(db, at);
  const definition = definitionOf(db);
  const created = status !== 'creating';
  return {
    DBInstanceIdentifier: db.identifier,
    DBInstanceStatus: status,
    Engine: definition.engine,
    ...(definition.engineVersion !== undefined ? { EngineVersion: definition.engineVersion } : {}),
    DBInstanceClass: definition.instanceClass,
    AllocatedStorage: definition.allocatedStorage,
    MultiAZ: definition.multiAz,
    MasterUsername: definition.masterUsername,
    // The secret RDS keeps the password in (API reference, DBInstance.MasterUserSecret): its ARN only, never the value.
    ...(definition.managedMasterPassword ? { MasterUserSecret: { SecretArn: masterSecretArn(db.identifier), SecretStatus: 'active' } } : {}),
    DBSubnetGroup: { DBSubnetGroupName: definition.subnetGroup, VpcId: SIM_VPC_ID, SubnetGroupStatus: 'Complete' },
    VpcSecurityGroups: definition.securityGroups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
    // "in-sync" unless a static parameter change of its group waits for a reboot (ParameterApplyStatus).
    DBParameterGroups: [{ DBParameterGroupName: parameterGroupOf(definition), ParameterApplyStatus: account.compute.dbParameterGroupSettings.get(parameterGroupOf(definition))?.pendingReboot ? 'pending-reboot' : 'in-sync' }],
    DBInstanceArn: databaseArn(db.identifier),
    DbiResourceId: resourceIdOf(db.identifier, db.createdAt ?? account.startedAt),
    BackupRetentionPeriod: backupRetentionPeriod(account),
    ...(created ? { Endpoint: endpointParts(db), InstanceCreateTime: new Date(db.createdAt ?? account.startedAt) } : {}),
    // Point-in-time restore reaches to about five minutes ago once the first backup exists (and backups are on).
    ...(created && status !== 'backing-up' && backupRetentionPeriod(account) > 0 ? { LatestRestorableTime: new Date(at - RESTORABLE_LAG_MS) } : {}),
    TagList: Object.entries(db.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** `rds:<instance>-YYYY-MM-DD-HH-MM`, the name RDS gives an automated snapshot. */
function automatedSnapshotId(instance: string, at: number): string {
  const iso = new Date(at).toISOString();
  return `rds:${instance}-${iso.slice(0, 10)}-${iso.slice(11, 13)}-${iso.slice(14, 16)}`;
}

/** Two automated snapshots of a database that existed before the simulation: a day and an hour old. */
export function seedAutomatedSnapshots(account: SimulatedAccount, db: SimDatabase): void {
  for (const hoursAgo of [24, 1]) {
    const createdAt = account.startedAt - hoursAgo * 3600 * 1000;
    seedSnapshot(account, db, automatedSnapshotId(db.identifier, createdAt), createdAt, 'automated');
  }
}

/** A manual snapshot taken three hours before the simulation, so that "the newest snapshot" must choose among both types. */
export function seedManualSnapshot(account: SimulatedAccount, db: SimDatabase): void {
  seedSnapshot(account, db, `${db.identifier}-manual-before-release`, account.startedAt - 3 * 3600 * 1000, 'manual');
}

/** A snapshot of the instance as it is, taken at `createdAt` and available two minutes later. */
function seedSnapshot(account: SimulatedAccount, db: SimDatabase, id: string, createdAt: number, type: 'manual' | 'automated'): void {
  account.snapshots.set(id, {
    id,
    instance: db.identifier,
    createdAt,
    availableAt: createdAt + 120 * 1000,
    tags: {},
    type,
    schemaRelease: db.schemaRelease,
    definition: definitionOf(db),
  });
}

/** Days of automated backups the simulated instances keep. */
export const BACKUP_RETENTION_DAYS = 7;

/** LatestRestorableTime trails the present by about five minutes (transaction logs are uploaded every five minutes). */
export const RESTORABLE_LAG_MS = 5 * 60 * 1000;

/** BackupRetentionPeriod: 0 (backups off) under `no-snapshot`, where the account has no automated backup at all. */
export function backupRetentionPeriod(account: SimulatedAccount): number {
  return account.faults.noSnapshot ? 0 : BACKUP_RETENTION_DAYS;
}

/** The instance is gone; its snapshots and automated backups stay (retained). */
export function loseDatabase(account: SimulatedAccount, db: SimDatabase, at = account.now()): void {
  const createdAt = db.createdAt ?? account.startedAt;
  const resourceId = resourceIdOf(db.identifier, createdAt);
  account.databases.delete(db.identifier);
  account.compute.lostDatabases.set(resourceId, { identifier: db.identifier, resourceId, createdAt, lostAt: at, definition: definitionOf(db), schemaRelease: db.schemaRelease });
  account.changed();
}

/** An instance's automated backups: what DescribeDBInstanceAutomatedBackups lists and a point-in-time restore reads. */
export interface AutomatedBackup {
  readonly identifier: string;
  readonly resourceId: string;
  readonly status: 'active' | 'retained';
  /** The restorable window (virtual ms). */
  readonly earliest: number;
  readonly latest: number;
  readonly createdAt: number;
  readonly definition: DatabaseDefinition;
  readonly schemaRelease: string;
}

/**
 * When the automated snapshots of one instance were taken: those of its identifier from
 * its creation until `until` (an instance of the same name created later is another one).
 */
function automatedSnapshotTimes(account: SimulatedAccount, identifier: string, from: number, until: number): number[] {
  return [...account.snapshots.values()]
    .filter((s) => s.type === 'automated' && s.instance.toLowerCase() === identifier.toLowerCase() && s.createdAt >= from && s.createdAt <= until)
    .map((s) => s.createdAt);
}

/**
 * The automated backup of an instance that exists: restorable from its oldest automated
 * snapshot to LatestRestorableTime (now − 5 min). None without automated snapshots.
 */
export function activeBackup(account: SimulatedAccount, db: SimDatabase, at = account.now()): AutomatedBackup | undefined {
  const createdAt = db.createdAt ?? account.startedAt;
  const times = automatedSnapshotTimes(account, db.identifier, createdAt, at);
  if (times.length === 0) return undefined;
  const [identifier, definition] = [db.identifier, definitionOf(db)];
  return {
    identifier, resourceId: resourceIdOf(identifier, createdAt), status: 'active', earliest: Math.min(...times), latest: at - RESTORABLE_LAG_MS,
    createdAt, definition, schemaRelease: db.schemaRelease,
  };
}

/**
 * The retained backup of a lost instance. Its window ends when the instance was lost (for
 * an instance lost before the simulation, `empty` + `keepSnapshots`: the simulation start):
 * RDS keeps the transaction logs up to the deletion, so the simulator takes that instant.
 */
function retainedBackup(account: SimulatedAccount, lost: LostDatabase): AutomatedBackup | undefined {
  const times = automatedSnapshotTimes(account, lost.identifier, lost.createdAt, lost.lostAt);
  if (times.length === 0) return undefined;
  const { identifier, resourceId, createdAt, definition, schemaRelease } = lost;
  return { identifier, resourceId, status: 'retained', earliest: Math.min(...times), latest: lost.lostAt, createdAt, definition, schemaRelease };
}

/** Every automated backup in the account: of existing instances (active), then of lost ones (retained). */
export function automatedBackups(account: SimulatedAccount, at = account.now()): AutomatedBackup[] {
  const active = [...account.databases.values()].map((db) => activeBackup(account, db, at));
  const retained = [...account.compute.lostDatabases.values()].map((lost) => retainedBackup(account, lost));
  return [...active, ...retained].filter((b): b is AutomatedBackup => b !== undefined);
}

/** `arn:aws:rds:<region>:<account>:auto-backup:ab-<id>`, as DBInstanceAutomatedBackupsArn. */
export function automatedBackupArn(backup: AutomatedBackup): string {
  return `arn:aws:rds:${RDS_REGION}:${SIM_ACCOUNT_ID}:auto-backup:ab-${backup.resourceId.slice(3)}`;
}

/** A backup as DescribeDBInstanceAutomatedBackups reports it. */
export function describeAutomatedBackup(account: SimulatedAccount, backup: AutomatedBackup): object {
  const { definition } = backup;
  return {
    DBInstanceArn: databaseArn(backup.identifier),
    DbiResourceId: backup.resourceId,
    DBInstanceAutomatedBackupsArn: automatedBackupArn(backup),
    Region: RDS_REGION,
    DBInstanceIdentifier: backup.identifier,
    RestoreWindow: { EarliestTime: new Date(backup.earliest), LatestTime: new Date(backup.latest) },
    Status: backup.status,
    Engine: definition.engine,
    ...(definition.engineVersion !== undefined ? { EngineVersion: definition.engineVersion } : {}),
    AllocatedStorage: definition.allocatedStorage,
    Port: endpointParts({ identifier: backup.identifier, definition }).Port,
    MasterUsername: definition.masterUsername,
    InstanceCreateTime: new Date(backup.createdAt),
    VpcId: SIM_VPC_ID,
    BackupRetentionPeriod: backupRetentionPeriod(account),
  };
}

/** DBInstanceAutomatedBackupNotFound (HTTP 404): "No automated backup for this DB instance was found". */
export const automatedBackupNotFound = (name: string) =>
  new SimulatedServiceError('DBInstanceAutomatedBackupNotFoundFault', `No automated backup for this DB instance was found: ${name}`, { status: 404 });

/**
 * The backup a point-in-time restore reads, named by exactly one of
 * SourceDBInstanceIdentifier ("Must match the identifier of an existing DB instance": a lost
 * instance is refused, DBInstanceNotFound), SourceDbiResourceId or
 * SourceDBInstanceAutomatedBackupsArn (these two also reach a lost instance's retained
 * backup). An existing instance without automated backups: PointInTimeRestoreNotEnabled.
 */
function pointInTimeSource(account: SimulatedAccount, request: DatabaseRequest): AutomatedBackup {
  const names = ['SourceDBInstanceIdentifier', 'SourceDbiResourceId', 'SourceDBInstanceAutomatedBackupsArn'] as const;
  const given = names.filter((n) => typeof request[n] === 'string' && request[n] !== '');
  if (given.length !== 1) throw invalidParameterCombination(`Exactly one of ${names.join(', ')} must be specified`);
  const value = request[given[0]!] as string;
  if (given[0] === 'SourceDBInstanceIdentifier') {
    const db = findDatabase(account, value);
    if (!db) throw new SimulatedServiceError('DBInstanceNotFoundFault', `DBInstance ${value} not found.`, { status: 404 });
    const backup = activeBackup(account, db);
    // The documented cause is a BackupRetentionPeriod of 0; the exact message was not confirmed.
    if (!backup) throw new SimulatedServiceError('PointInTimeRestoreNotEnabledFault', `Point-in-time restore is not enabled for DB instance ${db.identifier}: it has no automated backups.`);
    return backup;
  }
  const wanted = value.toLowerCase();
  const found = automatedBackups(account).find((b) => (given[0] === 'SourceDbiResourceId' ? b.resourceId : automatedBackupArn(b)).toLowerCase() === wanted);
  if (!found) throw automatedBackupNotFound(value);
  return found;
}

/** RestoreTime or UseLatestRestorableTime: exactly one ("Can't be specified if the RestoreTime parameter is provided"). */
function requestedTime(request: DatabaseRequest): number | 'latest' {
  const latest = request.UseLatestRestorableTime === true;
  const asked = request.RestoreTime;
  if (latest === (asked !== undefined && asked !== null)) throw invalidParameterCombination('Exactly one of RestoreTime or UseLatestRestorableTime must be specified');
  if (latest) return 'latest';
  const time = new Date(asked as string | number | Date).getTime();
  if (Number.isNaN(time)) throw invalidParameterValue(`The parameter RestoreTime is not a valid timestamp: ${String(asked)}`);
  return time;
}

/** A time within the backup's window ("Must be before the latest restorable time"), else InvalidRestoreFault. */
function restoreTimeWithin(backup: AutomatedBackup, time: number | 'latest'): number {
  if (time === 'latest') return backup.latest;
  if (time < backup.earliest || time > backup.latest) {
    // InvalidRestoreFault is RDS's error for this; the exact message was not confirmed.
    const iso = (t: number) => new Date(t).toISOString();
    throw new SimulatedServiceError(
      'InvalidRestoreFault',
      `The restore time ${iso(time)} is not within the restorable window of ${backup.identifier} (${iso(backup.earliest)} to ${iso(backup.latest)})`,
    );
  }
  return time;
}

/**
 * RestoreDBInstanceToPointInTime: a new instance (TargetDBInstanceIdentifier) with the
 * source's data at a time within its restorable window, restored as restoreInstance says.
 * Its data is the source's schema release: the simulator does not model the history of a
 * schema, only its current release. Recorded as restored from `<source>@<ISO time>`.
 */
export function restoreDatabaseToPointInTime(account: SimulatedAccount, request: DatabaseRequest): object {
  const identifier = checkIdentifier(request.TargetDBInstanceIdentifier, 'TargetDBInstanceIdentifier');
  const time = requestedTime(request);
  const backup = pointInTimeSource(account, request);
  const at = restoreTimeWithin(backup, time);
  requireNew(account, identifier);
  const restoredFrom = `${backup.identifier}@${new Date(at).toISOString()}`;
  return restoreInstance(account, request, { identifier, source: backup.definition, schemaRelease: backup.schemaRelease, restoredFrom });
}

const RDS_ARN = /^arn:aws:rds:([a-z0-9-]+):(\d{12}):([a-z-]+):(.+)$/;

/**
 * The tags of the resource an ARN names (AddTagsToResource, ListTagsForResource): a DB
 * instance or a DB snapshot of the account; one that does not exist: its NotFound fault
 * (HTTP 404); anything else: InvalidParameterValue (the exact message was not confirmed).
 */
function taggedResource(account: SimulatedAccount, arn: unknown): { readonly tags: Record<string, string>; readonly add: (tags: Record<string, string>) => void } {
  if (typeof arn !== 'string' || arn === '') throw missingParameter('ResourceName');
  const match = RDS_ARN.exec(arn);
  const [, region, owner, type, name] = match ?? [];
  if (!match || (type !== 'db' && type !== 'snapshot')) throw invalidParameterValue(`The specified resource name does not match an RDS resource in this region: ${arn}`);
  const ours = region === RDS_REGION && owner === SIM_ACCOUNT_ID;
  if (type === 'db') {
    const db = ours ? findDatabase(account, name!) : undefined;
    if (!db) throw new SimulatedServiceError('DBInstanceNotFoundFault', `DBInstance ${name} not found.`, { status: 404 });
    return { tags: db.tags ?? {}, add: (tags) => (db.tags = { ...db.tags, ...tags }) };
  }
  const snapshot = ours ? account.snapshots.get(name!) : undefined;
  if (!snapshot) throw new SimulatedServiceError('DBSnapshotNotFoundFault', `DBSnapshot ${name} not found.`, { status: 404 });
  return { tags: snapshot.tags, add: (tags) => Object.assign(snapshot.tags, tags) };
}

/** AddTagsToResource: adds or overwrites tags; keys may not start with `aws:` (reserved). */
export function addTagsToResource(account: SimulatedAccount, request: DatabaseRequest): object {
  const resource = taggedResource(account, request.ResourceName);
  const tags = (request.Tags as Tag[] | undefined) ?? [];
  if (tags.length === 0) throw missingParameter('Tags');
  if (tags.some((t) => !t.Key)) throw invalidParameterValue('A tag key must not be empty.');
  if (tags.some((t) => t.Key!.toLowerCase().startsWith('aws:'))) throw invalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use");
  resource.add(tagsOf(request));
  account.changed();
  return {};
}

/** ListTagsForResource: the resource's tags as a TagList. */
export function listTagsForResource(account: SimulatedAccount, request: DatabaseRequest): object {
  return { TagList: Object.entries(taggedResource(account, request.ResourceName).tags).map(([Key, Value]) => ({ Key, Value })) };
}

/** RDS describe calls: MaxRecords "Minimum 20, maximum 100", default 100; RDS refuses others as InvalidParameterValue. */
const RDS_MAX_RECORDS = { min: 20, max: 100 } as const;

function checkMaxRecords(value: number | undefined): void {
  if (value !== undefined && (value < RDS_MAX_RECORDS.min || value > RDS_MAX_RECORDS.max)) {
    throw invalidParameterValue(`Invalid value ${value} for MaxRecords. Must be between ${RDS_MAX_RECORDS.min} and ${RDS_MAX_RECORDS.max}`);
  }
}

export const rds: Record<string, Operation> = {
  DescribeDBInstances(account, input) {
    checkMaxRecords(input.MaxRecords);
    const one = input.DBInstanceIdentifier ? findDatabase(account, input.DBInstanceIdentifier) : undefined;
    if (input.DBInstanceIdentifier && !one) {
      throw new SimulatedServiceError('DBInstanceNotFoundFault', `DBInstance ${input.DBInstanceIdentifier} not found.`, { status: 404 });
    }
    const { page, next } = paginate(one ? [one] : [...account.databases.values()], input.Marker, input.MaxRecords ?? RDS_MAX_RECORDS.max);
    return { DBInstances: page.map((d) => describeDatabase(account, d)), Marker: next };
  },
  CreateDBInstance(account, input) {
    return createDatabase(account, input);
  },
  RestoreDBInstanceFromDBSnapshot(account, input) {
    return restoreDatabase(account, input);
  },
  RestoreDBInstanceToPointInTime(account, input) {
    return restoreDatabaseToPointInTime(account, input);
  },
  /**
   * DescribeDBInstanceAutomatedBackups: the automated backups of existing instances
   * (`active`) and of lost ones (`retained`), by DBInstanceIdentifier, DbiResourceId or
   * DBInstanceAutomatedBackupsArn, or the `status`, `db-instance-id` and `dbi-resource-id`
   * filters; MaxRecords 20-100. Naming a backup that does not exist:
   * DBInstanceAutomatedBackupNotFound (HTTP 404), "No automated backup for this DB instance was found".
   */
  DescribeDBInstanceAutomatedBackups(account, input) {
    checkMaxRecords(input.MaxRecords);
    const selected = namedBackups(account, input);
    const filters: Array<{ Name: string; Values?: string[] }> = input.Filters ?? [];
    const unknown = filters.find((f) => !(f.Name in BACKUP_FILTERS));
    if (unknown) throw invalidParameterValue(`Unrecognized filter name: ${unknown.Name}`);
    const matching = selected.filter((b) => filters.every((f) => (f.Values ?? []).includes(BACKUP_FILTERS[f.Name]!(b))));
    const { page, next } = paginate(matching, input.Marker, input.MaxRecords ?? RDS_MAX_RECORDS.max);
    return { DBInstanceAutomatedBackups: page.map((b) => describeAutomatedBackup(account, b)), Marker: next };
  },
  AddTagsToResource(account, input) {
    return addTagsToResource(account, input);
  },
  ListTagsForResource(account, input) {
    return listTagsForResource(account, input);
  },
  CreateDBSnapshot(account, input) {
    const tags = Object.fromEntries((input.Tags ?? []).map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
    const snapshot = account.createSnapshot(input.DBInstanceIdentifier, input.DBSnapshotIdentifier, tags);
    return { DBSnapshot: { DBSnapshotIdentifier: snapshot.id, DBInstanceIdentifier: snapshot.instance, Status: 'creating' } };
  },
  CreateBlueGreenDeployment(account, input) {
    return createBlueGreenDeployment(account, input);
  },
  DescribeDBEngineVersions(_account, input) {
    return describeDBEngineVersions(input);
  },
  DescribeDBParameterGroups(account, input) {
    return describeDBParameterGroups(account, input);
  },
  DescribeDBParameters(account, input) {
    return describeDBParameters(account, input);
  },
  DescribeBlueGreenDeployments(account, input) {
    return describeBlueGreenDeployments(account, input);
  },
  SwitchoverBlueGreenDeployment(account, input) {
    return switchoverBlueGreenDeployment(account, input);
  },
  /**
   * DescribeDBSnapshots: one by identifier (DBSnapshotNotFound if none), or those of an
   * instance and/or of a type (manual, automated; both when not given), MaxRecords 20-100.
   */
  DescribeDBSnapshots(account, input) {
    checkMaxRecords(input.MaxRecords);
    const snapshot = account.snapshots.get(input.DBSnapshotIdentifier);
    if (input.DBSnapshotIdentifier && !snapshot) {
      throw new SimulatedServiceError('DBSnapshotNotFoundFault', `DBSnapshot ${input.DBSnapshotIdentifier} not found.`, { status: 404 });
    }
    const all = (snapshot ? [snapshot] : [...account.snapshots.values()]).filter(
      (s) =>
        (!input.DBInstanceIdentifier || s.instance.toLowerCase() === String(input.DBInstanceIdentifier).toLowerCase()) &&
        (!input.SnapshotType || (s.type ?? 'manual') === input.SnapshotType),
    );
    const { page, next } = paginate(all, input.Marker, input.MaxRecords ?? RDS_MAX_RECORDS.max);
    return { DBSnapshots: page.map((s) => describeSnapshot(account, s)), Marker: next };
  },
};

/** DescribeDBInstanceAutomatedBackups filters: by status (active, retained), instance identifier, resource ID. */
const BACKUP_FILTERS: Record<string, (b: AutomatedBackup) => string> = {
  status: (b) => b.status,
  'db-instance-id': (b) => b.identifier,
  'dbi-resource-id': (b) => b.resourceId,
};

/** The backups a request names by identifier, resource ID or ARN (all when it names none); naming none that exists is refused. */
function namedBackups(account: SimulatedAccount, input: Input): AutomatedBackup[] {
  const same = (a: string, b: unknown) => typeof b !== 'string' || b === '' || a.toLowerCase() === b.toLowerCase();
  const selected = automatedBackups(account).filter(
    (b) => same(b.identifier, input.DBInstanceIdentifier) && same(b.resourceId, input.DbiResourceId) && same(automatedBackupArn(b), input.DBInstanceAutomatedBackupsArn),
  );
  const name = input.DBInstanceIdentifier || input.DbiResourceId || input.DBInstanceAutomatedBackupsArn;
  if (name && selected.length === 0) throw automatedBackupNotFound(name);
  return selected;
}

function describeSnapshot(account: SimulatedAccount, s: SimSnapshot): object {
  return {
    DBSnapshotIdentifier: s.id,
    DBInstanceIdentifier: s.instance,
    SnapshotType: s.type ?? 'manual',
    SnapshotCreateTime: new Date(s.createdAt),
    Status: account.snapshotStatus(s),
    ...(s.definition ? { Engine: s.definition.engine, AllocatedStorage: s.definition.allocatedStorage } : {}),
    // Whole percent, rounded down, as RDS reports it.
    PercentProgress: Math.min(100, Math.max(0, Math.floor((100 * (account.now() - s.createdAt)) / Math.max(1, s.availableAt - s.createdAt)))),
    TagList: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

// ---------- Blue/Green Deployments ----------
//
// RDS User Guide, "Using Amazon RDS Blue/Green Deployments for database updates" and its pages;
// API reference, CreateBlueGreenDeployment, DescribeBlueGreenDeployments, SwitchoverBlueGreenDeployment,
// BlueGreenDeployment. Where an exact error message was not found in the documentation, the
// error's name is RDS's and the message is the simulator's.

/** Seconds the green takes to be created (status PROVISIONING, its instance `creating`). */
export const BLUE_GREEN_PROVISION_SECONDS = 1200;
/** The green's ReplicaLag when it becomes AVAILABLE, and the seconds it takes to come down to LAG_FLOOR_SECONDS. */
export const INITIAL_REPLICA_LAG_SECONDS = 90;
export const LAG_SETTLE_SECONDS = 240;
export const LAG_FLOOR_SECONDS = 1;
/**
 * Logical replication's catch-up (a PostgreSQL major upgrade): the same lag at first, settling
 * over twice as long. An assumption, not an AWS figure: "The logical replication apply process in
 * the green environment is single-threaded. If the blue environment generates a high volume of
 * write traffic, the green environment might not be able to keep up" (User Guide, limitations
 * with logical replication), so it is modelled as slower than physical replay.
 */
export const LOGICAL_LAG_SETTLE_SECONDS = 2 * LAG_SETTLE_SECONDS;
/** The blue's WAL rate (TransactionLogsGeneration, bytes per second) in the simulation: an assumed workload, 1 MiB/s. */
export const WAL_BYTES_PER_SECOND = 1_048_576;
/**
 * Seconds a switchover takes, writes blocked throughout: "The switchover typically takes under a
 * minute with no data loss and no need for application changes" (User Guide, overview).
 */
export const SWITCHOVER_SECONDS = 45;
/** SwitchoverTimeout: "between 30 seconds and 3,600 seconds (one hour)", default 300 (User Guide, Switchover timeout). */
const SWITCHOVER_TIMEOUT_RANGE = { min: 30, max: 3600, default: 300 } as const;
/** "Currently, Blue/Green Deployments are supported for RDS for MariaDB, RDS for MySQL, and RDS for PostgreSQL only." */
const BLUE_GREEN_ENGINES = ['postgres', 'mysql', 'mariadb'];
/** BlueGreenDeploymentName: 1-60 characters, pattern [a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)* (API reference). */
const DEPLOYMENT_NAME = /^[a-zA-Z][a-zA-Z0-9]*(-[a-zA-Z0-9]+)*$/;

const deploymentNotFound = (id: string) => new SimulatedServiceError('BlueGreenDeploymentNotFoundFault', `BlueGreenDeployment ${id} not found.`, { status: 404 });

/**
 * The deployment's status at `at` (BlueGreenDeployment, Status): PROVISIONING ("Resources are
 * being created in the green environment") until the green exists, AVAILABLE, then once a
 * switchover is asked for SWITCHOVER_IN_PROGRESS until it ends SWITCHOVER_COMPLETED, or
 * SWITCHOVER_FAILED ("Switchover was attempted but failed"): past its SwitchoverTimeout "any
 * changes are rolled back, and no changes are made to the environments".
 */
export function blueGreenStatus(d: SimBlueGreenDeployment, at: number): string {
  if (at < d.availableAt) return 'PROVISIONING';
  if (d.creationFailed) return 'INVALID_CONFIGURATION';
  if (!d.switchover || at < d.switchover.at) return 'AVAILABLE';
  if (at < d.switchover.endsAt) return 'SWITCHOVER_IN_PROGRESS';
  return d.switchover.failed ? 'SWITCHOVER_FAILED' : 'SWITCHOVER_COMPLETED';
}

/**
 * The green's ReplicaLag (seconds) at `at`: INITIAL_REPLICA_LAG_SECONDS once it exists, down
 * to LAG_FLOOR_SECONDS over LAG_SETTLE_SECONDS (`lag-never-settles`: it stays up); 0 once the
 * blue stops taking writes for a switchover and replication has drained.
 */
function lagSecondsAt(account: SimulatedAccount, d: SimBlueGreenDeployment, at: number): number {
  if (d.switchover && at >= d.switchover.at && !d.switchover.failed) return 0;
  if (account.faults.lagNeverSettles) {
    account.faultFired('lag-never-settles');
    return INITIAL_REPLICA_LAG_SECONDS;
  }
  const settle = d.replication === 'logical' ? LOGICAL_LAG_SETTLE_SECONDS : LAG_SETTLE_SECONDS;
  const settled = Math.min(1, Math.max(0, (at - d.availableAt) / (settle * 1000)));
  return Math.max(LAG_FLOOR_SECONDS, Math.round(INITIAL_REPLICA_LAG_SECONDS * (1 - settled)));
}

/** The instance an RDS ARN names (`arn:aws:rds:<region>:<account>:db:<identifier>`), if it is the account's. */
function databaseByArn(account: SimulatedAccount, arn: unknown): SimDatabase | undefined {
  const match = typeof arn === 'string' ? RDS_ARN.exec(arn) : null;
  if (!match || match[3] !== 'db' || match[1] !== RDS_REGION || match[2] !== SIM_ACCOUNT_ID) return undefined;
  return findDatabase(account, match[4]!);
}

/**
 * CreateBlueGreenDeployment: a green copy of the source (`<source>-green-<6 characters>`, as RDS
 * names greens), with the asked TargetEngineVersion, TargetDBInstanceClass, TargetAllocatedStorage,
 * replicating the blue. Refused: a name in use (BlueGreenDeploymentAlreadyExists); a source that
 * is no instance of the account (SourceDatabaseNotFound); an engine Blue/Green does not support
 * or a master password managed in Secrets Manager (SourceDatabaseNotSupported); a source already in a deployment not switched over
 * (InvalidDBInstanceState); a source not available (InvalidDBInstanceState); a lower engine version
 * or smaller storage than the blue's (InvalidParameterCombination).
 */
export function createBlueGreenDeployment(account: SimulatedAccount, request: DatabaseRequest): object {
  const name = requireText(request, 'BlueGreenDeploymentName');
  if (name.length > 60 || !DEPLOYMENT_NAME.test(name)) throw invalidParameterValue(`The parameter BlueGreenDeploymentName is not valid: ${name.slice(0, 80)}`);
  const sourceArn = requireText(request, 'Source');
  checkRdsTags(request);
  const deployments = [...account.compute.blueGreenDeployments.values()];
  if (deployments.some((d) => d.name.toLowerCase() === name.toLowerCase())) {
    throw new SimulatedServiceError('BlueGreenDeploymentAlreadyExistsFault', `A blue/green deployment with the name ${name} already exists.`);
  }
  const blue = databaseByArn(account, sourceArn);
  if (!blue) throw new SimulatedServiceError('SourceDatabaseNotFoundFault', `The source DB instance ${sourceArn} isn't found.`, { status: 404 });
  const definition = definitionOf(blue);
  if (!BLUE_GREEN_ENGINES.includes(definition.engine)) {
    throw new SimulatedServiceError('SourceDatabaseNotSupportedFault', `The source DB instance ${blue.identifier} (engine ${definition.engine}) isn't supported for a blue/green deployment.`);
  }
  // RDS User Guide, Limitations for blue/green deployments: "Blue/green deployments don't support
  // managing master user passwords with AWS Secrets Manager."
  if (definition.managedMasterPassword) {
    throw new SimulatedServiceError('SourceDatabaseNotSupportedFault', `The source DB instance ${blue.identifier} manages its master user password with AWS Secrets Manager, which blue/green deployments don't support.`);
  }
  // RDS User Guide, "Creating a blue/green deployment": "Before you create a blue/green deployment
  // for an RDS for MySQL or RDS for MariaDB DB instance, you must enable automated backups", and for
  // PostgreSQL (physical or logical replication): "Enable automated backups on the DB instance."
  if (backupRetentionPeriod(account) === 0) {
    throw new SimulatedServiceError('InvalidDBInstanceStateFault', `Automated backups must be enabled on the source DB instance ${blue.identifier} to create a blue/green deployment.`);
  }
  const now = account.now();
  if (deployments.some((d) => d.blue === blue && !['SWITCHOVER_COMPLETED'].includes(blueGreenStatus(d, now)))) {
    throw new SimulatedServiceError('InvalidDBInstanceStateFault', `DB instance ${blue.identifier} is already the source of a blue/green deployment.`);
  }
  if (account.databaseStatus(blue) !== 'available') throw new SimulatedServiceError('InvalidDBInstanceStateFault', `DB instance ${blue.identifier} is not in the available state.`);
  const engineVersion = typeof request.TargetEngineVersion === 'string' ? request.TargetEngineVersion : definition.engineVersion;
  if (engineVersion !== undefined && definition.engineVersion !== undefined && engineVersion.localeCompare(definition.engineVersion, undefined, { numeric: true }) < 0) {
    throw invalidParameterCombination(`The target engine version ${engineVersion} is lower than the source's ${definition.engineVersion}.`);
  }
  if (typeof request.TargetEngineVersion === 'string' && request.TargetEngineVersion !== definition.engineVersion) {
    const known = ENGINE_VERSIONS[definition.engine] ?? {};
    // RDS's refusal of a version it does not offer (as CreateDBInstance words it).
    if (!(request.TargetEngineVersion in known)) throw invalidParameterCombination(`Cannot find version ${request.TargetEngineVersion} for ${definition.engine}`);
    const from = definition.engineVersion !== undefined ? known[definition.engineVersion] : undefined;
    if (from && !from.includes(request.TargetEngineVersion)) {
      throw invalidParameterCombination(`Cannot upgrade ${definition.engine} from ${definition.engineVersion} to ${request.TargetEngineVersion}`);
    }
  }
  const storage = typeof request.TargetAllocatedStorage === 'number' ? request.TargetAllocatedStorage : definition.allocatedStorage;
  if (storage < definition.allocatedStorage) throw invalidParameterCombination(`The target allocated storage ${storage} is less than the source's ${definition.allocatedStorage}.`);
  const major = engineVersion !== undefined && definition.engineVersion !== undefined && isMajor(definition.engine, definition.engineVersion, engineVersion);
  const parameterGroup = greenParameterGroup(account, definition, engineVersion, request.TargetDBParameterGroupName, major);
  const replication = definition.engine !== 'postgres' ? 'binlog' : major ? 'logical' : 'physical';
  const id = `bgd-${createHash('sha256').update(`${name}@${now}`).digest('hex').slice(0, 16)}`;
  const suffix = createHash('sha256').update(id).digest('hex').slice(0, 6);
  const greenDefinition: DatabaseDefinition = {
    ...definition,
    ...(engineVersion !== undefined ? { engineVersion } : {}),
    instanceClass: typeof request.TargetDBInstanceClass === 'string' ? request.TargetDBInstanceClass : definition.instanceClass,
    allocatedStorage: storage,
    ...(parameterGroup !== undefined ? { parameterGroup } : {}),
  };
  const green = addDatabase(
    account,
    { identifier: `${blue.identifier.slice(0, 63 - 13)}-green-${suffix}`, schemaRelease: blue.schemaRelease, definition: greenDefinition, tags: {} },
    [{ seconds: BLUE_GREEN_PROVISION_SECONDS, status: 'creating' }],
  );
  const failed = replication === 'logical' ? unpreparedForLogical(account, definition) : undefined;
  const deployment: SimBlueGreenDeployment = {
    id,
    name,
    blue,
    green,
    createdAt: now,
    availableAt: now + BLUE_GREEN_PROVISION_SECONDS * 1000,
    tags: tagsFrom(request),
    replication,
    ...(failed ? { creationFailed: failed } : {}),
  };
  green.replica = { source: blue, deployment: id, lagSecondsAt: (at) => lagSecondsAt(account, deployment, at) };
  account.compute.blueGreenDeployments.set(id, deployment);
  account.schedule(deployment.availableAt, () => undefined);
  account.changed();
  return { BlueGreenDeployment: describeBlueGreen(account, deployment) };
}

/**
 * The engine versions the simulated RDS offers, each with the versions it may be upgraded to
 * (DescribeDBEngineVersions, ValidUpgradeTarget). A sample, not RDS's whole catalogue: enough
 * for the environments' databases (canonical runs PostgreSQL 16.4) and a major upgrade each.
 */
export const ENGINE_VERSIONS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  postgres: { '15.3': ['15.8', '16.4'], '15.8': ['15.10', '16.4', '16.6'], '15.10': ['16.6'], '16.4': ['16.6', '16.8', '17.2'], '16.6': ['16.8', '17.2'], '16.8': ['17.2'], '17.2': [] },
  mysql: { '8.0.39': ['8.0.40', '8.4.3'], '8.0.40': ['8.4.3'], '8.4.3': [] },
  mariadb: { '10.11.9': ['10.11.10', '11.4.4'], '10.11.10': ['11.4.4'], '11.4.4': [] },
};

/** A major version upgrade: the family changes (PostgreSQL by its first number, MySQL and MariaDB by their first two). */
const isMajor = (engine: string, from: string, to: string) => familyOf(engine, from) !== familyOf(engine, to);

/** The DB parameter group family of an engine version (DBEngineVersion.DBParameterGroupFamily): postgres16, mysql8.0, mariadb10.11. */
export function familyOf(engine: string, version: string): string {
  return `${engine}${version.split('.').slice(0, engine === 'postgres' ? 1 : 2).join('.')}`;
}

/** A parameter group's family: as set, else a default group's (`default.<family>`), else that of an instance that uses it. */
function groupFamily(account: SimulatedAccount, group: string): string | undefined {
  const set = account.compute.dbParameterGroupSettings.get(group)?.family;
  if (set) return set;
  const user = [...account.databases.values()].map((db) => definitionOf(db)).find((d) => parameterGroupOf(d) === group && d.engineVersion !== undefined);
  if (user) return familyOf(user.engine, user.engineVersion!);
  return group.startsWith('default.') && /\d/.test(group) ? group.slice('default.'.length) : undefined;
}

const groupExists = (account: SimulatedAccount, group: string) =>
  account.compute.dbParameterGroups.has(group) || account.compute.dbParameterGroupSettings.has(group) || (group.startsWith('default.') && groupFamily(account, group) !== undefined);

const parameterGroupNotFound = (group: string) => new SimulatedServiceError('DBParameterGroupNotFoundFault', `DBParameterGroup not found: ${group}`, { status: 404 });

/**
 * The green's parameter group: TargetDBParameterGroupName ("The DB parameter group associated with
 * the DB instance in the green environment"), which must exist (DBParameterGroupNotFound) and be of
 * the green's family; without it, "each DB instance in the green environment is associated with the
 * parameter group of its corresponding blue DB instance" (User Guide), which a major upgrade cannot
 * keep (another family): then a default group goes to the new family's default, and a custom one is
 * refused. RDS's error name, the simulator's message (as CreateDBInstance words a family mismatch).
 */
function greenParameterGroup(account: SimulatedAccount, blue: DatabaseDefinition, version: string | undefined, requested: unknown, major: boolean): string | undefined {
  const family = version !== undefined ? familyOf(blue.engine, version) : undefined;
  const mismatch = (group: string, has: string | undefined) =>
    invalidParameterCombination(`The parameter group ${group} with DBParameterGroupFamily ${has ?? 'unknown'} can't be used for this instance. Use a parameter group with DBParameterGroupFamily ${family}.`);
  if (typeof requested === 'string' && requested !== '') {
    if (!groupExists(account, requested)) throw parameterGroupNotFound(requested);
    const has = groupFamily(account, requested);
    if (family && has !== family) throw mismatch(requested, has);
    return requested;
  }
  if (!major) return blue.parameterGroup;
  const current = parameterGroupOf(blue);
  if (current.startsWith('default.')) return `default.${family}`;
  throw mismatch(current, groupFamily(account, current));
}

/**
 * A PostgreSQL parameter's value in a group: as set, else the engine's default. The defaults
 * modelled are those a blue/green deployment with logical replication depends on ("rds.logical_replication
 * ... The default value for this parameter is 0", User Guide, logical replication; the worker and
 * slot settings as RDS for PostgreSQL ships them).
 */
const POSTGRES_DEFAULTS: Readonly<Record<string, string>> = {
  max_logical_replication_workers: '4',
  max_replication_slots: '20',
  max_wal_senders: '20',
  max_worker_processes: '8',
  'rds.logical_replication': '0',
};

function parametersOf(account: SimulatedAccount, group: string): Record<string, string> {
  return { ...POSTGRES_DEFAULTS, ...(account.compute.dbParameterGroupSettings.get(group)?.parameters ?? {}) };
}

/**
 * Why a logical-replication green cannot be created from this blue, or undefined: "Associate the
 * instance with a custom DB parameter group with logical replication (rds.logical_replication)
 * turned on", and "Blue/green deployments require that the DB instance be in sync with the DB
 * parameter group, otherwise creation fails" (User Guide, preparing with logical replication).
 * RDS takes the request and fails the deployment afterwards: a re-post thread shows "Creation of
 * blue/green deployment failed due to incompatible parameter(s): [max_logical_replication_workers]
 * .See https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/blue-green-deployments-creating.html#blue-green-deployments-creating-preparing-postgres
 * to help resolve the issues, then delete and recreate the blue/green deployment." after creation;
 * that wording is used here. That the status is then INVALID_CONFIGURATION is an assumption (the
 * thread does not show it).
 */
function unpreparedForLogical(account: SimulatedAccount, blue: DatabaseDefinition): string | undefined {
  const group = parameterGroupOf(blue);
  const settings = account.compute.dbParameterGroupSettings.get(group);
  const wrong = parametersOf(account, group)['rds.logical_replication'] !== '1' || settings?.pendingReboot ? ['rds.logical_replication'] : [];
  if (wrong.length === 0) return undefined;
  return `Creation of blue/green deployment failed due to incompatible parameter(s): [${wrong.join(', ')}] .See https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/blue-green-deployments-creating.html#blue-green-deployments-creating-preparing-postgres to help resolve the issues, then delete and recreate the blue/green deployment.`;
}

/** DescribeDBParameterGroups: one by name (DBParameterGroupNotFound if none), else every group the account knows; MaxRecords 20-100. */
export function describeDBParameterGroups(account: SimulatedAccount, input: Input): object {
  checkMaxRecords(input.MaxRecords);
  const name = input.DBParameterGroupName as string | undefined;
  if (name && !groupExists(account, name)) throw parameterGroupNotFound(name);
  const names = name ? [name] : [...new Set([...account.compute.dbParameterGroups, ...account.compute.dbParameterGroupSettings.keys()])];
  const { page, next } = paginate(names, input.Marker, input.MaxRecords ?? RDS_MAX_RECORDS.max);
  return {
    DBParameterGroups: page.map((g) => ({
      DBParameterGroupName: g,
      DBParameterGroupFamily: groupFamily(account, g),
      Description: g,
      DBParameterGroupArn: `arn:aws:rds:${RDS_REGION}:${SIM_ACCOUNT_ID}:pg:${g}`,
    })),
    Marker: next,
  };
}

/** DescribeDBParameters of a group (DBParameterGroupNotFound if none), MaxRecords 20-100, sorted by name as pages go. */
export function describeDBParameters(account: SimulatedAccount, input: Input): object {
  checkMaxRecords(input.MaxRecords);
  const group = requireText(input, 'DBParameterGroupName');
  if (!groupExists(account, group)) throw parameterGroupNotFound(group);
  const set = account.compute.dbParameterGroupSettings.get(group)?.parameters ?? {};
  const all = Object.entries(parametersOf(account, group))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue, Source: ParameterName in set ? 'user' : 'engine-default', ApplyType: 'static' }));
  const { page, next } = paginate(all, input.Marker, input.MaxRecords ?? RDS_MAX_RECORDS.max);
  return { Parameters: page, Marker: next };
}

/** DescribeDBEngineVersions by Engine (and EngineVersion): an unknown version matches nothing (an empty list, as RDS). */
export function describeDBEngineVersions(input: Input): object {
  const engines = input.Engine ? [String(input.Engine)] : Object.keys(ENGINE_VERSIONS);
  const found = engines.flatMap((engine) =>
    Object.entries(ENGINE_VERSIONS[engine] ?? {})
      .filter(([version]) => !input.EngineVersion || version === input.EngineVersion)
      .map(([version, targets]) => ({ Engine: engine, EngineVersion: version, DBParameterGroupFamily: familyOf(engine, version), ValidUpgradeTarget: targets.map((t) => ({ Engine: engine, EngineVersion: t, IsMajorVersionUpgrade: isMajor(engine, version, t) })) })),
  );
  return { DBEngineVersions: found };
}

/** A deployment as DescribeBlueGreenDeployments reports it. */
function describeBlueGreen(account: SimulatedAccount, d: SimBlueGreenDeployment, at = account.now()): object {
  const status = blueGreenStatus(d, at);
  const member = status === 'AVAILABLE' && ddlOnBlue(d) ? 'REPLICATION_DEGRADED' : status;
  return {
    BlueGreenDeploymentIdentifier: d.id,
    BlueGreenDeploymentName: d.name,
    Source: databaseArn(d.blue.identifier),
    Target: databaseArn(d.green.identifier),
    SwitchoverDetails: [{ SourceMember: databaseArn(d.blue.identifier), TargetMember: databaseArn(d.green.identifier), Status: member }],
    Status: status,
    ...(d.switchover?.failed && status === 'SWITCHOVER_FAILED' ? { StatusDetails: d.switchover.failed } : {}),
    ...(d.creationFailed && status === 'INVALID_CONFIGURATION' ? { StatusDetails: d.creationFailed } : {}),
    CreateTime: new Date(d.createdAt),
    TagList: Object.entries(d.tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** DescribeBlueGreenDeployments filters (API reference): by identifier, name, source or target ARN. */
const BLUE_GREEN_FILTERS: Record<string, (d: SimBlueGreenDeployment) => string> = {
  'blue-green-deployment-identifier': (d) => d.id,
  'blue-green-deployment-name': (d) => d.name,
  source: (d) => databaseArn(d.blue.identifier),
  target: (d) => databaseArn(d.green.identifier),
};

/** DescribeBlueGreenDeployments: one by identifier (BlueGreenDeploymentNotFound if none), or those the filters select; MaxRecords 20-100. */
export function describeBlueGreenDeployments(account: SimulatedAccount, input: Input): object {
  checkMaxRecords(input.MaxRecords);
  const id = input.BlueGreenDeploymentIdentifier as string | undefined;
  const one = id ? account.compute.blueGreenDeployments.get(id) : undefined;
  if (id && !one) throw deploymentNotFound(id);
  const filters: Array<{ Name: string; Values?: string[] }> = input.Filters ?? [];
  const unknown = filters.find((f) => !(f.Name in BLUE_GREEN_FILTERS));
  if (unknown) throw invalidParameterValue(`Unrecognized filter name: ${unknown.Name}`);
  const all = (one ? [one] : [...account.compute.blueGreenDeployments.values()]).filter((d) => filters.every((f) => (f.Values ?? []).includes(BLUE_GREEN_FILTERS[f.Name]!(d))));
  const { page, next } = paginate(all, input.Marker, input.MaxRecords ?? RDS_MAX_RECORDS.max);
  return { BlueGreenDeployments: page.map((d) => describeBlueGreen(account, d)), Marker: next };
}

/**
 * SwitchoverBlueGreenDeployment: only from AVAILABLE (else InvalidBlueGreenDeploymentState:
 * "The blue/green deployment can't be switched over or deleted because there is an invalid
 * configuration in the green environment"); SwitchoverTimeout 30-3600, default 300.
 *
 * From the request on, the blue takes no writes (both environments' writes stop and their
 * connections drop, User Guide, Switchover actions) and replication drains. It completes after
 * SWITCHOVER_SECONDS: "RDS renames the DB instances in the blue environment by appending -old<n>
 * to the current name, where n is a number", the green takes the blue's name, hence its endpoint,
 * and takes the writes from there. With `switchover-timeout` it takes longer than its timeout:
 * at the timeout RDS rolls it back, "no changes are made to either environment", and the blue
 * takes writes again.
 */
export function switchoverBlueGreenDeployment(account: SimulatedAccount, request: DatabaseRequest): object {
  const id = requireText(request, 'BlueGreenDeploymentIdentifier');
  const d = account.compute.blueGreenDeployments.get(id);
  if (!d) throw deploymentNotFound(id);
  const timeout = request.SwitchoverTimeout === undefined ? SWITCHOVER_TIMEOUT_RANGE.default : request.SwitchoverTimeout;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < SWITCHOVER_TIMEOUT_RANGE.min || timeout > SWITCHOVER_TIMEOUT_RANGE.max) {
    throw invalidParameterValue(`SwitchoverTimeout must be between ${SWITCHOVER_TIMEOUT_RANGE.min} and ${SWITCHOVER_TIMEOUT_RANGE.max} seconds (received ${String(timeout)})`);
  }
  const now = account.now();
  const status = blueGreenStatus(d, now);
  if (status !== 'AVAILABLE') {
    throw new SimulatedServiceError('InvalidBlueGreenDeploymentStateFault', `The blue/green deployment ${id} can't be switched over in its current state (${status}).`);
  }
  // Switchover guardrail "Unsupported PostgreSQL changes": "If Amazon RDS detects unsupported PostgreSQL
  // changes, it changes the replication state to Replication degraded and notifies you that switchover is
  // not available" (User Guide, Switchover guardrails). RDS's error name, the simulator's message.
  if (ddlOnBlue(d)) {
    throw new SimulatedServiceError('InvalidBlueGreenDeploymentStateFault', `Switchover is not available for the blue/green deployment ${id}: DDL changes were made on the blue environment, and its green databases are REPLICATION_DEGRADED. Delete and recreate the blue/green deployment.`);
  }
  const takes = account.faults.switchoverTimeout ? timeout + 60 : SWITCHOVER_SECONDS;
  if (account.faults.switchoverTimeout) account.faultFired('switchover-timeout');
  const fails = takes > timeout;
  const endsAt = now + Math.min(takes, timeout) * 1000;
  d.switchover = { at: now, timeoutSeconds: timeout, endsAt, ...(fails ? { failed: `Switchover timed out after ${timeout} seconds; the changes were rolled back` } : {}) };
  // Writes stop on the blue now; what it holds is what the green must hold at the end.
  d.blue.writes = { count: account.writesOf(d.blue, now), since: null };
  account.schedule(endsAt, () => (fails ? rollBack(account, d, endsAt) : completeSwitchover(account, d, endsAt)));
  account.changed();
  return { BlueGreenDeployment: describeBlueGreen(account, d) };
}

/**
 * A migration ran on the blue while logical replication kept the green ("Data definition language
 * (DDL) statements, such as CREATE TABLE and CREATE SCHEMA, aren't replicated from the blue
 * environment to the green environment"): the blue's schema is no longer the one the green was copied with.
 */
function ddlOnBlue(d: SimBlueGreenDeployment): boolean {
  return d.replication === 'logical' && !d.renamed && d.blue.schemaRelease !== d.green.schemaRelease;
}

/** The switchover did not complete in time: nothing changed, and the blue takes writes again. */
function rollBack(account: SimulatedAccount, d: SimBlueGreenDeployment, at: number): void {
  d.blue.writes = { count: account.writesOf(d.blue, at), since: at };
  account.changed();
}

/** The switchover completed: the blue renamed `<name>-old<n>`, the green under the blue's name and endpoint, taking the writes. */
function completeSwitchover(account: SimulatedAccount, d: SimBlueGreenDeployment, at: number): void {
  const { blue, green } = d;
  const name = blue.identifier;
  let n = 1;
  while (findDatabase(account, `${name}-old${n}`)) n += 1;
  const held = account.writesOf(blue, at);
  account.databases.delete(blue.identifier);
  account.databases.delete(green.identifier);
  blue.identifier = `${name}-old${n}`;
  green.identifier = name;
  green.replica = undefined;
  green.writes = { count: held, since: at };
  account.databases.set(blue.identifier, blue);
  account.databases.set(green.identifier, green);
  d.renamed = { blueFrom: name, blueTo: blue.identifier };
  account.changed();
}

/**
 * CloudWatch GetMetricStatistics of AWS/RDS (services/cloudwatch.ts asks here): one datapoint per
 * period whose start lies in [start, end), from when the green is AVAILABLE until the switchover.
 * - ReplicaLag (Seconds) of a green kept by physical or binlog replication: it is a replica.
 * - With logical replication the green is no read replica and reports no ReplicaLag (an
 *   assumption: RDS documents ReplicaLag for read replicas, and tells to read the blue's
 *   OldestReplicationSlotLag instead); the blue reports OldestReplicationSlotLag (Bytes: the lag
 *   times WAL_BYTES_PER_SECOND) and TransactionLogsGeneration (Bytes/Second).
 * Any other metric or instance has none.
 */
export function rdsMetricDatapoints(account: SimulatedAccount, metric: string, identifier: string, start: number, end: number, periodSeconds: number): { unit: string; points: Array<{ at: number; value: number }> } {
  const db = findDatabase(account, identifier);
  const open = (d: SimBlueGreenDeployment) => !d.renamed && !d.creationFailed;
  const asGreen = db?.replica ? account.compute.blueGreenDeployments.get(db.replica.deployment) : undefined;
  const asBlue = [...account.compute.blueGreenDeployments.values()].find((d) => d.blue === db && d.replication === 'logical' && open(d));
  const series =
    metric === 'ReplicaLag' && asGreen && asGreen.replication !== 'logical'
      ? { unit: 'Seconds', d: asGreen, value: (at: number) => lagSecondsAt(account, asGreen, at) }
      : metric === 'OldestReplicationSlotLag' && asBlue
        ? { unit: 'Bytes', d: asBlue, value: (at: number) => lagSecondsAt(account, asBlue, at) * WAL_BYTES_PER_SECOND }
        : metric === 'TransactionLogsGeneration' && asBlue
          ? { unit: 'Bytes/Second', d: asBlue, value: () => WAL_BYTES_PER_SECOND }
          : undefined;
  if (!series) return { unit: 'None', points: [] };
  const period = periodSeconds * 1000;
  const points: Array<{ at: number; value: number }> = [];
  for (let at = Math.ceil(start / period) * period; at < end; at += period) {
    if (at >= series.d.availableAt && at <= account.now()) points.push({ at, value: series.value(at) });
  }
  return { unit: series.unit, points };
}
