/**
 * Corrects one behaviour of aws-local-stepfunctions to match AWS Step Functions: a type test
 * asked to be false. AWS's Choice rules "IsNull, IsPresent, IsNumeric, IsString, IsBoolean,
 * IsTimestamp" each take true or false ("IsPresent: false" matches when the variable is absent;
 * Amazon States Language, Choice Rules, "Type tests"). The local engine evaluates
 * `IsPresent && value !== undefined`, so a rule with `false` never matches, and an execution takes
 * the Default where AWS takes the rule (the lock's "Lock Still Held?" read a vanished lock item as
 * a malformed one). Each such rule is rewritten, before the engine reads the definition, into the
 * rule AWS treats the same: `Not` of the test with `true`.
 */
const TYPE_TESTS = ['IsNull', 'IsPresent', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'] as const;

type Json = unknown;

/** `definition` with every `{Variable, IsX: false}` Choice rule as `{Not: {Variable, IsX: true}}`; nothing else changed. */
export function withFalseTypeTests<T>(definition: T): T {
  return rewrite(definition) as T;
}

function rewrite(value: Json): Json {
  if (Array.isArray(value)) return value.map(rewrite);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, Json>;
  const test = TYPE_TESTS.find((name) => object[name] === false);
  if (test && typeof object.Variable === 'string') {
    const { Variable, [test]: _false, ...rest } = object;
    return { ...rest, Not: { Variable, [test]: true } };
  }
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, rewrite(inner)]));
}
