import { ACMClient } from '@aws-sdk/client-acm';
import { requestHandlerOptions } from './http';

/**
 * Created once per container. Region, credentials and endpoint come from the AWS environment
 * (the SDK defaults); only the connection and request timeouts are ours (./http). ACM is
 * regional: a load balancer's certificates are in its own region, the functions' region.
 */
export const acm = new ACMClient({ requestHandler: requestHandlerOptions() });
