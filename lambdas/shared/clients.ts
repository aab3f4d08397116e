/**
 * SDK clients, created once per Lambda container with default configuration so that
 * region, credentials, retry settings and AWS_ENDPOINT_URL come from the standard AWS
 * environment. The simulator attaches itself to these same instances.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SSMClient } from '@aws-sdk/client-ssm';

export const ec2 = new EC2Client({});
export const elbv2 = new ElasticLoadBalancingV2Client({});
export const ssm = new SSMClient({});
export const cloudwatch = new CloudWatchClient({});

export const allClients = { ec2, elbv2, ssm, cloudwatch } as const;
