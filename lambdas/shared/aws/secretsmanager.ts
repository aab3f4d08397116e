import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { requestHandlerOptions } from './http';

/**
 * Created once per container. Region, credentials and endpoint come from the AWS environment
 * (the SDK defaults); only the connection and request timeouts are ours (./http).
 */
export const secretsmanager = new SecretsManagerClient({ requestHandler: requestHandlerOptions() });
