/**
 * AWS's own rules for what FleetFlow passes to an API, applied when a definition is validated
 * (`fleetflow validate`, synth, every planner), so that a definition AWS would refuse, or that
 * IAM would authorize under another name, never reaches a workflow. See docs/aws-behaviour.md.
 */
import { LAUNCH_GROUP_TAG, LAUNCH_SCOPE_TAG, REPLACES_TAG, LAUNCHED_BY_TAG, RETIRED_TAGS, INSTALL_SENT_TAGS, OUT_OF_TRAFFIC_TAG, PREVIOUS_RELEASE_TAG, RELEASE_TAG, DATABASE_SENT_TAG, DATABASE_TAG } from '../contract/tags';

/**
 * "Maximum number of tags per resource – 50" (EC2 User Guide, Tag your Amazon EC2 resources, Tag restrictions).
 * An instance's tags are the tier's selector, FleetFlow's own and whatever else people put there.
 */
export const EC2_TAGS_PER_RESOURCE = 50;

/**
 * Every tag key FleetFlow writes on an instance: at launch (RunInstances TagSpecifications), at
 * release (install records, the out-of-traffic marker), at retirement and when a host is
 * repointed to another database. A host may carry all of them at once (a surge host, retired,
 * in the middle of a repoint), so the budget counts them all.
 */
export const FLEETFLOW_INSTANCE_TAG_KEYS: readonly string[] = [
  LAUNCHED_BY_TAG,
  LAUNCH_GROUP_TAG,
  LAUNCH_SCOPE_TAG,
  REPLACES_TAG,
  RELEASE_TAG,
  PREVIOUS_RELEASE_TAG,
  ...INSTALL_SENT_TAGS,
  OUT_OF_TRAFFIC_TAG,
  ...RETIRED_TAGS,
  DATABASE_TAG,
  DATABASE_SENT_TAG,
];

/** The most selector tags a tier may name: what EC2's 50 leaves beside FleetFlow's own. */
export const MAX_SELECTOR_TAGS = EC2_TAGS_PER_RESOURCE - FLEETFLOW_INSTANCE_TAG_KEYS.length;

/** The problem with a tier's selector tags, by the tag budget of an instance, or undefined. */
export function instanceTagBudgetProblem(selectorKeys: readonly string[]): string | undefined {
  const total = new Set([...selectorKeys, ...FLEETFLOW_INSTANCE_TAG_KEYS]).size;
  if (total <= EC2_TAGS_PER_RESOURCE) return undefined;
  return (
    `names ${selectorKeys.length} tags, and FleetFlow writes up to ${FLEETFLOW_INSTANCE_TAG_KEYS.length} of its own on an instance at launch and at release ` +
    `(fleetflow:launched-by, fleetflow:release, fleetflow:out-of-traffic, ...): ${total}, over EC2's ${EC2_TAGS_PER_RESOURCE} tags per instance; name at most ${MAX_SELECTOR_TAGS}`
  );
}

/** RDS DB instance identifiers: "Must contain from 1 to 63 letters, numbers, or hyphens" (CreateDBInstance). */
export const RDS_IDENTIFIER_MAX_CHARS = 63;

/**
 * The problem with an RDS DB instance identifier, or undefined. CreateDBInstance: "Must contain
 * from 1 to 63 letters, numbers, or hyphens. First character must be a letter. Can't end with a
 * hyphen or contain two consecutive hyphens", and "This parameter is stored as a lowercase
 * string": RDS (and so IAM, which authorizes `db:<identifier>` as RDS stores it) knows
 * `Canonical-DB` as `canonical-db`, so capitals are refused rather than granted under a name
 * no request would carry.
 */
export function rdsInstanceIdentifierProblem(identifier: string): string | undefined {
  const rule = 'RDS DB instance identifier rules: 1-63 letters, digits or hyphens, a letter first, no two hyphens in a row, no hyphen at the end';
  if (identifier.length < 1 || identifier.length > RDS_IDENTIFIER_MAX_CHARS) return `must be 1-${RDS_IDENTIFIER_MAX_CHARS} characters (${rule})`;
  if (!/^[a-zA-Z]/.test(identifier)) return `must begin with a letter (${rule})`;
  if (!/^[a-zA-Z0-9-]+$/.test(identifier)) return `must contain only letters, digits and hyphens (${rule})`;
  if (identifier.includes('--')) return `must not contain two consecutive hyphens (${rule})`;
  if (identifier.endsWith('-')) return `must not end with a hyphen (${rule})`;
  if (identifier !== identifier.toLowerCase()) {
    return `must be lowercase: RDS stores DB instance identifiers as lowercase strings and IAM authorizes them so; write "${identifier.toLowerCase()}"`;
  }
  return undefined;
}
