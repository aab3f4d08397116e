/**
 * Shared fixtures for the infrastructure tests: the canonical app synthesized the way
 * `cdk synth` builds it (same stack id, same cdk.json context, cdk-nag attached), into a
 * temporary cloud assembly, plus small readers for the parts of the template the tests
 * reason about (IAM statements per function, ARNs rendered as text).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations, type Environment } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkNag from 'cdk-nag';
import { HANDLER_METADATA_KEY } from '../../lib/constructs/fleetflow-function';
import { FleetFlowStack } from '../../lib/fleetflow-stack';
import { cachedFile, sourceHash, STACK_SOURCES, TEMPLATE_CACHE_ENV } from '../../lib/simulator/template-cache';
import { measureTemplate } from '../../lib/cli/template-size';
import { definitionObjects, definitionText, type DefinitionObjects } from '../../lib/simulator/definition';
import { parseEnvironment } from '../../lambdas/domain/environment/parse';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A concrete account and region, so any ARN that inlines them instead of using tokens shows up. */
export const TEST_ENV = { account: '123456789012', region: 'eu-west-1' } as const;

export const STACK_ID = 'FleetFlow-canonical';

/** A fresh, mutable copy of environments/canonical.json. */
export function canonicalEnvironment(): CanonicalEnvironment {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'environments/canonical.json'), 'utf8')) as CanonicalEnvironment;
}

