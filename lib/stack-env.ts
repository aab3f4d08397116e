/**
 * Where an environment's stack is pinned. A definition that names a `region` (and
 * optionally an `account`) gets a stack for exactly that; one that names neither gets
 * no env, so the template is region- and account-agnostic: ARNs carry AWS::Region,
 * AWS::AccountId and AWS::Partition, and the same template deploys wherever it is
 * deployed. The machine that synthesizes never decides (no CDK_DEFAULT_REGION).
 */
import type { Environment } from 'aws-cdk-lib';
import type { EnvironmentDefinition } from '../lambdas/domain/environment/model';

export function stackEnv(environment: Pick<EnvironmentDefinition, 'region' | 'account'>): Environment | undefined {
  const { region, account } = environment;
  if (region === undefined && account === undefined) return undefined;
  return { ...(region !== undefined ? { region } : {}), ...(account !== undefined ? { account } : {}) };
}
