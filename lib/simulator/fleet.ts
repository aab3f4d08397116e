/**
 * Seeds a simulated account from an environment definition: hosts tagged as the
 * environment selects them, spread over their tier's launch subnets, registered and
 * healthy in their target groups, running the initial release, with their tier's
 * prerequisites; the install, drain, prerequisite and probe documents; the alarms; the
 * database, its automated snapshots and a manual one; the launch templates and subnets new
 * hosts are launched from; with `database.restore`, its check and reconfigure documents and
 * the connection parameter holding the database's endpoint. Or, `empty`, everything but the
 * instances and the database. Or, `fleet`, the hosts, target groups, alarms, database and
 * snapshots a capture read from the account (lib/capture/), with everything else as above: the
 * database the environment used (after a restore, the restored one, named by its Parameter Store
 * record) and the blue/green deployments open on it.
 */
import { isHostTier, type DatabaseTierDefinition, type EnvironmentDefinition, type HostTierDefinition } from '../../lambdas/domain/environment/model';
import { databaseParameterName, releaseParameterName } from '../../lambdas/domain/contract/records';
import { masterSecretName, usesFleetFlowSecret } from '../../lambdas/domain/environment/master-password';
import { SIM_ACCOUNT_ID, SimulatedAccount, type AccountFaults, type HostProfile, type SimDatabase, type SimBlueGreenDeployment, DEFAULT_SUBNET, PROBE_DOCUMENT, SIM_VPC_ID, definitionOf, endpointOf, type DatabaseDefinition } from './account';
import { BLUE_GREEN_PROVISION_SECONDS, LAG_FLOOR_SECONDS, loseDatabase, seedAutomatedSnapshots, seedManualSnapshot } from './services/rds';
import { seedTierNetwork } from './services/network';
import type { FaultScope } from './faults';
import type { CapturedDatabase, CapturedTier, FleetFile } from '../capture/fleet-file';

export const SIM_REGION = 'us-east-1';
export { SIM_ACCOUNT_ID };
export { RELEASE_TAG } from '../../lambdas/domain/contract/tags';
import { RELEASE_TAG } from '../../lambdas/domain/contract/tags';

export interface FleetOptions {
  /** Hosts per web/middle/monitoring tier. @default 2 */
  readonly hostsPerTier?: number;
  /** Release every host runs at the start. @default "1.0.0" */
  readonly initialRelease?: string;
  /** DB instance status of the database(s) when nothing else applies. @default "available" */
  readonly databaseStatus?: string;
  /**
   * An account where the environment is yet to be allocated: its target groups (with no
   * targets), documents, alarms, tables, launch templates, subnets and release record, but
   * no instance and no database. @default false
   */
  readonly empty?: boolean;
  /**
   * With `empty`: the database's snapshots (automated and manual) survive, its automated
   * backups retained (an environment that lost every instance, disaster recovery). @default false
   */
  readonly keepSnapshots?: boolean;
  /**
   * A captured fleet (`simulate … --fleet FILE`): its hosts, target groups, alarms, database
   * and snapshots instead of the generated ones; `hostsPerTier`, `empty`, `keepSnapshots` and
   * `databaseStatus` then do not apply. The caller checked it matches the environment
   * (lib/capture/fleet-file.ts `checkFleetMatches`).
   */
  readonly fleet?: FleetFile;
}

export interface TargetGroupProfile {
  readonly intervalSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly deregistrationDelaySeconds: number;
}

/** Health checks as an ALB target group is commonly set (10 s interval, 3 checks) and ELB's default deregistration delay, 300 s. */
export const TARGET_GROUP_PROFILE: TargetGroupProfile = {
  intervalSeconds: 10,
  healthyThreshold: 3,
  unhealthyThreshold: 3,
  deregistrationDelaySeconds: 300,
};

/** The simulated name of the stack's lock table (the state machine's TableName resolves to it). */
export const LOCK_TABLE_NAME = 'fleetflow-lock-table';
/** The simulated plan table; the simulator sets PLAN_TABLE to it for the handlers. */
export const PLAN_TABLE_NAME = 'fleetflow-plan-table';

/** Every parameter reference ("/path") exists as a SecureString with a value only the host sees. */
function seedSecrets(account: SimulatedAccount, parameters: Record<string, string[]>): void {
  for (const value of Object.values(parameters).flat()) {
    if (value.startsWith('/') && !account.parameters.has(value)) {
      account.addSecret(value, `sim-secret-${Buffer.from(value).toString('hex').slice(-12)}-do-not-log`);
    }
  }
}

