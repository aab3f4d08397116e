/**
 * Reads the environment's database master password ("fleetflow-secret" mode) from Secrets
 * Manager: GetSecretValue by the secret's name, which SecretId accepts ("The ARN or name of the
 * secret to retrieve"; API reference, GetSecretValue), its current version (VersionStage
 * defaults to AWSCURRENT). The stack generates it as a plain string (no template), so the
 * SecretString is the password. It is returned to the caller only: never logged, never put in
 * an error message.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsmanager } from './aws/secretsmanager';

/** The secret's current value (its SecretString), or undefined when the secret has none. */
export async function readMasterPassword(secretName: string): Promise<string | undefined> {
  const { SecretString } = await secretsmanager.send(new GetSecretValueCommand({ SecretId: secretName }));
  return typeof SecretString === 'string' && SecretString !== '' ? SecretString : undefined;
}
