/**
 * The stack is region- and account-agnostic unless the environment definition names a
 * `region` (and optionally an `account`): bin/app.ts passes `stackEnv(definition)`, never
 * the synthesizing machine's CDK_DEFAULT_REGION, so the template names no region of its own.
 */
import { Token } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvironment } from '../../lambdas/domain/environment/parse';
import { stackEnv } from '../../lib/stack-env';
import { canonicalEnvironment, synthesizeCanonical, type SynthesizedCanonical } from './support';

/**
 * Region-shaped text: two letters, optional `-gov`, a word, a number (`eu-west-1`,
 * `us-gov-west-1`), standing alone, so `canonical-middle-5xx` is not one.
 */
const REGION_LIKE = /(?<![A-Za-z0-9])[a-z]{2}(?:-gov)?-[a-z]+-\d+(?![A-Za-z0-9])/g;

/** Every string value in a JSON document (object keys are names, not values). */
function stringValues(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringValues(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) stringValues(v, out);
  return out;
}

/**
 * Known region text that is not a pinned region: the `cdk synth` CLI adds a CDKMetadata
 * resource with a condition listing the regions it is available in, compared against
 * AWS::Region at deploy time. (Tests synthesize without version reporting, so it is absent.)
 */
const REGION_AGNOSTIC_CONDITIONS = new Set(['CDKMetadataAvailable']);

function regionLikeStrings(template: { Conditions?: Record<string, unknown> } & object): string[] {
  const conditions = Object.fromEntries(Object.entries(template.Conditions ?? {}).filter(([id]) => !REGION_AGNOSTIC_CONDITIONS.has(id)));
  const values = stringValues({ ...template, Conditions: conditions });
  return [...new Set(values.flatMap((s) => [...s.matchAll(REGION_LIKE)].map((m) => m[0])))];
}

describe('the canonical environment, which names no region', () => {
  let synth: SynthesizedCanonical;

  beforeAll(() => {
    const environment = canonicalEnvironment();
    synth = synthesizeCanonical({ environment, env: stackEnv(parseEnvironment(environment)) ?? null });
  });
  afterAll(() => synth?.cleanup());

  it('gets no env from its definition', () => {
    // Assess
    expect(stackEnv(parseEnvironment(canonicalEnvironment()))).toBeUndefined();
  });

  it('synthesizes a stack whose region and account are deploy-time tokens', () => {
    // Assess
    expect(Token.isUnresolved(synth.stack.region)).toBe(true);
    expect(Token.isUnresolved(synth.stack.account)).toBe(true);
  });

  it('names no literal region anywhere in the template', () => {
    // Act
    const found = regionLikeStrings(synth.json);

    // Assess
    expect(found).toEqual([]);
  });

  it('builds its ARNs from the AWS::Region and AWS::Partition pseudo parameters', () => {
    // Act
    const text = JSON.stringify(synth.json);

    // Assess
    expect(text).toContain('{"Ref":"AWS::Region"}');
    expect(text).toContain('{"Ref":"AWS::Partition"}');
    expect(text).not.toMatch(/arn:aws:[a-z0-9-]+:[a-z]{2}-/);
  });
});

describe('an environment that names its region', () => {
  let synth: SynthesizedCanonical;
  const environment = { ...canonicalEnvironment(), region: 'eu-central-1', account: '210987654321' };

  beforeAll(() => {
    synth = synthesizeCanonical({ environment, env: stackEnv(parseEnvironment(environment)) ?? null });
  });
  afterAll(() => synth?.cleanup());

  it('pins the stack to that region and account', () => {
    // Assess
    expect(synth.stack.region).toBe('eu-central-1');
    expect(synth.stack.account).toBe('210987654321');
    expect(regionLikeStrings(synth.json)).toEqual(['eu-central-1']);
  });

  it('pins only the region when no account is named', () => {
    // Act
    const env = stackEnv(parseEnvironment({ ...canonicalEnvironment(), region: 'us-gov-west-1' }));

    // Assess
    expect(env).toEqual({ region: 'us-gov-west-1' });
  });

  it.each([
    ['region', 'EU-WEST-1'],
    ['region', 'europe'],
    ['account', '12345'],
    ['account', 123456789012],
  ])('refuses %s %j', (field, value) => {
    // Act
    const act = () => parseEnvironment({ ...canonicalEnvironment(), [field]: value });

    // Assess
    expect(act).toThrow(field);
  });
});
