/**
 * The environment definition, stored once in the template and read by every planner task.
 *
 * Each workflow's planner receives the whole definition in its payload. Written into each
 * definition, it was one copy per state machine (six), about 1.4 KB per host tier each: most
 * of what a tier added to the template. It is kept once instead, in the template's Mappings
 * (`FleetFlowEnvironment`), and each definition names it with Fn::FindInMap (mapping values
 * "can be of type String or List", CloudFormation User Guide), as one of its
 * DefinitionSubstitutions (lib/constructs/substituted-definition.ts).
 *
 * The mapped value is the definition's JSON text escaped as the inside of a JSON string: the
 * substitution replaces its placeholder, between the quotes of a JSON string, as text. So
 * the task's payload holds it as a string and the planner parses it (lambdas/domain/environment/
 * parse.ts, `parseEnvironmentPayload`). The definition is left exactly as CDK renders it: an
 * earlier version took the quotes away in an Aspect, which resolved the definition before CDK
 * turned cross-stack references (a topic or bus of another stack) into imports, and so left
 * references to resources the template does not have.
 */
import { CfnMapping, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';

/** The mapping's logical ID (the first of a stack), and the keys under which the definition's JSON is kept. */
export const ENVIRONMENT_MAPPING = 'FleetFlowEnvironment';
export const ENVIRONMENT_MAPPING_KEYS = ['environment', 'definition'] as const;

/** Per stack, the definitions stored (by their JSON) and how many mappings hold them. */
const stored = new WeakMap<Stack, Map<string, string>>();

/**
 * The value to put in a task's payload where the environment definition goes: at run time a
 * string holding the definition's JSON, stored once per stack and definition (a stack with two
 * FleetFlow environments holds two mappings, `FleetFlowEnvironment` and `FleetFlowEnvironment2`).
 */
export function storedEnvironment(scope: Construct, environment: EnvironmentDefinition): string {
  const stack = Stack.of(scope);
  const json = JSON.stringify(environment);
  const inStack = stored.get(stack) ?? new Map<string, string>();
  stored.set(stack, inStack);
  const existing = inStack.get(json);
  if (existing) return existing;
  const id = `${ENVIRONMENT_MAPPING}${inStack.size === 0 ? '' : inStack.size + 1}`;
  // CDK renders a string token in the definition between quotes: the text goes in as a JSON string's inside.
  const escaped = JSON.stringify(json).slice(1, -1);
  const mapping = new CfnMapping(stack, id, { mapping: { [ENVIRONMENT_MAPPING_KEYS[0]]: { [ENVIRONMENT_MAPPING_KEYS[1]]: escaped } } });
  const value = mapping.findInMap(...ENVIRONMENT_MAPPING_KEYS);
  inStack.set(json, value);
  return value;
}
