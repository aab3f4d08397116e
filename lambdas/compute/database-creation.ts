/**
 * Create Database: the data tier's instance, as the environment defines it, when allocate
 * found it missing: created empty, or restored from the snapshot the plan chose. The master
 * password is never in the definition, the input or the state (`database.create.masterPassword`):
 * - "fleetflow-secret": read here from the environment's secret (the plan names it) and passed
 *   as MasterUserPassword, then dropped: never returned, logged or put in an error;
 * - "rds-managed": RDS generates and keeps it (ManageMasterUserPassword).
 * A restore from a snapshot sets no password: the restored instance keeps the snapshot's (see there).
 * Safe to retry: the plan asked for it only because it did not exist, so an instance of that
 * identifier found now (DBInstanceAlreadyExists) is taken as this execution's own, from a
 * retry whose answer was lost, and is waited for.
 */
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, RestoreDBInstanceFromDBSnapshotCommand } from '@aws-sdk/client-rds';
import { rds } from '../shared/aws/rds';
import { DatabaseCreateFailedError } from '../domain/contract/errors';
import { usesFleetFlowSecret } from '../domain/environment/master-password';
import { readMasterPassword } from '../shared/master-password';
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
  // Read before anything is asked of RDS, so a missing secret changes nothing.
  const password = database.fromSnapshot ? undefined : await masterPasswordOf(database);
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
            // No password setting: RDS API reference, RestoreDBInstanceFromDBSnapshot, ManageMasterUserPassword:
            // "Constraints: Applies to RDS for Oracle only." The restored instance keeps the snapshot's master
            // password: in "fleetflow-secret" mode that is the secret's (every instance FleetFlow creates uses it,
            // and FleetFlow never rotates it); in "rds-managed" mode it is whatever RDS had set, with no managed
            // secret until a person turns management on (ModifyDBInstance).
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
            ...(password === undefined ? { ManageMasterUserPassword: true } : { MasterUserPassword: password }),
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

/**
 * The master password to create the instance with, or undefined when RDS manages it. A
 * "fleetflow-secret" plan without the secret's name, or a secret that is missing or empty, is
 * refused by name (the secret's, never its value) before anything is created.
 */
async function masterPasswordOf(database: DatabaseCreatePlan): Promise<string | undefined> {
  if (!usesFleetFlowSecret(database.create)) return undefined;
  const secret = database.masterSecret;
  const refused = (why: string, cause?: unknown) =>
    new DatabaseCreateFailedError(`database ${database.instanceIdentifier}: ${why}; deploy the stack, which creates the secret; nothing was created`, cause ? { cause } : undefined);
  if (!secret) throw refused('database.create.masterPassword is "fleetflow-secret" but the plan names no secret');
  let password: string | undefined;
  try {
    password = await readMasterPassword(secret);
  } catch (err) {
    // The error's name and the secret's name only: an SDK message never carries the value, but it is not needed.
    throw refused(`the master password secret ${secret} could not be read (${(err as Error).name})`, err);
  }
  if (password === undefined) throw refused(`the master password secret ${secret} holds no value`);
  return password;
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
