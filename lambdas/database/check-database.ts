/**
 * Check Database: the release only touches a database that is `available`, and checks
 * again after the migration that it still is. FleetFlow never reboots, stops or
 * modifies the instance.
 */
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { rds } from '../shared/aws/rds';
import { DatabaseUnavailableError } from '../shared/errors';
import type { DatabaseTaskInput } from './types';

export const handler = async (event: DatabaseTaskInput): Promise<{ status: string }> => assertAvailable(event.database.instanceIdentifier);

export async function assertAvailable(instanceIdentifier: string): Promise<{ status: string }> {
  let DBInstances;
  try {
    ({ DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceIdentifier })));
  } catch (err) {
    // RDS answers an unknown identifier with DBInstanceNotFoundFault, not an empty list.
    if ((err as Error).name !== 'DBInstanceNotFoundFault') throw err;
    throw new DatabaseUnavailableError(`database ${instanceIdentifier} does not exist; nothing was changed`, { cause: err });
  }
  const status = DBInstances[0]?.DBInstanceStatus ?? 'missing';
  if (status !== 'available') {
    throw new DatabaseUnavailableError(`database ${instanceIdentifier} is ${status}, not available; nothing was changed`);
  }
  return { status };
}
