/**
 * Turns the CDK stack into what a local execution needs: the state machine definition
 * exactly as synthesized (CloudFormation intrinsics resolved with the simulated
 * account's IDs), and for every Lambda task state the handler module it invokes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { LOCK_TABLE_NAME, SIM_ACCOUNT_ID, SIM_REGION } from './fleet';
import { cachedFile, sourceHash, STACK_SOURCES, TEMPLATE_CACHE_ENV } from './template-cache';

export type TaskTarget =
  | {
      readonly kind: 'lambda';
      readonly module: string;
      /** The function's Timeout as configured (CloudFormation's default: 3 s): the simulator stops the handler there. */
      readonly timeoutSeconds: number;
      /** The function's MemorySize (Lambda's default: 128 MB): what its invocations are billed by. */
      readonly memoryMb: number;
    }
  | { readonly kind: 'integration'; readonly resource: string };

export interface LocalStateMachine {
  /** The state machine's name, e.g. fleetflow-canonical-deploy. */
  readonly name: string;
  readonly arn: string;
  readonly definition: AslDefinition;
  /** Task state name -> the handler module (relative to `lambdas/`) or direct integration it calls. */
  readonly taskHandlers: Map<string, TaskTarget>;
}

/** Every state machine of a stack, by ARN; `entry` is the one a person starts. */
export interface LocalWorkflows {
  readonly entry: LocalStateMachine;
  readonly byArn: Map<string, LocalStateMachine>;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

export interface AslState {
  Type: string;
  Resource?: string;
  ItemProcessor?: AslDefinition;
  Iterator?: AslDefinition;
  Branches?: AslDefinition[];
  [key: string]: unknown;
}

/**
 * The metadata key FleetFlowFunction ties a synthesized function to its handler module with
 * (its HANDLER_METADATA_KEY; test/unit/simulator-layout.test.ts checks they agree). Spelled
 * here so that reading a cached template loads no CDK: importing aws-cdk-lib and the stack
 * takes a test process about 2.5 s, and most simulations find their template cached.
 */
export const HANDLER_METADATA_KEY = 'fleetflow:handler';

/** Lambda's default MemorySize when a function sets none. */
const LAMBDA_DEFAULT_MEMORY_MB = 128;
/** AWS::Lambda::Function Timeout when the template leaves it out ("The default is 3 seconds"). */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

type CfnTemplate = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
};

/**
 * The texts of the definitions a template keeps in S3 (`DefinitionS3Location`), by their object key:
 * the file assets the cloud assembly ships beside the template (lib/constructs/substituted-definition.ts).
 */
export type DefinitionObjects = ReadonlyMap<string, string>;

/** A template with the definition files it names, as one synth wrote them. */
export interface SynthesizedTemplate {
  readonly template: CfnTemplate;
  readonly definitions: DefinitionObjects;
}

/** What `<stack>.assets.json` says of a file asset: where it is in the assembly and the object keys it is published to. */
interface AssetManifest {
  readonly files?: Record<string, { source: { path?: string }; destinations: Record<string, { objectKey: string }> }>;
}

/**
 * The definition files of a synthesized stack, read through its asset manifest
 * (`<assemblyDir>/<artifactId>.assets.json`, which the CDK CLI publishes to the bootstrap bucket):
 * each state machine's `DefinitionS3Location` Key, and the text of the file published under it.
 * Throws when a state machine names an object the assembly does not publish: CloudFormation's
 * GetObject would fail the same way.
 */
export function definitionObjects(template: CfnTemplate, assemblyDir: string, artifactId: string): Map<string, string> {
  const keys = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map((r) => (r.Properties?.DefinitionS3Location as { Key?: unknown } | undefined)?.Key)
    .filter((key): key is string => typeof key === 'string');
  const objects = new Map<string, string>();
  if (keys.length === 0) return objects;
  const manifest = JSON.parse(readFileSync(join(assemblyDir, `${artifactId}.assets.json`), 'utf8')) as AssetManifest;
  const sources = new Map<string, string>();
  for (const file of Object.values(manifest.files ?? {})) {
    for (const destination of Object.values(file.destinations)) if (file.source.path) sources.set(destination.objectKey, file.source.path);
  }
  for (const key of keys) {
    const source = sources.get(key);
    if (!source) throw new Error(`the state machine definition s3 object ${key} is not an asset of ${artifactId}: CloudFormation could not read it`);
    objects.set(key, readFileSync(join(assemblyDir, source), 'utf8'));
  }
  return objects;
}

