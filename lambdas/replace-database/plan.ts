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
 *   instance, you must enable automated backups" (RDS User Guide, "Creating a blue/green
 *   deployment in Amazon RDS"): such an instance with BackupRetentionPeriod 0 is refused.
 * RDS cannot shrink allocated storage either, so a smaller `allocatedStorage` is refused.
 */
import { createHash } from 'node:crypto';
import { DescribeBlueGreenDeploymentsCommand, DescribeDBEngineVersionsCommand, type BlueGreenDeployment, type DBInstance } from '@aws-sdk/client-rds';
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
import type { ReplaceDatabasePlan } from './types';

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
  if (input.engineVersion !== undefined) await refuseUnknownUpgrade(blue, input.engineVersion);
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
    },
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
  if ((engine === 'mysql' || engine === 'mariadb') && blue.BackupRetentionPeriod === 0) {
    return `its automated backups are off (BackupRetentionPeriod 0), which a blue/green deployment of RDS for ${engine === 'mysql' ? 'MySQL' : 'MariaDB'} needs (turn them on: aws rds modify-db-instance --backup-retention-period 7)`;
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
 * would refuse it after the lock.
 */
async function refuseUnknownUpgrade(blue: DBInstance, requested: string): Promise<void> {
  if (requested === blue.EngineVersion) return;
  if (!blue.EngineVersion) {
    // No current version reported: at least the requested one must be one RDS offers (an unknown one matches nothing).
    const { DBEngineVersions = [] } = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: blue.Engine!, EngineVersion: requested }));
    if (DBEngineVersions.length === 0) throw new InvalidInputError(`engineVersion ${requested} is not a ${blue.Engine} version RDS offers (DescribeDBEngineVersions); nothing was changed`);
    return;
  }
  const { DBEngineVersions = [] } = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: blue.Engine!, EngineVersion: blue.EngineVersion }));
  const targets = DBEngineVersions.flatMap((v) => v.ValidUpgradeTarget ?? []).map((t) => t.EngineVersion ?? '');
  if (!targets.includes(requested)) {
    throw new InvalidInputError(
      `engineVersion ${requested} is not a version RDS can upgrade ${blue.Engine} ${blue.EngineVersion} of database ${blue.DBInstanceIdentifier} to (ValidUpgradeTarget: ${targets.join(', ') || 'none'}); nothing was changed`,
    );
  }
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
