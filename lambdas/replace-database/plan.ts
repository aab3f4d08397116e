/**
 * Plan Replace Database (read-only; every refusal happens here, before the lock): the input
 * checked, the current instance read and checked against what RDS Blue/Green Deployments
 * support, the green's changes checked against the instance, no other blue/green deployment of
 * it in progress, the host that runs the check document.
 *
 * The limitations modelled are the documented ones that can apply to an environment's single
 * RDS instance (RDS User Guide, "Limitations and considerations for Amazon RDS blue/green
 * deployments", and "Using Amazon RDS Blue/Green Deployments for database updates"):
 * - "Currently, Blue/Green Deployments are supported for RDS for MariaDB, RDS for MySQL, and
 *   RDS for PostgreSQL only."
 * - "Blue/green deployments don't support managing master user passwords with AWS Secrets Manager."
 * - Not supported with "Multi-AZ DB cluster deployments" (a Multi-AZ DB instance is supported),
 *   "Cross-Region read replicas", "Cascading read replicas": an instance that is itself a replica,
 *   or belongs to a cluster, is refused.
 * - "You can't change the blue DB instance to a higher engine version than its corresponding
 *   green DB instance": the green's version may not be lower than the blue's.
 * - "You can't change an unencrypted DB instance into an encrypted DB instance": FleetFlow never
 *   asks for it (the input has no such field).
 * - "Before you create a blue/green deployment for an RDS for MySQL or RDS for MariaDB DB
 *   instance, you must enable automated backups", and for PostgreSQL, physical or logical: "Enable
 *   automated backups on the DB instance" (RDS User Guide, "Creating a blue/green deployment in
 *   Amazon RDS", Preparing for a blue/green deployment): an instance with BackupRetentionPeriod 0
 *   is refused, whatever its engine.
 * RDS cannot shrink allocated storage either, so a smaller `allocatedStorage` is refused.
 *
 * A major version upgrade is its own case (majorUpgradeChecks): for PostgreSQL, "if you request a
 * major version upgrade when you create the blue/green deployment, and your source DB instance
 * runs one of the PostgreSQL versions listed in the table below, Amazon RDS uses logical
 * replication instead" (RDS User Guide, "PostgreSQL replication methods for blue/green
 * deployments"), which the blue must be prepared for; and the green needs a parameter group of
 * the new version's family.
 */
