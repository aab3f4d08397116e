import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';

/** Created once per container with default configuration: region, credentials and endpoint come from the AWS environment. */
export const elbv2 = new ElasticLoadBalancingV2Client({});
