/**
 * A Choice rule's type test asked to be false matches as on AWS ("IsPresent: false" when the
 * variable is absent), though the local engine alone never matches it (lib/simulator/choice-semantics.ts).
 */
import { describe, expect, it } from 'vitest';
import { withFalseTypeTests } from '../../lib/simulator/choice-semantics';
import { sharedStateMachine } from '../../lib/simulator/map-semantics';

const definition = (rule: Record<string, unknown>) => ({
  StartAt: 'Which?',
  States: {
    'Which?': { Type: 'Choice', Choices: [{ ...rule, Next: 'Matched' }], Default: 'Otherwise' },
    Matched: { Type: 'Pass', Result: 'rule', End: true },
    Otherwise: { Type: 'Pass', Result: 'default', End: true },
  },
});

const run = async (rule: Record<string, unknown>, input: unknown) =>
  (await sharedStateMachine(definition(rule) as never).run(input as never).result) as unknown;

describe('type tests asked to be false', () => {
  it.each([
    [{ Variable: '$.item', IsPresent: false }, {}, 'rule'],
    [{ Variable: '$.item', IsPresent: false }, { item: 1 }, 'default'],
    [{ Variable: '$.item', IsString: false }, { item: 1 }, 'rule'],
    [{ Variable: '$.item', IsString: false }, { item: 'x' }, 'default'],
    [{ Variable: '$.item', IsNull: false }, { item: 'x' }, 'rule'],
    [{ And: [{ Variable: '$.a', IsPresent: true }, { Variable: '$.b', IsPresent: false }] }, { a: 1 }, 'rule'],
    [{ And: [{ Variable: '$.a', IsPresent: true }, { Variable: '$.b', IsPresent: false }] }, { a: 1, b: 2 }, 'default'],
  ])('%j on %j takes the %s', async (rule, input, expected) => {
    await expect(run(rule, input)).resolves.toBe(expected);
  });

  it('rewrites only the false tests, into Not of the true one, and leaves the rest as it was', () => {
    const given = definition({ Or: [{ Variable: '$.a', IsPresent: false }, { Variable: '$.b', IsPresent: true }, { Variable: '$.c', NumericEquals: 0 }] });

    const rewritten = withFalseTypeTests(given);

    expect(rewritten.States['Which?'].Choices[0]).toEqual({
      Or: [{ Not: { Variable: '$.a', IsPresent: true } }, { Variable: '$.b', IsPresent: true }, { Variable: '$.c', NumericEquals: 0 }],
      Next: 'Matched',
    });
    expect(rewritten.States.Matched).toEqual(given.States.Matched);
  });
});
