/**
 * The planners' reader of the stored environment (lambdas/domain/environment/stored.ts): what
 * synth stores comes back exactly as the full validation returned it, without zod, and a
 * document synth would not have written is refused, naming what is wrong.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile, parseEnvironment, readEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { readStoredEnvironment } from '../../../lambdas/domain/environment/stored';
import { environmentOf } from '../../../lambdas/shared/provision-plan';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';

const ENVIRONMENTS = fileURLToPath(new URL('../../../environments/', import.meta.url));
const FILES = readdirSync(ENVIRONMENTS).filter((f) => f.endsWith('.json') && f !== 'environment.schema.json');
const canonical = loadEnvironmentFile(`${ENVIRONMENTS}canonical.json`);

/** What the template stores for a definition: synth's validated definition as JSON text (statemachines/constructs/stored-environment.ts). */
const stored = (definition: unknown): string => JSON.stringify(definition);

describe('readStoredEnvironment', () => {
  it.each(FILES)('reads %s as stored exactly as the full validation returned it, and validating it again changes nothing', (file) => {
    const validated = loadEnvironmentFile(`${ENVIRONMENTS}${file}`);

    const read = readStoredEnvironment(stored(validated));

    expect(read).toEqual(validated);
    // What zod would have returned at run time: the stored definition is a fixed point of the validation.
    expect(parseEnvironment(read)).toEqual(read);
  });

  it('takes the definition as an object too', () => {
    expect(readStoredEnvironment(structuredClone(canonical))).toEqual(canonical);
  });

  it.each([
    ['an environment file as it is ($schema kept, defaults not filled in)', () => stored(readEnvironmentFile(`${ENVIRONMENTS}canonical.json`)), '$schema is present'],
    ['text that is not JSON', () => '{"name": ', 'not JSON'],
    ['a JSON list', () => '[]', 'not an object'],
    ['text longer than a definition', () => ' '.repeat(1024 * 1024 + 1), 'characters, more than'],
    ['a definition without its polling (a default synth fills in)', () => stored({ ...canonical, polling: undefined }), 'polling is missing'],
    ['a definition with no tiers', () => stored({ ...canonical, tiers: [] }), 'tiers is not a list of tiers'],
    ['a tier of an unknown role', () => stored({ ...canonical, tiers: [{ ...canonical.tiers[0]!, role: 'cache' }] }), 'tiers[0].role is not a tier role'],
    ['a host tier without its batch', () => stored({ ...canonical, tiers: canonical.tiers.map((t) => (t.role === 'data' ? t : { ...t, batch: undefined })) }), 'lacks hosts, batch'],
  ])('refuses %s, naming what is wrong', (_label, document, problem) => {
    const act = () => readStoredEnvironment(document());

    expect(act).toThrow('environment: the stored definition is not what synth writes (');
    expect(act).toThrow(problem);
  });

  it('is refused by environmentOf as InvalidInputError, the error a planner fails with before anything is read', () => {
    const act = () => environmentOf('[]');

    expect(act).toThrow(InvalidInputError);
    expect(act).toThrow('environment: the stored definition is not what synth writes (not an object)');
  });
});
