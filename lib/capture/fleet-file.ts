/**
 * The fleet file: what `fleetflow capture` read of an environment's account, and what
 * `simulate … --fleet FILE` seeds the simulated account from (lib/simulator/fleet.ts).
 *
 * One zod model gives the type and the check. A file is refused with one line naming the
 * first field that is wrong, before anything is synthesized or run; a file of another
 * environment, or whose tiers or target groups are not the definition's, is refused too
 * (`checkFleetMatches`), because seeding it would simulate another fleet than the one the
 * workflow would meet.
 *
 * Times are ISO-8601 instants of the account's clock. A simulation of a captured fleet starts
 * at `capturedAt` (lib/simulator/simulate.ts `simulationEpoch`), so they are the simulation's
 * times too: a snapshot taken an hour before the capture is an hour old when the run starts,
 * and a point in time of the captured restorable window can be restored to.
 */
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { InvalidInputError } from '../../lambdas/domain/contract/errors';
import { formatPath, showValue } from '../../lambdas/domain/environment/input-guards';
import { isHostTier, type EnvironmentDefinition } from '../../lambdas/domain/environment/model';

/**
 * 2: each database also names the instance the environment uses (`current`, the Parameter Store
 * record a restore wrote, else the definition's) and the blue/green deployments open on it.
 * Files of version 1 stay readable: they are read as version 2 with `current` the defined
 * identifier and no deployment, which is what a version-1 capture read.
 */
export const FLEET_FILE_VERSION = 2;
/** A captured fleet of 20 tiers of a few thousand hosts stays well under this; a larger file is not a fleet file. */
export const MAX_FLEET_FILE_BYTES = 64 * 1024 * 1024;

const instant = z.iso.datetime({ offset: true });
const name = z.string().min(1).max(1024);

/** EC2 instance states FleetFlow can meet on a host it selects (terminated ones are not captured). */
export const CAPTURED_HOST_STATES = ['pending', 'running', 'stopping', 'stopped'] as const;

const hostSchema = z.strictObject({
  id: z.string().regex(/^i-[0-9a-zA-Z]{1,32}$/, 'an EC2 instance ID such as i-0123456789abcdef0'),
  /** The Name tag, or the ID when there is none (how the handlers name a host). */
  name,
  state: z.enum(CAPTURED_HOST_STATES),
  availabilityZone: name,
  subnetId: name.optional(),
  instanceType: name.optional(),
  launchTime: instant,
  /** The `fleetflow:release` tag; absent when the host has none. */
  release: z.string().max(128).optional(),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)),
});

/** DescribeTargetHealth's TargetHealth.State values (ELBv2 API reference, TargetHealth). */
export const TARGET_STATES = ['initial', 'healthy', 'unhealthy', 'unhealthy.draining', 'unused', 'draining', 'unavailable'] as const;

const targetGroupSchema = z.strictObject({
  name,
  arn: name,
  port: z.number().int().min(1).max(65535),
  protocol: z.string().max(16).optional(),
  healthCheck: z.strictObject({
    intervalSeconds: z.number().int().min(5).max(300),
    timeoutSeconds: z.number().int().min(2).max(120).optional(),
    healthyThreshold: z.number().int().min(2).max(10),
    unhealthyThreshold: z.number().int().min(2).max(10),
    protocol: z.string().max(16).optional(),
    port: z.string().max(16).optional(),
    path: z.string().max(1024).optional(),
  }),
  /** `deregistration_delay.timeout_seconds`: "The range is 0-3600 seconds." */
  deregistrationDelaySeconds: z.number().int().min(0).max(3600),
  targets: z.array(z.strictObject({ id: name, state: z.enum(TARGET_STATES), reason: z.string().max(128).optional() })),
});

const tierSchema = z.strictObject({
  name,
  hosts: z.array(hostSchema),
  targetGroups: z.array(targetGroupSchema),
});

const alarmSchema = z.strictObject({
  name,
  type: z.enum(['MetricAlarm', 'CompositeAlarm']),
  state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
});

const snapshotSchema = z.strictObject({
  id: name,
  type: z.enum(['manual', 'automated']),
  status: z.string().max(64),
  createdAt: instant,
  /** The instance it was taken of (version 2); absent, the database's `current`. */
  instance: name.optional(),
});

