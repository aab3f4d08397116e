/**
 * The environment model: what FleetFlow needs to know about a multi-tier service to
 * release onto it safely. One definition describes one environment (e.g. "canonical");
 * it is validated when the CDK app synthesizes and again when an execution starts.
 */
import { z } from 'zod';
import { scheduleProblem, timeZoneProblem } from './schedule';
import { secretValueProblem } from './secrets';
import { EC2_TAGS_PER_RESOURCE, FLEETFLOW_INSTANCE_TAG_KEYS, instanceTagBudgetProblem, rdsInstanceIdentifierProblem } from './aws-names';
import { DEFAULT_CERTIFICATE_MIN_DAYS, LIMITS } from './limits';
import { DRAIN_MARGIN_SECONDS } from './tiers';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const SSM_DOCUMENT = /^[a-zA-Z0-9_.:/-]{3,128}$/;
const TAG_KEY = /^[\w.:/=+@ -]{1,128}$/;
const TARGET_GROUP_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/;

// Kept zod-free in limits.ts so that a Lambda can use them without bundling the schema.
export { DEFAULT_CERTIFICATE_MIN_DAYS, LIMITS } from './limits';
// CloudWatch alarm names are 1-255 characters with no control characters.
// eslint-disable-next-line no-control-regex -- the control-character range is the point of this pattern
const ALARM_NAME = /^[^\u0000-\u001f]{1,255}$/;

/** Either a whole number of hosts ("2") or a percentage of the tier ("25%"). */
const countOrPercent = z.union([
  z.number().int().min(1),
  z.string().regex(/^([1-9][0-9]?|100)%$/, 'must be a count such as 2 or a percentage such as "25%"'),
]).describe('A whole number of hosts (at least 1), or a whole percentage of the tier\'s hosts from "1%" to "100%", rounded down to at least 1.');

const hostSelector = z
  .object({
    tags: z
      .record(z.string().regex(TAG_KEY), z.string().min(1).max(LIMITS.tagValueChars))
      .describe(
        `EC2 tags (key: value, values 1-${LIMITS.tagValueChars} characters) an instance must all carry to belong to the tier. At least 1 tag; with the ${FLEETFLOW_INSTANCE_TAG_KEYS.length} keys FleetFlow writes on an instance at launch and release, at most ${EC2_TAGS_PER_RESOURCE} distinct keys, EC2's limit per instance.`,
      ),
  })
  .strict()
  .refine((s) => Object.keys(s.tags).length > 0, { message: 'must name at least one tag', path: ['tags'] })
  .superRefine((s, ctx) => {
    const problem = instanceTagBudgetProblem(Object.keys(s.tags));
    if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['tags'] });
  })
  .describe("How FleetFlow finds the tier's instances: by tag.");

const ssmCommand = z
  .object({
    document: z.string().regex(SSM_DOCUMENT).describe('Name or ARN of the SSM Command document.'),
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
      })
      .describe(
        'Extra document parameters: each a list of at most 16 strings of at most 1,024 characters; at most 50 parameters. A parameter whose name says it holds a secret (password, secret, token, apiKey, credential, ...) must be a reference the document resolves on the host: an SSM parameter name such as "/app/db-password" or a Secrets Manager ARN, never the value. No parameter may hold credentials in a URL, nor a connection-string parameter a password or a random-looking key.',
      ),
    timeoutSeconds: z.number().int().min(30).max(7_200).default(600).describe('How long one invocation may run on one host (SSM Run Command\'s execution timeout).'),
    expectedSeconds: z
      .number()
      .int()
      .min(1)
      .max(7_200)
      .optional()
      .describe(
        "How long the document usually runs; at most timeoutSeconds. A hint, not a limit: the first look at a tier's first batch (or at the migration) comes then instead of backing off from 2 s; later batches go by what the previous batch took.",
      ),
  })
  .strict()
  .refine((c) => c.expectedSeconds === undefined || c.expectedSeconds <= c.timeoutSeconds, {
    message: 'expectedSeconds must not exceed timeoutSeconds',
    path: ['expectedSeconds'],
  })
  .meta({ title: 'SSM command', description: 'An SSM Command document that FleetFlow runs with Run Command, and how long it may take.' });

