import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Created once per container with default configuration: region, credentials and endpoint come from the AWS environment. */
export const dynamodb = new DynamoDBClient({});
