/**
 * Plan Restore Data (read-only; every refusal happens here, before the lock): the input's
 * source resolved to a snapshot or a point in time inside the instance's restorable window,
 * the new instance's identifier (naming the source and the execution) and settings (the
 * current instance's, else the definition's), the host that runs the check document, and
 * the hosts of the tiers that use the database as rolling batches (the release's capacity
 * rules; hosts a stopped execution left out of traffic first), written to the plan table.
 */
import { createHash } from 'node:crypto';
import type { DBInstance } from '@aws-sdk/client-rds';
import { parseComputeInput } from '../domain/compute-input';
import { partition } from '../domain/environment/batch-policy';
import type { DatabaseTierDefinition, EnvironmentDefinition, HostTierDefinition } from '../domain/environment/model';
import { isHostTier } from '../domain/environment/tiers';
import { currentDatabaseIdentifier, dataTierOf, describeDatabase } from '../shared/database-record';
import { restoredPrefix } from '../domain/contract/records';
import { InvalidInputError, InventoryError } from '../domain/contract/errors';
import { logger } from '../shared/logger';
import { readParameter } from '../shared/parameters';
import { storeTiers } from '../shared/plan-store';
import { describeHosts } from '../shared/polling';
import { healthyTargets } from '../shared/target-health';
import { tierSpec } from '../shared/tier-spec';
import { environmentOf } from '../shared/provision-plan';
import { findHosts, policyFor, resolveTraffic } from '../shared/tier-hosts';
import type { HostRef, PlannedTier, TrafficPlan, ValidationPlan, InstanceSettings, ResolvedSource, RestorePlan } from '../domain/contract/payloads';
import { resolveSource } from './restore-source';

export interface PlanRestoreEvent {
  readonly environment: unknown;
  readonly input: unknown;
  readonly execution: string;
}


