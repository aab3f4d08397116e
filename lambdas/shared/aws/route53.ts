import { Route53Client } from '@aws-sdk/client-route-53';
import { requestHandlerOptions } from './http';

/**
 * Created once per container. Route 53 is a global service; the SDK's endpoint rules send every
 * region's client to its one endpoint. Only the connection and request timeouts are ours (./http).
 */
export const route53 = new Route53Client({ requestHandler: requestHandlerOptions() });
