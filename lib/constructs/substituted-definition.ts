/**
 * A state machine's definition written as literal JSON text with `${key}` placeholders plus
 * CloudFormation's `DefinitionSubstitutions`, instead of CDK's `Fn::Join` of text pieces and
 * references.
 *
 * CloudFormation's AWS::StepFunctions::StateMachine takes `DefinitionSubstitutions`, "A map
 * (string to string) that specifies the mappings for placeholder variables in the state machine
 * definition. This enables the customer to inject values obtained at runtime, for example from
 * intrinsic functions, in the state machine definition" (CloudFormation Template Reference,
 * AWS::StepFunctions::StateMachine). The resource's handler replaces each `${key}` of the
 * definition's text with its value, as text (aws-cloudformation-resource-providers-stepfunctions,
 * DefinitionProcessor.processDefinition and transformDefinition); lib/simulator/definition.ts
 * does the same to run it. So each reference (a function's ARN, the lock table, the partition,
 * the stored environment) is written once per state machine, in the substitutions, and the text
 * is one JSON string instead of a list of pieces. The text is shipped as a file in S3
 * (`DefinitionS3Location`, see `SubstitutedDefinitionBody`), the substitutions stay in the template.
 *
 * Why JSON text and not the template's `Definition` object: FleetFlow's definitions hold 174 `null`s
 * (`"ResultPath": null`, which discards a task's result), and CloudFormation refuses a template
 * with a null anywhere in it, a Json property included ("'null' values are not allowed in
 * templates", reported for a state machine's `Definition` ResultPath in
 * aws/serverless-application-model#1618 and for an EventPattern in
 * aws-cloudformation/cloudformation-coverage-roadmap#1378). A placeholder stands between the
 * quotes of a JSON string, so no substitution can write a null either.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileAssetPackaging, Lazy, Stack, Stage, Token, type IResolvable, type IResolveContext } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

/** A CloudFormation intrinsic function as it is written in a template (`{ Ref: ... }`, `{ 'Fn::GetAtt': [...] }`, ...). */
type Intrinsic = Record<string, unknown>;

export interface SubstitutedDefinition {
  /** The definition, every reference replaced by a `${key}` placeholder. */
  readonly definition: Record<string, unknown>;
  /** Placeholder key -> the intrinsic that CloudFormation resolves into it. */
  readonly substitutions: Record<string, Intrinsic>;
}

/** The placeholder keys: `S0`, `S1`, ..., numbered in the order the references first appear in the definition. */
const KEY_PREFIX = 'S';

function isIntrinsic(value: unknown): value is Intrinsic {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
}

/**
 * Splits a resolved definition (plain JSON with CloudFormation intrinsics in it, as CDK
 * resolves the state graph) into a definition with `${key}` placeholders and its substitutions.
 * A string built from text and references (`Fn::Join` with no separator, CDK's way of writing
 * "arn:" + partition + ":states:::...") keeps its text and takes a placeholder per reference;
 * any other intrinsic is one placeholder. The same intrinsic gets the same key everywhere.
 *
 * Throws when an intrinsic stands where the definition needs something other than a string (a
 * substitution is text placed between the quotes of a JSON string), or when the definition's own
 * text holds a placeholder of this definition (CloudFormation would replace it too).
 */
export function substitute(resolved: Record<string, unknown>): SubstitutedDefinition {
  const keys = new Map<string, string>();
  const substitutions: Record<string, Intrinsic> = {};
  const literals: string[] = [];
  const placeholder = (intrinsic: Intrinsic): string => {
    const json = JSON.stringify(intrinsic);
    let key = keys.get(json);
    if (key === undefined) {
      key = `${KEY_PREFIX}${keys.size}`;
      keys.set(json, key);
      substitutions[key] = intrinsic;
    }
    return `\${${key}}`;
  };
  /** The text of a string value: literal text as it is, each reference as its placeholder. */
  const text = (value: unknown, path: string): string => {
    if (typeof value === 'string') {
      literals.push(value);
      return value;
    }
    if (!isIntrinsic(value)) throw new Error(`${path}: expected a string or an intrinsic function, got ${JSON.stringify(value).slice(0, 80)}`);
    const join = value['Fn::Join'];
    if (Array.isArray(join) && join[0] === '' && Array.isArray(join[1])) return (join[1] as unknown[]).map((part) => text(part, path)).join('');
    return placeholder(value);
  };
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') return text(value, path);
    if (Array.isArray(value)) return value.map((item, i) => walk(item, `${path}[${i}]`));
    if (isIntrinsic(value)) {
      // CDK writes a string token as an intrinsic; a list or number token would resolve to one here too.
      if (isListOrNumberIntrinsic(value)) throw new Error(`${path}: a reference that is not a string cannot be a definition substitution: ${JSON.stringify(value).slice(0, 120)}`);
      return text(value, path);
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, `${path}.${k}`)]));
    }
    return value;
  };
  const definition = walk(resolved, '$') as Record<string, unknown>;
  for (const literal of literals) {
    const clash = [...keys.values()].find((key) => literal.includes(`\${${key}}`));
    if (clash) throw new Error(`the definition's text "${literal.slice(0, 80)}" holds \${${clash}}, which CloudFormation would replace with a reference`);
  }
  return { definition, substitutions };
}