/** An EC2 security group ID, as the data tier's `securityGroups` accept it. */
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/**
 * A DNS host name as Route 53 and ACM take it: labels of letters, digits and hyphens (not at
 * either end) of at most 63 characters, at least two labels, at most 253 characters, no
 * wildcard (a name the listener serves, not a certificate's pattern) and no trailing dot.
 */
const HOST_NAME = /^(?=.{1,253}$)(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
const hostNames = z
  .array(z.string().regex(HOST_NAME, 'must be a DNS host name such as www.example.com (no wildcard, no trailing dot)'))
  .min(1)
  .max(10)
  .refine((names) => new Set(names.map((n) => n.toLowerCase())).size === names.length, 'must name each domain once');
/** A Route 53 hosted zone ID as ListHostedZones answers it, without the "/hostedzone/" prefix. */
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;

const domain = z
  .object({
    names: hostNames.describe(
      "The domain names the tier's HTTPS (or TLS) listener must serve: before launching, allocate and scale-out check that its ACM certificates cover each (by name or one-label wildcard) and that a listener forwarding to the tier is HTTPS or TLS.",
    ),
    minCertificateDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(DEFAULT_CERTIFICATE_MIN_DAYS)
      .describe('How many days each certificate of the listener must still be valid (its NotAfter) when hosts are allocated; 30 when absent, as without `domain`.'),
    hostedZoneId: z
      .string()
      .regex(HOSTED_ZONE_ID, 'must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ (without /hostedzone/)')
      .optional()
      .describe("The Route 53 hosted zone holding the tier's records. With it, allocate and scale-out check that each record is an alias (A or AAAA) of the tier's load balancer."),
    records: hostNames
      .optional()
      .describe('The record names in hostedZoneId to check; `names` when absent. Needs hostedZoneId.'),
  })
  .strict()
  .refine((d) => d.records === undefined || d.hostedZoneId !== undefined, { message: 'records needs hostedZoneId', path: ['records'] })
  .meta({ title: 'domain', description: "The tier's public names: its listener's certificates and, with a hosted zone, its DNS records." });

const traffic = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('target-group'),
      targetGroups: z
        .array(z.string().regex(TARGET_GROUP_NAME))
        .min(1)
        .max(5)
        .describe('ELBv2 target group names (1-32 letters, digits and hyphens); a host leaves and rejoins all of them together.'),
      port: z.number().int().min(1).max(65_535).optional().describe('The port the target groups must route to; checked before a new host goes into service.'),
      hostSecurityGroups: z
        .array(z.string().regex(SECURITY_GROUP_ID, 'must be a security group ID such as sg-0123456789abcdef0'))
        .min(1)
        .max(5)
        .refine((ids) => new Set(ids).size === ids.length, 'must name each security group once')
        .optional()
        .describe(
          "The security groups the tier's hosts run in (its launch template's). With them, allocate and scale-out check before launching that the load balancer's security groups may reach one of them on the target group's port; without them, that check is skipped.",
        ),
      domain: domain
        .optional()
        .describe(
          "The names the tier serves. Without it, an HTTPS or TLS listener's certificates are still checked to be ISSUED and valid for 30 more days; with it, also that they cover these names and, with a hosted zone, that the records alias the load balancer.",
        ),
    })
    .strict()
    .meta({ title: 'target-group', description: 'Hosts behind ELBv2 target groups: deregistered, drained and registered again.' }),
  z
    .object({
      kind: z.literal('drain-command'),
      drain: ssmCommand.describe('Drains a node: takes it out of the cluster\'s traffic.'),
      undrain: ssmCommand.describe('Puts a drained node back into the cluster\'s traffic.'),
    })
    .strict()
    .meta({ title: 'drain-command', description: 'Clustered middle tiers: nodes drained and undrained by SSM documents. Needs health.command.' }),
  z
    .object({ kind: z.literal('none') })
    .strict()
    .meta({
      title: 'none',
      description:
        'No traffic to move: monitoring tiers, and middle tiers of workers (queue consumers) patched in place while their health command judges them. Needs health.command. Workers that can pause consuming: use drain-command, with the pause as `drain` and the resume as `undrain`.',
    }),
]).describe('How a host of the tier leaves and rejoins traffic, by `kind`.');

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
}).describe('A whole number of hosts (at least 1; 1 is a single-host canary), or a whole percentage of the tier\'s hosts from "1%" to "100%", rounded down to at least 1.');

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
    maxUnavailable: countOrPercent
      .optional()
      .describe(
        'Hosts of the tier that may be out of service at once: a hard cap on every batch of the rollout. Required unless `waves` is given; with waves it may be left out, and then only minHealthyPercent caps the batches. "100%" is refused.',
      ),
    minHealthyPercent: z
      .number()
      .int()
      .min(1)
      .max(99)
      .describe('Share of the tier that must stay in service throughout every batch, wave and revert, rounded up (so a monitoring tier always keeps a host in service).'),
    waves: z
      .array(waveSize)
      .min(1, { error: 'must list at least one wave size, such as [1, "10%", "33%"]' })
      .max(20, { error: 'lists at most 20 wave sizes; the last one repeats until every host is done' })
      .optional()
      .describe(
        'Sizes of the rollout\'s batches, in order: [1, "10%", "33%"] patches 1 host, then 10% of the tier, then 33% at a time until every host is done (the last size repeats). Every batch is still capped by maxUnavailable (when given) and by the hosts minHealthyPercent leaves free; waves that maxUnavailable would cap whatever the tier\'s size are refused. Percentages count all of the tier\'s running hosts. The revert of a failed release does not use waves.',
      ),
    strategy: z
      .enum(['rolling', 'surge'])
      .default('rolling')
      .describe(
        'How a batch keeps capacity. "rolling" takes the batch out, patches it and puts it back, within the hosts minHealthyPercent leaves free. "surge" never lowers capacity: each batch launches new hosts on the release, puts them in service, then stops the batch\'s old hosts (kept stopped until the release is validated, so a rollback only starts them again). "surge" needs the tier\'s `launch`.',
      ),
    maxSurge: countOrPercent
      .optional()
      .describe(
        'With strategy "surge": new hosts that may exist at once beyond the tier, launched and not yet in the place of stopped old ones; a percentage counts the tier\'s running hosts. Every batch is capped by it. Default: one batch\'s worth (batches run one after another). At two batches\' worth or more, the next batch\'s hosts launch and boot while the current batch installs. At most the tier\'s `count` when that is declared.',
      ),
    rollback: z
      .object({
        maxUnavailable: countOrPercent.describe(
          'Hosts reverted at once. May exceed the rollout\'s maxUnavailable (a revert may move faster than the rollout), but is always capped by the hosts minHealthyPercent leaves free. "100%" is refused.',
        ),
      })
      .strict()
      .optional()
      .describe('How fast a failed release is reverted on this tier. Without it, the revert moves the rollout\'s largest batch at a time.'),
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
    if (policy.maxSurge !== undefined && policy.strategy !== 'surge') {
      ctx.addIssue({
        code: 'custom',
        path: ['maxSurge'],
        message: 'only a surge launches hosts beyond the tier: set strategy "surge" or leave maxSurge out',
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
  })
  .meta({ title: 'Batch policy', description: 'How many hosts of the tier a release moves at once, and the floor it keeps in service.' });

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
    template: z
      .union([
        z
          .object({ name: z.string().regex(/^[a-zA-Z0-9()./_-]{3,128}$/, 'must be a launch template name (3-128 of letters, digits and ( ) . / _ -)').describe('The launch template\'s name.') })
          .strict(),
        z.object({ id: z.string().regex(/^lt-[0-9a-f]{17}$/, 'must be a launch template ID such as lt-0123456789abcdef0').describe('The launch template\'s ID.') }).strict(),
      ])
      .describe('The EC2 launch template, by name ({"name": ...}) or by ID ({"id": ...}), exactly one.'),
    version: z
      .string()
      .regex(/^(\$Default|[1-9][0-9]{0,8})$/, 'must be a version number such as "3" or "$Default"; "$Latest" would launch whatever the template was last edited to')
      .describe(
        'The template version: a number such as "3", or "$Default". Never "$Latest": a template edited after the definition was reviewed would silently change what replacements boot from.',
      ),
    subnets: z
      .array(
        z
          .object({
            id: z.string().regex(SUBNET_ID, 'must be a subnet ID such as subnet-0123456789abcdef0').describe('The subnet ID.'),
            availabilityZone: z.string().regex(AVAILABILITY_ZONE, 'must be an Availability Zone such as eu-west-1a').describe('The subnet\'s Availability Zone.'),
          })
          .strict(),
      )
      .min(1)
      .max(LIMITS.launchSubnets)
      .describe('Distinct subnets (usually one per Availability Zone); new hosts are spread evenly over them, and a replacement goes to the replaced host\'s subnet.'),
    instanceTypes: z
      .array(z.string().regex(INSTANCE_TYPE, 'must be an EC2 instance type such as m5.large'))
      .max(LIMITS.instanceTypeOverrides)
      .default([])
      .describe('Instance types tried in order, in each subnet, when EC2 has no capacity of the template\'s instance type.'),
    instanceRole: z.string().regex(IAM_ROLE_NAME, 'must be an IAM role name').describe('The role of the template\'s instance profile: the only role FleetFlow may pass to EC2.'),
  })
  .strict()
  .meta({
    title: 'Launch',
    description:
      'How the tier\'s new hosts are launched: from an EC2 launch template pinned to a version, spread evenly over the subnets. Required to allocate, scale out, replace or surge the tier\'s hosts.',
  });

