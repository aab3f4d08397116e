/**
 * The environment definition, stored once in the template and read by every planner task.
 *
 * Each workflow's planner receives the whole definition in its payload. Written into each
 * definition, it was one copy per state machine (six), about 1.4 KB per host tier each: most
 * of what a tier added to the template. It is kept once instead, in the template's Mappings
 * (`FleetFlowEnvironment`), and each definition names it with Fn::FindInMap, which
 * CloudFormation resolves inside the Fn::Join of a DefinitionString ("Fn::Join: supported
 * functions", CloudFormation User Guide). The payload a planner receives is unchanged: the
 * definition as an object, exactly as before.
 *
 * CDK renders a string token in a definition between quotes; an Aspect takes the quotes
 * around this one away, so the mapped text (the definition as JSON) is the object itself.
 */
import { Aspects, CfnMapping, Stack, type IAspect } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct, IConstruct } from 'constructs';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';

/** The mapping's logical ID (the first of a stack), and the keys under which the definition's JSON is kept. */
export const ENVIRONMENT_MAPPING = 'FleetFlowEnvironment';
export const ENVIRONMENT_MAPPING_KEYS = ['environment', 'definition'] as const;

/** Per stack, the definitions stored (by their JSON) and the mappings that hold them. */
const stored = new WeakMap<Stack, { readonly values: Map<string, string>; readonly mappings: Set<string> }>();

/**
 * The value to put in a task's payload where the environment definition goes: the same JSON
 * object at run time, stored once per stack and definition (a stack with two FleetFlow
 * environments holds two mappings, `FleetFlowEnvironment` and `FleetFlowEnvironment2`).
 */
export function storedEnvironment(scope: Construct, environment: EnvironmentDefinition): unknown {
  const stack = Stack.of(scope);
  const json = JSON.stringify(environment);
  const inStack = stored.get(stack) ?? { values: new Map<string, string>(), mappings: new Set<string>() };
  if (!stored.has(stack)) {
    stored.set(stack, inStack);
    Aspects.of(stack).add(new UnquoteStoredEnvironment(inStack.mappings));
  }
  const existing = inStack.values.get(json);
  if (existing) return existing;
  const id = `${ENVIRONMENT_MAPPING}${inStack.mappings.size === 0 ? '' : inStack.mappings.size + 1}`;
  const mapping = new CfnMapping(stack, id, { mapping: { [ENVIRONMENT_MAPPING_KEYS[0]]: { [ENVIRONMENT_MAPPING_KEYS[1]]: json } } });
  const value = mapping.findInMap(...ENVIRONMENT_MAPPING_KEYS);
  inStack.mappings.add(stack.resolve(mapping.logicalId) as string);
  inStack.values.set(json, value);
  return value;
}

/** Whether a resolved value is an Fn::FindInMap of one of the stack's stored definitions. */
function isStoredReference(part: unknown, mappings: ReadonlySet<string>): boolean {
  const args = (part as { 'Fn::FindInMap'?: unknown[] } | null)?.['Fn::FindInMap'];
  return Array.isArray(args) && mappings.has(String(args[0])) && args[1] === ENVIRONMENT_MAPPING_KEYS[0] && args[2] === ENVIRONMENT_MAPPING_KEYS[1];
}

/**
 * In every state machine's DefinitionString, the quotes CDK put around the stored definition
 * are taken away: `"environment":"` + FindInMap + `"` becomes `"environment":` + FindInMap.
 */
class UnquoteStoredEnvironment implements IAspect {
  constructor(private readonly mappings: ReadonlySet<string>) {}

  visit(node: IConstruct): void {
    if (!(node instanceof sfn.CfnStateMachine) || node.definitionString === undefined) return;
    const resolved = Stack.of(node).resolve(node.definitionString) as unknown;
    const join = (resolved as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
    if (!join || join[0] !== '' || !join[1].some((part) => isStoredReference(part, this.mappings))) return;
    const parts = [...join[1]];
    parts.forEach((part, i) => {
      if (!isStoredReference(part, this.mappings)) return;
      const before = parts[i - 1];
      const after = parts[i + 1];
      if (typeof before !== 'string' || !before.endsWith('"') || typeof after !== 'string' || !after.startsWith('"')) {
        throw new Error(`${node.node.path}: the stored environment definition is not a whole JSON value in the definition`);
      }
      parts[i - 1] = before.slice(0, -1);
      parts[i + 1] = after.slice(1);
    });
    node.addPropertyOverride('DefinitionString', { 'Fn::Join': ['', parts] });
  }
}
