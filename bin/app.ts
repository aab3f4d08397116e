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
import { FLEETFLOW_STACK_DESCRIPTION, templateBytes, templateSizeProblem } from '../lib/cli/template-size';

const app = new App();
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const environmentFile = resolve(repoRoot, String(app.node.tryGetContext('fleetflow:environmentFile') ?? 'environments/canonical.json'));
// At most 1 MiB, refused before it is read; then every rule of lambdas/domain/environment.
const environment: unknown = readEnvironmentFile(environmentFile);
const definition = parseEnvironment(environment, environmentFile);

new FleetFlowStack(app, `FleetFlow-${definition.name}`, {
  environment,
  env: stackEnv(definition),
  description: FLEETFLOW_STACK_DESCRIPTION,
});
Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));

// CloudFormation accepts a template of at most 1,000,000 bytes (uploaded to S3 by cdk deploy);
// CDK only warns. A stack that could never be created fails here, saying so (`fleetflow validate`
// measures the same figure before a synth, lib/cli/template-size.ts).
for (const stack of app.synth().stacks) {
  const problem = templateSizeProblem(stack.stackName, templateBytes(stack.template));
  if (problem) {
    process.stderr.write(`${problem}\n`);
    process.exitCode = 1;
  }
}
