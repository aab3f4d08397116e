import { EC2Client } from '@aws-sdk/client-ec2';
import { requestHandlerOptions } from './http';

/**
 * Created once per container. Region, credentials and endpoint come from the AWS environment
 * (the SDK defaults); only the connection and request timeouts are ours (./http).
 */
export const ec2 = new EC2Client({ requestHandler: requestHandlerOptions() });
