/**
 * The environment model: what FleetFlow needs to know about a multi-tier service to
 * release onto it safely. One definition describes one environment (e.g. "canonical");
 * it is validated when the CDK app synthesizes and again when an execution starts.
 */
import { z } from 'zod';
import { scheduleProblem, timeZoneProblem } from './schedule';
import { secretValueProblem } from './secrets';
import { EC2_TAGS_PER_RESOURCE, instanceTagBudgetProblem, rdsInstanceIdentifierProblem } from './aws-names';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const SSM_DOCUMENT = /^[a-zA-Z0-9_.:/-]{3,128}$/;
const TAG_KEY = /^[\w.:/=+@ -]{1,128}$/;
const TARGET_GROUP_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/;

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
// CloudWatch alarm names are 1-255 characters with no control characters.
// eslint-disable-next-line no-control-regex -- the control-character range is the point of this pattern
const ALARM_NAME = /^[^\u0000-\u001f]{1,255}$/;

/** Either a whole number of hosts ("2") or a percentage of the tier ("25%"). */
const countOrPercent = z.union([
  z.number().int().min(1),
  z.string().regex(/^([1-9][0-9]?|100)%$/, 'must be a count such as 2 or a percentage such as "25%"'),
]);

const hostSelector = z
  .object({
    /** Every tag must match for an instance to belong to the tier. */
    tags: z.record(z.string().regex(TAG_KEY), z.string().min(1).max(LIMITS.tagValueChars)),
  })
  .strict()
  .refine((s) => Object.keys(s.tags).length > 0, { message: 'must name at least one tag', path: ['tags'] })
  .superRefine((s, ctx) => {
    const problem = instanceTagBudgetProblem(Object.keys(s.tags));
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['tags'] });
  });

const ssmCommand = z
  .object({
    /** Name or ARN of the SSM Command document. */
    document: z.string().regex(SSM_DOCUMENT),
    /**
     * Extra document parameters. A parameter whose name says it holds a secret must be a
     * reference the document resolves on the host (an SSM parameter name such as
     * "/app/db-password" or a Secrets Manager ARN), never the value; no parameter may hold
     * credentials in a URL, nor a connection-string parameter a password or a random-looking
     * key (lambdas/domain/environment/secrets.ts).
     */
    parameters: z
      .record(z.string().regex(/^[A-Za-z0-9]+$/), z.array(z.string().max(1024)).max(LIMITS.parameterValues))
      .default({})
      .superRefine((parameters, ctx) => {
        const names = Object.keys(parameters);
        if (names.length > LIMITS.commandParameters) {
          ctx.addIssue({ code: 'custom', path: [], message: `must have at most ${LIMITS.commandParameters} parameters` });
          return;
        }
        for (const name of names) {
          parameters[name]!.forEach((value, i) => {
            const problem = secretValueProblem(name, value);
            if (problem) ctx.addIssue({ code: 'custom', path: [name, i], message: problem });
          });
        }
      }),
    /** How long one invocation may run on one host. @default 600 */
    timeoutSeconds: z.number().int().min(30).max(7_200).default(600),
    /**
     * How long the document usually runs. A hint, not a limit: the first look at a tier's
     * first batch (or at the migration) comes then instead of backing off from 2 s; later
     * batches go by what the previous batch took. @default unknown
     */
    expectedSeconds: z.number().int().min(1).max(7_200).optional(),
  })
  .strict()
  .refine((c) => c.expectedSeconds === undefined || c.expectedSeconds <= c.timeoutSeconds, {
    message: 'expectedSeconds must not exceed timeoutSeconds',
    path: ['expectedSeconds'],
  });

const traffic = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('target-group'),
      /** ELBv2 target group names; a host leaves and rejoins all of them together. */
      targetGroups: z.array(z.string().regex(TARGET_GROUP_NAME)).min(1).max(5),
      /** The port the target groups must route to; checked before a new host goes into service. */
      port: z.number().int().min(1).max(65_535).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('drain-command'),
      /** For clustered middle tiers: SSM documents that drain and undrain a node. */
      drain: ssmCommand,
      undrain: ssmCommand,
    })
    .strict(),
  z.object({ kind: z.literal('none') }).strict(),
]);

const WAVE_SIZE_MESSAGE = 'a wave is a count of hosts such as 1 or a percentage of the tier\'s hosts such as "10%"';
const WAVE_PERCENT = /^(0|[1-9][0-9]*)%$/;