/** ELB's default deregistration delay (300 s) and the margin, with room for a look or two. */
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 360;

const TIER_NAME_DESCRIPTION = 'The tier\'s name: 1-32 lowercase letters, digits and hyphens, a letter first; unique in the environment.';
const TIER_ORDER_DESCRIPTION = 'Tiers roll in ascending order (middle before web keeps old web talking to new middle); every tier has its own order.';

const hostTier = z
  .object({
    name: z.string().regex(NAME).describe(TIER_NAME_DESCRIPTION),
    role: z.enum(['web', 'middle', 'monitoring']),
    order: z.number().int().min(0).describe(TIER_ORDER_DESCRIPTION),
    hosts: hostSelector,
    traffic,
    install: ssmCommand.describe('Installs the release on a host; FleetFlow adds the parameter `release`. Must be safe to run twice: a resumed release may run it again.'),
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
        timeoutSeconds: z
          .number()
          .int()
          .min(1)
          .max(7_200)
          .default(DEFAULT_DRAIN_TIMEOUT_SECONDS)
          .describe(
            `How long a batch may take to leave traffic. ELB shows a deregistered target "draining" until the target group's deregistration delay (300 s by default) has elapsed, so Plan Release refuses a value below every target group's delay plus ${DRAIN_MARGIN_SECONDS} s.`,
          ),
        check: ssmCommand
          .optional()
          .describe(
            'Target-group tiers only (ignored by the others): run on each host of the batch right after it is deregistered, with the parameters `ports` and `timeoutSeconds`; it must only read, wait until the host has no open connection on those ports and exit 0, or fail when its time is up. A host whose check succeeded counts as drained while ELB still shows it draining; otherwise the host waits out the deregistration delay. Its timeoutSeconds may not exceed drain.timeoutSeconds. Without it, every batch waits out the delay.',
          ),
      })
      .strict()
      .default({ timeoutSeconds: DEFAULT_DRAIN_TIMEOUT_SECONDS })
      .describe('How the tier\'s hosts leave traffic before their install.'),
    health: z
      .object({
        timeoutSeconds: z.number().int().min(1).max(3600).default(300).describe('How long a batch put back in traffic may take to become healthy.'),
        command: ssmCommand
          .optional()
          .describe(
            'Succeeds only when the host serves: its service is healthy and, on a drain-command tier, the node is not drained (a drained node must fail it). FleetFlow counts a tier\'s capacity with it and checks a batch with it once back in traffic. Required for drain-command and none tiers, which no target group checks.',
          ),
      })
      .strict()
      .default({ timeoutSeconds: 300 })
      .describe('How a host is judged healthy after its install.'),
    batch: batchPolicy,
    alarms: z
      .array(z.string().regex(ALARM_NAME))
      .max(LIMITS.tierAlarms)
      .default([])
      .describe('CloudWatch alarm names (at most 100: one DescribeAlarms call) checked after every batch of this tier; one in ALARM fails the batch.'),
    count: z
      .number()
      .int()
      .min(1)
      .max(LIMITS.launchPerTier)
      .optional()
      .describe('Hosts the tier is meant to have: what allocate brings it to when the input does not say.'),
    launch: launch.optional(),
    prerequisites: z
      .array(ssmCommand)
      .max(LIMITS.prerequisites)
      .default([])
      .describe('SSM documents run once, in order, on every new host before it gets the release (web server, runtime, certificates, the SQL client, ...). They must be safe to run twice.'),
    retire: z
      .enum(['stop', 'terminate'])
      .default('stop')
      .describe('What a replacement does with the host it replaced, once it is out of traffic: "stop" keeps it, tagged, for inspection.'),
  })
  .strict();

