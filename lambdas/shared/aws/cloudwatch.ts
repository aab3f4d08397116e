import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';

/** Created once per container with default configuration: region, credentials and endpoint come from the AWS environment. */
export const cloudwatch = new CloudWatchClient({});
