/**
 * What FleetFlow records on a host with EC2 tags, besides its release (check-install):
 * - that an install of a release was sent to it (INSTALLING_TAG), written before the
 *   command is sent and removed once the release is recorded, so that what may run on a
 *   host is known even when the execution stops or a later step fails;
 * - that FleetFlow took it out of traffic (OUT_OF_TRAFFIC_TAG, the execution's name),
 *   written before it leaves and removed once it is back, so that a release started after
 *   one that stopped finds and puts it back;
 * - which database a host uses (DATABASE_TAG), and that a reconfigure for another was sent
 *   (DATABASE_SENT_TAG), the same way round as a release.
 */
import { CreateTagsCommand, DeleteTagsCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './aws/ec2';
import { INSTALL_SENT_TAGS, INSTALLING_TAG, OUT_OF_TRAFFIC_TAG, REINSTALLING_TAG, DATABASE_SENT_TAG, DATABASE_TAG } from '../domain/contract/tags';

/** CreateTags and DeleteTags take at most 1,000 resource IDs per call (EC2 API reference). */
const MAX_RESOURCES_PER_CALL = 1000;

async function tag(instanceIds: readonly string[], key: string, value: string): Promise<void> {
  for (let i = 0; i < instanceIds.length; i += MAX_RESOURCES_PER_CALL) {
    await ec2.send(new CreateTagsCommand({ Resources: instanceIds.slice(i, i + MAX_RESOURCES_PER_CALL), Tags: [{ Key: key, Value: value }] }));
  }
}

async function untag(instanceIds: readonly string[], ...keys: string[]): Promise<void> {
  for (let i = 0; i < instanceIds.length; i += MAX_RESOURCES_PER_CALL) {
    // Without a value, the tag is deleted whatever its value (DeleteTags API reference).
    await ec2.send(new DeleteTagsCommand({ Resources: instanceIds.slice(i, i + MAX_RESOURCES_PER_CALL), Tags: keys.map((Key) => ({ Key })) }));
  }
}

/** Forward installs and a batch's rollback keep separate records, so neither hides the other. */
export const markInstalling = (instanceIds: readonly string[], release: string, rollback: boolean) =>
  tag(instanceIds, rollback ? REINSTALLING_TAG : INSTALLING_TAG, release);
/** Once a release is recorded on the hosts, no install is pending any more. */
export const clearInstalling = (instanceIds: readonly string[]) => untag(instanceIds, ...INSTALL_SENT_TAGS);
export const markOutOfTraffic = (instanceIds: readonly string[], execution: string) => tag(instanceIds, OUT_OF_TRAFFIC_TAG, execution);
export const clearOutOfTraffic = (instanceIds: readonly string[]) => untag(instanceIds, OUT_OF_TRAFFIC_TAG);
/** Written before a reconfigure is sent: the host may use that database from now on, whatever else it says. */
export const markReconfiguring = (instanceIds: readonly string[], database: string) => tag(instanceIds, DATABASE_SENT_TAG, database);
/** Once reconfigured, the host records the database it uses, and no reconfigure is pending any more. */
export async function recordDatabase(instanceIds: readonly string[], database: string): Promise<void> {
  await tag(instanceIds, DATABASE_TAG, database);
  await untag(instanceIds, DATABASE_SENT_TAG);
}
