/**
 * The size of the template `cdk synth` writes for an environment, measured by synthesizing it
 * as bin/app.ts does, so that `fleetflow validate` refuses, naming the figure, a definition
 * CloudFormation would refuse.
 *
 * CloudFormation accepts a template of at most 1,000,000 bytes ("Template body size in an
 * Amazon S3 object", CloudFormation quotas; cdk deploy uploads it to S3). The stack writes its
 * template without indentation (`suppressTemplateIndentation`), so the figure is the UTF-8
 * length of its JSON. What differs between this synth and `cdk synth` changes no byte count:
 * bundling is skipped (an asset's key is a hash of the same length either way, and its
 * metadata is counted as a bundled asset's, `asBundled`) and CDK's own CloudFormation
 * validation is off (it writes nothing); the metadata the CDK CLI asks for by cdk.json's settings
 * (construct paths, asset metadata, the version-reporting resource: all off) is asked for here
 * the same way, and cdk-nag is attached as bin/app.ts attaches it. test/infra/template-size.test.ts checks the figure
 * against the stack as the infra tests synthesize it.
 *
 * The state machine definitions are not in the template: each is a file in S3 (`DefinitionS3Location`,
 * lib/constructs/substituted-definition.ts). Their own limit is Step Functions': "Maximum size of
 * state machine definition: 1 MB", a hard quota (Step Functions Developer Guide, "Step Functions
 * service quotas", quotas related to accounts), which the CreateStateMachine API writes as the
 * `definition`'s maximum length, and which CloudFormation's handler applies to the file before it
 * substitutes ("State Machine definition file cannot exceed 1MB.", MAX_DEFINITION_SIZE = 1048576,
 * aws-cloudformation-resource-providers-stepfunctions Constants). Both the file and the definition
 * Step Functions receives (substituted) are measured.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { FleetFlowStack } from '../fleetflow-stack';
import { definitionObjects, MAX_DEFINITION_FILE_BYTES, renderedDefinitionText } from '../simulator/definition';
import { stackEnv } from '../stack-env';

/** The stack's description, as bin/app.ts gives it. */
export const FLEETFLOW_STACK_DESCRIPTION = 'FleetFlow: rolling releases and recovery of a multi-tier service';

/** CloudFormation's limit on a template's body, in bytes. */
export const MAX_TEMPLATE_BYTES = 1_000_000;

/** The bytes of a template as the stack writes it (one line of JSON). */
export function templateBytes(template: unknown): number {
  return Buffer.byteLength(JSON.stringify(template), 'utf8');
}

/** What `fleetflow validate` and bin/app.ts say of a template over the limit; undefined when it fits. */
export function templateSizeProblem(stackName: string, bytes: number): string | undefined {
  if (bytes <= MAX_TEMPLATE_BYTES) return undefined;
  return (
    `${stackName}: the template is ${bytes.toLocaleString('en-US')} bytes, over CloudFormation's ${MAX_TEMPLATE_BYTES.toLocaleString('en-US')}: ` +
    'CloudFormation would refuse the stack. Fewer tiers, or shorter lists in them (alarms, target groups, commands and their parameters), would fit'
  );
}

/** Step Functions' limit on a state machine's definition, in bytes (1 MB, hard quota; see the top of this file). */
export const MAX_DEFINITION_BYTES = MAX_DEFINITION_FILE_BYTES;

/** One state machine's definition, measured: the file in S3 and the text Step Functions receives once substituted. */
export interface DefinitionSize {
  readonly stateMachineName: string;
  readonly fileBytes: number;
  readonly bytes: number;
}

/** The template and its definitions, as `fleetflow validate` measures them. */
export interface TemplateMeasure {
  readonly stackName: string;
  /** The template's bytes, as `cdk synth` writes it. */
  readonly bytes: number;
  readonly definitions: readonly DefinitionSize[];
}

/** What `fleetflow validate` says of each definition over Step Functions' limit; empty when they all fit. */
export function definitionSizeProblems(definitions: readonly DefinitionSize[]): string[] {
  const limit = MAX_DEFINITION_BYTES.toLocaleString('en-US');
  return definitions
    .filter((d) => d.bytes > MAX_DEFINITION_BYTES || d.fileBytes > MAX_DEFINITION_BYTES)
    .map(
      (d) =>
        `${d.stateMachineName}: the state machine definition is ${Math.max(d.bytes, d.fileBytes).toLocaleString('en-US')} bytes, over Step Functions' ${limit} (1 MB): ` +
        'CloudFormation would fail to create it. Fewer tiers, or shorter lists in them (alarms, target groups, commands and their parameters), would fit',
    );
}

