/**
 * The environment's database master password in "fleetflow-secret" mode
 * (`database.create.masterPassword`): one Secrets Manager secret, `fleetflow/<env>/database-master`,
 * whose value CloudFormation generates at deployment (generateSecretString), so the password is
 * never in a template, a definition, an input, a state or a log. Create Database reads it and
 * gives it to CreateDBInstance; a restored instance keeps it from its snapshot; a blue/green
 * green is a copy of the blue, so it survives replace-database too.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { MASTER_PASSWORD_EXCLUDED, MASTER_PASSWORD_LENGTH, masterSecretName, usesFleetFlowSecret } from '../../lambdas/domain/environment/master-password';
import { isHostTier, type EnvironmentDefinition } from '../../lambdas/domain/environment/model';

/** Why the secret has no rotation schedule (the cdk-nag AwsSolutions-SMG4 acknowledgement). */
export const NO_ROTATION_REASON =
  'No scheduled rotation: rotating changes the serving database\'s master password under the hosts, in the middle of a release or a restore; ' +
  'FleetFlow never rotates it, and a person rotates it in a release window (the instance and the secret together)';

export class DatabaseMasterSecret extends Construct {
  readonly secret: secretsmanager.Secret;
  readonly secretName: string;

  constructor(scope: Construct, id: string, environmentName: string) {
    super(scope, id);
    this.secretName = masterSecretName(environmentName);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      secretName: this.secretName,
      description: `FleetFlow ${environmentName}: the database master password (database.create.masterPassword "fleetflow-secret")`,
      generateSecretString: {
        // RDS API reference, CreateDBInstance, MasterUserPassword: "Can include any printable ASCII character except "/", """, or "@"".
        excludeCharacters: MASTER_PASSWORD_EXCLUDED,
        passwordLength: MASTER_PASSWORD_LENGTH,
      },
      // A database may still use it after the stack is gone: deleting the secret would lose the only copy of its password.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({ id: 'AwsSolutions::AwsSolutions-SMG4', reason: NO_ROTATION_REASON });
  }
}

/** The environment's master password secret, when its data tier is in "fleetflow-secret" mode; otherwise none. */
export function databaseMasterSecret(scope: Construct, environment: EnvironmentDefinition): DatabaseMasterSecret | undefined {
  const data = environment.tiers.find((t) => !isHostTier(t));
  if (!data || isHostTier(data) || !usesFleetFlowSecret(data.database.create)) return undefined;
  return new DatabaseMasterSecret(scope, 'DatabaseMasterSecret', environment.name);
}
