import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { requestHandlerOptions } from './http';

/**
 * Created once per container. Region, credentials and endpoint come from the AWS environment
 * (the SDK defaults); the connection and request timeouts are ours (./http). The batch tasks put
 * their progress events with it (../batch-events.ts), best effort: two attempts, not the SDK's
 * three, so an EventBridge that hangs costs a task at most about 2 x 10 s of its 100 s.
 */
export const events = new EventBridgeClient({ requestHandler: requestHandlerOptions(), maxAttempts: 2 });
