/**
 * Start Retired Hosts: a surge's rollback brings back the batch's old hosts, which the surge
 * stopped (never terminated) until the release was validated. Their retired record goes
 * first, so nothing that cleans up retired hosts can take them while they come back; then
 * StartInstances. Check Started polls until they run and are online in SSM; Return To
 * Traffic then puts them back (they still carry the out-of-traffic mark).
 */
import { DeleteTagsCommand, StartInstancesCommand } from '@aws-sdk/client-ec2';
import { ec2 } from '../shared/aws/ec2';
import { RETIRED_TAGS } from '../domain/contract/tags';
import { findInstancesById } from '../shared/instances';
import { startPhase } from '../shared/phase';
import type { BatchTaskInput, PhaseState } from '../domain/contract/payloads';

/** How long old hosts may take to run and come online in SSM again. */
export const START_TIMEOUT_SECONDS = 900;
const MAX_IDS_PER_CALL = 100;

export const handler = async (event: BatchTaskInput): Promise<PhaseState> => startHosts(event);

export async function startHosts(event: BatchTaskInput): Promise<PhaseState> {
  const ids = event.batch.hosts.map((h) => h.id);
  for (let i = 0; i < ids.length; i += 1000) {
    await ec2.send(new DeleteTagsCommand({ Resources: ids.slice(i, i + 1000), Tags: RETIRED_TAGS.map((Key) => ({ Key })) }));
  }
  // Stopping ones are asked once they are stopped (StartInstances refuses a stopping instance): Check Started asks again.
  const stopped = (await findInstancesById(ids)).filter((h) => h.state === 'stopped').map((h) => h.id);
  for (let i = 0; i < stopped.length; i += MAX_IDS_PER_CALL) await ec2.send(new StartInstancesCommand({ InstanceIds: stopped.slice(i, i + MAX_IDS_PER_CALL) }));
  return startPhase(START_TIMEOUT_SECONDS, event.tier.polling, undefined, 60);
}
