/**
 * The execution input of replace-database, checked by Plan Replace Database before anything
 * changes (and by the CLI before anything runs):
 *
 *   { "instanceClass"?: "db.m6g.xlarge", "allocatedStorage"?: 200, "engineVersion"?: "16.6",
 *     "parameterGroup"?: "canonical-postgres17", "switchoverTimeoutSeconds"?: 300, "maxLagSeconds"?: 5,
 *     "runId"?: "2026-12-07" }
 *
 * What is left out stays as the current instance has it. Free of side effects (no SDK client, no logger).
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { formatPath, prototypeKeyPath, showValue, withoutParentMarker } from './environment/input-guards';
import { InvalidInputError } from './contract/errors';

z.config(en());

/**
 * SwitchoverBlueGreenDeployment's SwitchoverTimeout: "You can specify a switchover timeout period
 * between 30 seconds and 3,600 seconds (one hour)" and "The default timeout period is 300 seconds
 * (five minutes)" (RDS User Guide, Switching a blue/green deployment, Switchover timeout).
 */
export const SWITCHOVER_TIMEOUT = { min: 30, max: 3600, default: 300 } as const;
/** The replica lag, in seconds, below which the switchover is asked for (ReplicaLag, the CloudWatch metric, is in seconds). */
export const DEFAULT_MAX_LAG_SECONDS = 5;

const replaceDatabaseInput = z.strictObject({
  /** The green instance's class ("db.<family>.<size>"); default: the current one's. */
  instanceClass: z.optional(z.string().check(z.regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be a DB instance class such as "db.m6g.xlarge"'))),
  /** The green instance's storage in GiB (20-65536; RDS cannot shrink storage, so at least the current); default: the current one's. */
  allocatedStorage: z.optional(z.int().check(z.minimum(20), z.maximum(65_536))),
  /** The green instance's engine version (not lower than the current); default: the current one's. */
  engineVersion: z.optional(z.string().check(z.regex(/^[0-9][0-9a-z.-]{0,30}$/, 'must be an engine version such as "16.6"'))),
  /**
   * The green's DB parameter group (CreateBlueGreenDeployment's TargetDBParameterGroupName); default: the
   * blue's. A major version upgrade needs one of the new version's family (Plan Replace Database refuses without).
   */
  parameterGroup: z.optional(z.string().check(z.regex(/^[a-zA-Z][a-zA-Z0-9-]{0,254}$/, 'must be a DB parameter group name: a letter, then letters, digits or "-", at most 255'))),
  switchoverTimeoutSeconds: z._default(z.int().check(z.minimum(SWITCHOVER_TIMEOUT.min), z.maximum(SWITCHOVER_TIMEOUT.max)), SWITCHOVER_TIMEOUT.default),
  /** The switchover is asked for only once the green's ReplicaLag is at most this. */
  maxLagSeconds: z._default(z.int().check(z.minimum(0), z.maximum(600)), DEFAULT_MAX_LAG_SECONDS),
  /** Names the blue/green deployment (with the environment), so a second run of the same input is a new one. */
  runId: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/, 'must be 1-32 letters, digits or "-", a letter or digit first'))),
});

export type ReplaceDatabaseInput = z.infer<typeof replaceDatabaseInput>;

/** The input, or InvalidInputError naming the field, the rule and the value received. */
export function parseReplaceDatabaseInput(raw: unknown): ReplaceDatabaseInput {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidInputError(`replace-database input must be a JSON object (received ${showValue(raw)}); nothing was changed`);
  }
  const input = withoutParentMarker(raw);
  const prototypeKey = prototypeKeyPath(input);
  if (prototypeKey) throw new InvalidInputError(`replace-database input field ${formatPath(prototypeKey)}: that key is not allowed; nothing was changed`);
  const allowed = Object.keys(replaceDatabaseInput.shape);
  const unknown = Object.keys(input).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    const named = unknown.slice(0, 5).map((key) => showValue(key));
    throw new InvalidInputError(`replace-database input has unknown field(s) ${named.join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}; allowed: ${allowed.join(', ')}; nothing was changed`);
  }
  const parsed = replaceDatabaseInput.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((issue) => {
      const field = issue.path.length ? formatPath(issue.path) : 'input';
      const received = (input as Record<PropertyKey, unknown>)[issue.path[0] as PropertyKey];
      return `${field}: ${issue.message} (received ${received === undefined ? 'missing' : showValue(received)})`;
    });
    throw new InvalidInputError(`replace-database input: ${problems.join('; ')}; nothing was changed`);
  }
  return parsed.data;
}
