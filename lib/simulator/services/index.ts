/**
 * The AWS APIs FleetFlow calls, implemented over the simulated account with the parameter
 * rules and per-call limits of the real services, one module per service, so a handler that
 * breaks a limit fails here as it would in AWS.
 */
import type { Input, Operation } from './common';
import type { SimulatedAccount } from '../account';
import { SimulatedServiceError } from '../aws-errors';
import { acm } from './acm';
import { cloudwatch } from './cloudwatch';
import { dynamodb } from './dynamodb';
import { ec2 } from './ec2';
import { elbv2 } from './elbv2';
import { events } from './events';
import { rds } from './rds';
import { route53 } from './route53';
import { secretsmanager } from './secretsmanager';
import { ssm } from './ssm';

export const SERVICES: Record<string, Record<string, Operation>> = { ec2, elbv2, ssm, cloudwatch, rds, dynamodb, acm, route53, events, secretsmanager };

/** Runs one API call against the account, after applying every effect due by now. */
export function callService(account: SimulatedAccount, service: string, operation: string, input: Input, throttleCode: string): object {
  account.settle();
  account.meter(service, operation, throttleCode, input);
  const handler = SERVICES[service]?.[operation];
  if (!handler) throw new SimulatedServiceError('UnsupportedOperation', `the simulator does not implement ${service}:${operation}`);
  const output = handler(account, input);
  // The state after the call; observe() skips it when nothing changed.
  account.observe(account.now());
  return output;
}
