/**
 * Dumps what a refactor of the stack must not change, so two synths can be compared with `diff -r`:
 * each state machine's definition, normalized, and every resource's logical ID.
 *
 *   npx cdk synth --quiet -o /tmp/before
 *   npx tsx bench/dump-definitions.ts /tmp/before/FleetFlow-canonical.template.json /tmp/dump-before
 *   (change the code, synth to /tmp/after, dump to /tmp/dump-after)
 *   diff -r /tmp/dump-before /tmp/dump-after
 *
 * A definition is the text of the S3 file its `DefinitionS3Location` names (an asset of the cloud
 * assembly, found through `<stack>.assets.json` beside the template), or `DefinitionString` text in
 * templates written before (before that, a `Fn::Join` of JSON text and CloudFormation references),
 * whose `${key}` placeholders its `DefinitionSubstitutions` fill, read as lib/simulator/definition.ts reads it. Each reference is
 * replaced by a stable name that does not depend on how the construct tree is laid out: a Lambda
 * function by its handler module (its `fleetflow:handler` metadata), a state machine by its
 * name, anything else by its type and logical ID without CDK's hash suffix, pseudo parameters by
 * their name. The text is then parsed and printed with two-space indentation, keys in their
 * synthesized order (the order is part of the JSON CloudFormation receives).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { definitionObjects, definitionText, type DefinitionObjects } from '../lib/simulator/definition';

type Resource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };
export type CfnTemplate = { Resources: Record<string, Resource>; Mappings?: Record<string, Record<string, Record<string, unknown>>> };

/** A stable, layout-independent name for the resource a reference points at. */
function referenceName(template: CfnTemplate, logicalId: string, attribute: string): string {
  const resource = template.Resources[logicalId];
  if (!resource) return `\${${logicalId}.${attribute}}`;
  const handler = resource.Metadata?.['fleetflow:handler'];
  if (resource.Type === 'AWS::Lambda::Function' && typeof handler === 'string') return `\${lambda:${handler}.${attribute}}`;
  const name = resource.Properties?.['StateMachineName'];
  if (resource.Type === 'AWS::StepFunctions::StateMachine' && typeof name === 'string') return `\${states:${name}.${attribute}}`;
  return `\${${resource.Type}:${logicalId.replace(/[0-9A-F]{8}$/, '')}.${attribute}}`;
}

/** Renders one part of a `Fn::Join` as text. */
function render(template: CfnTemplate, part: unknown): string {
  if (typeof part === 'string') return part;
  const value = part as Record<string, unknown>;
  if ('Ref' in value) {
    const ref = String(value.Ref);
    return ref.startsWith('AWS::') ? `\${${ref}}` : referenceName(template, ref, 'Ref');
  }
  if ('Fn::GetAtt' in value) {
    const [logicalId, attribute] = value['Fn::GetAtt'] as [string, string];
    return referenceName(template, logicalId, attribute);
  }
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => render(template, p)).join(separator);
  }
  if ('Fn::FindInMap' in value) {
    // The environment definition, stored once in the template's Mappings (statemachines/constructs/stored-environment.ts): its text.
    const [map, key, attribute] = value['Fn::FindInMap'] as [string, string, string];
    const mapped = template.Mappings?.[map]?.[key]?.[attribute];
    if (typeof mapped !== 'string') throw new Error(`no mapping ${map}.${key}.${attribute}`);
    return mapped;
  }
  if ('Fn::Select' in value) {
    const [index, list] = value['Fn::Select'] as [number, unknown];
    return `\${select(${index}, ${render(template, list)})}`;
  }
  if ('Fn::Split' in value) {
    const [separator, source] = value['Fn::Split'] as [string, unknown];
    return `split(${JSON.stringify(separator)}, ${render(template, source)})`;
  }
  throw new Error(`unexpected intrinsic in a definition: ${JSON.stringify(part)}`);
}

/** State machine name -> its definition, normalized and pretty-printed. */
export function normalizedDefinitions(template: CfnTemplate, definitions: DefinitionObjects): Map<string, string> {
  const out = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const name = String(resource.Properties?.['StateMachineName'] ?? logicalId);
    const properties = resource.Properties ?? {};
    const substitutions = Object.entries((properties['DefinitionSubstitutions'] ?? {}) as Record<string, unknown>).map(([key, value]) => [key, render(template, value)] as const);
    const text = definitionText(properties, substitutions, (value) => render(template, value), definitions);
    // JSON.parse fails loudly if a substitution broke the text, which the diff alone would not show.
    out.set(name, `${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  }
  return out;
}

/** Every resource as `<logical ID> <type>`, sorted. */
export function logicalIds(template: CfnTemplate): string[] {
  return Object.entries(template.Resources)
    .map(([id, r]) => `${id} ${r.Type}`)
    .sort();
}

function main(): void {
  const [templateFile, outDir] = process.argv.slice(2);
  if (!templateFile || !outDir) {
    process.stderr.write('usage: tsx bench/dump-definitions.ts <template.json> <out-dir>\n');
    process.exitCode = 2;
    return;
  }
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as CfnTemplate;
  mkdirSync(outDir, { recursive: true });
  // The definition files are assets of the assembly the template is in, listed in <stack>.assets.json.
  const definitions = normalizedDefinitions(template, definitionObjects(template, dirname(templateFile), basename(templateFile, '.template.json')));
  for (const [name, text] of definitions) writeFileSync(join(outDir, `${name}.json`), text);
  const ids = logicalIds(template);
  writeFileSync(join(outDir, 'logical-ids.txt'), `${ids.join('\n')}\n`);
  process.stdout.write(`${definitions.size} definitions, ${ids.length} resources written to ${outDir}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) main();
