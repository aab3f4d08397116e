import { RDSClient } from '@aws-sdk/client-rds';
import { requestHandlerOptions } from './http';

/**
 * Created once per container. Region, credentials and endpoint come from the AWS environment
 * (the SDK defaults); only the connection and request timeouts are ours (./http).
 */
export const rds = new RDSClient({ requestHandler: requestHandlerOptions() });
