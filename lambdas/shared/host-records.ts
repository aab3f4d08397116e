/**
 * What FleetFlow records on a host with EC2 tags, besides its release: that an install of
 * a release was sent to it (INSTALLING_TAG), written before the command is sent, so that
 * what may run on a host is known even when the execution stops or a later step fails.
 */
import { CreateTagsCommand, DeleteTagsCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './aws/ec2';
import { INSTALLING_TAG } from './release-tag';

/** CreateTags and DeleteTags take at most 1,000 resource IDs per call (EC2 API reference). */
const MAX_RESOURCES_PER_CALL = 1000;

export async function markInstalling(instanceIds: readonly string[], release: string): Promise<void> {
  for (let i = 0; i < instanceIds.length; i += MAX_RESOURCES_PER_CALL) {
    await ec2.send(new CreateTagsCommand({ Resources: instanceIds.slice(i, i + MAX_RESOURCES_PER_CALL), Tags: [{ Key: INSTALLING_TAG, Value: release }] }));
  }
}

export async function clearInstalling(instanceIds: readonly string[]): Promise<void> {
  for (let i = 0; i < instanceIds.length; i += MAX_RESOURCES_PER_CALL) {
    await ec2.send(new DeleteTagsCommand({ Resources: instanceIds.slice(i, i + MAX_RESOURCES_PER_CALL), Tags: [{ Key: INSTALLING_TAG }] }));
  }
}
