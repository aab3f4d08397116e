/**
 * The execution inputs of the compute workflows, checked by their planners before anything
 * changes (and by the CLI before anything runs):
 *
 *   allocate   { "tiers"?: { "<tier>": count, ... }, "release"?: "1.2.0", "database"?: "create" | "latest-snapshot" | "none" | "restore", "source"?, "reason"? }
 *   scale-out  { "tier": "<tier>", "add": count }
 *   scale-in   { "tier": "<tier>", "remove": count, "runId"?: "<name>" }
 *   replace    { "targets": ["web-1", "i-0123..."] | "unhealthy", "tier"?: "<tier>", "mode"?: "disaster-recovery" }
 *   restore-data { "source": "latest" | "<snapshot id>" | { "pointInTime": "<ISO-8601>" }, "reason"?: "..." }
 *   recover    { "source"?: (as restore-data; default "latest"), "release"?: "1.2.0" }
 *
 * Free of side effects (no SDK client, no logger).
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { LIMITS } from './environment/limits';
import { formatPath, prototypeKeyPath, showValue, withoutParentMarker } from './environment/input-guards';
import { RELEASE_PATTERN } from './execution-input';
import { InvalidInputError } from './contract/errors';

const TIER_NAME = /^[a-z][a-z0-9-]{0,31}$/;
/** Hosts one replacement names: a bounded list, so the input stays small. */
export const MAX_REPLACE_TARGETS = 500;

// zod/mini: the same checks as zod's classic API (94 KiB in a bundle), tree-shaken to what is used (about 30 KiB).
// Its messages come from a locale, loaded once: English, as zod's classic API gives them.
z.config(en());

const hostCount = (min: number) => z.int().check(z.minimum(min), z.maximum(LIMITS.launchPerTier));

const scaleOutInput = z.strictObject({ tier: z.string().check(z.regex(TIER_NAME, 'must be a tier name')), add: hostCount(1) });

const scaleInInput = z.strictObject({
    tier: z.string().check(z.regex(TIER_NAME, 'must be a tier name')),
    remove: hostCount(1),
    /** Names the run: tagged on the hosts it retires (their retired reason), so two scale-ins of the same size are told apart. */
    runId: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,80}$/, 'must be 1-80 letters, digits, "-" or "_"'))),
  });

const replaceInput = z.strictObject({
    targets: z.union(
      [
      z.literal('unhealthy'),
      z
        .array(z.string().check(z.regex(/^(i-[0-9a-f]{8,17}|[A-Za-z0-9][A-Za-z0-9._-]{0,254})$/, 'must be a host name or an instance ID')))
        .check(z.minLength(1), z.maxLength(MAX_REPLACE_TARGETS)),
      ],
      { error: `must be "unhealthy" or a list of 1 to ${MAX_REPLACE_TARGETS} host names or instance IDs` },
    ),
    /** With "unhealthy": only this tier (default: every host tier). With names: every target must be of it. */
    tier: z.optional(z.string().check(z.regex(TIER_NAME, 'must be a tier name'))),
    /** Replace everything at once; the service may be down meanwhile (disaster recovery). */
    mode: z._default(z.enum(['standard', 'disaster-recovery']), 'standard'),
  });

/** ISO-8601 with a time zone, e.g. "2026-11-29T10:00:00Z": a point in time RDS can restore to. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
/** RDS DB snapshot identifiers, manual (letters, digits, hyphens) or automated ("rds:" prefix). */
const SNAPSHOT_ID = /^(rds:)?[A-Za-z][A-Za-z0-9-]{0,254}$/;

/**
 * A calendar date and a clock time that exist: Date.parse would roll 2026-02-30 over to
 * 2 March, and restore a time nobody asked for.
 */
function isRealTime(text: string): boolean {
  const parts = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(text);
  if (!parts) return false;
  const [, year, month, day, hour, minute, second] = parts.map(Number);
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  return month! >= 1 && month! <= 12 && day! >= 1 && day! <= daysInMonth && hour! < 24 && minute! < 60 && (Number.isNaN(second!) || second! < 60) && !Number.isNaN(Date.parse(text));
}

/**
 * Where restored data comes from: `latest` (the newest data there is: the latest restorable
 * time of the current instance's automated backups, else its newest snapshot),
 * `latest-snapshot` (its newest snapshot, manual or automated), a snapshot by identifier, or
 * a point in time.
 */
