/**
 * The logical IDs FleetFlowStack's resources had when the stack built them all as its own
 * children, before the FleetFlow construct grouped them (functions under `Functions`, each
 * workflow's state machine, log group and alarms under `<Workflow>/StateMachine`).
 *
 * A deployed stack must keep them: a state machine or an alarm with a new logical ID but its
 * fixed name would be created a second time, and CloudFormation fails the update ("already
 * exists"). test/infra/fleetflow-construct.test.ts checks the canonical stack's IDs against the
 * flat layout's.
 */
import { createHash } from 'node:crypto';
import type { CfnElement, Stack } from 'aws-cdk-lib';

/** The workflow constructs' IDs in the FleetFlow construct, which were their resources' prefixes. */
const WORKFLOW_IDS = new Set(['Rollout', 'Deploy', 'Allocate', 'ScaleOut', 'Replace', 'RestoreData', 'Recover']);

/** CDK leaves this construct ID out of logical IDs. */
const HIDDEN_ID = 'Default';

/** The path `element` had in the flat layout, relative to the stack; undefined when it is the same. */
export function legacyPath(components: readonly string[]): string[] | undefined {
  const path = components.filter((c) => c !== HIDDEN_ID);
  if (path[0] === 'Functions' && path.length > 1) return path.slice(1);
  const [workflow, machine, child, ...rest] = path;
  if (workflow && WORKFLOW_IDS.has(workflow) && machine === 'StateMachine' && child) {
    if (child === 'Logs') return [`${workflow}Logs`, ...rest];
    // The release workflow's alarms were the first: they carried no prefix.
    if (child.endsWith('Alarm')) return [`${workflow === 'Deploy' ? '' : workflow}${child}`, ...rest];
    return [`${workflow}StateMachine`, child, ...rest];
  }
  return undefined;
}

/** The logical ID `element` had in the flat layout, or undefined when its path did not change. */
export function legacyLogicalId(stack: Stack, element: CfnElement): string | undefined {
  const scopes = element.node.scopes;
  const components = scopes.slice(scopes.indexOf(stack) + 1).map((s) => s.node.id);
  const path = legacyPath(components);
  return path ? makeUniqueId(path) : undefined;
}

/**
 * CDK's logical ID of a path (aws-cdk-lib core/lib/private/uniqueid.ts, not exported): the
 * path's components without `Default`, alphanumerics only, duplicates and `Resource` left out
 * of the readable part, then the first 8 hex digits of the MD5 of the whole path.
 */
export function makeUniqueId(components: readonly string[]): string {
  const path = components.filter((c) => c !== HIDDEN_ID);
  const alphanumeric = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  if (path.length === 1) {
    const candidate = alphanumeric(path[0]!);
    if (candidate.length <= 255) return candidate;
  }
  const hash = createHash('md5').update(path.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const human: string[] = [];
  for (const component of path) if (human.length === 0 || !human[human.length - 1]!.endsWith(component)) human.push(component);
  return (
    human
      .filter((c) => c !== 'Resource')
      .map(alphanumeric)
      .join('')
      .slice(0, 240) + hash
  );
}