/** One wave: a whole number of hosts (at least 1) or a whole percentage of the tier's hosts (1%-100%). */
const waveSize = z.union([z.number(), z.string()], { error: WAVE_SIZE_MESSAGE }).superRefine((size, ctx) => {
  if (typeof size === 'number') {
    if (!Number.isInteger(size)) ctx.addIssue({ code: 'custom', message: 'a wave must be a whole number of hosts' });
    else if (size < 1) ctx.addIssue({ code: 'custom', message: 'a wave must be at least 1 host (1 is a single-host canary)' });
    return;
  }
  const match = WAVE_PERCENT.exec(size);
  if (!match) ctx.addIssue({ code: 'custom', message: WAVE_SIZE_MESSAGE });
  else if (Number(match[1]) === 0) ctx.addIssue({ code: 'custom', message: 'a wave must be more than 0% of the tier' });
  else if (Number(match[1]) > 100) ctx.addIssue({ code: 'custom', message: 'a wave can be at most 100% of the tier' });
});

const percentOf = (size: number | string): number => Number.parseInt(String(size), 10);

/**
 * Whether `maxUnavailable` caps every wave at or below itself whatever the tier's size, so
 * the waves could never change a batch: a cap of 1 host, a count no wave is below, or a
 * percentage no wave is below.
 */
function wavesNeverApply(maxUnavailable: number | string, waves: readonly (number | string)[]): boolean {
  if (maxUnavailable === 1) return true;
  if (typeof maxUnavailable === 'number') return waves.every((w) => typeof w === 'number' && w >= maxUnavailable);
  return waves.every((w) => typeof w === 'string' && percentOf(w) >= percentOf(maxUnavailable));
}