import { createHash } from 'node:crypto';
import {
  DescribeBlueGreenDeploymentsCommand,
  DescribeDBEngineVersionsCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBParametersCommand,
  type BlueGreenDeployment,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { ENVIRONMENT_TAG, KEPT_TAG } from '../domain/contract/tags';
import { parseReplaceDatabaseInput, type ReplaceDatabaseInput } from '../domain/replace-database-input';
import type { DatabaseTierDefinition, EnvironmentDefinition } from '../domain/environment/model';
import { isHostTier } from '../domain/environment/tiers';
import { masterSecretName } from '../domain/environment/master-password';
import { BlueGreenUnsupportedError, InvalidInputError, InventoryError } from '../domain/contract/errors';
import type { HostRef } from '../domain/contract/payloads';
import { rds } from '../shared/aws/rds';
import { currentDatabaseIdentifier, dataTierOf, describeDatabase, endpointOf } from '../shared/database-record';
import { environmentOf } from '../shared/provision-plan';
import { findHosts } from '../shared/tier-hosts';
import type { ReplaceDatabasePlan, Replication } from './types';

export interface PlanReplaceEvent {
  readonly environment: unknown;
  readonly input: unknown;
  readonly execution: string;
}

/** Engines RDS Blue/Green Deployments support for DB instances. */
export const BLUE_GREEN_ENGINES = ['postgres', 'mysql', 'mariadb'] as const;
/** How long the green may take to become AVAILABLE (a copy of the whole instance), and its lag to settle after. */
export const PROVISION_TIMEOUT_SECONDS = 4 * 3600;
export const LAG_TIMEOUT_SECONDS = 1800;
/** Blue/green deployments that are over: a source may be in a new one. */
const FINISHED = new Set(['SWITCHOVER_COMPLETED', 'DELETING']);

const toRestoreData = 'use restore-data instead (it restores a snapshot or a point in time into a new instance: writes since are lost); nothing was changed';

export async function planReplaceDatabase(event: PlanReplaceEvent): Promise<ReplaceDatabasePlan> {
  const input = parseReplaceDatabaseInput(event.input);
  const environment = environmentOf(event.environment);
  const data = dataTierOf(environment);
  if (!data?.database.restore) {
    throw new InvalidInputError(`environment ${environment.name} defines no database.restore (its check document runs against the green); nothing was changed`);
  }
  const identifier = (await currentDatabaseIdentifier(environment))!;
  const blue = await describeDatabase(identifier);
  if (!blue) throw new InventoryError(`database ${identifier} does not exist: there is nothing to replace; recover or restore-data bring the data back; nothing was changed`);
  if (blue.MasterUserSecret) {
    // An instance created in "rds-managed" mode (database-creation.ts: ManageMasterUserPassword), or by a
    // person so. RDS User Guide, "Limitations for blue/green deployments": "Blue/green deployments don't
    // support managing master user passwords with AWS Secrets Manager." Turning the management off is a
    // person's act: it changes the serving database's password, which FleetFlow never does.
    const create = data.database.create;
    const setting = `tiers.${data.name}.database.create.masterPassword`;
    const secret = masterSecretName(environment.name);
    const turnOff = (password: string) =>
      `aws rds modify-db-instance --db-instance-identifier ${identifier} --no-manage-master-user-password --master-user-password <${password}> --apply-immediately (RDS then deletes its own secret)`;
    const way = !create
      ? `turn that off first: ${turnOff('a password you keep')}`
      : create.masterPassword === 'fleetflow-secret'
        ? `${setting} is already "fleetflow-secret": move this instance to the environment's secret ${secret} and point the hosts at it: ${turnOff(`the value of ${secret}`)}`
        : `set ${setting}: "fleetflow-secret" and deploy the stack (it creates the secret ${secret}), then move this instance to it and point the hosts at it: ${turnOff(`the value of ${secret}`)}`;
    throw new BlueGreenUnsupportedError(
      `database ${identifier}: its master user password is managed by RDS in AWS Secrets Manager, which blue/green deployments do not support; ${way}; or ${toRestoreData}`,
    );
  }
  const reason = unsupported(blue, input);
  if (reason) throw new BlueGreenUnsupportedError(`database ${identifier}: ${reason}, so RDS Blue/Green Deployments cannot replace it; ${toRestoreData}`);
  if (blue.DBInstanceStatus !== 'available') {
    throw new InventoryError(`database ${identifier} is ${blue.DBInstanceStatus}, not available: a blue/green deployment starts from an available instance; try again once it is; nothing was changed`);
  }
  const major = input.engineVersion !== undefined ? await refuseUnknownUpgrade(blue, input.engineVersion) : false;
  const replication = replicationOf(blue.Engine!, major);
  await checkTargetParameterGroup(blue, input, major);
  if (major) await majorUpgradeChecks(blue, input.engineVersion!, replication);
  await refuseDeploymentInProgress(blue, environment.name);
  const endpoint = endpointOf(blue);
  if (!endpoint || !blue.DBInstanceArn) throw new InventoryError(`database ${identifier} reports no endpoint or ARN; nothing was changed`);
  const restore = data.database.restore;
  return {
    environment: environment.name,
    current: {
      identifier,
      arn: blue.DBInstanceArn,
      endpoint,
      engine: blue.Engine!,
      engineVersion: blue.EngineVersion ?? '',
      instanceClass: blue.DBInstanceClass!,
      allocatedStorage: blue.AllocatedStorage ?? 0,
    },
    deploymentName: deploymentName(environment.name, input.runId ?? event.execution),
    target: {
      ...(input.instanceClass !== undefined ? { instanceClass: input.instanceClass } : {}),
      ...(input.allocatedStorage !== undefined ? { allocatedStorage: input.allocatedStorage } : {}),
      ...(input.engineVersion !== undefined ? { engineVersion: input.engineVersion } : {}),
      ...(input.parameterGroup !== undefined ? { parameterGroup: input.parameterGroup } : {}),
    },
    replication,
    majorUpgrade: major,
    switchoverTimeoutSeconds: input.switchoverTimeoutSeconds,
    maxLagSeconds: input.maxLagSeconds,
    provisionTimeoutSeconds: PROVISION_TIMEOUT_SECONDS,
    lagTimeoutSeconds: LAG_TIMEOUT_SECONDS,
    check: { ...restore.check, runner: await runnerOf(environment, data) },
    polling: environment.polling,
  };
}

/** Why the instance (or the change asked for) is not one Blue/Green Deployments support, or undefined. */
export function unsupported(blue: DBInstance, input: Pick<ReplaceDatabaseInput, 'engineVersion' | 'allocatedStorage'>): string | undefined {
  const engine = blue.Engine ?? 'unknown';
  if (!(BLUE_GREEN_ENGINES as readonly string[]).includes(engine)) return `its engine is ${engine} (Blue/Green Deployments support RDS for MariaDB, MySQL and PostgreSQL only)`;
  if (blue.MasterUserSecret) return 'its master user password is managed in AWS Secrets Manager, which blue/green deployments do not support';
  if (blue.BackupRetentionPeriod === 0) {
    const name = { mysql: 'MySQL', mariadb: 'MariaDB', postgres: 'PostgreSQL' }[engine as 'mysql' | 'mariadb' | 'postgres'];
    return `its automated backups are off (BackupRetentionPeriod 0), which a blue/green deployment of RDS for ${name} needs (turn them on: aws rds modify-db-instance --backup-retention-period 7)`;
  }
  if (blue.DBClusterIdentifier) return `it belongs to DB cluster ${blue.DBClusterIdentifier} (Multi-AZ DB cluster deployments are not supported)`;
  if (blue.ReadReplicaSourceDBInstanceIdentifier) return `it is a read replica of ${blue.ReadReplicaSourceDBInstanceIdentifier} (cascading and cross-Region read replicas are not supported)`;
  if (input.engineVersion !== undefined && blue.EngineVersion && compareVersions(input.engineVersion, blue.EngineVersion) < 0) {
    return `engineVersion ${input.engineVersion} is lower than its ${blue.EngineVersion} (the green may not run a lower engine version than the blue)`;
  }
  if (input.allocatedStorage !== undefined && blue.AllocatedStorage !== undefined && input.allocatedStorage < blue.AllocatedStorage) {
    return `allocatedStorage ${input.allocatedStorage} GiB is less than its ${blue.AllocatedStorage} GiB (RDS cannot shrink storage)`;
  }
  return undefined;
}

/**
 * A requested engine version other than the current one must be one RDS lists as a valid
 * upgrade target of it (DescribeDBEngineVersions, ValidUpgradeTarget: "A list of engine versions
 * that this database engine version can be upgraded to"); otherwise CreateBlueGreenDeployment
 * would refuse it after the lock. Returns whether it is a major version upgrade, as RDS says of
 * the target (UpgradeTarget.IsMajorVersionUpgrade: "Indicates whether upgrading to the target
 * version requires upgrading the major version of the database engine"), else by the numbers.
 */
async function refuseUnknownUpgrade(blue: DBInstance, requested: string): Promise<boolean> {
  if (requested === blue.EngineVersion) return false;
  if (!blue.EngineVersion) {
    // No current version reported: at least the requested one must be one RDS offers (an unknown one matches nothing).
    const { DBEngineVersions = [] } = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: blue.Engine!, EngineVersion: requested }));
    if (DBEngineVersions.length === 0) throw new InvalidInputError(`engineVersion ${requested} is not a ${blue.Engine} version RDS offers (DescribeDBEngineVersions); nothing was changed`);
    // No version to compare with (DescribeDBInstances always reports one on AWS): taken as no major upgrade,
    // and CreateBlueGreenDeployment decides.
    return false;
  }
  const { DBEngineVersions = [] } = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: blue.Engine!, EngineVersion: blue.EngineVersion }));
  const upgrades = DBEngineVersions.flatMap((v) => v.ValidUpgradeTarget ?? []);
  const targets = upgrades.map((t) => t.EngineVersion ?? '');
  if (!targets.includes(requested)) {
    throw new InvalidInputError(
      `engineVersion ${requested} is not a version RDS can upgrade ${blue.Engine} ${blue.EngineVersion} of database ${blue.DBInstanceIdentifier} to (ValidUpgradeTarget: ${targets.join(', ') || 'none'}); nothing was changed`,
    );
  }
  const said = upgrades.find((t) => t.EngineVersion === requested)?.IsMajorVersionUpgrade;
  return said ?? majorOf(blue.Engine!, requested) !== majorOf(blue.Engine!, blue.EngineVersion);
}