/** A synthesized stack's template with its definition files (see `definitionObjects`). */
export function synthesizedTemplate(assemblyDir: string, artifactId: string, template: CfnTemplate): SynthesizedTemplate {
  return { template, definitions: definitionObjects(template, assemblyDir, artifactId) };
}

export function stateMachineArn(name: string): string {
  return `arn:aws:states:${SIM_REGION}:${SIM_ACCOUNT_ID}:stateMachine:${name}`;
}

/** The stack's workflows; `workflow` names the entry (deploy, allocate, ...). */
export async function synthesizeLocalWorkflows(environment: EnvironmentDefinition, workflow = 'deploy'): Promise<LocalWorkflows> {
  const cacheDir = process.env[TEMPLATE_CACHE_ENV];
  let synthesized: SynthesizedTemplate;
  if (cacheDir) {
    const name = `simulated-${sourceHash(STACK_SOURCES, JSON.stringify(environment))}.json`;
    // Synthesized only when the cache does not hold it yet. The cached file holds the template and the
    // texts of the definition files it names (the assembly they were in is gone): one file, written whole.
    if (!existsSync(join(cacheDir, name))) {
      const fresh = await synthesize(environment);
      const text = JSON.stringify({ template: fresh.template, definitions: Object.fromEntries(fresh.definitions) });
      cachedFile(cacheDir, name, () => text);
    }
    const cached = JSON.parse(readFileSync(join(cacheDir, name), 'utf8')) as { template: CfnTemplate; definitions: Record<string, string> };
    synthesized = { template: cached.template, definitions: new Map(Object.entries(cached.definitions)) };
  } else {
    synthesized = await synthesize(environment);
  }
  const byArn = stateMachinesOf(synthesized.template, synthesized.definitions);
  const entry = byArn.get(stateMachineArn(`fleetflow-${environment.name}-${workflow}`));
  if (!entry) throw new Error(`the stack has no ${workflow} workflow`);
  return { entry, byArn };
}

async function synthesize(environment: EnvironmentDefinition): Promise<SynthesizedTemplate> {
  const [{ App }, { FleetFlowStack }] = await Promise.all([import('aws-cdk-lib'), import('../fleetflow-stack')]);
  // Bundling is skipped: the simulator runs the handlers' TypeScript in-process. CDK's built-in
  // CloudFormation validation is off: it is most of a synth's time, and `cdk synth` runs it on the real app.
  // An App with no outdir writes its assembly to a new temporary directory and leaves it there: one per synth.
  const outdir = mkdtempSync(join(tmpdir(), 'fleetflow-sim-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    const stack = new FleetFlowStack(app, `FleetFlow-${environment.name}`, {
      environment,
      env: { account: SIM_ACCOUNT_ID, region: SIM_REGION },
    });
    const artifact = app.synth().getStackByName(stack.stackName);
    // Read before the assembly is removed: the definitions are files beside the template.
    return synthesizedTemplate(outdir, artifact.id, artifact.template as CfnTemplate);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * The workflows of an already synthesized template; `entryName` is the entry's state machine name,
 * `definitions` the definition files it names (`definitionObjects`).
 */
export function fromTemplate(template: CfnTemplate, entryName: string, definitions: DefinitionObjects): LocalWorkflows {
  const byArn = stateMachinesOf(template, definitions);
  const entry = byArn.get(stateMachineArn(entryName));
  if (!entry) throw new Error(`the template has no state machine named ${entryName}`);
  return { entry, byArn };
}

function stateMachinesOf(template: CfnTemplate, definitions: DefinitionObjects): Map<string, LocalStateMachine> {
  const byArn = new Map<string, LocalStateMachine>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const machine = fromResource(resource.Properties!, template, definitions);
    byArn.set(machine.arn, machine);
  }
  return byArn;
}

/**
 * Each state machine's definition as Step Functions receives it, by state machine name: the text
 * (`definitionText`) with the template's references resolved as the simulator resolves them (the
 * simulated account's IDs and ARNs, as long as real ones), so its length is the one Step Functions measures.
 */
export function renderedDefinitions(template: CfnTemplate, definitions: DefinitionObjects): Map<string, string> {
  const out = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const properties = resource.Properties ?? {};
    const name = typeof properties.StateMachineName === 'string' ? properties.StateMachineName : logicalId;
    out.set(name, renderedDefinitionText(properties, template, definitions));
  }
  return out;
}