const blueGreenSchema = z.strictObject({
  /** BlueGreenDeploymentIdentifier, such as bgd-0123456789abcdef. */
  id: z.string().regex(/^bgd-[a-z0-9]{1,60}$/, 'a blue/green deployment identifier such as bgd-0123456789abcdef'),
  name,
  /** BlueGreenDeployment Status as RDS reported it (PROVISIONING, AVAILABLE, SWITCHOVER_FAILED, …). */
  status: z.string().min(1).max(64),
  /** The source (blue) and target (green) instances' identifiers (from their ARNs). */
  source: name,
  target: name,
  createdAt: instant,
  tags: z.record(z.string().min(1).max(128), z.string().max(256)),
});

const instanceSchema = z.strictObject({
  status: z.string().min(1).max(64),
  engine: name,
  engineVersion: name.optional(),
  instanceClass: name,
  allocatedStorage: z.number().int().min(0),
  multiAz: z.boolean(),
  subnetGroup: name.optional(),
  securityGroups: z.array(name),
  parameterGroup: name.optional(),
  masterUsername: name.optional(),
  /** DescribeDBInstances reported a MasterUserSecret (RDS manages the password); absent in files written before it was captured. */
  managedMasterPassword: z.boolean().optional(),
  createdAt: instant.optional(),
  backupRetentionPeriod: z.number().int().min(0).max(35),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)),
});

const databaseV1Schema = z.strictObject({
  tier: name,
  /** The definition's instanceIdentifier. */
  identifier: name,
  /** Null when DescribeDBInstances found no such instance (it was lost; its snapshots may remain). */
  instance: instanceSchema.nullable(),
  /** LatestRestorableTime, and the earliest restorable time of its automated backup; null without one. */
  restorableWindow: z.strictObject({ earliest: instant, latest: instant }).nullable(),
  snapshots: z.array(snapshotSchema),
});

const databaseSchema = databaseV1Schema.extend({
  /**
   * The instance the environment uses: `/fleetflow/<env>/database/current` when a restore wrote it,
   * else `identifier`. `instance` and `restorableWindow` are this one's.
   */
  current: name,
  /** The blue/green deployments whose source is `current` (DescribeBlueGreenDeployments, filter `source`). */
  blueGreenDeployments: z.array(blueGreenSchema),
});

const fleetFields = {
  environment: name,
  capturedAt: instant,
  region: z.string().max(64).optional(),
  tiers: z.array(tierSchema),
  alarms: z.array(alarmSchema),
};

export const fleetFileSchema = z.strictObject({ version: z.literal(FLEET_FILE_VERSION), ...fleetFields, databases: z.array(databaseSchema) });

/** Version 1 (before the current database and blue/green deployments were captured). */
const fleetFileV1Schema = z.strictObject({ version: z.literal(1), ...fleetFields, databases: z.array(databaseV1Schema) });

export type FleetFile = z.infer<typeof fleetFileSchema>;
export type CapturedTier = FleetFile['tiers'][number];
export type CapturedHost = CapturedTier['hosts'][number];
export type CapturedTargetGroup = CapturedTier['targetGroups'][number];
export type CapturedDatabase = FleetFile['databases'][number];

/** The parsed fleet file, or an InvalidInputError naming the first wrong field (one line). */
export function parseFleetFile(raw: unknown, source = 'fleet file'): FleetFile {
  const version = raw !== null && typeof raw === 'object' ? (raw as { version?: unknown }).version : undefined;
  const parsed = version === 1 ? upgradeV1(fleetFileV1Schema.safeParse(raw)) : fleetFileSchema.safeParse(raw);
  if (parsed.success) {
    checkDeployments(parsed.data, source);
    const hosts = new Map<string, string>();
    for (const [t, tier] of parsed.data.tiers.entries()) {
      for (const [h, host] of tier.hosts.entries()) {
        // Tier selectors do not overlap in a valid environment: a host in two tiers is not a capture of one.
        const seen = hosts.get(host.id);
        if (seen !== undefined) throw new InvalidInputError(`${source}: tiers[${t}].hosts[${h}].id: ${host.id} is also a host of tier ${seen}`);
        hosts.set(host.id, tier.name);
      }
    }
    return parsed.data;
  }
  const issue = parsed.error.issues[0]!;
  const received = valueAt(raw, issue.path);
  throw new InvalidInputError(`${source}: ${formatPath(issue.path)}: ${issue.message} (received ${received === undefined ? 'missing' : showValue(received, 60)})`);
}