const batchPolicy = z
  .object({
    /**
     * Hosts of the tier that may be out of service at once: a hard cap on every batch, wave
     * or rollout. Required unless `waves` is given; with waves it may be left out, and then
     * only minHealthyPercent caps the batches.
     */
    maxUnavailable: countOrPercent.optional(),
    /** Share of the tier that must stay in service throughout, rounded up. */
    minHealthyPercent: z.number().int().min(1).max(99),
    /**
     * Sizes of the rollout's batches, in order, as counts or percentages of the tier's host
     * count (rounded down, at least 1): [1, "10%", "33%"] patches 1 host, then 10% of the
     * tier, then 33% at a time until every host is done (the last size repeats). Every
     * batch is still capped by maxUnavailable (when given) and by the hosts minHealthyPercent
     * leaves free. The revert of a failed release does not use waves.
     */
    waves: z
      .array(waveSize)
      .min(1, { error: 'must list at least one wave size, such as [1, "10%", "33%"]' })
      .max(20, { error: 'lists at most 20 wave sizes; the last one repeats until every host is done' })
      .optional(),
    /**
     * How a batch keeps capacity. "rolling" (the default) takes the batch out, patches it and
     * puts it back, within the hosts minHealthyPercent leaves free. "surge" never lowers
     * capacity: each batch launches new hosts on the release, puts them in service, then
     * stops the batch's old hosts (kept stopped until the release is validated, so a rollback
     * only starts them again). Needs `launch`.
     */
    strategy: z.enum(['rolling', 'surge']).default('rolling'),
    /** How fast a failed release is reverted on this tier. */
    rollback: z
      .object({
        /**
         * Hosts reverted at once, as a count or percentage of the tier's hosts; may exceed
         * maxUnavailable (a revert may move faster than the rollout), but is always capped
         * by the hosts minHealthyPercent leaves free. @default the rollout's largest batch
         */
        maxUnavailable: countOrPercent,
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((policy, ctx) => {
    if (policy.maxUnavailable === undefined && policy.waves === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxUnavailable'],
        message: 'is required unless waves are given: a count such as 2 or a percentage such as "25%"',
      });
    }
    if (policy.maxUnavailable !== undefined && policy.waves !== undefined && wavesNeverApply(policy.maxUnavailable, policy.waves)) {
      ctx.addIssue({
        code: 'custom',
        path: ['waves'],
        message:
          `maxUnavailable ${JSON.stringify(policy.maxUnavailable)} caps every batch, so these waves would never change one; ` +
          'leave maxUnavailable out (minHealthyPercent still caps every wave) or give waves smaller than it',
      });
    }
  });

const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const AVAILABILITY_ZONE = /^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
/** IAM role names: 1-64 of [\w+=,.@-] (IAM User Guide, IAM name requirements). */
const IAM_ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * How a tier's new hosts are launched: from an EC2 launch template, pinned to a version,
 * spread evenly over the subnets (one per Availability Zone, usually).
 */
const launch = z
  .object({
    /** The launch template, by name or by ID (exactly one). */
    template: z.union([
      z.object({ name: z.string().regex(/^[a-zA-Z0-9()./_-]{3,128}$/, 'must be a launch template name (3-128 of letters, digits and ( ) . / _ -)') }).strict(),
      z.object({ id: z.string().regex(/^lt-[0-9a-f]{17}$/, 'must be a launch template ID such as lt-0123456789abcdef0') }).strict(),
    ]),
    /**
     * A version number, or "$Default". Never "$Latest": a template edited after the
     * definition was reviewed would silently change what replacements boot from.
     */
    version: z
      .string()
      .regex(/^(\$Default|[1-9][0-9]{0,8})$/, 'must be a version number such as "3" or "$Default"; "$Latest" would launch whatever the template was last edited to'),
    subnets: z
      .array(
        z
          .object({
            id: z.string().regex(SUBNET_ID, 'must be a subnet ID such as subnet-0123456789abcdef0'),
            availabilityZone: z.string().regex(AVAILABILITY_ZONE, 'must be an Availability Zone such as eu-west-1a'),
          })
          .strict(),
      )
      .min(1)
      .max(LIMITS.launchSubnets),
    /** Tried in order, in each subnet, when EC2 has no capacity of the template's instance type. */
    instanceTypes: z.array(z.string().regex(INSTANCE_TYPE, 'must be an EC2 instance type such as m5.large')).max(LIMITS.instanceTypeOverrides).default([]),
    /** The role of the template's instance profile: the only role FleetFlow may pass to EC2. */
    instanceRole: z.string().regex(IAM_ROLE_NAME, 'must be an IAM role name'),
  })
  .strict();

/**
 * How much longer than a target group's deregistration delay a drain may take: ELB shows the
 * target `draining` until the delay has elapsed, and the drain is read by polling after that.
 */
export const DRAIN_MARGIN_SECONDS = 30;
/** ELB's default deregistration delay (300 s) and the margin, with room for a look or two. */
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 360;

const hostTier = z
  .object({
    name: z.string().regex(NAME),
    role: z.enum(['web', 'middle', 'monitoring']),
    /** Tiers roll in ascending order; middle before web keeps old web talking to new middle. */
    order: z.number().int().min(0),
    hosts: hostSelector,
    traffic,
    install: ssmCommand,
    /**
     * How the tier's hosts leave traffic before their install.
     *
     * A target group shows a deregistered target `draining` until its deregistration delay
     * (`deregistration_delay.timeout_seconds`, ELB's default 300 s) has elapsed, even when its
     * connections closed earlier; Plan Release reads the delay of every target group of the
     * tier and refuses a `timeoutSeconds` below the delay plus DRAIN_MARGIN_SECONDS (30 s).
     */
    drain: z
      .object({
        /** How long a batch may take to leave traffic. @default 360 (ELB's default delay of 300 s, and a margin) */
        timeoutSeconds: z.number().int().min(1).max(7_200).default(DEFAULT_DRAIN_TIMEOUT_SECONDS),
        /**
         * Used by target-group tiers (ignored by the others): an SSM Command document, run on each host of the batch right
         * after it is deregistered, that waits until the host has no open connection on the
         * service port and then succeeds (exit 0), or fails when its `timeoutSeconds` parameter
         * has passed with connections still open. FleetFlow sends it the parameters `ports`
         * (the target groups' ports) and `timeoutSeconds` (this command's), besides its own
         * `parameters`. A host whose check succeeded counts as drained while the load balancer
         * still shows it `draining`; a host whose check failed, or could not be sent, is
         * drained when the load balancer says so (at the deregistration delay). The document
         * must only read (it may run twice). Its `timeoutSeconds` may not exceed the drain's.
         * @default none: every host waits out the delay
         */
        check: ssmCommand.optional(),
      })
      .strict()
      .default({ timeoutSeconds: DEFAULT_DRAIN_TIMEOUT_SECONDS }),
    health: z
      .object({
        timeoutSeconds: z.number().int().min(1).max(3600).default(300),
        /**
         * An SSM document that succeeds only when the host serves: its service is healthy and,
         * on a drain-command tier, the node is not drained (a node drained by the tier's drain
         * document, by FleetFlow or by hand, must fail it). FleetFlow counts a tier's capacity
         * with it (Check Capacity) and checks a batch with it once undrained (Check Health).
         * Required when no target group checks the host (clustered and monitoring tiers).
         */
        command: ssmCommand.optional(),
      })
      .strict()
      .default({ timeoutSeconds: 300 }),
    batch: batchPolicy,
    /** CloudWatch alarms (names) checked after every batch of this tier. */
    alarms: z.array(z.string().regex(ALARM_NAME)).max(LIMITS.tierAlarms).default([]),
    /** Hosts the tier is meant to have: what allocate launches when the input does not say. */
    count: z.number().int().min(1).max(LIMITS.launchPerTier).optional(),
    /** Required to allocate, scale out or replace the tier's hosts. */
    launch: launch.optional(),
    /**
     * Run once, in order, on every new host before it gets the release (web server,
     * runtime, certificates, the SQL client, ...). They must be safe to run twice.
     */
    prerequisites: z.array(ssmCommand).max(LIMITS.prerequisites).default([]),
    /** What a replacement does with the host it replaced, once it is out of traffic. @default "stop" (kept, tagged, for inspection) */
    retire: z.enum(['stop', 'terminate']).default('stop'),
  })
  .strict();

const databaseTier = z
  .object({
    name: z.string().regex(NAME),
    role: z.literal('data'),
    order: z.number().int().min(0),
    database: z
      .object({
        /** The RDS DB instance identifier, as RDS stores it: lowercase (`aws-names.ts`). */
        instanceIdentifier: z.string().superRefine((identifier, ctx) => {
          const problem = rdsInstanceIdentifierProblem(identifier);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
        /** The release's schema and data migration, run by SSM on one host of `runnerTier`. */
        migration: ssmCommand.extend({ runnerTier: z.string().regex(NAME) }).strict(),
        /** How long the pre-migration snapshot may take. @default 3600 */
        snapshotTimeoutSeconds: z.number().int().min(60).max(86_400).default(3600),
        /**
         * How allocate creates the instance when it does not exist (CreateDBInstance). The
         * master password is managed by RDS in Secrets Manager: it is never in a definition,
         * an input or a state.
         */
        create: z
          .object({
            engine: z.enum(['postgres', 'mysql', 'mariadb']),
            engineVersion: z.string().regex(/^[0-9][0-9a-z.-]{0,30}$/).optional(),
            instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be a DB instance class such as db.m6g.large'),
            /** GiB. RDS's minimum for most engines is 20. */
            allocatedStorage: z.number().int().min(20).max(65_536),
            subnetGroup: z.string().regex(/^[a-zA-Z0-9 ._-]{1,255}$/),
            securityGroups: z.array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, 'must be a security group ID such as sg-0123456789abcdef0')).min(1).max(5),
            parameterGroup: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,254}$/).optional(),
            multiAz: z.boolean().default(true),
            masterUsername: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,15}$/),
            /** How long creating the instance may take. @default 3600 */
            timeoutSeconds: z.number().int().min(300).max(14_400).default(3600),
          })
          .strict()
          .optional(),
        /**
         * How a restore (restore-data, recover) brings the data back and repoints the hosts.
         * The hosts of `tiers` find their database through `connectionParameter` (an SSM
         * String parameter holding "<address>:<port>"): FleetFlow writes the new endpoint
         * there, then runs `reconfigure` on each host, in rolling batches, so it reconnects.
         */
        restore: z
          .object({
            /** The SSM parameter the hosts read to find their database. */
            connectionParameter: z.string().regex(/^\/[a-zA-Z0-9_.\-/]{1,1010}$/, 'must be an SSM parameter name such as "/app/database/endpoint"'),
            /** The host tiers that use the database, repointed in this order. */
            tiers: z.array(z.string().regex(NAME)).min(1).max(LIMITS.tiers),
            /**
             * Run on one host of `migration.runnerTier` against the restored database before any
             * host uses it (a connection and a query); FleetFlow adds the parameter `endpoint`.
             */
            check: ssmCommand,
            /** Run on each host of `tiers`: read the connection parameter and reconnect. Must be safe to run twice. */
            reconfigure: ssmCommand,
            /** How long the restore itself may take. @default 7200 */
            timeoutSeconds: z.number().int().min(300).max(43_200).default(7200),
          })
          .strict()
          .optional(),
      })
      .strict(),
  })
  .strict();