/** Just enough of the raw (unvalidated) environment file for tests to read and edit it. */
export interface CanonicalEnvironment {
  name: string;
  tiers: Array<{
    name: string;
    role: string;
    hosts?: { tags: Record<string, string> };
    traffic?: { kind: string; targetGroups?: string[]; drain?: SsmCommand; undrain?: SsmCommand };
    install?: SsmCommand;
    database?: {
      instanceIdentifier?: string;
      migration?: SsmCommand & { runnerTier?: string };
      /** How allocate creates the instance when it is missing. */
      create?: { subnetGroup: string; securityGroups: string[]; parameterGroup?: string; [key: string]: unknown };
      /** How restore-data restores the data into a new instance and repoints the tiers that use it. */
      restore?: { connectionParameter: string; tiers: string[]; check: SsmCommand; reconfigure: SsmCommand; [key: string]: unknown };
      [key: string]: unknown;
    };
    batch?: { maxUnavailable: number | string; minHealthyPercent: number };
    alarms?: string[];
    health?: { timeoutSeconds?: number; command?: SsmCommand };
    /** How the tier's hosts leave traffic: the drain timeout and the host-side drain check. */
    drain?: { timeoutSeconds?: number; check?: SsmCommand };
    /** How the compute workflows launch the tier's hosts. */
    launch?: {
      template: { name: string } | { id: string };
      subnets: Array<{ id: string; availabilityZone?: string }>;
      instanceRole: string;
      [key: string]: unknown;
    };
    /** Setup steps new hosts run before their first install. */
    prerequisites?: SsmCommand[];
    [key: string]: unknown;
  }>;
  validation?: {
    alarms?: string[];
    alarmPrefixes?: string[];
    approval?: { required?: boolean; timeoutSeconds?: number };
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface SsmCommand {
  document: string;
  parameters?: Record<string, string[]>;
  [key: string]: unknown;
}

/** The context `cdk synth` passes from cdk.json (feature flags such as minimizePolicies). */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export interface CanonicalApp {
  readonly app: App;
  readonly stack: FleetFlowStack;
  /** Temporary cloud assembly directory; remove it with `cleanup()`. */
  readonly outdir: string;
  cleanup(): void;
}

export interface BuildOptions {
  /** Raw environment definition. @default the canonical environment */
  readonly environment?: unknown;
  /** Run esbuild for the Lambda assets. @default false (bundling skipped) */
  readonly bundling?: boolean;
  /** Attach cdk-nag AwsSolutions checks, as bin/app.ts does. @default false */
  readonly nag?: boolean;
  /** The stack's env; `null` for none (region- and account-agnostic, as bin/app.ts builds by default). @default TEST_ENV */
  readonly env?: Environment | null;
}

/** Builds (does not synthesize) the app the way bin/app.ts does, into a temporary outdir. */
export function buildCanonicalApp(options: BuildOptions = {}): CanonicalApp {
  const outdir = mkdtempSync(join(tmpdir(), 'fleetflow-infra-'));
  const context: Record<string, unknown> = { ...cdkJsonContext() };
  if (!options.bundling) context['aws:cdk:bundling-stacks'] = [];
  const cleanup = () => rmSync(outdir, { recursive: true, force: true });
  // CDK's built-in CloudFormation validation only warns, and takes most of a synth's time: `cdk synth` runs it.
  const app = new App({ outdir, context, builtinCloudFormationValidation: false });
  let stack: FleetFlowStack;
  try {
    stack = new FleetFlowStack(app, STACK_ID, {
      environment: options.environment ?? canonicalEnvironment(),
      ...(options.env === null ? {} : { env: options.env ?? TEST_ENV }),
      description: 'FleetFlow: rolling releases and recovery of a multi-tier service',
    });
  } catch (err) {
    cleanup();
    throw err;
  }
  if (options.nag) Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack, outdir, cleanup };
}

export interface SynthesizedCanonical extends CanonicalApp {
  readonly template: Template;
  /** The template as plain JSON, for walks that `Template` matchers cannot express. */
  readonly json: CfnTemplate;
  /** The definition files the template's state machines name (DefinitionS3Location), by object key. */
  readonly definitions: DefinitionObjects;
}

/** Builds and synthesizes once; `Template.fromStack` then reuses the synthesized assembly. */
export function synthesizeCanonical(options: BuildOptions = {}): SynthesizedCanonical {
  const built = buildCanonicalApp(options);
  try {
    built.app.synth();
  } catch (err) {
    built.cleanup();
    throw err;
  }
  const template = Template.fromStack(built.stack);
  const json = template.toJSON() as CfnTemplate;
  const definitions = definitionObjects(json, built.outdir, built.app.synth().getStackByName(built.stack.stackName).id);
  return { ...built, template, json, definitions };
}

export interface CanonicalTemplate {
  readonly template: Template;
  /** The template as plain JSON, for walks that `Template` matchers cannot express. */
  readonly json: CfnTemplate;
  /** The template file as `cdk synth` writes it. */
  readonly templatePath: string;
  /** The definition files the template's state machines name (DefinitionS3Location), by object key. */
  readonly definitions: DefinitionObjects;
  cleanup(): void;
}

/**
 * The canonical stack (default BuildOptions) as synthesized, shared by every test file that
 * only reads its template: vitest runs each file in a process of its own, so the written
 * template is kept in a file named by a hash of everything it is made from, and a file
 * that finds it there does not synthesize again.
 */
export function sharedCanonical(): CanonicalTemplate {
  const key = sourceHash([...STACK_SOURCES, 'environments', 'cdk.json', 'test/infra/support.ts'], STACK_ID);
  const cacheDir = process.env[TEMPLATE_CACHE_ENV] ?? join(tmpdir(), 'fleetflow-templates');
  // The definition files are kept beside the template (written first, so a template found in the cache has them).
  const definitionsFile = `${STACK_ID}-${key}.definitions.json`;
  const synthesizeBoth = (): { template: Buffer; definitions: string } => {
    const synth = synthesizeCanonical();
    try {
      return { template: readFileSync(synth.app.synth().getStackByName(synth.stack.stackName).templateFullPath), definitions: JSON.stringify(Object.fromEntries(synth.definitions)) };
    } finally {
      synth.cleanup();
    }
  };
  const templatePath = cachedFile(cacheDir, `${STACK_ID}-${key}.template.json`, () => {
    const both = synthesizeBoth();
    cachedFile(cacheDir, definitionsFile, () => both.definitions);
    return both.template;
  });
  const definitionsPath = cachedFile(cacheDir, definitionsFile, () => synthesizeBoth().definitions);
  const json = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
  const definitions = new Map(Object.entries(JSON.parse(readFileSync(definitionsPath, 'utf8')) as Record<string, string>));
  return { template: Template.fromJSON(json as unknown as Record<string, unknown>), json, templatePath, definitions, cleanup: () => {} };
}

/**
 * The bytes of the template `cdk synth` writes for an environment (lib/cli/template-size.ts
 * `measureTemplate`, as `fleetflow validate` measures it), kept in the template cache under a
 * name made from the sources and the environment, so that a test run synthesizes each
 * environment once.
 */
export function measuredTemplateBytes(environment: unknown): number {
  const key = sourceHash([...STACK_SOURCES, 'cdk.json', 'bin'], JSON.stringify(environment));
  const cacheDir = process.env[TEMPLATE_CACHE_ENV] ?? join(tmpdir(), 'fleetflow-templates');
  const path = cachedFile(cacheDir, `bytes-${key}.json`, () => JSON.stringify(measureTemplate(parseEnvironment(environment, 'a test environment')).bytes));
  return JSON.parse(readFileSync(path, 'utf8')) as number;
}

// --- template readers ---

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  /** Each resource rendered as text; see `renderValue`. */
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
  /** Logical ID of the policy (or role, for inline policies) the statement came from. */
  readonly source: string;
}

