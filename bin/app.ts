/**
 * The CDK app: one FleetFlow stack for the environment named by the context value
 * `fleetflow:environmentFile` (default: the canonical environment), checked by cdk-nag.
 * Synthesizes offline, with no AWS credentials. The stack is region-agnostic unless the
 * environment definition names a `region` (and optionally an `account`): see lib/stack-env.ts.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import { parseEnvironment, readEnvironmentFile } from '../lambdas/domain/environment/parse';
import { FleetFlowStack } from '../lib/fleetflow-stack';
import { stackEnv } from '../lib/stack-env';

const app = new App();
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const environmentFile = resolve(repoRoot, String(app.node.tryGetContext('fleetflow:environmentFile') ?? 'environments/canonical.json'));
// At most 1 MiB, refused before it is read; then every rule of lambdas/domain/environment.
const environment: unknown = readEnvironmentFile(environmentFile);
const definition = parseEnvironment(environment, environmentFile);

new FleetFlowStack(app, `FleetFlow-${definition.name}`, {
  environment,
  env: stackEnv(definition),
  description: 'FleetFlow: rolling releases and recovery of a multi-tier service',
});
Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));

// CloudFormation accepts a template of at most 1,000,000 bytes (uploaded to S3 by cdk deploy);
// CDK only warns. A stack that could never be created fails here, saying what grows it.
const MAX_TEMPLATE_BYTES = 1_000_000;
for (const stack of app.synth().stacks) {
  const bytes = JSON.stringify(stack.template).length;
  if (bytes > MAX_TEMPLATE_BYTES) {
    process.stderr.write(
      `${stack.stackName}: the template is ${bytes} bytes, over CloudFormation's ${MAX_TEMPLATE_BYTES}; ` +
        'each host tier adds about 14 KB (its IAM statements, and the definition in every planner task): ' +
        'fewer tiers per environment would fit\n',
    );
    process.exitCode = 1;
  }
}