const NAME_PREFIX: Record<HostTierDefinition['role'], string> = { web: 'web', middle: 'mid', monitoring: 'mon' };

/** Deterministic spread of drain and install times, so batches differ as real ones do. */
export function hostProfile(role: HostTierDefinition['role'], index: number): HostProfile {
  switch (role) {
    case 'web':
      return { drainSeconds: 6 + (index % 3) * 2, installSeconds: 40 + (index % 4) * 3 };
    case 'middle':
      return { drainSeconds: 12 + (index % 3) * 3, installSeconds: 55 + (index % 3) * 4 };
    case 'monitoring':
      return { drainSeconds: 3, installSeconds: 30 + (index % 2) * 5 };
  }
}

/** Host name prefixes by tier: the role's (web, mid, mon), or the tier's name when two tiers share a role. */
export function namePrefixes(environment: EnvironmentDefinition): Map<string, string> {
  const hostTiers = environment.tiers.filter(isHostTier);
  const rolesSeen = new Map<string, number>();
  for (const t of hostTiers) rolesSeen.set(t.role, (rolesSeen.get(t.role) ?? 0) + 1);
  return new Map(hostTiers.map((t) => [t.name, (rolesSeen.get(t.role) ?? 0) > 1 ? t.name : NAME_PREFIX[t.role]]));
}

/**
 * What the environment is being given by the concurrent model work (lib/environment/model.ts):
 * read structurally, so the simulator does not depend on the exact shape of the schema.
 */
interface LaunchFields {
  readonly launch?: { template: { name: string } | { id: string }; version: string; subnets: ReadonlyArray<{ id: string; availabilityZone: string }>; instanceRole: string };
  readonly prerequisites?: ReadonlyArray<{ document: string; parameters?: Record<string, string[]> }>;
}
const launchOf = (tier: HostTierDefinition) => (tier as unknown as LaunchFields).launch;
const prerequisitesOf = (tier: HostTierDefinition) => (tier as unknown as LaunchFields).prerequisites ?? [];
const databaseCreateOf = (tier: DatabaseTierDefinition) =>
  (tier.database as unknown as { create?: DatabaseDefinition & { parameterGroup?: string; masterPassword?: 'fleetflow-secret' | 'rds-managed' } }).create;

/** The port a tier's target groups route to: the definition's, else 80 for web tiers and 8080 for others. */
export function trafficPort(tier: HostTierDefinition): number {
  const port = (tier.traffic as { port?: number }).port;
  return port ?? (tier.role === 'web' ? 80 : 8080);
}

/**
 * What faults may name beyond the fleet's hosts: each host tier's name prefix (a fault may
 * name a host that a launch will create, `web-7`), the Availability Zones of its launch
 * subnets, and whether target groups serve it.
 */
export function faultScope(environment: EnvironmentDefinition): FaultScope {
  const prefixes = namePrefixes(environment);
  return {
    tiers: new Map(
      environment.tiers.filter(isHostTier).map((tier) => [
        tier.name,
        {
          prefix: prefixes.get(tier.name)!,
          availabilityZones: [...new Set((launchOf(tier)?.subnets ?? []).map((s) => s.availabilityZone))],
          targetGroups: tier.traffic.kind === 'target-group',
          securityGroups: tier.traffic.kind === 'target-group' && (tier.traffic.hostSecurityGroups ?? []).length > 0,
          certificates: tier.traffic.kind === 'target-group' && (tier.role === 'web' || tier.traffic.domain !== undefined),
          records: tier.traffic.kind === 'target-group' && tier.traffic.domain?.hostedZoneId !== undefined,
        },
      ]),
    ),
  };
}

/** The tier as the account's compute knows it: names, selector tags, prerequisites, port, launch template, subnets. */
function registerComputeTier(account: SimulatedAccount, tier: HostTierDefinition, prefix: string): void {
  const prerequisites = prerequisitesOf(tier);
  account.compute.tiers.set(tier.name, {
    name: tier.name,
    prefix,
    tags: tier.hosts.tags,
    prerequisites: prerequisites.map((p) => p.document),
    ...(tier.traffic.kind === 'target-group' ? { port: trafficPort(tier) } : {}),
    profile: (n) => hostProfile(tier.role, n - 1),
  });
  for (const prerequisite of prerequisites) {
    account.documents.set(prerequisite.document, 'prerequisite');
    seedSecrets(account, prerequisite.parameters ?? {});
  }
  const launch = launchOf(tier);
  if (!launch) return;
  account.compute.addTemplate(launch.template, tier.name, launch.instanceRole);
  for (const subnet of launch.subnets) account.compute.addSubnet(subnet.id, subnet.availabilityZone);
}

