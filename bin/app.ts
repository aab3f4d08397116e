/**
 * The CDK app: one FleetFlow stack for the environment named by the context value
 * `fleetflow:environmentFile` (default: the canonical environment), checked by cdk-nag.
 * Synthesizes offline, with no AWS credentials.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import { FleetFlowStack } from '../lib/fleetflow-stack';

const app = new App();
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const environmentFile = resolve(repoRoot, String(app.node.tryGetContext('fleetflow:environmentFile') ?? 'environments/canonical.json'));
const environment = JSON.parse(readFileSync(environmentFile, 'utf8')) as { name?: string };

new FleetFlowStack(app, `FleetFlow-${environment.name ?? 'unnamed'}`, {
  environment,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'FleetFlow: rolling releases and recovery of a multi-tier service',
});
Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));