/** One state machine's definition as `renderedDefinitions` renders it, from the resource's properties. */
export function renderedDefinitionText(properties: Record<string, unknown>, template: CfnTemplate, definitions: DefinitionObjects): string {
  const substitutions = Object.entries((properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>).map(
    ([key, value]) => [key, resolveIntrinsics(value, template)] as const,
  );
  return definitionText(properties, substitutions, (value) => resolveIntrinsics(value, template), definitions);
}

function fromResource(properties: Record<string, unknown>, template: CfnTemplate, definitions: DefinitionObjects): LocalStateMachine {
  const name = properties.StateMachineName;
  if (typeof name !== 'string') throw new Error('every FleetFlow state machine has a fixed name');
  const definition = JSON.parse(renderedDefinitionText(properties, template, definitions)) as AslDefinition;

  const handlerByArn = new Map<string, { module: string; timeoutSeconds: number; memoryMb: number }>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const handler = resource.Metadata?.[HANDLER_METADATA_KEY];
    const timeout = resource.Properties?.Timeout;
    const memory = resource.Properties?.MemorySize;
    if (resource.Type === 'AWS::Lambda::Function' && typeof handler === 'string') {
      handlerByArn.set(functionArn(logicalId), {
        module: handler,
        timeoutSeconds: typeof timeout === 'number' ? timeout : LAMBDA_DEFAULT_TIMEOUT_SECONDS,
        memoryMb: typeof memory === 'number' ? memory : LAMBDA_DEFAULT_MEMORY_MB,
      });
    }
  }
  const taskHandlers = new Map<string, TaskTarget>();
  forEachState(definition, (name, state) => {
    if (state.Type !== 'Task') return;
    if (state.Resource?.includes(':states:::')) {
      taskHandlers.set(name, { kind: 'integration', resource: state.Resource });
      return;
    }
    const handler = state.Resource ? handlerByArn.get(state.Resource) : undefined;
    if (!handler) throw new Error(`task state "${name}" invokes ${state.Resource}, which is not a FleetFlow function`);
    taskHandlers.set(name, { kind: 'lambda', ...handler });
  });
  return { name, arn: stateMachineArn(name), definition, taskHandlers };
}

/**
 * The definition's JSON text as CloudFormation hands it to Step Functions: `DefinitionString`
 * with its intrinsics resolved (`resolve`), the text of the S3 object `DefinitionS3Location`
 * names (from `objects`, by its Key; the handler reads it with GetObject and refuses one over
 * 1,048,576 bytes, "State Machine definition file cannot exceed 1MB."), or `Definition` written as
 * JSON with its keys in sorted order, and then every `${key}` of `DefinitionSubstitutions` replaced by its value.
 *
 * "DefinitionSubstitutions: A map (string to string) that specifies the mappings for placeholder
 * variables in the state machine definition. This enables the customer to inject values obtained
 * at runtime, for example from intrinsic functions, in the state machine definition" (CloudFormation
 * Template Reference, AWS::StepFunctions::StateMachine). How: the resource's handler writes
 * `Definition` with Jackson's ORDER_MAP_ENTRIES_BY_KEYS, then replaces the placeholders as text
 * with StringUtils.replaceEachRepeatedly, which also replaces placeholders that a value brings in,
 * and fails past as many rounds as there are keys (aws-cloudformation-resource-providers-stepfunctions,
 * DefinitionProcessor.processDefinition and transformDefinition).
 */
export function definitionText(
  properties: Record<string, unknown>,
  substitutions: ReadonlyArray<readonly [string, string]>,
  resolve: (value: unknown) => string,
  objects: DefinitionObjects = new Map(),
): string {
  const given = ['Definition', 'DefinitionString', 'DefinitionS3Location'].filter((p) => properties[p] !== undefined);
  // The handler's validateDefinitionCount: exactly one of the three.
  if (given.length !== 1) throw new Error(`a state machine takes exactly one of Definition, DefinitionString and DefinitionS3Location; this one has ${given.join(', ') || 'none'}`);
  if (given[0] === 'DefinitionS3Location') return replaceEachRepeatedly(s3DefinitionText(properties.DefinitionS3Location, objects, resolve), substitutions);
  // CloudFormation refuses a template with a null anywhere in it ("'null' values are not allowed in
  // templates", reported for a Definition's ResultPath, aws/serverless-application-model#1618): a
  // definition that needs one ("ResultPath": null) is written as DefinitionString text.
  if (given[0] === 'Definition' && containsNull(properties.Definition)) {
    throw new Error("CloudFormation refuses the template: 'null' values are not allowed in templates (a Definition with a null)");
  }
  const text = given[0] === 'Definition' ? JSON.stringify(sortedKeys(properties.Definition)) : resolve(properties.DefinitionString);
  return replaceEachRepeatedly(text, substitutions);
}