export const handler = async (event: PlanRestoreEvent): Promise<RestorePlan> => {
  const plan = await planRestoreData(event);
  logger.info('planned restore', { source: plan.source, target: plan.target.identifier, hosts: plan.hostCount });
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
  const currentId = (await currentDatabaseIdentifier(environment))!;
  const current = await describeDatabase(currentId);
  const { source, time } = await resolveSource(environment.name, data, currentId, current, input.source);
  const identifier = newIdentifier(data.database.instanceIdentifier, source, time, event.execution);
  const settings = settingsOf(data, current, currentId);

  const hostTiers = restore.tiers.map((name) => environment.tiers.find((t) => t.name === name)).filter((t): t is HostTierDefinition => !!t && isHostTier(t));
  const planned: PlannedTier[] = [];
  const hostsByTier = new Map<string, HostRef[]>();
  for (const tier of hostTiers) {
    const hosts = await findHosts(tier);
    hostsByTier.set(tier.name, hosts);
    if (hosts.length === 0) continue;
    planned.push(await repointTier(environment, tier, hosts, identifier, restore.reconfigure, currentId));
  }
  const runner = hostsByTier.get(data.database.migration.runnerTier)?.[0] ?? (await runnerOf(environment, data));
  const tiers = await storeTiers(environment.name, event.execution, 'repoint', planned);
  return {
    environment: environment.name,
    release: identifier,
    source,
    recoveryPointTime: time,
    dataLossSeconds: Math.max(0, Math.round((Date.now() - Date.parse(time)) / 1000)),
    current: { identifier: currentId, exists: current !== undefined },
    target: { identifier, settings, timeoutSeconds: restore.timeoutSeconds },
    connectionParameter: restore.connectionParameter,
    previousEndpoint: await readParameter(restore.connectionParameter),
    check: { ...restore.check, runner },
    reconfigure: restore.reconfigure,
    tiers,
    hostCount: planned.reduce((n, t) => n + t.batches.flat().length, 0),
    validation: validationOf(environment),
    reason: input.reason,
    polling: environment.polling,
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
): Promise<PlannedTier> {
  const { batchSize, minHealthy, rollbackBatchSize } = policyFor(tier, hosts.length);
  const { traffic, healthyAfterSeconds, outOfTraffic } = await resolveTraffic(tier, hosts);
  await assertHealthy(tier, traffic, hosts.filter((h) => !outOfTraffic.has(h.id)));
  // `previous` is what the host uses now: what a repoint back returns it to.
  const refs = hosts.map((h) => ({ id: h.id, name: h.name, previous: currentId }));
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
 * `<defined identifier>-<snap|pitr>-<YYYYMMDDHHMM of the data>-<8 characters of the
 * execution>`: a new instance every time, whose name says what it holds and who made it
 * (the full execution name and source are in its tags). At most 63 characters, a letter
 * first, no two hyphens in a row, none at the end (RDS's identifier rules).
 */
export function newIdentifier(base: string, source: ResolvedSource, time: string, execution: string): string {
  const stamp = time.replace(/[^0-9]/g, '').slice(0, 12);
  const run = createHash('sha256').update(execution).digest('hex').slice(0, 8);
  return `${restoredPrefix(base, source.kind)}${stamp}-${run}`;
}

/** The current instance's settings; when it is gone, the definition's (`database.create`). */
function settingsOf(data: DatabaseTierDefinition, current: DBInstance | undefined, currentId: string): InstanceSettings {
  const create = data.database.create;
  if (current) {
    const parameterGroup = current.DBParameterGroups?.[0]?.DBParameterGroupName;
    const settings: InstanceSettings = {
      instanceClass: current.DBInstanceClass!,
      subnetGroup: current.DBSubnetGroup?.DBSubnetGroupName ?? 'default',
      securityGroups: (current.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean),
      ...(parameterGroup && !parameterGroup.startsWith('default.') ? { parameterGroup } : {}),
      multiAz: current.MultiAZ === true,
      // Never public, whatever the live instance is: IAM has no condition key for it, so the handler holds the line.
      publiclyAccessible: false,
      deletionProtection: current.DeletionProtection === true,
      copyTagsToSnapshot: current.CopyTagsToSnapshot === true,
    };
    if (create) assertGranted(data, settings, currentId);
    return settings;
  }
  if (!create) {
    throw new InvalidInputError(
      `database ${currentId} does not exist and tiers.${data.name}.database.create does not give the settings (class, subnet group, security groups) to restore it with; nothing was changed`,
    );
  }
  return {
    instanceClass: create.instanceClass,
    subnetGroup: create.subnetGroup,
    securityGroups: create.securityGroups,
    ...(create.parameterGroup ? { parameterGroup: create.parameterGroup } : {}),
    multiAz: create.multiAz,
    publiclyAccessible: false,
    deletionProtection: false,
    copyTagsToSnapshot: false,
  };
}

/**
 * The restore copies the live instance's groups, and IAM lets it use only those of
 * `database.create` (lib/data-access.ts): groups that drifted from the definition are
 * refused here, by name, rather than by an AccessDenied after the lock.
 */
function assertGranted(data: DatabaseTierDefinition, settings: InstanceSettings, currentId: string): void {
  const create = data.database.create!;
  const field = `tiers.${data.name}.database.create`;
  const drift: string[] = [];
  if (settings.subnetGroup !== create.subnetGroup) drift.push(`subnet group ${settings.subnetGroup} (${field}.subnetGroup: ${create.subnetGroup})`);
  const extra = settings.securityGroups.filter((g) => !create.securityGroups.includes(g));
  if (extra.length > 0) drift.push(`security group(s) ${extra.join(', ')} (${field}.securityGroups: ${create.securityGroups.join(', ')})`);
  if (settings.instanceClass !== create.instanceClass) drift.push(`class ${settings.instanceClass} (${field}.instanceClass: ${create.instanceClass})`);
  if (settings.multiAz !== create.multiAz) drift.push(`Multi-AZ ${settings.multiAz} (${field}.multiAz: ${create.multiAz})`);
  if (settings.parameterGroup && settings.parameterGroup !== create.parameterGroup) {
    drift.push(`parameter group ${settings.parameterGroup} (${field}.parameterGroup: ${create.parameterGroup ?? 'none'})`);
  }
  if (drift.length > 0) {
    throw new InvalidInputError(`database ${currentId} uses ${drift.join('; ')}, which the definition (and so the restore's IAM grant) does not name or allow; update the definition and deploy the stack; nothing was changed`);
  }
}

/** The bake after the repoint watches the environment's validation alarms; no approval. */
function validationOf(environment: EnvironmentDefinition): ValidationPlan {
  const v = environment.validation;
  return {
    alarms: v.alarms,
    alarmPrefixes: v.alarmPrefixes,
    bakeSeconds: v.bakeSeconds,
    approval: { required: false, timeoutSeconds: v.approval.timeoutSeconds },
    onFailure: 'rollback',
    polling: environment.polling,
  };
}
