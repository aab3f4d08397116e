/**
 * The environment's database master password in "fleetflow-secret" mode
 * (`database.create.masterPassword`): one Secrets Manager secret per environment, created by
 * the stack with a generated password, read only by Create Database. Its name is fixed, so
 * hosts and people know where to read it across restores and replace-database.
 */
import type { DatabaseCreateDefinition } from './model';

/** The secret's name: `fleetflow/<environment>/database-master`. */
export function masterSecretName(environment: string): string {
  return `fleetflow/${environment}/database-master`;
}

/**
 * Characters RDS refuses in a master password. RDS API reference, CreateDBInstance,
 * MasterUserPassword: "Can include any printable ASCII character except "/", """, or "@"";
 * Lightsail's CreateRelationalDatabase adds "It cannot contain spaces", so a space is excluded too.
 */
export const MASTER_PASSWORD_EXCLUDED = '/@" ';

/**
 * 32 characters: within every engine's length (RDS API reference, MasterUserPassword: MySQL and
 * MariaDB "from 8 to 41 characters", PostgreSQL "from 8 to 128").
 */
export const MASTER_PASSWORD_LENGTH = 32;

/** Whether the definition keeps its master password in the environment's secret. */
export function usesFleetFlowSecret(create: { readonly masterPassword?: DatabaseCreateDefinition['masterPassword'] } | undefined): boolean {
  return create !== undefined && (create.masterPassword ?? 'fleetflow-secret') === 'fleetflow-secret';
}
