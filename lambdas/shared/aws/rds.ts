import { RDSClient } from '@aws-sdk/client-rds';

/** Created once per container with default configuration: region, credentials and endpoint come from the AWS environment. */
export const rds = new RDSClient({});
