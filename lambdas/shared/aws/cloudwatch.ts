import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { requestHandlerOptions } from './http';

/**
 * Created once per container. Region, credentials and endpoint come from the AWS environment
 * (the SDK defaults); only the connection and request timeouts are ours (./http).
 */
export const cloudwatch = new CloudWatchClient({ requestHandler: requestHandlerOptions() });
