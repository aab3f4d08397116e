/**
 * Create Database: the data tier's instance, as the environment defines it, when allocate
 * found it missing: created empty, or restored from the snapshot the plan chose. The master password is managed by RDS in Secrets Manager
 * (ManageMasterUserPassword), so no secret is in the definition, the input or the state.
 * Safe to retry: the plan asked for it only because it did not exist, so an instance of that
 * identifier found now (DBInstanceAlreadyExists) is taken as this execution's own, from a
 * retry whose answer was lost, and is waited for.
 */
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, RestoreDBInstanceFromDBSnapshotCommand } from '@aws-sdk/client-rds';
import { rds } from '../shared/aws/rds';
import { DatabaseCreateFailedError } from '../domain/contract/errors';
import { completePhase, continuePhase, requirePhase, startPhase } from '../shared/phase';
import type { PhaseState, DatabaseCreatePlan } from '../domain/contract/payloads';
import { CREATING } from '../domain/contract/rds-status';
import { CREATED_BY_TAG } from '../domain/contract/tags';

/** What RDS usually takes to create an instance: the first look. */
export const EXPECTED_CREATE_SECONDS = 420;

export interface DatabaseCreateInput {
  readonly execution: string;
  readonly database: DatabaseCreatePlan;
  readonly phase?: PhaseState;
}

export async function createDatabase(event: DatabaseCreateInput): Promise<PhaseState> {
  const { database } = event;
  const c = database.create;
  try {
    // A restore passes the instance's settings explicitly: RDS otherwise restores to the
    // default subnet group and security group, Single-AZ (RestoreDBInstanceFromDBSnapshot).
    if (database.fromSnapshot) {
      await rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
            DBInstanceIdentifier: database.instanceIdentifier,
            DBSnapshotIdentifier: database.fromSnapshot.identifier,
            DBInstanceClass: c.instanceClass,
            DBSubnetGroupName: c.subnetGroup,
            VpcSecurityGroupIds: c.securityGroups,
            ...(c.parameterGroup ? { DBParameterGroupName: c.parameterGroup } : {}),
            MultiAZ: c.multiAz,
            // Never public: RDS would otherwise decide by the subnet group's routes, and IAM has no key to forbid it.
            PubliclyAccessible: false,
            Tags: [{ Key: CREATED_BY_TAG, Value: event.execution }],
          }),
      );
    } else {
      await rds.send(
        new CreateDBInstanceCommand({
            DBInstanceIdentifier: database.instanceIdentifier,
            Engine: c.engine,
            ...(c.engineVersion ? { EngineVersion: c.engineVersion } : {}),
            DBInstanceClass: c.instanceClass,
            AllocatedStorage: c.allocatedStorage,
            DBSubnetGroupName: c.subnetGroup,
            VpcSecurityGroupIds: c.securityGroups,
            ...(c.parameterGroup ? { DBParameterGroupName: c.parameterGroup } : {}),
            MultiAZ: c.multiAz,
            MasterUsername: c.masterUsername,
            ManageMasterUserPassword: true,
            StorageEncrypted: true,
            PubliclyAccessible: false,
            Tags: [{ Key: CREATED_BY_TAG, Value: event.execution }],
          }),
      );
    }
  } catch (err) {
    if ((err as Error).name !== 'DBInstanceAlreadyExistsFault') {
      const action = database.fromSnapshot ? `RestoreDBInstanceFromDBSnapshot (${database.fromSnapshot.identifier})` : 'CreateDBInstance';
      throw new DatabaseCreateFailedError(`database ${database.instanceIdentifier}: ${action} refused: ${(err as Error).name}: ${(err as Error).message}`, { cause: err });
    }
  }
  return startPhase(database.timeoutSeconds, database.polling, undefined, EXPECTED_CREATE_SECONDS);
}

/** Check Database Created: available, or still on its way, or failed. */
export async function checkDatabaseCreated(event: DatabaseCreateInput): Promise<PhaseState> {
  const phase = requirePhase(event);
  const now = Date.now();
  const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: event.database.instanceIdentifier }));
  const status = DBInstances[0]?.DBInstanceStatus ?? 'unknown';
  if (status === 'available') return completePhase(phase, now);
  if (!CREATING.has(status)) throw new DatabaseCreateFailedError(`database ${event.database.instanceIdentifier} is ${status} while being created`);
  if (now < phase.deadline) return continuePhase(phase, event.database.polling, now);
  throw new DatabaseCreateFailedError(`database ${event.database.instanceIdentifier} still ${status} ${event.database.timeoutSeconds}s after it was asked for`);
}
