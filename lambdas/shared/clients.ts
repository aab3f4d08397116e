/**
 * Every SDK client the handlers use. Handlers import the one module per client they
 * need (lambdas/shared/aws/*), so each bundle carries only its own clients; this index
 * is for the simulator, which attaches itself to these same instances.
 */
import { acm } from './aws/acm';
import { cloudwatch } from './aws/cloudwatch';
import { dynamodb } from './aws/dynamodb';
import { ec2 } from './aws/ec2';
import { elbv2 } from './aws/elbv2';
import { events } from './aws/events';
import { rds } from './aws/rds';
import { route53 } from './aws/route53';
import { secretsmanager } from './aws/secretsmanager';
import { ssm } from './aws/ssm';

export const allClients = { ec2, elbv2, ssm, cloudwatch, rds, dynamodb, acm, route53, events, secretsmanager } as const;
