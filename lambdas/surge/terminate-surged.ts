/**
 * Terminate Surged Hosts: once a surge release is validated and recorded, the old hosts its
 * batches stopped are no longer a way back: they are terminated. Found by their retired
 * record (this execution, reason "surge"), so a host a rollback restored (its record removed)
 * is never touched. Safe to retry.
 */
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2 } from '../shared/aws/ec2';
import { RETIRED_BY_TAG, RETIRED_REASON_TAG, SURGE_REASON } from '../domain/contract/tags';
import { ENDED_STATES, findInstances } from '../shared/instances';

const MAX_IDS_PER_CALL = 100;

export const handler = async (event: { execution: string }): Promise<{ terminated: number }> => terminateSurged(event.execution);

export async function terminateSurged(execution: string): Promise<{ terminated: number }> {
  const retired = await findInstances([
    { Name: `tag:${RETIRED_BY_TAG}`, Values: [execution] },
    { Name: `tag:${RETIRED_REASON_TAG}`, Values: [SURGE_REASON] },
  ]);
  const ids = retired.filter((h) => !ENDED_STATES.has(h.state)).map((h) => h.id);
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_CALL) await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids.slice(i, i + MAX_IDS_PER_CALL) }));
  return { terminated: ids.length };
}