const validation = z
  .object({
    /** Alarms that say whether the service works, by name and by name prefix (composite alarms included). */
    alarms: z.array(z.string().regex(ALARM_NAME)).max(LIMITS.validationAlarms).default([]),
    alarmPrefixes: z.array(z.string().regex(ALARM_NAME)).max(LIMITS.alarmPrefixes).default([]),
    /**
     * How long the released environment is watched before it counts as good. At most 4 h:
     * a release bakes twice when it rolls back, and the whole execution has 24 h.
     * @default 300
     */
    bakeSeconds: z.number().int().min(0).max(14_400).default(300),
    approval: z
      .object({
        /** Ask a person (task token) after the bake. Executions may override. @default false */
        required: z.boolean().default(false),
        /** No answer within this time counts as a rejection. At most 12 h (the execution has 24 h). @default 3600 */
        timeoutSeconds: z.number().int().min(60).max(43_200).default(3600),
      })
      .strict()
      .default({ required: false, timeoutSeconds: 3600 }),
    /** What a failed validation does; executions may override. @default "rollback" */
    onFailure: z.enum(['rollback', 'halt']).default('rollback'),
  })
  .strict();

/**
 * A release window: EventBridge Scheduler starts the release queued for it (the
 * parameter /fleetflow/<environment>/<component>/next) at the scheduled time.
 */
