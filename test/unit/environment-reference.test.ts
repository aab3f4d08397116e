/**
 * The generated environment reference: the JSON Schema and docs/environment.md are what the
 * zod model generates today, every environment file names the schema and passes it, and the
 * schema refuses what parseEnvironment refuses field by field. The schema is checked with Ajv,
 * a JSON Schema validator that knows nothing of zod, as an editor would read it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { EXAMPLE, REFERENCE_FILE, renderJsonSchema, renderReference, SCHEMA_FILE } from '../../lib/docs/environment-reference';
import { InvalidEnvironmentError } from '../../lambdas/domain/environment/errors';
import { parseEnvironment } from '../../lambdas/domain/environment/parse';

const ENVIRONMENTS_DIR = fileURLToPath(new URL('../../environments/', import.meta.url));
const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Every environment definition in the repository, by path: the examples and the test fixtures. */
const DEFINITION_FILES = [
  ...readdirSync(ENVIRONMENTS_DIR)
    .filter((file) => file.endsWith('.json') && file !== 'environment.schema.json')
    .map((file) => resolve(ENVIRONMENTS_DIR, file)),
  ...readdirSync(FIXTURES_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => resolve(FIXTURES_DIR, file)),
];

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const canonical = () => readJson(resolve(ENVIRONMENTS_DIR, 'canonical.json')) as Record<string, any>;

// allErrors: report every problem, as an editor underlines them all.
const validate = new Ajv({ allErrors: true }).compile(readJson(SCHEMA_FILE));

describe('the generated environment reference', () => {
  it('commits the JSON Schema that the model generates (run `npm run docs:env` after changing lib/environment/model.ts)', () => {
    // Prepare
    const committed = readFileSync(SCHEMA_FILE, 'utf8');

    // Act
    const generated = renderJsonSchema();

    // Assess
    expect(committed).toBe(generated);
  });

  it('commits the reference page that the model generates (run `npm run docs:env` after changing lib/environment/model.ts)', () => {
    expect(readFileSync(REFERENCE_FILE, 'utf8')).toBe(renderReference());
  });

  it('documents every field of the schema in the reference page', () => {
    // Prepare: every property name the schema declares, at any depth.
    const names = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const properties = (node as { properties?: Record<string, unknown> }).properties;
        if (properties) Object.keys(properties).forEach((name) => names.add(name));
        Object.values(node).forEach(walk);
      }
    };
    walk(readJson(SCHEMA_FILE));
    const page = readFileSync(REFERENCE_FILE, 'utf8');

    // Act
    const undocumented = [...names].filter((name) => !new RegExp(`\\| \`([\\w$.\\[\\]]*\\.)?${name.replace('$', '\\$')}\` \\|`).test(page));

    // Assess
    expect(names.size).toBeGreaterThan(50);
    expect(undocumented).toEqual([]);
  });
});

describe('environment files and the JSON Schema', () => {
  it.each(DEFINITION_FILES)('%s names the generated schema, which accepts it, and so does parseEnvironment', (path) => {
    // Prepare
    const raw = readJson(path);

    // Act
    const valid = validate(raw);

    // Assess
    expect(typeof raw.$schema).toBe('string');
    expect(resolve(dirname(path), raw.$schema as string)).toBe(SCHEMA_FILE);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(() => parseEnvironment(raw, path)).not.toThrow();
  });

  it('accepts the example of the reference page', () => {
    expect(validate(EXAMPLE)).toBe(true);
  });

  it('ignores $schema when parsing: the definition is the same with or without it', () => {
    // Prepare
    const withSchema = canonical();
    const { $schema: _schema, ...withoutSchema } = withSchema;

    // Act
    const parsed = parseEnvironment(withSchema);

    // Assess
    expect(withSchema.$schema).toBe('./environment.schema.json');
    expect(parsed).not.toHaveProperty('$schema');
    expect(parsed).toEqual(parseEnvironment(withoutSchema));
  });

  const BAD: readonly { why: string; field: string; spoil: (env: Record<string, any>) => void }[] = [
    { why: 'an unknown top-level field', field: 'colour', spoil: (env) => (env.colour = 'blue') },
    { why: 'a $schema that is not a string', field: '$schema', spoil: (env) => (env.$schema = 7) },
    { why: 'no tiers', field: 'tiers', spoil: (env) => (env.tiers = []) },
    { why: 'a tier role FleetFlow does not know', field: 'tiers[1]', spoil: (env) => (env.tiers[1].role = 'cache') },
    { why: 'a host tier without its install', field: 'tiers[1].install', spoil: (env) => delete env.tiers[1].install },
    { why: 'a misspelt field in a tier', field: 'tiers[1]: Unrecognized key: "instal"', spoil: (env) => (env.tiers[1].instal = env.tiers[1].install) },
    { why: 'a traffic kind FleetFlow does not know', field: 'tiers[1].traffic', spoil: (env) => (env.tiers[1].traffic = { kind: 'dns' }) },
    { why: 'a batch cap over 100%', field: 'tiers[1].batch.maxUnavailable', spoil: (env) => (env.tiers[1].batch.maxUnavailable = '150%') },
    { why: 'a minimum healthy share of 100%', field: 'tiers[1].batch.minHealthyPercent', spoil: (env) => (env.tiers[1].batch.minHealthyPercent = 100) },
    { why: 'a launch template at $Latest', field: 'tiers[1].launch.version', spoil: (env) => (env.tiers[1].launch.version = '$Latest') },
    { why: 'a command timeout over 2 h', field: 'tiers[1].install.timeoutSeconds', spoil: (env) => (env.tiers[1].install.timeoutSeconds = 7_201) },
    { why: 'a bake of a fractional second', field: 'validation.bakeSeconds', spoil: (env) => (env.validation = { bakeSeconds: 1.5 }) },
    { why: '21 tiers', field: 'tiers', spoil: (env) => (env.tiers = Array.from({ length: 21 }, () => env.tiers[1])) },
  ];

  it.each(BAD)('refuses $why, in the schema and in parseEnvironment', ({ field, spoil }) => {
    // Prepare
    const env = canonical();
    expect(env.tiers[1].role).toBe('middle');
    spoil(env);

    // Act
    const valid = validate(env);
    const parse = () => parseEnvironment(env, 'spoiled.json');

    // Assess
    expect(valid).toBe(false);
    expect(parse).toThrow(InvalidEnvironmentError);
    expect(parse).toThrow(field);
  });

  it('leaves the rules across fields to parseEnvironment: two tiers of one name pass the schema and are refused', () => {
    // Prepare: the web tier renamed as the middle tier.
    const env = canonical();
    const web = env.tiers.findIndex((tier: { name: string }) => tier.name === 'web');
    env.tiers[web].name = 'middle';

    // Act
    const valid = validate(env);

    // Assess: the reference says so; an editor cannot see it, `fleetflow validate` does.
    expect(valid).toBe(true);
    expect(() => parseEnvironment(env)).toThrow(`tiers[${web}].name: duplicate tier name`);
  });
});
