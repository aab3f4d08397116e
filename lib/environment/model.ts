/**
 * The environment model: what FleetFlow needs to know about a multi-tier service to
 * release onto it safely. One definition describes one environment (e.g. "canonical");
 * it is validated when the CDK app synthesizes and again when an execution starts.
 */
import { z } from 'zod';

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const SSM_DOCUMENT = /^[a-zA-Z0-9_.:/-]{3,128}$/;
const TAG_KEY = /^[\w.:/=+@ -]{1,128}$/;
const TARGET_GROUP_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$/;
const ALARM_NAME = /^[^\u0000-\u001f]{1,255}$/;

/** Either a whole number of hosts ("2") or a percentage of the tier ("25%"). */
const countOrPercent = z.union([
  z.number().int().min(1),
  z.string().regex(/^([1-9][0-9]?|100)%$/, 'must be a count such as 2 or a percentage such as "25%"'),
]);

const hostSelector = z
  .object({
    /** Every tag must match for an instance to belong to the tier. */
    tags: z.record(z.string().regex(TAG_KEY), z.string().min(1).max(256)),
  })
  .strict()
  .refine((s) => Object.keys(s.tags).length > 0, { message: 'must name at least one tag', path: ['tags'] });

const ssmCommand = z
  .object({
    /** Name or ARN of the SSM Command document. */
    document: z.string().regex(SSM_DOCUMENT),
    /** Extra document parameters. Secrets are passed by name (SSM SecureString), never by value. */
    parameters: z.record(z.string().regex(/^[A-Za-z0-9]+$/), z.array(z.string().max(1024)).max(16)).default({}),
    /** How long one invocation may run on one host. @default 600 */
    timeoutSeconds: z.number().int().min(30).max(172_800).default(600),
  })
  .strict();

const traffic = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('target-group'),
      /** ELBv2 target group names; a host leaves and rejoins all of them together. */
      targetGroups: z.array(z.string().regex(TARGET_GROUP_NAME)).min(1).max(5),
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

const batchPolicy = z
  .object({
    /** Hosts of the tier that may be out of service at once. */
    maxUnavailable: countOrPercent,
    /** Share of the tier that must stay in service throughout, rounded up. */
    minHealthyPercent: z.number().int().min(1).max(99),
  })
  .strict();

const hostTier = z
  .object({
    name: z.string().regex(NAME),
    role: z.enum(['web', 'middle', 'monitoring']),
    /** Tiers roll in ascending order; middle before web keeps old web talking to new middle. */
    order: z.number().int().min(0),
    hosts: hostSelector,
    traffic,
    install: ssmCommand,
    drain: z.object({ timeoutSeconds: z.number().int().min(1).max(3600).default(300) }).strict().default({ timeoutSeconds: 300 }),
    health: z.object({ timeoutSeconds: z.number().int().min(1).max(3600).default(300) }).strict().default({ timeoutSeconds: 300 }),
    batch: batchPolicy,
    /** CloudWatch alarms (names) checked after every batch of this tier. */
    alarms: z.array(z.string().regex(ALARM_NAME)).max(100).default([]),
  })
  .strict();

const databaseTier = z
  .object({
    name: z.string().regex(NAME),
    role: z.literal('data'),
    order: z.number().int().min(0),
    database: z.object({ instanceIdentifier: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/) }).strict(),
  })
  .strict();

export const environmentSchema = z
  .object({
    name: z.string().regex(NAME),
    tiers: z.array(z.discriminatedUnion('role', [hostTier.extend({ role: z.enum(['web', 'middle', 'monitoring']) }), databaseTier])).min(1),
    /** Shortest and longest pause between two polls of a long operation. */
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
export type BatchPolicy = HostTierDefinition['batch'];

export function isHostTier(tier: TierDefinition): tier is HostTierDefinition {
  return tier.role !== 'data';
}