/**
 * Renders a CloudFormation value as text: `{ Ref: X }` becomes `${X}`, `Fn::GetAtt [A, B]`
 * becomes `${A.B}`, `Fn::Join` is joined. So `arn:${AWS::Partition}:ec2:...` is an ARN that
 * uses the partition token and `arn:aws:ec2:...` one that hard-codes it.
 */
export function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if ('Ref' in v) return `\${${String(v.Ref)}}`;
    if ('Fn::GetAtt' in v) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
    if ('Fn::Join' in v) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(renderValue).join(separator);
    }
  }
  return JSON.stringify(value);
}

/**
 * A state machine's definition as text, its references rendered as `renderValue` renders them:
 * the definition file its `DefinitionS3Location` names (from `definitions`, the synth's
 * `definitions`) with every `${key}` of `DefinitionSubstitutions` replaced, as CloudFormation
 * replaces them (lib/simulator/definition.ts `definitionText`).
 */
export function renderedDefinition(machine: CfnResource, definitions: DefinitionObjects): string {
  const properties = machine.Properties ?? {};
  const substitutions = Object.entries((properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>).map(([key, value]) => [key, renderValue(value)] as const);
  return definitionText(properties, substitutions, renderValue, definitions);
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function normalizeStatements(document: unknown, source: string): PolicyStatement[] {
  const statements = asArray((document as { Statement?: unknown } | undefined)?.Statement) as Array<Record<string, unknown>>;
  return statements.flatMap((s) =>
    bySingleValue(s.Condition as Record<string, Record<string, unknown>> | undefined).map((condition) => ({
      Effect: s.Effect as 'Allow' | 'Deny',
      Action: asArray(s.Action as string | string[]),
      Resource: asArray(s.Resource).map(renderValue),
      ...(condition ? { Condition: condition } : {}),
      source,
    })),
  );
}

/**
 * A statement whose StringEquals gives a key several values, read as the statements it stands
 * for, one per value: IAM evaluates several values of one key in one operator with a logical
 * OR ("Creating a condition with multiple context keys or values", IAM User Guide). The stack
 * writes a grant on the hosts of several tiers that way (lib/iam-scopes.ts `allowOnTierHosts`);
 * the tests read it per tier, as the grant was written before.
 */
function bySingleValue(condition: Record<string, Record<string, unknown>> | undefined): Array<Record<string, Record<string, unknown>> | undefined> {
  const equals = condition?.StringEquals;
  const listed = equals ? Object.entries(equals).filter(([, value]) => Array.isArray(value)) : [];
  if (!condition || !equals || listed.length === 0) return [condition];
  return listed.reduce<Array<Record<string, unknown>>>(
    (variants, [key, values]) => variants.flatMap((variant) => (values as unknown[]).map((value) => ({ ...variant, [key]: value }))),
    [equals],
  ).map((single) => ({ ...condition, StringEquals: single }));
}

const logicalIdOf = (value: unknown): string | undefined => {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: string[] } | undefined;
  return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
};

/** Every identity-policy statement attached to the role, from AWS::IAM::Policy resources and inline policies. */
export function roleStatements(template: CfnTemplate, roleLogicalId: string): PolicyStatement[] {
  const out: PolicyStatement[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      const roles = asArray(resource.Properties?.Roles).map(logicalIdOf);
      if (roles.includes(roleLogicalId)) out.push(...normalizeStatements(resource.Properties?.PolicyDocument, id));
    }
  }
  const role = template.Resources[roleLogicalId];
  for (const inline of asArray(role?.Properties?.Policies) as Array<{ PolicyDocument: unknown }>) {
    out.push(...normalizeStatements(inline.PolicyDocument, roleLogicalId));
  }
  return out;
}

/** Every identity-policy statement in the template (all roles, users, groups). */
export function allIdentityStatements(template: CfnTemplate): PolicyStatement[] {
  const out: PolicyStatement[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      out.push(...normalizeStatements(resource.Properties?.PolicyDocument, id));
    }
    if (resource.Type === 'AWS::IAM::Role') {
      for (const inline of asArray(resource.Properties?.Policies) as Array<{ PolicyDocument: unknown }>) {
        out.push(...normalizeStatements(inline.PolicyDocument, id));
      }
    }
  }
  return out;
}

export interface LambdaFunctionInfo {
  readonly logicalId: string;
  /** Handler module relative to `lambdas/`, from the function's metadata, e.g. `deploy/plan-release.ts`. */
  readonly handler: string;
  readonly roleLogicalId: string;
  readonly properties: Record<string, unknown>;
}

export function lambdaFunctions(template: CfnTemplate): LambdaFunctionInfo[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([logicalId, r]) => ({
      logicalId,
      handler: String(r.Metadata?.[HANDLER_METADATA_KEY]),
      roleLogicalId: String(logicalIdOf(r.Properties?.Role)),
      properties: r.Properties ?? {},
    }));
}

