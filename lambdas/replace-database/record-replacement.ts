/**
 * Record Replacement: after the switchover, the old (blue) instance, which RDS renamed
 * `<identifier>-old<n>` (the deployment's SwitchoverDetails name it as its source member), is
 * tagged kept, replaced by this execution, when and why (AddTagsToResource: tags only; it is
 * never modified, stopped or deleted). The environment's record (/fleetflow/<env>/database/current)
 * is left as it is: the green took the blue's identifier over, with its endpoint.
 */
import { AddTagsToResourceCommand } from '@aws-sdk/client-rds';
import { KEPT_TAG, REPLACED_AT_TAG, REPLACED_BY_TAG, REPLACED_REASON_TAG } from '../domain/contract/tags';
import { rds } from '../shared/aws/rds';
import { describeDatabase, endpointOf } from '../shared/database-record';
import { deploymentById } from './green';
import type { ReplaceOutcome, ReplaceTaskInput } from './types';

type RecordEvent = ReplaceTaskInput & { readonly deploymentId: string };

export const handler = async (event: RecordEvent): Promise<ReplaceOutcome> => recordReplacement(event);

export async function recordReplacement(event: RecordEvent): Promise<ReplaceOutcome> {
  const { plan } = event;
  const deployment = await deploymentById(event.deploymentId);
  const member = deployment?.SwitchoverDetails?.find((d) => d.SourceMember)?.SourceMember ?? deployment?.Source ?? '';
  const oldIdentifier = member.split(':').pop() ?? '';
  const old = oldIdentifier && oldIdentifier !== plan.current.identifier ? await describeDatabase(oldIdentifier) : undefined;
  if (old?.DBInstanceArn) {
    await rds.send(
      new AddTagsToResourceCommand({
        ResourceName: old.DBInstanceArn,
        Tags: [
          { Key: KEPT_TAG, Value: 'true' },
          { Key: REPLACED_BY_TAG, Value: event.execution },
          { Key: REPLACED_AT_TAG, Value: new Date().toISOString() },
          { Key: REPLACED_REASON_TAG, Value: `blue/green switchover ${event.deploymentId}`.slice(0, 256) },
        ],
      }),
    );
  }
  const current = await describeDatabase(plan.current.identifier);
  const endpoint = (current && endpointOf(current)) ?? '';
  return {
    environment: plan.environment,
    deploymentId: event.deploymentId,
    newDatabase: { identifier: plan.current.identifier, endpoint },
    oldDatabase: { identifier: oldIdentifier, kept: old !== undefined },
    endpointUnchanged: endpoint === plan.current.endpoint,
  };
}
