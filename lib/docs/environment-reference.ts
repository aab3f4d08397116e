/**
 * The environment reference, generated from the zod model (lambdas/domain/environment/model.ts): a JSON
 * Schema that environment files name with `"$schema"` so editors complete and check them, and
 * docs/environment.md, the same fields for a person to read. `npm run docs:env` writes both;
 * test/unit/environment-reference.test.ts fails when either is stale.
 *
 * The JSON Schema describes a definition as it is written, not as parsed: zod's `io: 'input'`
 * leaves fields with a default optional (https://zod.dev/json-schema, "io"). Refinements
 * (`refine`, `superRefine`) have no JSON Schema form and are left out by `z.toJSONSchema`, so
 * the rules across fields (distinct tier names, a health command where no target group checks,
 * ...) stay with `parseEnvironment`; the descriptions say them. Anything else zod could not
 * represent (a transform, say) throws here instead of widening the schema (`unrepresentable`).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { environmentSchema, type EnvironmentInput } from '../../lambdas/domain/environment/model';
import { parseEnvironment } from '../../lambdas/domain/environment/parse';

export const SCHEMA_FILE = fileURLToPath(new URL('../../environments/environment.schema.json', import.meta.url));
export const REFERENCE_FILE = fileURLToPath(new URL('../../docs/environment.md', import.meta.url));

/** A JSON Schema node, as `z.toJSONSchema` writes them (draft-07). */
export interface JsonSchema {
  $schema?: string;
  title?: string;
  description?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
}

/**
 * Draft-07 rather than zod's default 2020-12: it is the draft every editor's JSON language
 * service and Ajv's default build read.
 */
export function environmentJsonSchema(): JsonSchema {
  return z.toJSONSchema(environmentSchema, { target: 'draft-07', io: 'input', unrepresentable: 'throw' }) as JsonSchema;
}

export function renderJsonSchema(schema: JsonSchema = environmentJsonSchema()): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** A small three-tier environment, checked by parseEnvironment whenever the reference is rendered. */
export const EXAMPLE: EnvironmentInput = {
  $schema: './environment.schema.json',
  name: 'shop',
  tiers: [
    {
      name: 'database',
      role: 'data',
      order: 0,
      database: {
        instanceIdentifier: 'shop-db',
        migration: { document: 'Shop-ApplyMigration', runnerTier: 'middle', parameters: { databaseSecret: ['/shop/database/migrator-password'] } },
      },
    },
    {
      name: 'middle',
      role: 'middle',
      order: 1,
      hosts: { tags: { app: 'shop', tier: 'middle' } },
      traffic: { kind: 'target-group', targetGroups: ['shop-middle'] },
      install: { document: 'Shop-InstallRelease', timeoutSeconds: 900 },
      batch: { maxUnavailable: 1, minHealthyPercent: 50 },
    },
    {
      name: 'web',
      role: 'web',
      order: 2,
      hosts: { tags: { app: 'shop', tier: 'web' } },
      traffic: { kind: 'target-group', targetGroups: ['shop-web'], port: 443 },
      install: { document: 'Shop-InstallRelease' },
      batch: { maxUnavailable: '25%', minHealthyPercent: 75 },
      alarms: ['shop-web-5xx'],
    },
  ],
  validation: { alarms: ['shop-availability'], bakeSeconds: 600 },
};

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

interface Row {
  field: string;
  type: string;
  constraints: string;
  presence: string;
  description: string;
}

interface Section {
  title: string;
  schema: JsonSchema;
  /** The description the schema carries where it is an array's items or a union's member (its own). */
  intro?: string;
  /** The descriptions it carries where it is a field (the field's own, when it has one). */
  fieldDescriptions: Set<string | undefined>;
  usedBy: string[];
}

/** GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens. */
function anchor(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
}

const code = (value: unknown): string => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;

/**
 * Text in a table cell: one line, pipes escaped (GitHub reads `\|` inside code spans too), and
 * `<`, `>` outside code spans as entities, so "<address>" is not taken for an HTML tag.
 */
function cell(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .split('`')
    .map((part, i) => (i % 2 === 0 ? part.replace(/</g, '&lt;').replace(/>/g, '&gt;') : part))
    .join('`')
    .replace(/\|/g, '\\|');
}

class ReferenceWriter {
  private readonly sections = new Map<string, Section>();
  private readonly order: string[] = [];

