/**
 * Secrets Manager in the simulated account: GetSecretValue over the secrets the stack creates
 * (account.ts `secrets`, seeded by fleet.ts), as Create Database reads the environment's master
 * password (lambdas/shared/master-password.ts).
 */
import type { Input, Operation } from './common';
import { SimulatedServiceError, validation } from '../aws-errors';
import type { SimSecret, SimulatedAccount } from '../account';

/**
 * The secret a SecretId names: its name, its full ARN, or a partial ARN (the ARN without the
 * hyphen and six characters Secrets Manager adds; API reference, GetSecretValue, SecretId).
 */
export function findSecret(account: SimulatedAccount, id: string): SimSecret | undefined {
  return account.secrets.get(id) ?? [...account.secrets.values()].find((s) => s.arn === id || s.arn.replace(/-[A-Za-z0-9]{6}$/, '') === id);
}

/** Secrets Manager's refusal of an unknown secret (API reference, GetSecretValue, Errors). */
function notFound(): SimulatedServiceError {
  return new SimulatedServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.", { status: 400 });
}

export const secretsmanager: Record<string, Operation> = {
  GetSecretValue(account: SimulatedAccount, input: Input) {
    // SecretId: "Length Constraints: Minimum length of 1. Maximum length of 2048."
    if (typeof input.SecretId !== 'string' || input.SecretId.length < 1 || input.SecretId.length > 2048) throw validation('SecretId must be 1 to 2048 characters');
    const secret = findSecret(account, input.SecretId);
    if (!secret) throw notFound();
    // Only the current version exists: the stack's secret is never rotated or put again.
    const stage = input.VersionStage ?? 'AWSCURRENT';
    if (stage !== 'AWSCURRENT' || (input.VersionId !== undefined && input.VersionId !== versionId(secret))) throw notFound();
    return { ARN: secret.arn, Name: secret.name, SecretString: secret.value, VersionId: versionId(secret), VersionStages: ['AWSCURRENT'], CreatedDate: new Date(secret.createdAt) };
  },
};

/** The one version's ID, fixed by the secret's name. */
function versionId(secret: SimSecret): string {
  const hex = Buffer.from(secret.name).toString('hex').padEnd(32, '0').slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