/** The major version: PostgreSQL's first number (10 and later), MySQL's and MariaDB's first two ("8.0", "10.11"). */
export function majorOf(engine: string, version: string): string {
  return version.split('.').slice(0, engine === 'postgres' ? 1 : 2).join('.');
}

/**
 * How RDS keeps the green in sync: "Amazon RDS for PostgreSQL primarily uses physical replication
 * for blue/green deployments", and logical replication for a "Major version upgrade (green
 * instance on higher major engine version than blue)" (RDS User Guide, "PostgreSQL replication
 * methods for blue/green deployments"); MySQL and MariaDB by their binary log.
 */
export function replicationOf(engine: string, major: boolean): Replication {
  if (engine !== 'postgres') return 'binlog';
  return major ? 'logical' : 'physical';
}

/**
 * The lowest PostgreSQL source of each major version a blue/green major upgrade may start from:
 * "Major version upgrades are not supported for blue/green deployments with source RDS for
 * PostgreSQL versions 15.3 and lower, 14.8 and lower, 13.11 and lower, 12.15 and lower, or 11.20
 * and lower" ("16.1 and all higher major and minor versions" are; same page).
 */
const LOGICAL_SOURCE_MINIMUM: Readonly<Record<string, string>> = { '11': '11.21', '12': '12.16', '13': '13.12', '14': '14.9', '15': '15.4', '16': '16.1' };

