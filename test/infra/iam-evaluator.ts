/**
 * A small IAM policy evaluator for the infrastructure tests: does a role's identity policy
 * allow one request (an action on one resource, with its condition keys)? It implements the
 * parts of the policy evaluation logic the synthesized template uses, with their documented
 * semantics (IAM User Guide, "Policy evaluation logic" and "IAM JSON policy elements: Condition
 * operators"):
 * - an explicit Deny overrides any Allow; without a matching Allow the request is denied;
 * - actions match case-insensitively, with `*` and `?` wildcards; resources match with `*`
 *   and `?` (case-sensitive, as ARNs are compared);
 * - every condition operator of a statement must hold, every key of an operator must hold, and
 *   a key holds when the request's value matches any of the statement's values;
 * - a key missing from the request fails every operator but `Null` (true when it is missing)
 *   and `ForAllValues:` (true for a missing or empty key set); `ForAnyValue:` needs one value.
 * Condition key names are case-insensitive; values are case-sensitive except `Bool`'s.
 * An operator it does not know fails the test, rather than being treated as true or false.
 */
import { grantsAction, renderValue, resourceCovers, type PolicyStatement } from './support';

/** One request: what IAM authorizes, once per resource the API call touches. */
export interface IamRequest {
  readonly action: string;
  /** The resource's ARN, rendered as `renderValue` renders the template's (`arn:${AWS::Partition}:...`). */
  readonly resource: string;
  /** The request context's condition keys: a string, a boolean, or a list for multivalued keys (aws:TagKeys). */
  readonly context?: Readonly<Record<string, string | boolean | readonly string[]>>;
}

export type Decision = 'allowed' | 'explicitly denied' | 'implicitly denied';

/** The decision for the request against the statements of one identity policy set. */
export function evaluate(statements: readonly PolicyStatement[], request: IamRequest): Decision {
  const matching = statements.filter((s) => statementApplies(s, request));
  if (matching.some((s) => s.Effect === 'Deny')) return 'explicitly denied';
  return matching.some((s) => s.Effect === 'Allow') ? 'allowed' : 'implicitly denied';
}

export const isAllowed = (statements: readonly PolicyStatement[], request: IamRequest): boolean => evaluate(statements, request) === 'allowed';

/** Whether the statement's action, resource and every condition match the request. */
export function statementApplies(statement: PolicyStatement, request: IamRequest): boolean {
  const raw = statement as PolicyStatement & { NotAction?: unknown; NotResource?: unknown };
  if (raw.NotAction !== undefined || raw.NotResource !== undefined) throw new Error('NotAction/NotResource are not modelled by this evaluator');
  if (!grantsAction(statement, request.action)) return false;
  if (!statement.Resource.some((pattern) => resourceCovers(pattern, request.resource))) return false;
  return Object.entries(statement.Condition ?? {}).every(([operator, keys]) => operatorHolds(operator, keys, request.context ?? {}));
}

type Context = Readonly<Record<string, string | boolean | readonly string[]>>;

function contextValue(context: Context, key: string): string | boolean | readonly string[] | undefined {
  const found = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : context[found];
}

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

function glob(pattern: string, value: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}

const MATCHERS: Record<string, (policyValue: string, requestValue: string) => boolean> = {
  StringEquals: (p, v) => p === v,
  StringLike: glob,
  ArnEquals: (p, v) => p === v,
  ArnLike: glob,
};

function operatorHolds(operator: string, keys: Record<string, unknown>, context: Context): boolean {
  return Object.entries(keys).every(([key, policyValues]) => {
    const wanted = asList(policyValues).map(renderValue);
    const value = contextValue(context, key);
    if (operator === 'Null') {
      const missing = value === undefined || (Array.isArray(value) && value.length === 0);
      return wanted.every((w) => (w.toLowerCase() === 'true' ? missing : !missing));
    }
    if (operator === 'Bool') {
      if (value === undefined || Array.isArray(value)) return false;
      return wanted.some((w) => w.toLowerCase() === String(value).toLowerCase());
    }
    const [qualifier, base] = operator.includes(':') ? operator.split(':') : [undefined, operator];
    const match = MATCHERS[base!];
    if (!match) throw new Error(`condition operator ${operator} is not modelled by this evaluator`);
    if (qualifier === 'ForAllValues') {
      // "ForAllValues ... returns true if every key value in the request matches ... or if the key is not present" (or empty).
      const values = value === undefined ? [] : asList(value).map(String);
      return values.every((v) => wanted.some((w) => match(w, v)));
    }
    if (qualifier === 'ForAnyValue') {
      const values = value === undefined ? [] : asList(value).map(String);
      return values.some((v) => wanted.some((w) => match(w, v)));
    }
    if (qualifier !== undefined) throw new Error(`condition operator ${operator} is not modelled by this evaluator`);
    if (value === undefined) return false;
    if (Array.isArray(value)) throw new Error(`${key} is multivalued: use ForAllValues or ForAnyValue`);
    return wanted.some((w) => match(w, String(value)));
  });
}

/** A copy of the statements with one condition operator (or one key of it) removed: the grant broadened. */
export function broadened(statements: readonly PolicyStatement[], operator: string, key?: string): PolicyStatement[] {
  return statements.map((s) => {
    if (!s.Condition?.[operator]) return s;
    const condition = { ...s.Condition };
    if (key === undefined) delete condition[operator];
    else {
      const rest = { ...condition[operator] };
      delete rest[key];
      if (Object.keys(rest).length === 0) delete condition[operator];
      else condition[operator] = rest;
    }
    return { ...s, Condition: condition };
  });
}