/** cdk.json: the app's context (feature flags) and the CLI's settings that decide what it writes into templates. */
interface CdkJson {
  readonly context?: Record<string, unknown>;
  readonly pathMetadata?: boolean;
  readonly assetMetadata?: boolean;
  readonly versionReporting?: boolean;
}

/**
 * The context the CDK CLI gives an app it synthesizes, beside cdk.json's own, from cdk.json's
 * settings: as the CLI's contextFromSettings (@aws-cdk/toolkit-lib) computes it, each on unless
 * the setting is false. cdk.json turns all three off: construct paths (`aws:cdk:path`), asset
 * metadata (`aws:asset:*`, read by the SAM CLI) and the version-reporting resource (CDKMetadata and
 * its condition) were 39 KB of the canonical template, and FleetFlow reads none of them (it reads
 * its own `fleetflow:handler`).
 */
export function cliContext(cdkJson: CdkJson): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  if (cdkJson.pathMetadata ?? true) context['aws:cdk:enable-path-metadata'] = true;
  if (cdkJson.assetMetadata ?? true) context['aws:cdk:enable-asset-metadata'] = true;
  if (cdkJson.versionReporting ?? true) context['aws:cdk:version-reporting'] = true;
  else context['aws:cdk:disable-version-reporting'] = true;
  return context;
}

/** Synthesizes the environment's stack as `cdk synth` would, and measures its template and its state machine definitions. */
export function measureTemplate(environment: EnvironmentDefinition): TemplateMeasure {
  const cdkJson = JSON.parse(readFileSync(fileURLToPath(new URL('../../cdk.json', import.meta.url)), 'utf8')) as CdkJson;
  // An App with no outdir writes its assembly to a new temporary directory and leaves it there.
  const outdir = mkdtempSync(join(tmpdir(), 'fleetflow-validate-'));
  const app = new App({
    outdir,
    context: { ...cdkJson.context, ...cliContext(cdkJson), 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const stack = new FleetFlowStack(app, `FleetFlow-${environment.name}`, {
    environment,
    env: stackEnv(environment),
    description: FLEETFLOW_STACK_DESCRIPTION,
  });
  // As bin/app.ts: the checks' presence is counted in the version-reporting resource's construct list.
  Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));
  try {
    const artifact = app.synth().getStackByName(stack.stackName);
    const template = artifact.template as CfnTemplate & { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
    const files = definitionObjects(template, outdir, artifact.id);
    const definitions = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map((r) => {
        const properties = r.Properties ?? {};
        const file = files.get(String((properties.DefinitionS3Location as { Key?: unknown } | undefined)?.Key));
        if (file === undefined) throw new Error(`${String(properties.StateMachineName)}: its definition is not a file of the assembly`);
        const fileBytes = Buffer.byteLength(file, 'utf8');
        // A file over the limit is refused before it is substituted; otherwise the definition as Step Functions
        // receives it, its references resolved to IDs as long as AWS's (the simulator's: a 12-digit account, ARNs).
        const bytes = fileBytes > MAX_DEFINITION_BYTES ? fileBytes : Buffer.byteLength(renderedDefinitionText(properties, template, files), 'utf8');
        return { stateMachineName: String(properties.StateMachineName), fileBytes, bytes };
      });
    return { stackName: stack.stackName, bytes: templateBytes(asBundled(template)), definitions };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

type CfnTemplate = { Resources?: Record<string, { Metadata?: Record<string, unknown> }> };

/** The staged directory a bundled asset's metadata names: `asset.` and the asset's SHA-256, in hex. */
const BUNDLED_ASSET_PATH = `asset.${'0'.repeat(64)}`;

/**
 * The template as `cdk synth` writes it with its assets bundled: an unbundled asset's
 * `aws:asset:path` metadata names the source directory (as long as the checkout's path),
 * a bundled one its staged directory, `asset.<sha256>`.
 */
function asBundled(template: CfnTemplate): CfnTemplate {
  const resources = Object.fromEntries(
    Object.entries(template.Resources ?? {}).map(([id, resource]) => [
      id,
      resource.Metadata?.['aws:asset:path'] === undefined ? resource : { ...resource, Metadata: { ...resource.Metadata, 'aws:asset:path': BUNDLED_ASSET_PATH } },
    ]),
  );
  return { ...template, Resources: resources };
}
