/**
 * The out-of-traffic marker (OUT_OF_TRAFFIC_TAG): written before a host leaves traffic,
 * removed after it is back, so that a stopped execution's hosts can be found and put back.
 */
import { CreateTagsCommand, DeleteTagsCommand } from '@aws-sdk/client-ec2';
import { ec2 } from './aws/ec2';
import { OUT_OF_TRAFFIC_TAG } from './release-tag';

/** CreateTags and DeleteTags take at most 1,000 resource IDs per call (EC2 API reference). */
const MAX_RESOURCES_PER_CALL = 1000;

export async function markOutOfTraffic(instanceIds: readonly string[], execution: string): Promise<void> {
  for (let i = 0; i < instanceIds.length; i += MAX_RESOURCES_PER_CALL) {
    await ec2.send(new CreateTagsCommand({ Resources: instanceIds.slice(i, i + MAX_RESOURCES_PER_CALL), Tags: [{ Key: OUT_OF_TRAFFIC_TAG, Value: execution }] }));
  }
}

export async function clearOutOfTraffic(instanceIds: readonly string[]): Promise<void> {
  for (let i = 0; i < instanceIds.length; i += MAX_RESOURCES_PER_CALL) {
    // Without a value, the tag is deleted whatever its value (DeleteTags API reference).
    await ec2.send(new DeleteTagsCommand({ Resources: instanceIds.slice(i, i + MAX_RESOURCES_PER_CALL), Tags: [{ Key: OUT_OF_TRAFFIC_TAG }] }));
  }
}