  /** Registers a titled schema met at `where`; the first meeting fixes its section's place. */
  private link(schema: JsonSchema, where: string, ownDescription: boolean): string {
    const title = schema.title!;
    let section = this.sections.get(title);
    if (!section) {
      section = { title, schema, fieldDescriptions: new Set(), usedBy: [] };
      this.sections.set(title, section);
      this.order.push(title);
    }
    if (ownDescription && schema.description && section.intro === undefined) section.intro = schema.description;
    if (!ownDescription) section.fieldDescriptions.add(schema.description);
    if (!section.usedBy.includes(where)) section.usedBy.push(where);
    return `[${title}](#${anchor(title)})`;
  }

  /** What a value is, in words; titled objects and union members become links to their sections. */
  private typeOf(schema: JsonSchema, where: string, ownDescription = false): string {
    if (schema.title && schema.type === 'object') return this.link(schema, where, ownDescription);
    if (schema.oneOf) return `one of ${schema.oneOf.map((member) => this.typeOf(member, where, true)).join(', ')}`;
    if (schema.anyOf) {
      return schema.anyOf
        .map((member) => {
          // An untitled object in a union (a launch template by name or by ID): its fields inline, their constraints beside the union.
          if (member.type === 'object' && !member.title && member.properties) {
            return code(`{${Object.entries(member.properties).map(([name, field]) => `"${name}": ${typeName(field.type)}`).join(', ')}}`);
          }
          const constraints = describeConstraints(member);
          return `${this.typeOf(member, where, true)}${constraints ? ` (${constraints})` : ''}`;
        })
        .join(', or ');
    }
    if (schema.type === 'array') return `array of ${this.typeOf(schema.items ?? {}, `${where}[]`, true)}`;
    if (schema.type === 'object' && typeof schema.additionalProperties === 'object') {
      return `map of ${this.typeOf(schema.additionalProperties, `${where}.*`, true)}`;
    }
    if (schema.const !== undefined) return code(schema.const);
    if (schema.enum) return schema.enum.map(code).join(' | ');
    return typeName(schema.type);
  }

  /** The rows of an object's fields; untitled nested objects (and arrays of them) are flattened under their parent. */
  private rows(schema: JsonSchema, prefix: string): Row[] {
    const rows: Row[] = [];
    const required = new Set(schema.required ?? []);
    for (const [name, field] of Object.entries(schema.properties ?? {})) {
      const path = `${prefix}${name}`;
      rows.push({
        field: path,
        type: this.typeOf(field, path),
        constraints: describeConstraints(field),
        presence: required.has(name) ? 'required' : field.default !== undefined ? `default ${code(field.default)}` : 'optional',
        description: field.description ?? '',
      });
      if (field.type === 'object' && !field.title && field.properties) rows.push(...this.rows(field, `${path}.`));
      const items = field.items;
      if (field.type === 'array' && items && items.type === 'object' && !items.title && items.properties) rows.push(...this.rows(items, `${path}[].`));
    }
    return rows;
  }

  private table(rows: readonly Row[]): string {
    const lines = ['| Field | Type | Constraints | Required / default | Description |', '|---|---|---|---|---|'];
    for (const r of rows) lines.push(`| ${cell(code(r.field))} | ${cell(r.type)} | ${cell(r.constraints)} | ${cell(r.presence)} | ${cell(r.description)} |`);
    return lines.join('\n');
  }

  render(root: JsonSchema): string {
    const out: string[] = [];
    const rootRows = this.rows(root, '');
    out.push(`## ${root.title ?? 'Environment'}`, '', root.description ?? '', '', this.table(rootRows), '');
    // Sections found while rendering others are rendered after them, in the order first met.
    for (let i = 0; i < this.order.length; i += 1) {
      const section = this.sections.get(this.order[i]!)!;
      const rows = this.rows(section.schema, '');
      out.push(`## ${section.title}`, '');
      // Its own description; else the one every field that uses it shares.
      const shared = section.fieldDescriptions.size === 1 ? [...section.fieldDescriptions][0] : undefined;
      const intro = section.intro ?? shared;
      if (intro) out.push(intro, '');
      out.push(`Used by: ${section.usedBy.map(code).join(', ')}.`, '', this.table(rows), '');
    }
    return out.join('\n');
  }
}

