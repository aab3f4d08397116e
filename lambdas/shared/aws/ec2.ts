import { EC2Client } from '@aws-sdk/client-ec2';

/** Created once per container with default configuration: region, credentials and endpoint come from the AWS environment. */
export const ec2 = new EC2Client({});
