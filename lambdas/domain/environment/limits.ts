/**
 * FleetFlow's size bounds, without the zod model: model.ts builds its schemas when it is loaded,
 * so a Lambda that imported LIMITS from it would bundle zod and the whole schema. model.ts
 * re-exports them.
 */
import { EC2_TAGS_PER_RESOURCE } from './aws-names';

/**
 * Sizes FleetFlow bounds, so that every call it makes fits AWS's per-call limits and
 * nothing it does grows faster than the definition.
 */
export const LIMITS = {
  /** Tiers of an environment. */
  tiers: 20,
  /**
   * Tags of a host selector: EC2 allows 50 tags per resource, so a selector of more
   * matches no instance (and FleetFlow's own tags lower that further: `aws-names.ts`);
   * DescribeInstances takes 200 filter values per call (one per tag, plus the instance
   * state), 255 characters each.
   */
  selectorTags: EC2_TAGS_PER_RESOURCE,
  tagValueChars: 255,
  /** Alarms of a tier, and of the validation: one DescribeAlarms call takes 100 names. */
  tierAlarms: 100,
  validationAlarms: 100,
  alarmPrefixes: 10,
  /** Parameters of one SSM command, and values of one parameter. */
  commandParameters: 50,
  parameterValues: 16,
  releaseWindows: 10,
  /** An environment definition, as JSON (file or object). */
  definitionBytes: 1024 * 1024,
  /** Subnets of a tier's launch (one per Availability Zone is usual). */
  launchSubnets: 16,
  /** Instance types tried in order when EC2 has no capacity for the template's type. */
  instanceTypeOverrides: 10,
  /** SSM documents run once on a new host before it gets the release. */
  prerequisites: 10,
  /** Hosts one allocate, scale-out or replacement may launch per tier. */
  launchPerTier: 5_000,
} as const;
