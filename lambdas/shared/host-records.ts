/**
 * What FleetFlow records on a host with EC2 tags, besides its release (check-install):
 * - that an install of a release was sent to it (INSTALLING_TAG), written before the
 *   command is sent and removed once the release is recorded, so that what may run on a
 *   host is known even when the execution stops or a later step fails;
 * - that FleetFlow took it out of traffic (OUT_OF_TRAFFIC_TAG, the execution's name),
 *   written before it leaves and removed once it is back, so that a release started after
 *   one that stopped finds and puts it back.
 */
import { CreateTagsCommand, DeleteTagsCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './aws/ec2';
import { INSTALLING_TAG, OUT_OF_TRAFFIC_TAG } from './release-tag';

/** CreateTags and DeleteTags take at most 1,000 resource IDs per call (EC2 API reference). */
const MAX_RESOURCES_PER_CALL = 1000;

async function tag(instanceIds: readonly string[], key: string, value: string): Promise<void> {
  for (let i = 0; i < instanceIds.length; i += MAX_RESOURCES_PER_CALL) {
    await ec2.send(new CreateTagsCommand({ Resources: instanceIds.slice(i, i + MAX_RESOURCES_PER_CALL), Tags: [{ Key: key, Value: value }] }));
  }
}

async function untag(instanceIds: readonly string[], key: string): Promise<void> {
  for (let i = 0; i < instanceIds.length; i += MAX_RESOURCES_PER_CALL) {
    // Without a value, the tag is deleted whatever its value (DeleteTags API reference).
    await ec2.send(new DeleteTagsCommand({ Resources: instanceIds.slice(i, i + MAX_RESOURCES_PER_CALL), Tags: [{ Key: key }] }));
  }
}

export const markInstalling = (instanceIds: readonly string[], release: string) => tag(instanceIds, INSTALLING_TAG, release);
export const clearInstalling = (instanceIds: readonly string[]) => untag(instanceIds, INSTALLING_TAG);
export const markOutOfTraffic = (instanceIds: readonly string[], execution: string) => tag(instanceIds, OUT_OF_TRAFFIC_TAG, execution);
export const clearOutOfTraffic = (instanceIds: readonly string[]) => untag(instanceIds, OUT_OF_TRAFFIC_TAG);
