/**
 * Seeds a simulated account from an environment definition: hosts tagged as the
 * environment selects them, registered and healthy in their target groups, running
 * the initial release; the install/drain documents; the alarms; the database.
 */
import { isHostTier, type EnvironmentDefinition, type HostTierDefinition } from '../environment/model';
import { releaseParameterName } from '../../lambdas/shared/release-record';
import { SIM_ACCOUNT_ID, SimulatedAccount, type AccountFaults, type HostProfile } from './account';

export const SIM_REGION = 'us-east-1';
export { SIM_ACCOUNT_ID };
export { RELEASE_TAG } from '../../lambdas/shared/release-tag';
import { RELEASE_TAG } from '../../lambdas/shared/release-tag';

export interface FleetOptions {
  /** Hosts per web/middle/monitoring tier. @default 2 */
  readonly hostsPerTier?: number;
  /** Release every host runs at the start. @default "1.0.0" */
  readonly initialRelease?: string;
  /** DB instance status of the database(s) when nothing else applies. @default "available" */
  readonly databaseStatus?: string;
}

export interface TargetGroupProfile {
  readonly intervalSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  readonly deregistrationDelaySeconds: number;
}

/** Health checks as an ALB target group is commonly set: 10 s interval, 3 checks, 300 s delay. */
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

export function seedAccount(environment: EnvironmentDefinition, faults: AccountFaults, options: FleetOptions = {}): SimulatedAccount {
  const account = new SimulatedAccount(faults);
  const hostsPerTier = options.hostsPerTier ?? 2;
  const release = options.initialRelease ?? '1.0.0';
  const hostTiers = environment.tiers.filter(isHostTier);
  const rolesSeen = new Map<string, number>();
  for (const t of hostTiers) rolesSeen.set(t.role, (rolesSeen.get(t.role) ?? 0) + 1);
  let serial = 0;
  let tgSerial = 0;

  for (const tier of hostTiers) {
    const prefix = (rolesSeen.get(tier.role) ?? 0) > 1 ? tier.name : NAME_PREFIX[tier.role];
    const ids: string[] = [];
    for (let i = 1; i <= hostsPerTier; i += 1) {
      const id = `i-0a${String(++serial).padStart(15, '0')}`;
      const name = `${prefix}-${i}`;
      const tags = new Map([...Object.entries(tier.hosts.tags), ['Name', name], [RELEASE_TAG, release]]);
      account.addHost({ id, name, tier: tier.name, tags, profile: hostProfile(tier.role, i - 1), release });
      ids.push(id);
    }
    account.documents.set(tier.install.document, 'install');
    if (tier.health.command) account.documents.set(tier.health.command.document, 'health');
    if (tier.traffic.kind === 'target-group') {
      for (const name of tier.traffic.targetGroups) {
        const arn = `arn:aws:elasticloadbalancing:${SIM_REGION}:${SIM_ACCOUNT_ID}:targetgroup/${name}/${String(++tgSerial).padStart(16, '0')}`;
        account.addTargetGroup({ arn, name, tier: tier.name, ...TARGET_GROUP_PROFILE }, ids);
      }
    } else if (tier.traffic.kind === 'drain-command') {
      account.documents.set(tier.traffic.drain.document, 'drain');
      account.documents.set(tier.traffic.undrain.document, 'undrain');
    }
    for (const alarm of tier.alarms) account.addAlarm(alarm, [tier.name]);
    seedSecrets(account, tier.install.parameters);
  }
  // Validation alarms watch the whole application.
  const applicationTiers = hostTiers.filter((t) => t.role !== 'monitoring').map((t) => t.name);
  for (const alarm of environment.validation.alarms) account.addAlarm(alarm, applicationTiers);
  for (const prefix of environment.validation.alarmPrefixes) {
    const tiers = hostTiers.filter((t) => t.alarms.some((a) => a.startsWith(prefix))).map((t) => t.name);
    if (![...account.alarms.keys()].some((a) => a.startsWith(prefix))) account.addAlarm(`${prefix}errors`, tiers.length ? tiers : applicationTiers);
  }
  account.tables.set(LOCK_TABLE_NAME, new Map());
  account.tables.set(PLAN_TABLE_NAME, new Map());
  let dbSerial = 0;
  for (const tier of environment.tiers) {
    if (isHostTier(tier)) continue;
    account.databases.set(tier.database.instanceIdentifier, {
      identifier: tier.database.instanceIdentifier,
      name: `db-${++dbSerial}`,
      status: options.databaseStatus ?? 'available',
      schemaRelease: release,
      availableThroughout: true,
    });
    account.documents.set(tier.database.migration.document, 'migration');
    seedSecrets(account, tier.database.migration.parameters);
  }
  return account;
}

/** What a release pipeline does before a window: queue the release it built. */
export function queueRelease(account: SimulatedAccount, environment: string, component: string, release: string): void {
  account.parameters.set(releaseParameterName(environment, component, 'next'), { type: 'String', value: release, version: 1 });
}