/** Where a tier's `i`-th seeded host (1-based) runs: its launch subnets in turn, else the default subnet. */
function placement(tier: HostTierDefinition, i: number): { availabilityZone: string; subnetId: string } {
  const subnets = launchOf(tier)?.subnets ?? [];
  if (subnets.length === 0) return { availabilityZone: DEFAULT_SUBNET.availabilityZone, subnetId: DEFAULT_SUBNET.id };
  const subnet = subnets[(i - 1) % subnets.length]!;
  return { availabilityZone: subnet.availabilityZone, subnetId: subnet.id };
}

/** The data tier's instance, available, with the definition it was created with, two automated snapshots and a manual one. */
function seedDatabase(account: SimulatedAccount, tier: DatabaseTierDefinition, name: string, status: string, release: string): SimDatabase {
  const create = databaseCreateOf(tier);
  const db: SimDatabase = {
    identifier: tier.database.instanceIdentifier.toLowerCase(),
    name,
    status,
    schemaRelease: release,
    availableThroughout: true,
    createdAt: account.startedAt - DATABASE_AGE_MS,
    ...(create ? { definition: definitionFrom(create) } : {}),
  };
  account.databases.set(db.identifier, db);
  seedAutomatedSnapshots(account, db);
  seedManualSnapshot(account, db);
  return db;
}

/** The first data tier's database as the hosts find it: seeded hosts use it; launched ones read the connection parameter. */
function dataTierOf(environment: EnvironmentDefinition, fleet: FleetFile | undefined): SimulatedAccount['dataTier'] {
  const tier = environment.tiers.find((t): t is DatabaseTierDefinition => !isHostTier(t));
  if (!tier) return undefined;
  const restore = tier.database.restore;
  // A captured fleet's: the instance the environment used when captured (after a restore, not the defined one).
  const captured = fleet?.databases.find((d) => d.tier === tier.name);
  return {
    identifier: captured ? captured.current.toLowerCase() : tier.database.instanceIdentifier,
    ...(restore ? { connectionParameter: restore.connectionParameter } : {}),
    restoreTiers: restore?.tiers ?? [],
  };
}

/**
 * `database.restore`: the check and reconfigure documents, and the connection parameter
 * (String) holding "<address>:<port>" of the database, as DescribeDBInstances reports its
 * endpoint. It is seeded even when the instance is gone (`empty`): the value outlives the
 * instance and points at nothing.
 */
function seedRestore(account: SimulatedAccount, tier: DatabaseTierDefinition, current?: SimDatabase): void {
  const restore = tier.database.restore;
  if (!restore) return;
  const create = databaseCreateOf(tier);
  // A captured fleet's current instance's endpoint: after a restore, the hosts use the restored instance.
  const endpoint = current ? endpointOf(current) : endpointOf({ identifier: tier.database.instanceIdentifier, ...(create ? { definition: definitionFrom(create) } : {}) });
  account.parameters.set(restore.connectionParameter, { type: 'String', value: endpoint, version: 1 });
  account.documents.set(restore.reconfigure.document, 'reconfigure');
  account.documents.set(restore.check.document, 'database-check');
  // After the connection parameter, so that a reference to it is not seeded as a secret.
  seedSecrets(account, restore.reconfigure.parameters);
  seedSecrets(account, restore.check.parameters);
}

/** The definition's `create` as what the instance was created with. */
function definitionFrom(create: DatabaseDefinition & { masterPassword?: string }): DatabaseDefinition {
  return {
    engine: create.engine,
    ...(create.engineVersion !== undefined ? { engineVersion: create.engineVersion } : {}),
    instanceClass: create.instanceClass,
    allocatedStorage: create.allocatedStorage,
    subnetGroup: create.subnetGroup,
    securityGroups: [...create.securityGroups],
    ...(create.parameterGroup !== undefined ? { parameterGroup: create.parameterGroup } : {}),
    multiAz: create.multiAz,
    masterUsername: create.masterUsername,
    // As FleetFlow creates it (lambdas/compute/database-creation.ts): with RDS managing the password only in
    // "rds-managed" mode; in "fleetflow-secret" mode with the environment's secret's password (seedMasterSecret).
    ...(create.masterPassword === 'rds-managed' ? { managedMasterPassword: true } : {}),
  };
}