const databaseTier = z
  .object({
    name: z.string().regex(NAME).describe(TIER_NAME_DESCRIPTION),
    role: z.literal('data').describe('"data": the database tier.'),
    order: z.number().int().min(0).describe(TIER_ORDER_DESCRIPTION),
    database: z
      .object({
        instanceIdentifier: z
          .string()
          .superRefine((identifier, ctx) => {
            const problem = rdsInstanceIdentifierProblem(identifier);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          })
          .describe(
            'The RDS DB instance identifier, as RDS stores it: 1-63 lowercase letters, digits and hyphens, a letter first, no two hyphens in a row, no trailing hyphen (IAM authorizes the lowercase name, so capitals are refused).',
          ),
        migration: ssmCommand
          .extend({ runnerTier: z.string().regex(NAME).describe('The web or middle tier whose first host runs the migration.') })
          .strict()
          .describe('The release\'s schema and data migration (expand-only), run by SSM on one host of `runnerTier` after a snapshot. An SSM command plus `runnerTier`.'),
        snapshotTimeoutSeconds: z.number().int().min(60).max(86_400).default(3600).describe('How long the pre-migration snapshot may take.'),
        create: z
          .object({
            engine: z.enum(['postgres', 'mysql', 'mariadb']).describe('The RDS engine.'),
            engineVersion: z.string().regex(/^[0-9][0-9a-z.-]{0,30}$/).optional().describe('The engine version, such as "16.4"; without it, RDS\'s default for the engine.'),
            instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, 'must be a DB instance class such as db.m6g.large').describe('The DB instance class, such as "db.m6g.large".'),
            allocatedStorage: z.number().int().min(20).max(65_536).describe('Storage in GiB. RDS\'s minimum for most engines is 20.'),
            subnetGroup: z.string().regex(/^[a-zA-Z0-9 ._-]{1,255}$/).describe('The DB subnet group\'s name.'),
            securityGroups: z
              .array(z.string().regex(SECURITY_GROUP_ID, 'must be a security group ID such as sg-0123456789abcdef0'))
              .min(1)
              .max(5)
              .describe('VPC security group IDs of the instance.'),
            parameterGroup: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,254}$/).optional().describe('The DB parameter group\'s name; without it, the engine\'s default group.'),
            multiAz: z.boolean().default(true).describe('Whether the instance is Multi-AZ.'),
            masterUsername: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,15}$/).describe('The master user\'s name; `masterPassword` says who keeps its password.'),
            masterPassword: z
              .enum(['fleetflow-secret', 'rds-managed'])
              .default('fleetflow-secret')
              .describe(
                'Who keeps the master password. "fleetflow-secret" (the default, because every FleetFlow workflow supports it): one Secrets Manager secret per environment, ' +
                  '`fleetflow/<environment>/database-master`, that the stack creates with a password CloudFormation generates and never rotates on a schedule; every instance FleetFlow creates from then on uses it, ' +
                  'and a restored instance keeps it from its snapshot, so hosts read one fixed secret across restores and replace-database. ' +
                  'An instance created before (an environment moving from "rds-managed", or created by a person) keeps its own password: the secret is not its, and replace-database still refuses an RDS-managed one. ' +
                  'The secret is retained when the stack is deleted and has a fixed name: deploying the environment again fails while it exists (Secrets Manager refuses a second secret of that name); restore it into the stack with `cdk import`, or delete it only if no instance or snapshot uses its password. ' +
                  '"rds-managed": RDS generates, keeps and rotates it in its own `rds!db-…` secret (ManageMasterUserPassword); RDS refuses blue/green deployments and read replicas of such an instance, so replace-database refuses it, ' +
                  'and a restored instance keeps the snapshot\'s password without a managed secret.',
              ),
            timeoutSeconds: z.number().int().min(300).max(14_400).default(3600).describe('How long creating the instance may take.'),
          })
          .strict()
          .optional()
          .describe(
            'How allocate creates the instance when it does not exist (CreateDBInstance). The master password is kept in Secrets Manager (`masterPassword`): it is never in a definition, a template, an input or a state.',
          ),
        restore: z
          .object({
            connectionParameter: z
              .string()
              .regex(/^\/[a-zA-Z0-9_.\-/]{1,1010}$/, 'must be an SSM parameter name such as "/app/database/endpoint"')
              .describe('The SSM String parameter, holding "<address>:<port>", that the hosts read to find their database.'),
            tiers: z
              .array(z.string().regex(NAME))
              .min(1)
              .max(LIMITS.tiers)
              .describe('The host tiers that use the database, repointed in this order; each named once.'),
            check: ssmCommand.describe(
              'Run on one host of `migration.runnerTier` against the restored database before any host uses it (a connection and a query); FleetFlow adds the parameter `endpoint`.',
            ),
            reconfigure: ssmCommand.describe('Run on each host of `tiers`: read the connection parameter again and reconnect. Must be safe to run twice.'),
            timeoutSeconds: z.number().int().min(300).max(43_200).default(7200).describe('How long the restore itself may take.'),
          })
          .strict()
          .optional()
          .describe(
            'How restore-data and recover bring the data back into a new instance and repoint the hosts: FleetFlow writes the new endpoint into `connectionParameter`, then runs `reconfigure` on each host of `tiers`, in rolling batches. Without it, the stack has no restore-data or recover workflow.',
          ),
      })
      .strict()
      .describe('The RDS instance the tier is, and how a release migrates it.'),
  })
  .strict();

