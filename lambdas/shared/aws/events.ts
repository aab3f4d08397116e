import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { requestHandlerOptions } from './http';

/**
 * Created once per container. Region, credentials and endpoint come from the AWS environment
 * (the SDK defaults); only the connection and request timeouts are ours (./http). The batch
 * tasks put their progress events with it (../batch-events.ts), best effort.
 */
export const events = new EventBridgeClient({ requestHandler: requestHandlerOptions() });
