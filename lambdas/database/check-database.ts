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
  const { DBInstances = [] } = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceIdentifier }));
  const status = DBInstances[0]?.DBInstanceStatus ?? 'missing';
  if (status !== 'available') {
    throw new DatabaseUnavailableError(`database ${instanceIdentifier} is ${status}, not available; nothing was changed`);
  }
  return { status };
}
