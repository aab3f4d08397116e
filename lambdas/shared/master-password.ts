/**
 * Reads the environment's database master password ("fleetflow-secret" mode) from Secrets
 * Manager, through Parameter Store's reference to Secrets Manager secrets: the project's
 * node_modules has no @aws-sdk/client-secrets-manager, and SSM's client is already bundled.
 * AWS Systems Manager User Guide, "Referencing AWS Secrets Manager secrets from Parameter Store
 * parameters": Parameter Store "integrates with Secrets Manager so that you can retrieve Secrets
 * Manager secrets"; such a secret is retrieved "only by using the GetParameter and GetParameters
 * API operations", under the name `/aws/reference/secretsmanager/<secret ID>`, with decryption.
 * The value is returned to the caller only: never logged, never put in an error message.
 */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ssm } from './aws/ssm';
import { secretReference } from '../domain/environment/master-password';

/** The secret's current value (its SecretString), or undefined when the secret has none. */
export async function readMasterPassword(secretName: string): Promise<string | undefined> {
  const { Parameter } = await ssm.send(new GetParameterCommand({ Name: secretReference(secretName), WithDecryption: true }));
  const value = Parameter?.Value;
  return typeof value === 'string' && value !== '' ? value : undefined;
}