/** The name of a DB instance's parameter group and whether the instance runs with it as it is (ParameterApplyStatus). */
const parameterGroupOf = (db: DBInstance) => db.DBParameterGroups?.[0] ?? {};

/**
 * The green's parameter group, when the input names one or a major upgrade needs one. The User
 * Guide: you can "specify a parameter group for a new major DB engine version in the case of an
 * upgrade", and "If you don't specify a different parameter group, each DB instance in the green
 * environment is associated with the parameter group of its corresponding blue DB instance" —
 * a group of the old family, which RDS cannot attach to the new version. So a major upgrade
 * without one is refused, naming the family to create it in; one that does not exist, or is of
 * another family than the green's version (DescribeDBEngineVersions, DBParameterGroupFamily), is
 * refused too, before CreateBlueGreenDeployment would after the lock.
 */
async function checkTargetParameterGroup(blue: DBInstance, input: ReplaceDatabaseInput, major: boolean): Promise<void> {
  const greenVersion = input.engineVersion ?? blue.EngineVersion;
  if (input.parameterGroup === undefined && !major) return;
  // The family of the green's version (without a version, none to hold the group to: RDS decides).
  const versions = greenVersion ? (await rds.send(new DescribeDBEngineVersionsCommand({ Engine: blue.Engine!, EngineVersion: greenVersion }))).DBEngineVersions : [];
  const family = versions?.[0]?.DBParameterGroupFamily;
  const blueGroup = parameterGroupOf(blue).DBParameterGroupName ?? 'its parameter group';
  if (input.parameterGroup === undefined) {
    throw new InvalidInputError(
      `engineVersion ${greenVersion} is a major version upgrade of ${blue.Engine} ${blue.EngineVersion} (database ${blue.DBInstanceIdentifier}): give parameterGroup, a DB parameter group of family ${family ?? 'the new version'} for the green ` +
        `(aws rds create-db-parameter-group --db-parameter-group-name <name> --db-parameter-group-family ${family ?? '<family>'} --description <text>, with the settings of ${blueGroup} that still apply); nothing was changed`,
    );
  }
  let groupFamily: string | undefined;
  try {
    const { DBParameterGroups = [] } = await rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: input.parameterGroup }));
    groupFamily = DBParameterGroups[0]?.DBParameterGroupFamily;
  } catch (err) {
    if ((err as Error).name !== 'DBParameterGroupNotFoundFault') throw err;
    throw new InvalidInputError(`parameterGroup ${input.parameterGroup} does not exist (DescribeDBParameterGroups); create it in family ${family ?? 'of the green\'s version'} first; nothing was changed`, { cause: err });
  }
  if (family && groupFamily !== family) {
    throw new InvalidInputError(
      `parameterGroup ${input.parameterGroup} is of family ${groupFamily ?? 'unknown'}, but the green runs ${blue.Engine} ${greenVersion}, whose family is ${family}: give a group of family ${family}; nothing was changed`,
    );
  }
}