const releaseWindow = z
  .object({
    name: z.string().regex(NAME),
    /** An EventBridge Scheduler expression, e.g. "cron(0 3 ? * TUE *)", "rate(1 day)", "at(2026-11-25T03:00:00)". */
    schedule: z.string().superRefine((expression, ctx) => {
      const problem = scheduleProblem(expression);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    /** IANA time zone of the schedule. @default "UTC" */
    timezone: z
      .string()
      .superRefine((name, ctx) => {
        const problem = timeZoneProblem(name);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('UTC'),
    component: z.enum(['application', 'monitoring']).default('application'),
    onValidationFailure: z.enum(['rollback', 'halt']).optional(),
    requireApproval: z.boolean().optional(),
  })
  .strict();

export const environmentSchema = z
  .object({
    name: z.string().regex(NAME),
    /** The AWS region the stack is pinned to; without it the template is region-agnostic (deployed wherever it is deployed). */
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as "eu-west-1"').optional(),
    /** The AWS account the stack is pinned to (12 digits); without it, the account it is deployed in. */
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account ID').optional(),
    tiers: z
      .array(z.discriminatedUnion('role', [hostTier.extend({ role: z.enum(['web', 'middle', 'monitoring']) }), databaseTier]))
      .min(1)
      .max(LIMITS.tiers),
    /** Shortest and longest pause between two polls of a long operation. */
    validation: validation.default({
      alarms: [],
      alarmPrefixes: [],
      bakeSeconds: 300,
      approval: { required: false, timeoutSeconds: 3600 },
      onFailure: 'rollback',
    }),
    releaseWindows: z.array(releaseWindow).max(LIMITS.releaseWindows).default([]),
    polling: z
      .object({
        minSeconds: z.number().int().min(1).max(60).default(2),
        maxSeconds: z.number().int().min(1).max(300).default(30),
      })
      .strict()
      .default({ minSeconds: 2, maxSeconds: 30 }),
  })
  .strict();

export type EnvironmentDefinition = z.infer<typeof environmentSchema>;
export type EnvironmentInput = z.input<typeof environmentSchema>;
export type TierDefinition = EnvironmentDefinition['tiers'][number];
export type HostTierDefinition = Extract<TierDefinition, { role: 'web' | 'middle' | 'monitoring' }>;
export type DatabaseTierDefinition = Extract<TierDefinition, { role: 'data' }>;
export type TrafficDefinition = HostTierDefinition['traffic'];
export type SsmCommandDefinition = HostTierDefinition['install'];
/** How batches are sized; the strategy (rolling or surge) does not change their size. */
export type BatchPolicy = Omit<HostTierDefinition['batch'], 'strategy'>;
export type LaunchDefinition = NonNullable<HostTierDefinition['launch']>;
export type DatabaseCreateDefinition = NonNullable<DatabaseTierDefinition['database']['create']>;
export type DatabaseRestoreDefinition = NonNullable<DatabaseTierDefinition['database']['restore']>;

export type ValidationDefinition = EnvironmentDefinition['validation'];
export type ReleaseWindow = EnvironmentDefinition['releaseWindows'][number];
export type Component = 'application' | 'monitoring';

/** Monitoring tiers form the monitoring component; everything else is the application. */
export function componentOf(tier: TierDefinition): Component {
  return tier.role === 'monitoring' ? 'monitoring' : 'application';
}

export function isHostTier(tier: TierDefinition): tier is HostTierDefinition {
  return tier.role !== 'data';
}