const validation = z
  .object({
    alarms: z
      .array(z.string().regex(ALARM_NAME))
      .max(LIMITS.validationAlarms)
      .default([])
      .describe('Alarms, by name, that say whether the service works (composite alarms included), watched by the preflight and the bake. At most 100: one DescribeAlarms call.'),
    alarmPrefixes: z
      .array(z.string().regex(ALARM_NAME))
      .max(LIMITS.alarmPrefixes)
      .default([])
      .describe('Alarm name prefixes watched like `alarms`; one DescribeAlarms call per prefix.'),
    bakeSeconds: z
      .number()
      .int()
      .min(0)
      .max(14_400)
      .default(300)
      .describe('How long the released environment is watched before it counts as good. At most 4 h: a release bakes twice when it rolls back.'),
    approval: z
      .object({
        required: z.boolean().default(false).describe('Ask a person (a task token, sent with the notifications) after the bake. Executions may override.'),
        timeoutSeconds: z.number().int().min(60).max(43_200).default(3600).describe('No answer within this time counts as a rejection. At most 12 h.'),
      })
      .strict()
      .default({ required: false, timeoutSeconds: 3600 })
      .describe('A person\'s approval after the bake.'),
    onFailure: z.enum(['rollback', 'halt']).default('rollback').describe('What a failed rollout or validation does: roll the release back, or halt and page. Executions may override.'),
  })
  .strict();