/**
 * The function whose handler module is `name`: a module path relative to `lambdas/`
 * (`database/run-migration.ts`), or a bare name (`install-release`) that one workflow
 * folder's handler has.
 */
export function lambdaByHandler(template: CfnTemplate, name: string): LambdaFunctionInfo {
  const matches = lambdaFunctions(template).filter((f) => (name.includes('/') ? f.handler === name : f.handler.endsWith(`/${name}.ts`)));
  if (matches.length !== 1) throw new Error(`${matches.length} Lambda functions with handler ${name}: ${matches.map((f) => f.handler).join(', ')}`);
  return matches[0]!;
}

/** Logical ID of the one resource of the type; throws unless there is exactly one. */
export function onlyResourceOfType(template: CfnTemplate, type: string): string {
  const ids = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0]!;
}

/** Logical ID of the one resource of a type whose logical ID starts with `prefix`. */
export function resourceOfType(template: CfnTemplate, type: string, prefix: string): string {
  const ids = Object.entries(template.Resources)
    .filter(([id, r]) => r.Type === type && id.startsWith(prefix))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} named ${prefix}*, found ${ids.length}: ${ids.join(', ')}`);
  return ids[0]!;
}

/** The stack's state machines by the name they are deployed under (e.g. fleetflow-canonical-deploy): logical ID and role. */
export function stateMachines(template: CfnTemplate): Map<string, { readonly logicalId: string; readonly roleLogicalId: string }> {
  const machines = new Map<string, { logicalId: string; roleLogicalId: string }>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const name = resource.Properties?.StateMachineName;
    if (typeof name !== 'string') throw new Error(`state machine ${logicalId} has no fixed StateMachineName`);
    const roleLogicalId = logicalIdOf(resource.Properties?.RoleArn);
    if (!roleLogicalId) throw new Error(`state machine ${name} names no role of this stack`);
    if (machines.has(name)) throw new Error(`two state machines are named ${name}`);
    machines.set(name, { logicalId, roleLogicalId });
  }
  return machines;
}

/** Logical ID of the named state machine (e.g. fleetflow-canonical-rollout); throws unless the stack has it. */
export function stateMachineId(template: CfnTemplate, name: string): string {
  const machine = stateMachines(template).get(name);
  if (!machine) throw new Error(`no state machine named ${name} among ${[...stateMachines(template).keys()].join(', ')}`);
  return machine.logicalId;
}

/** Logical ID of the named state machine's execution role (e.g. fleetflow-canonical-deploy's). */
export function stateMachineRoleId(template: CfnTemplate, name: string): string {
  const machine = stateMachines(template).get(name);
  if (!machine) throw new Error(`no state machine named ${name} among ${[...stateMachines(template).keys()].join(', ')}`);
  return machine.roleLogicalId;
}

/**
 * Whether a granted resource pattern (rendered as `renderValue` does, with IAM's `*` and `?`
 * wildcards) covers the given resource, e.g. `...:parameter/*` covers `...:parameter/a/b`.
 */
export function resourceCovers(pattern: string, resource: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(resource);
}

/** IAM action matching, with `*` and `?` wildcards in the granted action and case-insensitive service/action names. */
export function grantsAction(statement: PolicyStatement, action: string): boolean {
  return statement.Action.some((granted) => {
    const pattern = granted.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    return new RegExp(`^${pattern}$`, 'i').test(action);
  });
}

/** Statements in the list that allow the action. */
export function allowing(statements: readonly PolicyStatement[], action: string): PolicyStatement[] {
  return statements.filter((s) => s.Effect === 'Allow' && grantsAction(s, action));
}

/** The ARN the stack should produce, rendered as `renderValue` does, for the test account and region. */
export function expectedArn(service: string, resource: string, account: string = TEST_ENV.account): string {
  return `arn:\${AWS::Partition}:${service}:${TEST_ENV.region}:${account}:${resource}`;
}

/** The ARN of an SSM document named in an environment: AWS-owned documents live in no account. */
export function expectedDocumentArn(document: string): string {
  if (document.startsWith('arn:')) return document;
  return expectedArn('ssm', `document/${document}`, document.startsWith('AWS-') ? '' : TEST_ENV.account);
}

/** Logical IDs of every IAM role in the template. */
export function allRoles(template: CfnTemplate): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .map(([id]) => id);
}

/** Logical IDs of every role in the template that is allowed the action. */
export function rolesAllowing(template: CfnTemplate, action: string): string[] {
  return allRoles(template).filter((id) => allowing(roleStatements(template, id), action).length > 0);
}