/**
 * What a major upgrade needs of the blue, checked by API before anything changes:
 * - PostgreSQL (logical replication), RDS User Guide, "Preparing an RDS for PostgreSQL DB instance
 *   for a blue/green deployment with logical replication": "Associate the instance with a custom
 *   DB parameter group with logical replication (rds.logical_replication) turned on", and "After
 *   you enable logical replication and set all configuration options, make sure to reboot the DB
 *   instance so that your changes take effect. Blue/green deployments require that the DB instance
 *   be in sync with the DB parameter group, otherwise creation fails." The parameter is read with
 *   DescribeDBParameters (every page), the sync from DescribeDBInstances (ParameterApplyStatus).
 *   What the API cannot show is left to the page (docs/workflows/replace-database.md): tables
 *   without a primary key, and no DDL on the blue until the switchover.
 * - MySQL: "If the source database is associated with a custom option group, you can't specify a
 *   major version upgrade when you create the blue/green deployment" ("RDS for MySQL limitations
 *   for blue/green deployments").
 */
async function majorUpgradeChecks(blue: DBInstance, requested: string, replication: Replication): Promise<void> {
  const id = blue.DBInstanceIdentifier;
  if (blue.Engine === 'mysql') {
    const optionGroup = blue.OptionGroupMemberships?.[0]?.OptionGroupName;
    if (optionGroup && !optionGroup.startsWith('default:')) {
      throw new BlueGreenUnsupportedError(
        `database ${id}: it uses the custom option group ${optionGroup}, and a blue/green deployment of RDS for MySQL cannot take a major version upgrade then; replace it without engineVersion, then upgrade the new instance (aws rds modify-db-instance --engine-version ${requested} --allow-major-version-upgrade); nothing was changed`,
      );
    }
  }
  if (replication !== 'logical') return;
  const version = blue.EngineVersion ?? '';
  const minimum = LOGICAL_SOURCE_MINIMUM[majorOf('postgres', version)];
  if (minimum && compareVersions(version, minimum) < 0) {
    throw new BlueGreenUnsupportedError(
      `database ${id}: RDS does not support a blue/green major version upgrade from PostgreSQL ${version} (the lowest source of ${majorOf('postgres', version)} is ${minimum}); replace it first to ${minimum} or later (engineVersion ${minimum}, a minor upgrade), then to ${requested}; nothing was changed`,
    );
  }
  const { DBParameterGroupName: group, ParameterApplyStatus: status } = parameterGroupOf(blue);
  const fix = `aws rds modify-db-parameter-group --db-parameter-group-name ${group} --parameters ParameterName=rds.logical_replication,ParameterValue=1,ApplyMethod=pending-reboot, then aws rds reboot-db-instance --db-instance-identifier ${id}`;
  if (!group || group.startsWith('default.')) {
    throw new BlueGreenUnsupportedError(
      `database ${id}: a major version upgrade by blue/green uses logical replication, which needs rds.logical_replication = 1 in a custom DB parameter group, and ${id} uses ${group ?? 'no custom group'} ` +
        `(a default group cannot be changed): create one of its family with rds.logical_replication = 1, associate it (aws rds modify-db-instance --db-parameter-group-name <group>) and reboot ${id}; nothing was changed`,
    );
  }
  const value = await parameterValue(group, 'rds.logical_replication');
  if (value !== '1') {
    throw new BlueGreenUnsupportedError(
      `database ${id}: a major version upgrade by blue/green uses logical replication, which needs rds.logical_replication = 1 in its parameter group ${group} (it is ${value ?? 'unset, so 0'}): ${fix}; nothing was changed`,
    );
  }
  if (status && status !== 'in-sync') {
    throw new BlueGreenUnsupportedError(
      `database ${id}: its parameter group ${group} is ${status}, and a blue/green deployment needs the instance in sync with it (rds.logical_replication takes effect on reboot): aws rds reboot-db-instance --db-instance-identifier ${id}; nothing was changed`,
    );
  }
}

/** A parameter's value in a DB parameter group (DescribeDBParameters, every page of up to 100), or undefined when unset. */
async function parameterValue(group: string, name: string): Promise<string | undefined> {
  let Marker: string | undefined;
  do {
    const page = await rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: group, ...(Marker ? { Marker } : {}) }));
    const found = page.Parameters?.find((p) => p.ParameterName === name);
    if (found) return found.ParameterValue;
    Marker = page.Marker;
  } while (Marker);
  return undefined;
}