/** `["number", "string"]` reads "number or string". */
function typeName(type: string | string[] | undefined): string {
  if (type === undefined) return 'any';
  return Array.isArray(type) ? type.join(' or ') : type;
}

/** Bounds, lengths, patterns: what the schema checks besides the type. */
function describeConstraints(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.minimum !== undefined && schema.maximum !== undefined && schema.maximum !== MAX_SAFE) parts.push(`${schema.minimum} to ${schema.maximum}`);
  else if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  else if (schema.maximum !== undefined && schema.maximum !== MAX_SAFE) parts.push(`≤ ${schema.maximum}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined) parts.push(`${schema.minLength ?? 0} to ${schema.maxLength ?? '∞'} characters`);
  if (schema.minItems !== undefined || schema.maxItems !== undefined) parts.push(`${schema.minItems ?? 0} to ${schema.maxItems ?? '∞'} entries`);
  if (schema.pattern) parts.push(`matches ${code(schema.pattern)}`);
  if (schema.propertyNames?.pattern) parts.push(`keys match ${code(schema.propertyNames.pattern)}`);
  // The members of a union of untitled objects, field by field.
  for (const member of schema.anyOf ?? []) {
    if (member.type !== 'object' || member.title) continue;
    for (const [name, field] of Object.entries(member.properties ?? {})) {
      const constraints = describeConstraints(field);
      if (constraints) parts.push(`${name}: ${constraints}`);
    }
  }
  // The constraints of an array's entries or a map's values, when they are plain values (objects have their own rows).
  const inner = schema.type === 'array' ? schema.items : typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  if (inner && inner.type !== 'object' && inner.type !== 'array') {
    const each = describeConstraints(inner);
    if (each) parts.push(`${schema.type === 'array' ? 'each' : 'each value'}: ${each}`);
  }
  return parts.join('; ');
}

export function renderReference(schema: JsonSchema = environmentJsonSchema()): string {
  // An example that FleetFlow refuses would teach the wrong shape: check it as a file would be.
  parseEnvironment(EXAMPLE, 'the reference example');
  return [
    '# Environment reference',
    '',
    '<!-- Generated by `npm run docs:env` from lambdas/domain/environment/model.ts (lib/docs/environment-reference.ts). Do not edit: a test fails when this file is stale. -->',
    '',
    'An environment definition is a JSON file (at most 1 MiB) that describes one multi-tier service: its tiers, how each is',
    'released, validated and restored. `npx fleetflow validate --env FILE` checks one; `cdk synth` and every execution check it again.',
    '',
    'Name the JSON Schema in the file, and editors complete and check it as you type:',
    '',
    '```json',
    '{ "$schema": "./environment.schema.json", "name": "shop", "tiers": [] }',
    '```',
    '',
    '([`environments/environment.schema.json`](../environments/environment.schema.json), JSON Schema draft-07; adjust the',
    'relative path when the file lives elsewhere.) The schema checks each field on its own. The rules across fields are checked by',
    '`fleetflow validate` only, and are stated in the descriptions: distinct tier names and orders, at most one data tier,',
    'a `health.command` wherever no target group checks the hosts, a `launch` for a surge, `expectedSeconds` ≤ `timeoutSeconds`,',
    'the selector\'s tag budget, secret-looking parameter values, schedule expressions and time zones, `polling.minSeconds` ≤',
    '`polling.maxSeconds`. Plan Release checks what needs AWS to answer (a drain timeout below a target group\'s deregistration',
    'delay, a plan too large for Step Functions\' quotas) before it changes anything.',
    '',
    'Strings are at most 4,096 characters, nesting at most 16 levels, and the keys `__proto__`, `constructor` and `prototype`',
    'are refused anywhere.',
    '',
    '## Example',
    '',
    'Two host tiers behind target groups and an RDS database (see also `environments/canonical.json`, `environments/surge.json`,',
    '`environments/waves.json`):',
    '',
    '```json',
    JSON.stringify(EXAMPLE, null, 2),
    '```',
    '',
    new ReferenceWriter().render(schema),
  ].join('\n');
}

/** `npm run docs:env`: writes both files. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const schema = environmentJsonSchema();
  writeFileSync(SCHEMA_FILE, renderJsonSchema(schema));
  writeFileSync(REFERENCE_FILE, renderReference(schema));
  process.stdout.write(`wrote ${SCHEMA_FILE}\nwrote ${REFERENCE_FILE}\n`);
}