/**
 * A seeded host's LaunchTime: a week before the simulation and up to 30 days more, a whole
 * number of hours set by its serial (337 is prime to 720, so the first 720 hosts all differ),
 * so launch order is not name order and a scale-in's "oldest first" is tested, not a tie-break.
 * The same fleet always gets the same times: a campaign's replay command reproduces its run.
 */
function seededLaunchTime(account: SimulatedAccount, serial: number): number {
  return account.startedAt - (7 * 24 + ((serial * 337) % 720)) * 3600_000;
}

/** How long before the simulation the seeded database was created. */
const DATABASE_AGE_MS = 90 * 24 * 3600 * 1000;

export function seedAccount(environment: EnvironmentDefinition, faults: AccountFaults, options: FleetOptions = {}): SimulatedAccount {
  const account = new SimulatedAccount(faults);
  // Before the hosts: seeded hosts are configured for the environment's database.
  const fleet = options.fleet;
  account.dataTier = dataTierOf(environment, fleet);
  const hostsPerTier = options.empty ? 0 : (options.hostsPerTier ?? 2);
  const release = fleet ? capturedBaseline(fleet, options.initialRelease ?? '1.0.0') : (options.initialRelease ?? '1.0.0');
  account.baselineRelease = release;
  // A captured fleet's alarms: those the capture found, in the state it found them; no other.
  const addAlarm = (name: string, tiers: readonly string[]) => {
    if (!fleet) return account.addAlarm(name, tiers);
    const captured = fleet.alarms.find((a) => a.name === name);
    if (!captured) return;
    account.addAlarm(name, tiers, captured.type);
    account.alarms.get(name)!.baseState = captured.state;
  };
  const hostTiers = environment.tiers.filter(isHostTier);
  const prefixes = namePrefixes(environment);
  let serial = 0;
  let tgSerial = 0;
  let lbSerial = 0;

  for (const tier of hostTiers) {
    const prefix = prefixes.get(tier.name)!;
    registerComputeTier(account, tier, prefix);
    const captured = fleet?.tiers.find((t) => t.name === tier.name);
    const ids: string[] = [];
    if (captured && fleet) ids.push(...seedCapturedHosts(account, tier, captured, capturedClock(account, fleet), release));
    else {
      for (let i = 1; i <= hostsPerTier; i += 1) {
        const id = `i-0a${String(++serial).padStart(15, '0')}`;
        const name = `${prefix}-${i}`;
        const tags = new Map([...Object.entries(tier.hosts.tags), ['Name', name], [RELEASE_TAG, release]]);
        account.addHost({ id, name, tier: tier.name, tags, profile: hostProfile(tier.role, i - 1), release, ...placement(tier, i), launchedAt: seededLaunchTime(account, serial) });
        ids.push(id);
      }
    }
    account.documents.set(tier.install.document, 'install');
    if (tier.drain.check) account.documents.set(tier.drain.check.document, 'drain-check');
    if (tier.health.command) account.documents.set(tier.health.command.document, 'health');
    if (tier.traffic.kind === 'target-group') {
      const arns: string[] = [];
      for (const name of tier.traffic.targetGroups) {
        const arn = `arn:aws:elasticloadbalancing:${SIM_REGION}:${SIM_ACCOUNT_ID}:targetgroup/${name}/${String(++tgSerial).padStart(16, '0')}`;
        const group = captured?.targetGroups.find((g) => g.name === name);
        if (group) seedCapturedTargetGroup(account, tier, group, arn);
        else account.addTargetGroup({ arn, name, tier: tier.name, port: trafficPort(tier), vpcId: SIM_VPC_ID, ...TARGET_GROUP_PROFILE }, ids);
        arns.push(arn);
      }
      // Its load balancer, listener and security groups, as a working environment has them.
      seedTierNetwork(
        account,
        {
          name: tier.name,
          role: tier.role,
          environment: environment.name,
          hostSecurityGroups: tier.traffic.hostSecurityGroups ?? [],
          port: trafficPort(tier),
          subnets: launchOf(tier)?.subnets ?? [DEFAULT_SUBNET],
          domain: tier.traffic.domain,
        },
        arns,
        { region: SIM_REGION, account: SIM_ACCOUNT_ID, vpcId: SIM_VPC_ID, serial: ++lbSerial },
      );
    } else if (tier.traffic.kind === 'drain-command') {
      account.documents.set(tier.traffic.drain.document, 'drain');
      account.documents.set(tier.traffic.undrain.document, 'undrain');
    }
    for (const alarm of tier.alarms) addAlarm(alarm, [tier.name]);
    seedSecrets(account, tier.install.parameters);
  }
  // AWS-managed: every account has it.
  account.documents.set(PROBE_DOCUMENT, 'probe');
  // Validation alarms watch the whole application.
  const applicationTiers = hostTiers.filter((t) => t.role !== 'monitoring').map((t) => t.name);
  for (const alarm of environment.validation.alarms) addAlarm(alarm, applicationTiers);
  for (const prefix of environment.validation.alarmPrefixes) {
    const tiers = hostTiers.filter((t) => t.alarms.some((a) => a.startsWith(prefix))).map((t) => t.name);
    if (fleet) {
      for (const alarm of fleet.alarms) if (alarm.name.startsWith(prefix) && !account.alarms.has(alarm.name)) addAlarm(alarm.name, tiers.length ? tiers : applicationTiers);
    } else if (![...account.alarms.keys()].some((a) => a.startsWith(prefix))) account.addAlarm(`${prefix}errors`, tiers.length ? tiers : applicationTiers);
  }
  account.tables.set(LOCK_TABLE_NAME, new Map());
  account.tables.set(PLAN_TABLE_NAME, new Map());
  let dbSerial = 0;
  for (const tier of environment.tiers) {
    if (isHostTier(tier)) continue;
    const create = databaseCreateOf(tier);
    if (create) {
      account.compute.dbSubnetGroups.add(create.subnetGroup);
      if (create.parameterGroup) account.compute.dbParameterGroups.add(create.parameterGroup);
      // The stack creates the environment's master password secret (lib/constructs/database-master-secret.ts),
      // its value generated by CloudFormation: here a fixed one, watched like every secret value.
      if (usesFleetFlowSecret(create)) {
        const name = masterSecretName(environment.name);
        account.addSecretsManagerSecret(name, `sim-master-${Buffer.from(name).toString('hex').slice(-12)}-do-not-log`);
      }
    }
    const capturedDatabase = fleet?.databases.find((d) => d.tier === tier.name);
    let current: SimDatabase | undefined;
    if (capturedDatabase && fleet) current = seedCapturedDatabase(account, environment.name, tier, capturedDatabase, `db-${++dbSerial}`, release, capturedClock(account, fleet));
    else if (!options.empty) seedDatabase(account, tier, `db-${++dbSerial}`, options.databaseStatus ?? 'available', release);
    else if (options.keepSnapshots) {
      // The instance was lost before the simulation: its snapshots are left, its automated backups retained.
      loseDatabase(account, seedDatabase(account, tier, `db-${++dbSerial}`, 'available', release), account.startedAt);
    }
    account.documents.set(tier.database.migration.document, 'migration');
    seedSecrets(account, tier.database.migration.parameters);
    seedRestore(account, tier, current);
  }
  // An empty account still has the environment's release record, so that a first allocate installs it.
  if (options.empty && !fleet) {
    for (const component of ['application', 'monitoring'] as const) {
      account.parameters.set(releaseParameterName(environment.name, component, 'current'), { type: 'String', value: release, version: 1 });
    }
  }
  return account;
}