/** Dotted versions compared number by number ("16.10" > "16.4"); a non-numeric part compares as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const [x = '0', y = '0'] = [pa[i], pb[i]];
    const [nx, ny] = [Number(x), Number(y)];
    const diff = Number.isNaN(nx) || Number.isNaN(ny) ? x.localeCompare(y) : nx - ny;
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/**
 * Another blue/green deployment of this instance, not over: a person's, or a failed run's, left
 * to inspect. Or one of this environment's (tagged so by Create Green) that switched over but
 * whose old instance is not tagged kept: a run stopped between the switchover and Record
 * Replacement. Replacing again would make the new instance a blue and leave the first old one
 * unmarked among them; the plan refuses instead, naming the instance and the tag to add. It does
 * not add it itself: the plan is read-only and runs before the lock, and only the stopped run's
 * history says it was FleetFlow's switchover to record (a person may still be looking at it).
 */
async function refuseDeploymentInProgress(blue: DBInstance, environment: string): Promise<void> {
  const deployments = await allDeployments();
  // After a switchover RDS reports the renamed blue as the Source: the open ones are those of this instance.
  const open = deployments.find((d) => d.Source === blue.DBInstanceArn && !FINISHED.has(d.Status ?? ''));
  if (open) {
    throw new InventoryError(
      `database ${blue.DBInstanceIdentifier} is already the source of blue/green deployment ${open.BlueGreenDeploymentIdentifier} (${open.BlueGreenDeploymentName}, ${open.Status}): ` +
        'switch it over or delete it (aws rds delete-blue-green-deployment, --delete-target to remove its green) first; nothing was changed',
    );
  }
  for (const d of deployments.filter((x) => x.Status === 'SWITCHOVER_COMPLETED' && tagOf(x.TagList, ENVIRONMENT_TAG) === environment)) {
    const oldArn = d.SwitchoverDetails?.find((m) => m.SourceMember)?.SourceMember ?? d.Source ?? '';
    const old = await describeDatabase(oldArn.split(':').pop() ?? '');
    if (old && tagOf(old.TagList, KEPT_TAG) !== 'true') {
      throw new InventoryError(
        `blue/green deployment ${d.BlueGreenDeploymentIdentifier} (${d.BlueGreenDeploymentName}) of environment ${environment} switched over, but its old instance ${old.DBInstanceIdentifier} is not tagged ${KEPT_TAG} ` +
          `(the run that switched over stopped before recording it): that replacement is done, ${blue.DBInstanceIdentifier} answers from its new instance; ` +
          `record it by tagging the old one (aws rds add-tags-to-resource --resource-name ${old.DBInstanceArn} --tags Key=${KEPT_TAG},Value=true), and start again only to replace it once more; nothing was changed`,
      );
    }
  }
}

/** Every blue/green deployment of the account (few: each is a person's or a run's, deleted once inspected). */
async function allDeployments(): Promise<BlueGreenDeployment[]> {
  const all: BlueGreenDeployment[] = [];
  let Marker: string | undefined;
  do {
    const page = await rds.send(new DescribeBlueGreenDeploymentsCommand({ ...(Marker ? { Marker } : {}) }));
    all.push(...(page.BlueGreenDeployments ?? []));
    Marker = page.Marker;
  } while (Marker);
  return all;
}

const tagOf = (tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

/** The check runs on the first running host of the migration's runner tier. */
async function runnerOf(environment: EnvironmentDefinition, data: DatabaseTierDefinition): Promise<HostRef> {
  const tier = environment.tiers.find((t) => t.name === data.database.migration.runnerTier);
  const hosts = tier && isHostTier(tier) ? await findHosts(tier) : [];
  if (!hosts[0]) throw new InventoryError(`no running host in tier ${data.database.migration.runnerTier} to check the green database from; allocate it first; nothing was changed`);
  return hosts[0];
}

/**
 * `fleetflow-<environment>-<12 hex of the run>`: at most 60 characters, a letter first, letters,
 * digits and single hyphens (CreateBlueGreenDeployment, BlueGreenDeploymentName).
 */
export function deploymentName(environment: string, run: string): string {
  return `fleetflow-${environment.slice(0, 36)}-${createHash('sha256').update(run).digest('hex').slice(0, 12)}`.replace(/--+/g, '-');
}