/**
 * The S3 object's text, as the resource handler's fetchS3Definition reads it (GetObject of Bucket,
 * Key and Version; over MAX_DEFINITION_FILE_BYTES refused; lines joined with "\n"). The handler
 * then parses the substituted text as JSON, or else as YAML; FleetFlow writes JSON, and the
 * simulator reads JSON only (a YAML file would fail its JSON.parse, where AWS would convert it).
 */
function s3DefinitionText(location: unknown, objects: DefinitionObjects, resolve: (value: unknown) => string): string {
  const { Bucket, Key } = (location ?? {}) as { Bucket?: unknown; Key?: unknown };
  if (Bucket === undefined || Key === undefined) throw new Error('a DefinitionS3Location takes a Bucket and a Key');
  const key = resolve(Key);
  const text = objects.get(key);
  if (text === undefined) throw new Error(`the state machine definition s3 object ${key} is not among the assembly's definition files`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DEFINITION_FILE_BYTES) throw new Error(`State Machine definition file cannot exceed 1MB. (${key} is ${bytes.toLocaleString('en-US')} bytes)`);
  return text.split(/\r?\n/).join('\n');
}

/**
 * The most a definition file in S3 may hold, in bytes: the resource handler's MAX_DEFINITION_SIZE
 * (1048576), checked against the object's Content-Length (aws-cloudformation-resource-providers-stepfunctions,
 * Constants and DefinitionProcessor.fetchS3Definition).
 */
export const MAX_DEFINITION_FILE_BYTES = 1_048_576;

function containsNull(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== 'object') return false;
  return Object.values(value).some(containsNull);
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  // Sorted as Java sorts the strings (UTF-16 code units), as JavaScript's default sort does.
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]));
}

/** Apache Commons' StringUtils.replaceEachRepeatedly, for `${key}` placeholders (see `definitionText`). */
function replaceEachRepeatedly(text: string, substitutions: ReadonlyArray<readonly [string, string]>): string {
  if (substitutions.length === 0) return text;
  const values = new Map(substitutions.map(([key, value]) => [`\${${key}}`, value]));
  const pattern = new RegExp([...values.keys()].map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  let current = text;
  // One round, then as many more as there are placeholders; one more would be the handler's IllegalStateException.
  for (let round = 0; round <= substitutions.length; round++) {
    let replaced = false;
    current = current.replace(pattern, (placeholder) => {
      replaced = true;
      return values.get(placeholder)!;
    });
    if (!replaced) return current;
  }
  throw new Error('the definition substitutions replace each other endlessly: CloudFormation would fail to create the state machine');
}

export function forEachState(definition: AslDefinition, visit: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(definition.States)) {
    visit(name, state);
    const nested = [state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter(Boolean) as AslDefinition[];
    for (const child of nested) forEachState(child, visit);
  }
}

function functionArn(logicalId: string): string {
  return `arn:aws:lambda:${SIM_REGION}:${SIM_ACCOUNT_ID}:function:${logicalId}`;
}

function resolveIntrinsics(value: unknown, template: CfnTemplate): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveIntrinsics(p, template)).join(separator);
  }
  if ('Fn::FindInMap' in v) {
    // The environment definition is stored once, in the template's Mappings (statemachines/constructs/stored-environment.ts).
    const [map, key, attribute] = v['Fn::FindInMap'] as [string, string, string];
    const value = template.Mappings?.[map]?.[key]?.[attribute];
    if (typeof value !== 'string') throw new Error(`cannot resolve Fn::FindInMap ${map}.${key}.${attribute} locally`);
    return value;
  }
  if ('Fn::GetAtt' in v) {
    const [logicalId, attribute] = v['Fn::GetAtt'] as [string, string];
    if (attribute === 'Arn' && template.Resources[logicalId]?.Type === 'AWS::Lambda::Function') return functionArn(logicalId);
    throw new Error(`cannot resolve Fn::GetAtt ${logicalId}.${attribute} locally`);
  }
  if ('Ref' in v) {
    const ref = v.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': SIM_REGION,
      'AWS::AccountId': SIM_ACCOUNT_ID,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (ref in pseudo) return pseudo[ref]!;
    const type = template.Resources[ref]?.Type;
    if (type === 'AWS::DynamoDB::Table') return LOCK_TABLE_NAME;
    if (type === 'AWS::SNS::Topic') return `arn:aws:sns:${SIM_REGION}:${SIM_ACCOUNT_ID}:${ref}`;
    if (type === 'AWS::StepFunctions::StateMachine') {
      const name = template.Resources[ref]!.Properties?.StateMachineName;
      if (typeof name === 'string') return stateMachineArn(name);
    }
    throw new Error(`cannot resolve Ref ${ref} locally`);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value).slice(0, 80)} locally`);
}