/** Reads and parses a fleet file; a file that cannot be read or is not JSON is refused in one line. */
export function loadFleetFile(path: string): FleetFile {
  const shown = showValue(path, 80);
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new InvalidInputError(`--fleet ${shown} is not a regular file`);
    if (stat.size > MAX_FLEET_FILE_BYTES) throw new InvalidInputError(`--fleet ${shown} is ${stat.size} bytes; a fleet file is at most ${MAX_FLEET_FILE_BYTES}`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError(`--fleet ${shown} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).name})`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidInputError(`--fleet ${shown} is not JSON (${(err as Error).message.split('\n')[0]})`, { cause: err });
  }
  return parseFleetFile(raw, `--fleet ${shown}`);
}

/**
 * Refuses a fleet that is not the environment's: another environment's name, other host
 * tiers, or other target groups in a tier, or another database. The message names the
 * first difference.
 */
export function checkFleetMatches(fleet: FleetFile, environment: EnvironmentDefinition, source = 'fleet file'): void {
  const refuse = (why: string): never => {
    throw new InvalidInputError(`${source} does not match environment ${environment.name}: ${why}`);
  };
  if (fleet.environment !== environment.name) refuse(`it was captured from environment ${showValue(fleet.environment, 60)}`);
  const hostTiers = environment.tiers.filter(isHostTier);
  const wanted = hostTiers.map((t) => t.name).sort();
  const captured = fleet.tiers.map((t) => t.name).sort();
  if (wanted.join(',') !== captured.join(',')) refuse(`its host tiers are ${captured.join(', ') || 'none'}, the environment's ${wanted.join(', ') || 'none'}`);
  for (const tier of hostTiers) {
    const groups = tier.traffic.kind === 'target-group' ? [...tier.traffic.targetGroups].sort() : [];
    const got = fleet.tiers.find((t) => t.name === tier.name)!.targetGroups.map((g) => g.name).sort();
    if (groups.join(',') !== got.join(',')) refuse(`tier ${tier.name} has target groups ${got.join(', ') || 'none'}, the environment's ${groups.join(', ') || 'none'}`);
  }
  const databases = environment.tiers.filter((t) => !isHostTier(t)).map((t) => `${t.name}:${t.database.instanceIdentifier.toLowerCase()}`).sort();
  const gotDatabases = fleet.databases.map((d) => `${d.tier}:${d.identifier.toLowerCase()}`).sort();
  if (databases.join(',') !== gotDatabases.join(',')) refuse(`its databases are ${gotDatabases.join(', ') || 'none'}, the environment's ${databases.join(', ') || 'none'}`);
  // The simulator holds a deployment PROVISIONING, AVAILABLE or SWITCHOVER_FAILED from the start (lib/simulator/fleet.ts);
  // one caught mid-switchover, being deleted or failed otherwise would be rehearsed as something it is not.
  for (const database of fleet.databases) {
    const unheld = database.blueGreenDeployments.find((d) => !SEEDABLE_BLUE_GREEN_STATUSES.includes(d.status));
    if (unheld) {
      throw new InvalidInputError(
        `${source}: blue/green deployment ${unheld.id} of ${database.current} was ${showValue(unheld.status, 40)} when captured, which the simulator cannot start from (it holds ${SEEDABLE_BLUE_GREEN_STATUSES.join(', ')}); capture again once it has settled`,
      );
    }
  }
}

/** The BlueGreenDeployment statuses `simulate --fleet` can seed. */
export const SEEDABLE_BLUE_GREEN_STATUSES: readonly string[] = ['PROVISIONING', 'AVAILABLE', 'SWITCHOVER_FAILED'];

/** A version-1 file read as version 2: the database it captured is the defined one, and it recorded no deployment. */
function upgradeV1(parsed: ReturnType<typeof fleetFileV1Schema.safeParse>): { success: true; data: FleetFile } | { success: false; error: z.ZodError } {
  if (!parsed.success) return parsed;
  const databases = parsed.data.databases.map((d) => ({ ...d, current: d.identifier, blueGreenDeployments: [] }));
  return { success: true, data: { ...parsed.data, version: FLEET_FILE_VERSION, databases } };
}

/** A deployment of the database's: its source is the instance the environment uses (capture filtered by it). */
function checkDeployments(fleet: FleetFile, source: string): void {
  for (const [d, database] of fleet.databases.entries()) {
    for (const [b, deployment] of database.blueGreenDeployments.entries()) {
      if (deployment.source.toLowerCase() !== database.current.toLowerCase()) {
        throw new InvalidInputError(`${source}: databases[${d}].blueGreenDeployments[${b}].source: ${deployment.source} is not the database's current instance ${database.current}`);
      }
    }
  }
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
