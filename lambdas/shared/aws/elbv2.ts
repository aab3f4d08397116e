import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { requestHandlerOptions } from './http';

/**
 * Created once per container. Region, credentials and endpoint come from the AWS environment
 * (the SDK defaults); only the connection and request timeouts are ours (./http).
 */
export const elbv2 = new ElasticLoadBalancingV2Client({ requestHandler: requestHandlerOptions() });