/**
 * A release window: EventBridge Scheduler starts the release queued for it (the
 * parameter /fleetflow/<environment>/<component>/next) at the scheduled time.
 */
const releaseWindow = z
  .object({
    name: z.string().regex(NAME).describe('The window\'s name: 1-32 lowercase letters, digits and hyphens, a letter first.'),
    schedule: z
      .string()
      .superRefine((expression, ctx) => {
        const problem = scheduleProblem(expression);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .describe(
        'An EventBridge Scheduler expression, checked as Scheduler reads it: "cron(minutes hours day-of-month month day-of-week year)" with "?" in exactly one of the day fields (e.g. "cron(0 3 ? * TUE *)"), "rate(N unit)" (e.g. "rate(1 day)", "rate(2 hours)") or "at(yyyy-mm-ddThh:mm:ss)".',
      ),
    timezone: z
      .string()
      .superRefine((name, ctx) => {
        const problem = timeZoneProblem(name);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('UTC')
      .describe('The schedule\'s time zone, an IANA name as spelled in the tz database ("UTC", "Europe/Berlin"; not an offset such as "+02:00").'),
    component: z.enum(['application', 'monitoring']).default('application').describe('What the window releases.'),
    onValidationFailure: z.enum(['rollback', 'halt']).optional().describe('Overrides validation.onFailure for the window\'s releases.'),
    requireApproval: z.boolean().optional().describe('Overrides validation.approval.required for the window\'s releases.'),
  })
  .strict()
  .meta({
    title: 'Release window',
    description:
      'An EventBridge Scheduler schedule that starts the deploy workflow with {"releaseFrom": "next", "component": ...}: the release a pipeline queued in /fleetflow/<environment>/<component>/next.',
  });

export const environmentSchema = z
  .object({
    // Editors read the JSON Schema a file names here; FleetFlow accepts it and parseEnvironment drops it.
    $schema: z.string().max(1024).optional().describe('The JSON Schema this file follows, for editors: "./environment.schema.json". Ignored by FleetFlow.'),
    name: z.string().regex(NAME).describe('The environment\'s name: 1-32 lowercase letters, digits and hyphens, a letter first. The stack is FleetFlow-<name> and its state machines fleetflow-<name>-<workflow>.'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as "eu-west-1"')
      .optional()
      .describe('The AWS region the stack is pinned to; without it the template is region-agnostic (deployed wherever it is deployed).'),
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account ID')
      .optional()
      .describe('The AWS account the stack is pinned to (12 digits); without it, the account it is deployed in.'),
    tiers: z
      .array(
        z.discriminatedUnion('role', [
          hostTier.extend({ role: z.enum(['web', 'middle', 'monitoring']).describe('"web", "middle" or "monitoring" (the monitoring component).') }).meta({
            title: 'Host tier',
            description:
              'A web, middle or monitoring tier: EC2 hosts found by tag, released in batches through SSM Run Command. Needs a health.command unless its traffic is a target group; "none" traffic is for monitoring tiers and middle tiers of workers.',
          }),
          databaseTier.meta({ title: 'Data tier', description: 'The database: one RDS instance, snapshotted and migrated by a release, restored by restore-data and recover. At most one per environment.' }),
        ]),
      )
      .min(1)
      .max(LIMITS.tiers)
      .describe('The tiers, by `role`: at least one web, middle or monitoring tier, at most one data tier, distinct names and orders.'),
    validation: validation.default({
      alarms: [],
      alarmPrefixes: [],
      bakeSeconds: 300,
      approval: { required: false, timeoutSeconds: 3600 },
      onFailure: 'rollback',
    }).describe('How a release is validated once every tier is on it: preflight and bake alarms, an optional approval, and what a failure does.'),
    releaseWindows: z.array(releaseWindow).max(LIMITS.releaseWindows).default([]).describe('When the deploy workflow starts on its own (EventBridge Scheduler).'),
    polling: z
      .object({
        minSeconds: z.number().int().min(1).max(60).default(2).describe('The shortest pause between two polls; at most maxSeconds.'),
        maxSeconds: z.number().int().min(1).max(300).default(30).describe('The longest pause between two polls.'),
      })
      .strict()
      .default({ minSeconds: 2, maxSeconds: 30 })
      .describe('Shortest and longest pause between two polls of a long operation (a drain, an install, a snapshot, ...).'),
  })
  .strict()
  .meta({
    title: 'FleetFlow environment',
    description:
      'One environment of a multi-tier service: its tiers, how each is released, validated and restored. Checked by `fleetflow validate`, by `cdk synth` and when an execution starts.',
  });

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
export type { Component } from './tiers';

// Kept zod-free in tiers.ts so that a Lambda can use them without bundling the schema.
export { componentOf, DRAIN_MARGIN_SECONDS, isHostTier } from './tiers';
