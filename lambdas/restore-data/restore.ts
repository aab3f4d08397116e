/**
 * Restore Database: the restored data always goes to a NEW instance (the plan's identifier),
 * from the snapshot (RestoreDBInstanceFromDBSnapshot) or to the point in time
 * (RestoreDBInstanceToPointInTime), with the current instance's class, subnet group,
 * security groups, parameter group and Multi-AZ passed explicitly: RDS otherwise restores
 * into the default subnet group and security group, Single-AZ. The current instance is only
 * read. Safe to retry: an instance of the plan's identifier that this execution created
 * (its `fleetflow:created-by` tag) is taken as its own, from a retry whose answer was lost.
 */
import {
  ListTagsForResourceCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { rds } from '../shared/aws/rds';
import { describeDatabase } from '../shared/database-record';
import { DatabaseRestoreFailedError } from '../domain/contract/errors';
import { completePhase, continuePhase, requirePhase, startPhase } from '../shared/phase';
import type { PhaseState, RestoreTaskInput } from '../domain/contract/payloads';
import { CREATED_BY_TAG, RESTORED_FROM_TAG } from '../domain/contract/tags';

/** Statuses a restored instance does not come back from on its own (RDS User Guide, DB instance status). */
const RESTORE_FAILED = new Set(['failed', 'storage-full', 'deleting', 'stopped', 'stopping', 'not found']);

/** What RDS usually takes to restore an instance: the first look. */
export const EXPECTED_RESTORE_SECONDS = 600;

export async function restoreDatabase(event: RestoreTaskInput): Promise<PhaseState> {
  const { plan } = event;
  const { identifier, settings } = plan.target;
  if (plan.resume) {
    // Resumed (plan-restore-data.ts): the instance is the stopped execution's, which hosts already use; never restored again.
    if (!(await createdBy(identifier, plan.resume.execution))) {
      throw new DatabaseRestoreFailedError(
        `database ${identifier}, which ${plan.resume.execution} restored and began repointing the hosts to, is gone or no longer tagged as its restore; nothing was changed by this execution`,
      );
    }
    // Available since that run's check passed: done at once (a Check would only find it so); if not, Check Restore says why.
    const phase = startPhase(plan.target.timeoutSeconds, plan.polling);
    return (await describeDatabase(identifier))?.DBInstanceStatus === 'available' ? completePhase(phase) : phase;
  }
  const explicit = {
    DBInstanceClass: settings.instanceClass,
    DBSubnetGroupName: settings.subnetGroup,
    VpcSecurityGroupIds: [...settings.securityGroups],
    ...(settings.parameterGroup ? { DBParameterGroupName: settings.parameterGroup } : {}),
    MultiAZ: settings.multiAz,
    // Never public: IAM has no condition key for it (docs/aws-behaviour.md, IAM), so the handler holds the line.
    PubliclyAccessible: false,
    // No password setting: the restored instance keeps the snapshot's master password. In "fleetflow-secret" mode
    // (database.create.masterPassword) that is the environment's secret's, which every instance FleetFlow creates uses
    // and FleetFlow never rotates, so the hosts' secret still opens it. In "rds-managed" mode RDS cannot manage it
    // here: RestoreDBInstanceFromDBSnapshot's ManageMasterUserPassword "Applies to RDS for Oracle only" (RDS API
    // reference), so the restored instance has no managed secret until a person turns it on (ModifyDBInstance).
    // docs/aws-behaviour.md, RDS: a restore sets no master password.
    DeletionProtection: settings.deletionProtection,
    CopyTagsToSnapshot: settings.copyTagsToSnapshot,
    Tags: [
      { Key: CREATED_BY_TAG, Value: event.execution },
      // RDS tag values may not begin with "rds:" (RDS API reference, Tag), as automated snapshots' names do.
      { Key: RESTORED_FROM_TAG, Value: plan.source.kind === 'snapshot' ? `snapshot ${plan.source.snapshot}` : `${plan.source.instance} at ${plan.recoveryPointTime}` },
    ],
  };
  try {
    if (plan.source.kind === 'snapshot') {
      await rds.send(new RestoreDBInstanceFromDBSnapshotCommand({ DBInstanceIdentifier: identifier, DBSnapshotIdentifier: plan.source.snapshot, ...explicit }));
    } else {
      await rds.send(
        new RestoreDBInstanceToPointInTimeCommand({
          SourceDBInstanceIdentifier: plan.source.instance,
          TargetDBInstanceIdentifier: identifier,
          RestoreTime: new Date(plan.recoveryPointTime),
          ...explicit,
        }),
      );
    }
  } catch (err) {
    if ((err as Error).name !== 'DBInstanceAlreadyExistsFault' || !(await createdBy(identifier, event.execution))) {
      const action = plan.source.kind === 'snapshot' ? `RestoreDBInstanceFromDBSnapshot (${plan.source.snapshot})` : `RestoreDBInstanceToPointInTime (${plan.source.instance} at ${plan.recoveryPointTime})`;
      throw new DatabaseRestoreFailedError(`database ${identifier}: ${action} refused: ${(err as Error).name}: ${(err as Error).message}; nothing else was changed`, { cause: err });
    }
  }
  return startPhase(plan.target.timeoutSeconds, plan.polling, undefined, EXPECTED_RESTORE_SECONDS);
}

/** Whether the instance of that identifier was created by this execution (a retry of ours). */
async function createdBy(identifier: string, execution: string): Promise<boolean> {
  const instance = await describeDatabase(identifier);
  if (!instance?.DBInstanceArn) return false;
  const { TagList = [] } = await rds.send(new ListTagsForResourceCommand({ ResourceName: instance.DBInstanceArn }));
  return TagList.some((t) => t.Key === CREATED_BY_TAG && t.Value === execution);
}

/** Check Restore: available, or still on its way, or failed (e.g. incompatible-restore). */
export async function checkRestore(event: RestoreTaskInput): Promise<PhaseState> {
  const phase = requirePhase(event);
  const { identifier, timeoutSeconds } = event.plan.target;
  const now = Date.now();
  const status = (await describeDatabase(identifier))?.DBInstanceStatus ?? 'not found';
  if (status === 'available') return completePhase(phase, now);
  const { resume } = event.plan;
  const kept = resume
    ? `; ${event.plan.current.identifier} is unchanged, and what ${resume.execution} left stands: ${resume.hosts || 'no host'} moved or moving onto ${identifier}${resume.connectionNamesTarget ? ', which the connection parameter names' : ''}`
    : `; the current database ${event.plan.current.identifier} is unchanged and no host was repointed`;
  // Only terminal statuses fail it: a restore may pass through others (upgrading an old engine version, maintenance, ...).
  if (RESTORE_FAILED.has(status) || status.startsWith('incompatible-') || status.startsWith('inaccessible-')) {
    throw new DatabaseRestoreFailedError(`restored database ${identifier} is ${status}${kept}`);
  }
  if (now < phase.deadline) return continuePhase(phase, event.plan.polling, now);
  throw new DatabaseRestoreFailedError(`restored database ${identifier} still ${status} ${timeoutSeconds}s after the restore was asked for${kept}`);
}
