/**
 * Record Database: once the restored instance is validated and every host uses it, it is
 * recorded as the environment's database (Parameter Store, /fleetflow/<env>/database/current),
 * and the instance it replaced is tagged with when, by which execution and why it was
 * replaced (AddTagsToResource: tags only; the instance itself is kept as it is).
 */
import { AddTagsToResourceCommand } from '@aws-sdk/client-rds';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { rds } from '../shared/aws/rds';
import { ssm } from '../shared/aws/ssm';
import { describeDatabase } from '../shared/database-record';
import { databaseParameterName } from '../domain/contract/records';
import { REPLACED_AT_TAG, REPLACED_BY_TAG, REPLACED_REASON_TAG } from '../domain/contract/tags';
import type { RestoreOutcome, RestoreTaskInput } from '../domain/contract/payloads';

export const handler = async (event: RestoreTaskInput & { endpoint: string }): Promise<RestoreOutcome> => recordDatabase(event);

export async function recordDatabase(event: RestoreTaskInput & { endpoint: string }): Promise<RestoreOutcome> {
  const { plan } = event;
  // The old instance is tagged first: once the record names the new one, a failure here cannot say it is not recorded.
  const old = await describeDatabase(plan.current.identifier);
  if (old?.DBInstanceArn) {
    await rds.send(
      new AddTagsToResourceCommand({
        ResourceName: old.DBInstanceArn,
        Tags: [
          { Key: REPLACED_BY_TAG, Value: event.execution },
          { Key: REPLACED_AT_TAG, Value: new Date().toISOString() },
          // RDS tag values: at most 256 characters, and never beginning with "aws:" or "rds:" (the reason might).
          { Key: REPLACED_REASON_TAG, Value: `restored into ${plan.target.identifier}: ${plan.reason}`.slice(0, 256) },
        ],
      }),
    );
  }
  await ssm.send(new PutParameterCommand({ Name: databaseParameterName(plan.environment), Value: plan.target.identifier, Type: 'String', Overwrite: true }));
  return {
    environment: plan.environment,
    newDatabase: { identifier: plan.target.identifier, endpoint: event.endpoint },
    oldDatabase: { identifier: plan.current.identifier, exists: old !== undefined },
    source: plan.source,
    recoveryPointTime: plan.recoveryPointTime,
    hostCount: plan.hostCount,
  };
}