const restoreSource = z.union(
  [
    z.literal('latest'),
    z.literal('latest-snapshot'),
    z.string().check(z.regex(SNAPSHOT_ID)),
    z.strictObject({
      pointInTime: z
        .string()
        .check(z.regex(ISO_TIME, 'must be an ISO-8601 time with a time zone, such as "2026-11-29T10:00:00Z"'), z.refine(isRealTime, 'must be a real date and time')),
    }),
  ],
  { error: 'must be "latest", "latest-snapshot", a DB snapshot identifier, or {"pointInTime": "<ISO-8601 time>"}' },
);

// RDS tag values allow only letters, digits, spaces and _ . : / = + - @ (AddTagsToResource, Tag).
const restoreReason = z.string().check(z.regex(/^[\w .:/=+@-]{1,200}$/, 'must be 1-200 letters, digits, spaces or _ . : / = + - @'));

const restoreDataInput = z.strictObject({
    source: restoreSource,
    /** Why the data is restored: tagged on the database it replaces. */
    reason: z._default(restoreReason, 'restore-data'),
  });

const allocateInput = z.strictObject({
    /** Hosts each tier should have once allocate is done; tiers not named use their declared `count`. */
    tiers: z.optional(z.record(z.string().check(z.regex(TIER_NAME, 'must be a tier name')), hostCount(0))),
    /** The release to install when none is recorded yet (a first deployment). */
    release: z.optional(z.string().check(z.regex(RELEASE_PATTERN, 'must be 1-64 letters, digits, ".", "_", "+" or "-"'))),
    /**
     * How a missing database comes back: created empty from the definition ("create", the
     * default), or restored from its newest available snapshot ("latest-snapshot"), or left
     * alone ("none"), or restored into a new instance for the hosts it launches ("restore", what
     * disaster recovery sends when no host uses the database: with `source`, default "latest").
     */
    database: z._default(z.enum(['create', 'latest-snapshot', 'none', 'restore']), 'create'),
    /** With "database": "restore": where the data comes from, as restore-data's `source`. */
    source: z.optional(restoreSource),
    /** With "database": "restore": why, tagged on the instance it replaces (when that still exists). */
    reason: z.optional(restoreReason),
  });




const recoverInput = z.strictObject({
    source: z._default(restoreSource, 'latest'),
    /** The release to install when none is recorded (an environment that never had one). */
    release: z.optional(z.string().check(z.regex(RELEASE_PATTERN, 'must be 1-64 letters, digits, ".", "_", "+" or "-"'))),
  });

export type RestoreSource = z.infer<typeof restoreSource>;
export type RestoreDataInput = z.infer<typeof restoreDataInput>;
export type RecoverInput = z.infer<typeof recoverInput>;
export type AllocateInput = z.infer<typeof allocateInput>;
export type ScaleOutInput = z.infer<typeof scaleOutInput>;
export type ReplaceInput = z.infer<typeof replaceInput>;
export type ScaleInInput = z.infer<typeof scaleInInput>;

const SCHEMAS = { allocate: allocateInput, 'scale-out': scaleOutInput, 'scale-in': scaleInInput, replace: replaceInput, 'restore-data': restoreDataInput, recover: recoverInput } as const;
export type ComputeInputs = {
  allocate: AllocateInput;
  'scale-out': ScaleOutInput;
  'scale-in': ScaleInInput;
  replace: ReplaceInput;
  'restore-data': RestoreDataInput;
  recover: RecoverInput;
};

export function parseComputeInput<W extends keyof typeof SCHEMAS>(workflow: W, raw: unknown): ComputeInputs[W] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidInputError(`${workflow} input must be a JSON object (received ${showValue(raw)}); nothing was changed`);
  }
  const input = withoutParentMarker(raw);
  const prototypeKey = prototypeKeyPath(input);
  if (prototypeKey) {
    throw new InvalidInputError(`${workflow} input field ${formatPath(prototypeKey)}: that key is not allowed (it would reach the object's prototype); nothing was changed`);
  }
  // Unknown fields are named here, a few of them and each cut short, whatever the input holds.
  const allowed = Object.keys(SCHEMAS[workflow].shape);
  const unknown = Object.keys(input).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    const named = unknown.slice(0, 5).map((key) => showValue(key));
    const more = unknown.length > 5 ? ` and ${unknown.length - 5} more` : '';
    throw new InvalidInputError(`${workflow} input has unknown field(s) ${named.join(', ')}${more}; allowed: ${allowed.join(', ')}; nothing was changed`);
  }
  const parsed = SCHEMAS[workflow].safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((issue) => {
      const field = issue.path.length ? formatPath(issue.path) : 'input';
      const received = issue.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), input);
      return `${field}: ${issue.message} (received ${received === undefined ? 'missing' : showValue(received)})`;
    });
    throw new InvalidInputError(`${workflow} input: ${problems.join('; ')}; nothing was changed`);
  }
  return parsed.data as ComputeInputs[W];
}
