import { SSMClient } from '@aws-sdk/client-ssm';

/** Created once per container with default configuration: region, credentials and endpoint come from the AWS environment. */
export const ssm = new SSMClient({});