/** The intrinsics that return a list or a number: never a definition's string. */
function isListOrNumberIntrinsic(value: Intrinsic): boolean {
  return ['Fn::Split', 'Fn::GetAZs', 'Fn::Cidr', 'Fn::Length'].some((name) => name in value);
}

/**
 * CDK's definition of a chain, written as literal JSON text with `${key}` placeholders, shipped as a
 * file asset to S3 (`DefinitionS3Location`), plus `DefinitionSubstitutions` in the template. A
 * `ChainDefinitionBody`, so the state machine still collects the tasks' policy statements from the
 * graph. The definition is resolved when the template is written, with the context CloudFormation
 * references are resolved in: a reference to another stack's resource is its import there, and
 * the text itself (placeholders only) is the same in any context.
 *
 * Why S3: the seven definitions were most of the canonical template (CloudFormation's limit is on
 * the template's body). AWS::StepFunctions::StateMachine takes `DefinitionS3Location`, "The name
 * of the S3 bucket where the state machine definition JSON or YAML file is stored" (Bucket) and
 * "The name of the state machine definition file (Amazon S3 object name)" (Key), and
 * `DefinitionSubstitutions` applies to it as to `DefinitionString` ("A map (string to string) that
 * specifies the mappings for placeholder variables in the state machine definition", CloudFormation
 * Template Reference, AWS::StepFunctions::StateMachine and its S3Location). The file goes to the
 * stack synthesizer's file-asset bucket, where the Lambda code goes (CDK's own
 * `DefinitionBody.fromFile` does the same through an `aws-s3-assets` Asset); its key is the
 * SHA-256 of its text, so a changed definition is a new object and an update never reads a stale one.
 */
export class SubstitutedDefinitionBody extends sfn.ChainDefinitionBody {
  private graphJson?: Record<string, unknown>;

  override bind(scope: Construct, _principal: iam.IPrincipal, sfnProps: sfn.StateMachineProps, graph?: sfn.StateGraph): sfn.DefinitionConfig {
    if (!graph) throw new Error(`${scope.node.path}: a chain's definition is bound with its state graph`);
    // As ChainDefinitionBody renders it: the graph, the state machine's comment and query language.
    this.graphJson = { ...graph.toGraphJson(sfnProps.queryLanguage), Comment: sfnProps.comment, QueryLanguage: sfnProps.queryLanguage };
    refuseNonStringTokens(this.graphJson, '$');
    const stack = Stack.of(scope);
    // Resolved when the template is written: the file holds no token, only placeholders. The
    // resource's properties are rendered (bucket -> Bucket) after they are resolved, so the
    // lazy value is written as CDK's S3LocationProperty.
    const location = Lazy.uncachedAny({
      // While CDK prepares the app it resolves with a resolver of its own, to find cross-stack references, and
      // renders a joined string as "[object Object]": no file is written from that, and the location is not read.
      produce: (context) => (context.preparing ? { bucket: 'preparing', key: 'preparing' } : definitionAsset(stack, JSON.stringify(this.render(context).definition))),
    });
    return { definitionS3Location: location as unknown as sfn.CfnStateMachine.S3LocationProperty };
  }

  /** The substitutions, for the state machine's `DefinitionSubstitutions`. */
  substitutions(): IResolvable {
    return Lazy.uncachedAny({ produce: (context) => this.render(context).substitutions });
  }

  private render(context: IResolveContext): SubstitutedDefinition {
    if (!this.graphJson) throw new Error('the definition is rendered after it is bound');
    return substitute(context.resolve(this.graphJson) as Record<string, unknown>);
  }
}

/**
 * Writes the definition's text into the stack's cloud assembly, as `asset.<sha256>.json`, and adds
 * it to the stack's file assets (once per text: the synthesizer keeps one entry per hash).
 */
function definitionAsset(stack: Stack, text: string): sfn.CfnStateMachine.S3LocationProperty {
  const hash = createHash('sha256').update(text).digest('hex');
  const fileName = `asset.${hash}.json`;
  const stage = Stage.of(stack);
  if (!stage) throw new Error(`${stack.node.path}: a stack's definitions are written into its stage's cloud assembly`);
  const path = join(stage.outdir, fileName);
  if (!existsSync(path)) writeFileSync(path, text);
  const location = stack.synthesizer.addFileAsset({ fileName, packaging: FileAssetPackaging.FILE, sourceHash: hash });
  return { bucket: location.bucketName, key: location.objectKey };
}

/** Refuses a number or list token in the graph: only text can be substituted (`substitute`). */
function refuseNonStringTokens(value: unknown, path: string): void {
  if (typeof value === 'number' && Token.isUnresolved(value)) throw new Error(`${path}: a number token cannot be a definition substitution`);
  if (Array.isArray(value)) {
    if (Token.isUnresolved(value)) throw new Error(`${path}: a list token cannot be a definition substitution`);
    value.forEach((item, i) => refuseNonStringTokens(item, `${path}[${i}]`));
    return;
  }
  if (value !== null && typeof value === 'object' && !Token.isUnresolved(value)) {
    for (const [k, v] of Object.entries(value)) refuseNonStringTokens(v, `${path}.${k}`);
  }
}