// ---------- a captured fleet (lib/capture/) ----------

/**
 * The release the environment runs: the one most of the captured hosts' `fleetflow:release`
 * tags name (the tag is FleetFlow's record of what was installed), else `fallback`.
 */
function capturedBaseline(fleet: FleetFile, fallback: string): string {
  const counts = new Map<string, number>();
  for (const host of fleet.tiers.flatMap((t) => t.hosts)) if (host.release) counts.set(host.release, (counts.get(host.release) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? fallback;
}

/**
 * A captured instant on the account's clock, as far before its start as it was before the
 * capture: the same instant when the simulation starts at the capture's (simulate.ts
 * `simulationEpoch`); a seeding outside a run (checking faults) keeps the distances.
 */
function capturedClock(account: SimulatedAccount, fleet: FleetFile): (iso: string) => number {
  const capturedAt = Date.parse(fleet.capturedAt);
  return (iso) => account.startedAt + (Date.parse(iso) - capturedAt);
}

/**
 * The tier's captured hosts, with their IDs, names, tags, zones and launch times. A host runs
 * the release its tag records (one with no tag, the environment's); a stopped (or stopping)
 * one is stopped, a pending one running (its boot is over by the time a workflow looks).
 */
function seedCapturedHosts(account: SimulatedAccount, tier: HostTierDefinition, captured: CapturedTier, at: (iso: string) => number, baseline: string): string[] {
  return captured.hosts.map((h, i) => {
    const host = account.addHost({
      id: h.id,
      name: h.name,
      tier: tier.name,
      tags: new Map(Object.entries(h.tags)),
      profile: hostProfile(tier.role, i),
      release: h.release || baseline,
      availabilityZone: h.availabilityZone,
      subnetId: h.subnetId ?? DEFAULT_SUBNET.id,
      ...(h.instanceType ? { instanceType: h.instanceType } : {}),
      launchedAt: at(h.launchTime),
    });
    if (h.state === 'stopped' || h.state === 'stopping') {
      account.hostLeftRunning(host);
      account.setHostState(h.id, 'stopped');
    }
    return h.id;
  });
}

/**
 * A captured target group: its port, health check counts and deregistration delay; its
 * targets those registered when captured (not `draining`, not `unused` for want of a
 * registration), of the hosts captured; a target found `unhealthy` is a host whose service
 * is down (every health check has failed since before the start).
 */
function seedCapturedTargetGroup(account: SimulatedAccount, tier: HostTierDefinition, group: CapturedTier['targetGroups'][number], arn: string): void {
  const registered = group.targets.filter((t) => account.hosts.has(t.id) && t.state !== 'draining' && !(t.state === 'unused' && t.reason !== 'Target.InvalidState'));
  account.addTargetGroup(
    {
      arn,
      name: group.name,
      tier: tier.name,
      port: group.port,
      vpcId: SIM_VPC_ID,
      intervalSeconds: group.healthCheck.intervalSeconds,
      healthyThreshold: group.healthCheck.healthyThreshold,
      unhealthyThreshold: group.healthCheck.unhealthyThreshold,
      deregistrationDelaySeconds: group.deregistrationDelaySeconds,
    },
    registered.map((t) => t.id),
  );
  for (const target of registered) {
    const host = account.hosts.get(target.id)!;
    if (target.state !== 'unhealthy' || host.state !== 'running') continue;
    host.healthTimeline.splice(0, host.healthTimeline.length, { at: 0, healthy: false });
    account.hostChanged(host);
  }
}

/**
 * The captured database: the instance as it was described, and its snapshots at their times,
 * each holding the environment's release's schema. An instance the capture found gone, but
 * whose automated backups were retained (it found a restorable window), is a lost instance:
 * lost at the window's end, its definition the environment's `create` (else the default).
 */
function seedCapturedDatabase(
  account: SimulatedAccount,
  environment: string,
  tier: DatabaseTierDefinition,
  captured: CapturedDatabase,
  name: string,
  release: string,
  at: (iso: string) => number,
): SimDatabase | undefined {
  // The instance the environment uses; after a restore, the restore's, which its record names (as on AWS).
  const identifier = captured.current.toLowerCase();
  if (identifier !== captured.identifier.toLowerCase()) account.parameters.set(databaseParameterName(environment), { type: 'String', value: captured.current, version: 1 });
  const instance = captured.instance;
  const fallback = definitionOf(undefined);
  const definition: DatabaseDefinition | undefined = instance
    ? {
        engine: instance.engine,
        ...(instance.engineVersion !== undefined ? { engineVersion: instance.engineVersion } : {}),
        instanceClass: instance.instanceClass,
        allocatedStorage: instance.allocatedStorage,
        subnetGroup: instance.subnetGroup ?? fallback.subnetGroup,
        securityGroups: instance.securityGroups,
        ...(instance.parameterGroup !== undefined ? { parameterGroup: instance.parameterGroup } : {}),
        multiAz: instance.multiAz,
        masterUsername: instance.masterUsername ?? fallback.masterUsername,
        ...(instance.managedMasterPassword ? { managedMasterPassword: true } : {}),
      }
    : undefined;
  if (instance) {
    account.databases.set(identifier, {
      identifier,
      name,
      status: instance.status,
      schemaRelease: release,
      availableThroughout: true,
      createdAt: instance.createdAt ? at(instance.createdAt) : account.startedAt - DATABASE_AGE_MS,
      ...(definition ? { definition } : {}),
      tags: { ...instance.tags },
    });
  }
  for (const snapshot of captured.snapshots) {
    const createdAt = at(snapshot.createdAt);
    account.snapshots.set(snapshot.id, {
      id: snapshot.id,
      instance: (snapshot.instance ?? identifier).toLowerCase(),
      createdAt,
      // One available when captured is available from the start; one still being created, two minutes later.
      availableAt: snapshot.status === 'available' ? Math.min(createdAt, account.startedAt) : Math.max(createdAt, account.startedAt) + 120 * 1000,
      tags: {},
      type: snapshot.type,
      schemaRelease: release,
      definition: definitionOf({ ...(definition ? { definition } : {}) }),
    });
  }
  const window = captured.restorableWindow;
  if (!instance && window) {
    const create = databaseCreateOf(tier);
    // Created no later than its oldest snapshot, so that its retained backup covers them all.
    const createdAt = Math.min(at(window.earliest), ...captured.snapshots.map((snapshot) => at(snapshot.createdAt))) - 1000;
    const lost: SimDatabase = { identifier, name, status: 'available', schemaRelease: release, availableThroughout: true, createdAt, ...(create ? { definition: definitionFrom(create) } : {}) };
    account.databases.set(identifier, lost);
    loseDatabase(account, lost, at(window.latest));
  }
  const current = account.databases.get(identifier);
  if (current) for (const deployment of captured.blueGreenDeployments) seedCapturedBlueGreen(account, current, deployment, at);
  return current;
}

/**
 * A blue/green deployment open on the current instance when captured, with its green, so that
 * replace-database's plan meets it as on AWS and refuses to start beside it. Held in the status
 * the capture found: PROVISIONING (its green `creating` for the provisioning time from its
 * creation, at least until the start), AVAILABLE, or SWITCHOVER_FAILED (rolled back before the
 * start); checkFleetMatches refused the statuses the simulator cannot hold.
 */
function seedCapturedBlueGreen(account: SimulatedAccount, blue: SimDatabase, captured: CapturedDatabase['blueGreenDeployments'][number], at: (iso: string) => number): void {
  // Before the start, strictly: the report tells a run's own deployment (created during it) from those it met.
  const createdAt = Math.min(at(captured.createdAt), account.startedAt - 1000);
  const availableAt = captured.status === 'PROVISIONING' ? Math.max(createdAt + BLUE_GREEN_PROVISION_SECONDS * 1000, account.startedAt + 1000) : createdAt;
  const green: SimDatabase = {
    identifier: captured.target.toLowerCase(),
    name: `${blue.name}-green`,
    status: 'available',
    schemaRelease: blue.schemaRelease,
    availableThroughout: true,
    createdAt,
    lifecycle: [
      { at: createdAt, status: 'creating' },
      { at: availableAt, status: 'available' },
    ],
    servesFrom: availableAt,
    ...(blue.definition ? { definition: blue.definition } : {}),
    tags: {},
    writes: { count: 0, since: null },
  };
  green.replica = { source: blue, deployment: captured.id, lagSecondsAt: () => LAG_FLOOR_SECONDS };
  account.databases.set(green.identifier, green);
  // The captured green is seeded as a copy of the blue (same engine version), so PostgreSQL keeps it by physical replication.
  const engine = blue.definition?.engine ?? 'postgres';
  const replication = engine === 'mysql' || engine === 'mariadb' ? 'binlog' : 'physical';
  const deployment: SimBlueGreenDeployment = { id: captured.id, name: captured.name, blue, green, createdAt, availableAt, tags: { ...captured.tags }, replication };
  if (captured.status === 'SWITCHOVER_FAILED') deployment.switchover = { at: createdAt, endsAt: createdAt, timeoutSeconds: 300, failed: 'Switchover failed before the capture' };
  account.compute.blueGreenDeployments.set(captured.id, deployment);
  if (availableAt > account.startedAt) account.schedule(availableAt, () => undefined);
}

/** What a release pipeline does before a window: queue the release it built. */
export function queueRelease(account: SimulatedAccount, environment: string, component: string, release: string): void {
  account.parameters.set(releaseParameterName(environment, component, 'next'), { type: 'String', value: release, version: 1 });
}
