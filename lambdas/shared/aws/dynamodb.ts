import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { requestHandlerOptions } from './http';

/**
 * Created once per container. Region, credentials and endpoint come from the AWS environment
 * (the SDK defaults); only the connection and request timeouts are ours (./http).
 */
export const dynamodb = new DynamoDBClient({ requestHandler: requestHandlerOptions() });
