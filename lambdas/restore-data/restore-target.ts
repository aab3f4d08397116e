/**
 * The restored instance a plan names, shared by Plan Restore Data (which then repoints the
 * hosts in rolling batches) and Plan Allocation's `"database": "restore"` (disaster recovery:
 * the hosts it launches are pointed at the restored instance before they first serve):
 * the source resolved, the new instance's identifier and settings, the connection
 * parameter's value before, the check document and the validation. Read-only.
 */
import { createHash } from 'node:crypto';
import type { DBInstance } from '@aws-sdk/client-rds';
import type { RestoreSource } from '../domain/compute-input';
import type { DatabaseTierDefinition, EnvironmentDefinition } from '../domain/environment/model';
import { currentDatabaseIdentifier, describeDatabase } from '../shared/database-record';
import { restoredPrefix } from '../domain/contract/records';
import { InvalidInputError } from '../domain/contract/errors';
import { readParameter } from '../shared/parameters';
import type { ValidationPlan, InstanceSettings, ResolvedSource, RestorePlan } from '../domain/contract/payloads';
import { resolveSource } from './restore-source';

/** A restore plan but its hosts: the repoint batches (restore-data) or none (allocate), and the check's runner. */
export type RestoreTarget = Omit<RestorePlan, 'tiers' | 'hostCount' | 'check'> & { readonly check: Omit<RestorePlan['check'], 'runner'> };

export async function planRestoreTarget(
  environment: EnvironmentDefinition,
  data: DatabaseTierDefinition,
  input: { readonly source: RestoreSource; readonly reason: string },
  execution: string,
): Promise<RestoreTarget> {
  const restore = data.database.restore!;
  const currentId = (await currentDatabaseIdentifier(environment))!;
  const current = await describeDatabase(currentId);
  const { source, time } = await resolveSource(environment.name, data, currentId, current, input.source);
  const identifier = newIdentifier(data.database.instanceIdentifier, source, time, execution);
  return {
    environment: environment.name,
    release: identifier,
    source,
    recoveryPointTime: time,
    dataLossSeconds: Math.max(0, Math.round((Date.now() - Date.parse(time)) / 1000)),
    current: { identifier: currentId, exists: current !== undefined },
    target: { identifier, settings: settingsOf(data, current, currentId), timeoutSeconds: restore.timeoutSeconds },
    connectionParameter: restore.connectionParameter,
    previousEndpoint: await readParameter(restore.connectionParameter),
    check: { ...restore.check },
    reconfigure: restore.reconfigure,
    validation: validationOf(environment),
    reason: input.reason,
    polling: environment.polling,
  };
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
export function settingsOf(data: DatabaseTierDefinition, current: DBInstance | undefined, currentId: string): InstanceSettings {
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
export function validationOf(environment: EnvironmentDefinition): ValidationPlan {
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
