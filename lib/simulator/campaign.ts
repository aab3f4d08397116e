/**
 * A seeded fault campaign: many simulated releases of one environment, each with a random
 * combination and timing of faults drawn from every kind the simulator injects, checked
 * against the invariants FleetFlow promises during and after every run. A violation is
 * reported with the run's seed and faults, which `fleetflow simulate deploy --fault ...`
 * replays exactly (runs are deterministic on the virtual clock).
 */
// mulberry32 (random.ts): the same seed draws the same campaign.
import { prng } from './random';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { isHostTier } from '../../lambdas/domain/environment/model';
import { databaseAtEndpoint, type SimulatedAccount } from './account';
import { LOCK_TABLE_NAME, namePrefixes, seedAccount } from './fleet';
import { OUT_OF_TRAFFIC_TAG, LAUNCHED_BY_TAG, LAUNCH_SCOPE_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG, SURGE_REASON } from '../../lambdas/domain/contract/tags';
import { noFaults } from './faults';
import { resolveBatchPolicy, resolveSurgeLimits } from '../../lambdas/domain/environment/batch-policy';
import { simulateExecutions, type SimulationReport } from './simulate';
import type { ExecutionEvent } from './progress';
import { checkScaleInInvariants, drawScaleInInput, prepareScaleIn, SCALE_IN_HOSTS_PER_TIER, type ScaleInWatch } from './scale-in-campaign';

export interface CampaignOptions {
  readonly environment: EnvironmentDefinition;
  readonly runs: number;
  readonly seed: number;
  /** Which component each release is of. @default "application" */
  readonly component?: 'application' | 'monitoring';
  /**
   * Which workflow each run starts: a release (on a surge environment, a surge release), an
   * allocate of the whole environment on an empty account, or a replacement. @default "deploy"
   */
  readonly workflow?: CampaignWorkflow;
  /** Runs with these indexes only (a worker's share). @default all */
  readonly indexes?: readonly number[];
  /** Called after every run. */
  readonly onRun?: (run: CampaignRun, done: number) => void;
}

export interface Violation {
  readonly invariant: string;
  readonly detail: string;
}

export interface CampaignRun {
  readonly index: number;
  readonly seed: number;
  readonly faults: string[];
  readonly outcome: string;
  readonly cause?: string;
  readonly violations: Violation[];
  /** The execution input, when it is not the release's (a replacement's targets). */
  readonly input?: unknown;
  /** Faults drawn that never took effect in the run (the report's faultOutcomes): the run tested nothing of them. */
  readonly notApplied?: Array<{ readonly fault: string; readonly reason: string }>;
}

export interface CampaignReport {
  readonly runs: number;
  readonly seed: number;
  readonly component: string;
  readonly violationCount: number;
  /** Every run with at least one violation, with what replays it. */
  readonly violations: Array<CampaignRun & { readonly replay: string }>;
  /**
   * Every run that did not succeed, violation or not, with what replays it: a named failure
   * the invariants accept (a rollback that could not finish, say) is still worth a look.
   * One entry per failed run, so it grows with --runs, never with the fleet.
   */
  readonly failedRuns: FailedRun[];
  /** Faults drawn, by kind. */
  readonly byFaultKind: Record<string, number>;
  /**
   * Of those, the ones that never took effect in their run, by kind: drawn, not tested, so no
   * run counts as having come through them (a surge never installs on an old host, a state
   * never entered, a time after the end).
   */
  readonly notAppliedByFaultKind: Record<string, number>;
  /** Every fault drawn that never took effect, with its run, why, and what replays the run. */
  readonly notApplied: Array<{ readonly index: number; readonly seed: number; readonly fault: string; readonly reason: string; readonly replay: string }>;
  readonly byOutcome: Record<string, number>;
  readonly realTimeSeconds: number;
}

export interface FailedRun {
  readonly index: number;
  readonly seed: number;
  readonly outcome: string;
  readonly cause?: string;
  readonly replay: string;
}

export type CampaignWorkflow = 'deploy' | 'allocate' | 'scale-out' | 'scale-in' | 'replace' | 'restore-data' | 'recover' | 'replace-database';
export const CAMPAIGN_WORKFLOWS: readonly CampaignWorkflow[] = ['deploy', 'allocate', 'scale-out', 'scale-in', 'replace', 'restore-data', 'recover', 'replace-database'];

const RELEASE = '1.1.0';
const INITIAL_RELEASE = '1.0.0';
/** Built-in JavaScript errors: an execution must never end with one of these names. */
const RUNTIME_ERRORS = new Set(['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError', 'AggregateError']);

/** What the campaign can aim faults at in this environment's simulated account. */
export interface Targets {
  readonly hosts: string[];
  /**
   * Hosts the release installs on, for the install and new-release faults (patch-fail,
   * unhealthy, ssm-status): a surge tier's new hosts in place of its old ones, which a surge
   * never installs on. @default hosts
   */
  readonly installHosts?: string[];
  readonly alarms: string[];
  /** Tiers that can launch hosts, their Availability Zones, and names their new hosts will have. */
  readonly launchTiers: Array<{ name: string; zones: string[]; targetGroups: boolean; securityGroups: boolean; certificates: boolean; records: boolean }>;
  readonly newHosts: string[];
  readonly workflow: CampaignWorkflow;
  readonly surge: boolean;
  /** A release whose every released tier is a surge tier: no batch of it runs the rolling tasks (ROLLING_BATCH_TASKS). */
  readonly surgeOnly?: boolean;
  /** Hosts of the released tiers that a drain command takes out of traffic (clustered tiers). */
  readonly drainCommandHosts?: string[];
  /** The host tiers a scale-in may shrink. */
  readonly hostTiers?: string[];
}

export function targetsOf(environment: EnvironmentDefinition, component: 'application' | 'monitoring', workflow: CampaignWorkflow): Targets {
  const account = seedAccount(environment, noFaults(), { hostsPerTier: campaignHostsPerTier(environment, workflow) });
  const hostTiers = environment.tiers.filter(isHostTier);
  const launchTiers = hostTiers
    .filter((t) => t.launch && (workflow !== 'deploy' || t.batch.strategy === 'surge'))
    .map((t) => ({
      name: t.name,
      zones: [...new Set(t.launch!.subnets.map((s) => s.availabilityZone))],
      targetGroups: t.traffic.kind === 'target-group',
      securityGroups: t.traffic.kind === 'target-group' && t.traffic.hostSecurityGroups !== undefined,
      // As the simulated account seeds them (fleet.ts): an HTTPS listener for web tiers and declared domains.
      certificates: t.traffic.kind === 'target-group' && (t.role === 'web' || t.traffic.domain !== undefined),
      records: t.traffic.kind === 'target-group' && t.traffic.domain?.hostedZoneId !== undefined,
    }));
  const prefixes = namePrefixes(environment);
  // The hosts a run may launch: numbered after what the account starts with (allocate starts empty).
  const newHosts = launchTiers.flatMap((t) => {
    const first = workflow === 'allocate' || workflow === 'recover' ? 1 : [...account.hosts.values()].filter((h) => h.tier === t.name).length + 1;
    return [0, 1].map((k) => `${prefixes.get(t.name)}-${first + k}`);
  });
  const tiers = new Set(
    environment.tiers.filter(isHostTier).filter((t) => (component === 'monitoring') === (t.role === 'monitoring')).map((t) => t.name),
  );
  const hosts = [...account.hosts.values()].filter((h) => tiers.has(h.tier));
  // A release of a surge tier installs only on the hosts it launches (statemachines/surge/).
  const surgeTiers = new Set(workflow === 'deploy' ? launchTiers.map((t) => t.name) : []);
  const surgeNewHosts = launchTiers.filter((t) => tiers.has(t.name)).flatMap((t) => newHosts.filter((n) => n.startsWith(`${prefixes.get(t.name)}-`)));
  return {
    hosts: hosts.map((h) => h.name),
    installHosts: [...hosts.filter((h) => !surgeTiers.has(h.tier)).map((h) => h.name), ...(surgeTiers.size > 0 ? surgeNewHosts : [])],
    alarms: [...account.alarms.keys()],
    launchTiers,
    newHosts,
    workflow,
    surge: workflow === 'deploy' && launchTiers.length > 0,
    surgeOnly: surgeTiers.size > 0 && hosts.every((h) => surgeTiers.has(h.tier)),
    drainCommandHosts: drainCommandHostsOf(environment, account, tiers),
    hostTiers: hostTiers.map((t) => t.name),
  };
}

/** The release's Lambda task states, parent and rollout, that `error:` can aim at. */
const LAMBDA_TASKS = [
  'Plan Release', 'Preflight', 'Check Database', 'Create Snapshot', 'Check Snapshot', 'Run Migration', 'Check Migration',
  'Recheck Database', 'Load Batch', 'Check Capacity', 'Take Batch Out', 'Check Drain', 'Install Release', 'Check Install',
  'Return Batch To Traffic', 'Check Health', 'Check Alarms', 'Start Bake', 'Check Bake', 'Record Release', 'Plan Rollback',
];

/** The compute workflows' Lambda task states, parent and rollout, that `error:` can aim at. */
const COMPUTE_TASKS = [
  'Launch Hosts', 'Launch More Hosts', 'Check Hosts Ready', 'Verify Dependencies', 'Store New Hosts', 'Load Batch', 'Set Up Hosts', 'Check Set Up',
  'Install On New Hosts', 'Check New Hosts Install', 'Put New Hosts In Service', 'Check New Hosts Health', 'Clean Up Launched', 'Check Termination',
];
const REPLACE_TASKS = ['Check Retire Capacity', 'Take Retiring Hosts Out', 'Check Retiring Drain', 'Retire Hosts', 'Check Retired'];
/** The restore's Lambda task states, parent and rollout (repoint batches). */
const RESTORE_TASKS = [
  'Plan Restore Data', 'Restore Database', 'Check Restored Database', 'Validate Data', 'Check Data Validation', 'Write Connection', 'Load Batch',
  'Check Repoint Capacity', 'Take Repoint Batch Out', 'Check Repoint Drain', 'Reconfigure Repoint Batch', 'Check Repoint Reconfigure',
  'Return Repoint Batch', 'Check Repoint Health', 'Repoint Start Bake', 'Repoint Check Bake', 'Record Database', 'Write Connection Back', 'Plan Repoint Back',
];
/** Replace-database's Lambda task states. */
const REPLACE_DATABASE_TASKS = [
  'Plan Replace Database', 'Create Green', 'Check Green', 'Send Green Check', 'Check Green Database', 'Measure Replica Lag', 'Check Replica Lag',
  'Switch Over', 'Check Switchover', 'Record Replacement',
];
/**
 * The rolling batch's tasks (statemachines/rollout/batch-pipeline.ts): a release whose tiers all surge never
 * enters them (a clean, a failed install, an unhealthy host and an alarmed surge.json release, counted), so an
 * `error:` aimed at one could never fire.
 */
const ROLLING_BATCH_TASKS = new Set(['Check Capacity', 'Take Batch Out', 'Check Drain', 'Install Release', 'Check Install', 'Return Batch To Traffic', 'Check Health', 'Check Alarms']);
const SURGE_TASKS = ['Launch Surge Hosts', 'Check Surge Hosts', 'Terminate Prepared Surge Hosts', 'Surge Install On New Hosts', 'Surge Retire Hosts', 'Terminate Surged Hosts', 'Start Retired Hosts', 'Check Started'];

/** What allocate and scale-out check before launching (lambdas/compute/network-checks.ts). */
const NETWORK_KINDS = ['missing-target-group', 'listener-missing', 'sg-blocked', 'certificate-expiring', 'certificate-pending', 'record-missing'];

/** Fault kinds that make sense for each workflow (a release without a surge launches nothing). */
function kindsFor(t: Targets): string[] {
  const compute = ['launch-fail', 'boot-fail', 'ssm-unmanaged', 'prerequisite-fail'];
  switch (t.workflow) {
    case 'allocate':
      return [...compute, ...NETWORK_KINDS, 'throttle', 'error', 'lock', 'db-status'];
    case 'scale-out':
      return [...compute, ...NETWORK_KINDS, 'throttle', 'error', 'lock', 'down', 'stop', 'terminate'];
    case 'replace':
      return [...compute, 'throttle', 'error', 'lock', 'drain-stuck', 'down', 'stop', 'terminate'];
    case 'scale-in':
      return ['throttle', 'error', 'lock', 'drain-stuck', 'down', 'stop', 'terminate'];
    case 'deploy':
      return [...Object.keys(DEPLOY_FAULT_DRAWS), ...(t.surge ? compute : [])];
    case 'restore-data':
      return [...Object.keys(DATA_FAULT_DRAWS), 'throttle', 'error', 'lock', 'alarm', 'drain-stuck', 'down', 'unhealthy'];
    case 'recover':
      return [...Object.keys(DATA_FAULT_DRAWS), ...compute, 'throttle', 'error'];
    case 'replace-database':
      return [...Object.keys(REPLACE_DATABASE_FAULT_DRAWS), 'throttle', 'error', 'lock'];
  }
}

const COMPUTE_FAULT_DRAWS: Record<string, (r: () => number, t: Targets) => string | undefined> = {
  'launch-fail': (r, t) => {
    const tier = pick(r, t.launchTiers);
    return r() < 0.5 ? `launch-fail:${tier.name}` : `launch-fail:${tier.name}@${pick(r, tier.zones)}`;
  },
  'boot-fail': (r, t) => `boot-fail:${pick(r, t.newHosts)}`,
  'ssm-unmanaged': (r, t) => `ssm-unmanaged:${pick(r, t.newHosts)}`,
  'prerequisite-fail': (r, t) => `prerequisite-fail:${pick(r, t.newHosts)}`,
  'missing-target-group': (r, t) => {
    const withGroups = t.launchTiers.filter((x) => x.targetGroups);
    return withGroups.length > 0 ? `missing-target-group:${pick(r, withGroups).name}` : undefined;
  },
  'listener-missing': (r, t) => {
    const withGroups = t.launchTiers.filter((x) => x.targetGroups);
    return withGroups.length > 0 ? `listener-missing:${pick(r, withGroups).name}` : undefined;
  },
  'sg-blocked': (r, t) => {
    const declared = t.launchTiers.filter((x) => x.securityGroups);
    return declared.length > 0 ? `sg-blocked:${pick(r, declared).name}` : undefined;
  },
  'certificate-expiring': (r, t) => {
    const secure = t.launchTiers.filter((x) => x.certificates);
    return secure.length > 0 ? `certificate-expiring:${pick(r, secure).name}` : undefined;
  },
  'certificate-pending': (r, t) => {
    const secure = t.launchTiers.filter((x) => x.certificates);
    return secure.length > 0 ? `certificate-pending:${pick(r, secure).name}` : undefined;
  },
  'record-missing': (r, t) => {
    const declared = t.launchTiers.filter((x) => x.records);
    return declared.length > 0 ? `record-missing:${pick(r, declared).name}` : undefined;
  },
};

const DATA_FAULT_DRAWS: Record<string, (r: () => number, t: Targets) => string | undefined> = {
  'restore-fail': () => 'restore-fail',
  'restored-db-invalid': () => 'restored-db-invalid',
  'reconfigure-fail': (r, t) => `reconfigure-fail:${pick(r, t.workflow === 'recover' ? t.newHosts : t.hosts)}`,
  'no-snapshot': () => 'no-snapshot',
};

const REPLACE_DATABASE_FAULT_DRAWS: Record<string, (r: () => number, t: Targets) => string | undefined> = {
  'switchover-timeout': () => 'switchover-timeout',
  'green-check-fail': () => 'green-check-fail',
  'lag-never-settles': () => 'lag-never-settles',
};

/** One fault of every kind the simulator injects, with a random target and timing. */
const DEPLOY_FAULT_DRAWS: Record<string, (r: () => number, t: Targets) => string | undefined> = {
  'patch-fail': (r, t) => `patch-fail:${pick(r, t.installHosts ?? t.hosts)}`,
  unhealthy: (r, t) => `unhealthy:${pick(r, t.installHosts ?? t.hosts)}`,
  'drain-stuck': (r, t) => `drain-stuck:${pick(r, t.hosts)}`,
  throttle: (r) => {
    const service = pick(r, ['ec2', 'elbv2', 'ssm', 'cloudwatch']);
    // A short burst, or a window of any length (up to 10 minutes) at any time.
    return r() < 0.4 ? `throttle:${service}` : `throttle:${service}@${int(r, 0, 900)}+${int(r, 5, 600)}`;
  },
  alarm: (r, t) => (t.alarms.length > 0 ? `alarm:${pick(r, t.alarms)}@${int(r, 0, 1200)}` : undefined),
  'migration-fail': () => 'migration-fail',
  approval: (r) => `approval:${pick(r, ['approve', 'reject', 'timeout'])}`,
  'db-status': (r) => `db-status:${pick(r, ['modifying', 'storage-optimization', 'rebooting', 'storage-full'])}@${int(r, 0, 400)}+${int(r, 10, 600)}`,
  down: (r, t) => `down:${pick(r, t.hosts)}`,
  stop: (r, t) => `stop:${pick(r, t.hosts)}@${int(r, 0, 900)}`,
  terminate: (r, t) => `terminate:${pick(r, t.hosts)}@${int(r, 0, 900)}`,
  'ssm-status': (r, t) => `ssm-status:${pick(r, t.installHosts ?? t.hosts)}@${pick(r, ['Cancelled', 'TimedOut', 'Undeliverable', 'Delayed'])}`,
  // A one-off unexpected exception in any Lambda task, on one of its first invocations.
  error: (r, t) => `error:${pick(r, tasksFor(t))}@${int(r, 1, 3)}`,
  lock: (r) => `lock:${pick(r, ['stale', 'malformed'])}`,
};

// ---------- A run stopped and started again; RDS throttled for minutes (issue 14: every fault ends true) ----------

/**
 * `restart:SECONDS` stops the run (StopExecution) and starts it again with the same input
 * (simulate.ts): an allocate's database is created until about 490 s and its hosts are
 * provisioned until about 720 s, a replacement launches at once and retires by about 400 s; a
 * replace-database's green is available at 1200 s and switched over by about 1500 s, so its
 * restarts reach into the switchover (the run stopped before recording the old instance).
 * `throttle:rds@SECONDS+DURATION` throttles every RDS call for one to five minutes, around
 * the time a database being created or restored is first polled: far shorter than those
 * phases' own timeouts, longer than a task's retries.
 */
const RESUME_FAULT_DRAWS: Record<string, (r: () => number, t: Targets) => string | undefined> = {
  // A scale-in of the campaign's fleet ends in about 20-45 s: its restarts fall inside it (a later one is not applied).
  restart: (r, t) => `restart:${t.workflow === 'allocate' ? int(r, 30, 800) : t.workflow === 'replace-database' ? int(r, 10, 1560) : t.workflow === 'scale-in' ? int(r, 2, 45) : int(r, 10, 450)}`,
  // Around the first looks at the database: a restore takes 600 s, a creation about 490 s.
  'rds-throttle': (r, t) => `throttle:rds@${t.workflow === 'allocate' ? int(r, 200, 500) : int(r, 300, 700)}+${int(r, 60, 300)}`,
};

/** The kinds above, for the workflows they apply to. */
function resumeKindsFor(t: Targets): string[] {
  switch (t.workflow) {
    case 'allocate':
      return ['restart', 'rds-throttle'];
    case 'scale-out':
    case 'scale-in':
    case 'replace':
      return ['restart'];
    case 'restore-data':
    case 'recover':
      return ['rds-throttle'];
    case 'replace-database':
      return ['restart', 'rds-throttle'];
    default:
      return [];
  }
}

function tasksFor(t: Targets): string[] {
  if (t.workflow === 'allocate') return ['Plan Allocate', 'Create Database', 'Check Database Created', ...COMPUTE_TASKS];
  if (t.workflow === 'replace') return ['Plan Replace', ...COMPUTE_TASKS, ...REPLACE_TASKS];
  if (t.workflow === 'scale-out') return ['Plan Scale Out', ...COMPUTE_TASKS];
  if (t.workflow === 'scale-in') return ['Plan Scale In', 'Load Batch', ...REPLACE_TASKS];
  if (t.workflow === 'restore-data') return RESTORE_TASKS;
  if (t.workflow === 'recover') return ['Plan Recover', 'Report Recovery', 'Plan Allocate', ...COMPUTE_TASKS, ...RESTORE_TASKS];
  if (t.workflow === 'replace-database') return REPLACE_DATABASE_TASKS;
  if (t.surgeOnly) return [...LAMBDA_TASKS.filter((task) => !ROLLING_BATCH_TASKS.has(task)), ...SURGE_TASKS];
  return t.surge ? [...LAMBDA_TASKS, ...SURGE_TASKS] : LAMBDA_TASKS;
}

// ---------- faults and invariants for true endings: the release, its rollback, capacity, the lock, repoint causes ----------

/**
 * Faults every workflow's ending must stay true under: a clustered node drained by hand
 * before the run (`drained:HOST`, no FleetFlow mark: the health command fails on it), and the
 * lock table's DeleteItem throttled for a number of calls, below or past Unlock's retries
 * (`unlock-throttle:N`; Unlock retries 20 times).
 */
const TRUTH_FAULT_DRAWS: Record<string, (r: () => number, t: Targets) => string | undefined> = {
  drained: (r, t) => ((t.drainCommandHosts ?? []).length > 0 ? `drained:${pick(r, t.drainCommandHosts!)}` : undefined),
  'unlock-throttle': (r) => `unlock-throttle:${int(r, 1, 40)}`,
};

function truthKindsFor(t: Targets): string[] {
  const hostTiersChange = t.workflow === 'deploy' || t.workflow === 'restore-data' || t.workflow === 'replace' || t.workflow === 'scale-in';
  return ['unlock-throttle', ...(hostTiersChange && (t.drainCommandHosts ?? []).length > 0 ? ['drained'] : [])];
}

/**
 * Hosts per tier the campaign seeds: 2 (the canonical environment's), or the fewest that
 * leave every host tier's batch policy a host to patch (test/fixtures/clustered.json's 75%
 * needs 4), so that any environment can be campaigned.
 */
export function campaignHostsPerTier(environment: EnvironmentDefinition, workflow: CampaignWorkflow = 'deploy'): number {
  // A scale-in needs hosts above the floors to remove (scale-in-campaign.ts).
  if (workflow === 'scale-in') return Math.max(SCALE_IN_HOSTS_PER_TIER, campaignHostsPerTier(environment));
  const fits = (n: number) =>
    environment.tiers.filter(isHostTier).every((t) => {
      try {
        resolveBatchPolicy(t.name, t.batch, n);
        return true;
      } catch {
        return false;
      }
    });
  for (let n = 2; n <= 10; n += 1) if (fits(n)) return n;
  return 2;
}

function drainCommandHostsOf(environment: EnvironmentDefinition, account: SimulatedAccount, tiers: ReadonlySet<string>): string[] {
  const clustered = new Set(environment.tiers.filter(isHostTier).filter((t) => t.traffic.kind === 'drain-command' && tiers.has(t.name)).map((t) => t.name));
  return [...account.hosts.values()].filter((h) => clustered.has(h.tier)).map((h) => h.name);
}

/** The tiers whose hosts the workflow takes out of traffic: a release's, a restore's (compute workflows: none here). */
function changedTiers(report: SimulationReport, workflow: CampaignWorkflow): Set<string> {
  if (workflow === 'deploy') return new Set(Object.keys(report.minHealthyRequired));
  // A scale-in takes hosts of its tier out of traffic: one the run leaves out must be named.
  if (workflow === 'scale-in') return new Set(Object.keys(report.minHealthyRequired));
  if (workflow === 'restore-data' || workflow === 'recover') {
    const restored = new Set(Object.keys(report.hostsOnDatabase ?? {}));
    return new Set(report.hosts.filter((h) => restored.has(h.name)).map((h) => h.tier));
  }
  return new Set();
}

/** Hosts out of service at the end that the faults themselves took out: not FleetFlow's to put back. */
function excusedOut(faults: readonly string[]): Set<string> {
  return new Set(faults.filter((f) => /^(stop|terminate|down|drained):/.test(f)).map((f) => f.slice(f.indexOf(':') + 1).split('@')[0]!));
}

/** The cause of a run that failed with the lock still held says so. */
function saysLockHeld(report: SimulationReport): boolean {
  return report.status === 'FAILED' && /the lock of environment \S+ could not be released/.test(report.cause ?? '');
}

/**
 * What every ending must keep true, on top of each workflow's own invariants:
 * - a failed run's cause names (up to its cap, then "and K more") every host of the
 *   changed tiers it leaves out of service, and says they are out of traffic;
 * - a revert (a release's rollback, a repoint back) never fails for capacity on a tier
 *   where it leaves a host out of service that it was to put back: it should have put
 *   that host back first.
 * (The lock free after any ending, unless the run failed saying so, is checkLockReleased;
 * the capacity floor on serving hosts is each workflow's floor, measured with inService.)
 */
export function checkTruthInvariants(report: SimulationReport, account: SimulatedAccount, faults: readonly string[], tiers: ReadonlySet<string>): Violation[] {
  const violations: Violation[] = [];
  if (report.status === 'SUCCEEDED') return violations;
  const cause = report.cause ?? '';
  const excused = excusedOut(faults);
  // Hosts stopped or terminated on purpose (a retirement, a clean-up) serve no longer: not left out.
  const running = new Set([...account.hosts.values()].filter((h) => h.state === 'running').map((h) => h.name));
  const out = report.hosts.filter((h) => tiers.has(h.tier) && !h.inService && !excused.has(h.name) && running.has(h.name));
  const counted = /and \d+ more/.test(cause);
  const unnamed = out.filter((h) => !cause.includes(h.name) && !cause.includes(h.id));
  if (out.length > 0 && ((unnamed.length > 0 && !counted) || !/out of (traffic|service)/.test(cause))) {
    violations.push({ invariant: 'cause names hosts left out', detail: `${out.map((h) => h.name).join(', ')} out of service at the end; the cause ${unnamed.length > 0 ? `does not name ${unnamed.map((h) => h.name).join(', ')}` : 'does not say they are out of traffic'}` });
  }
  const revert = /(rolling the release back|pointing the hosts back to \S+) failed \(tier (\S+): taking out .* would leave/.exec(cause);
  if (revert) {
    const tier = revert[2]!;
    const stranded = out.filter((h) => h.tier === tier);
    if (stranded.length > 0) {
      violations.push({ invariant: 'revert never waits on capacity it could restore', detail: `the revert of tier ${tier} failed for capacity while ${stranded.map((h) => h.name).join(', ')}, out of service, waited to be put back` });
    }
  }
  return violations;
}

const FAULT_DRAWS: Record<string, (r: () => number, t: Targets) => string | undefined> = {
  ...DEPLOY_FAULT_DRAWS,
  ...COMPUTE_FAULT_DRAWS,
  ...DATA_FAULT_DRAWS,
  ...REPLACE_DATABASE_FAULT_DRAWS,
  ...RESUME_FAULT_DRAWS,
  ...TRUTH_FAULT_DRAWS,
};

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

function int(r: () => number, min: number, max: number): number {
  return min + Math.floor(r() * (max - min + 1));
}

/** The faults of run `index`: none to three kinds, each once. */
export function drawFaults(seed: number, index: number, targets: Targets): string[] {
  const r = prng(seed * 1_000_003 + index);
  const kinds = [...kindsFor(targets), ...resumeKindsFor(targets), ...truthKindsFor(targets)];
  const count = int(r, 0, 3);
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(pick(r, kinds));
  return [...chosen].map((kind) => FAULT_DRAWS[kind]!(r, targets)).filter((f): f is string => f !== undefined);
}

export function faultKind(fault: string): string {
  return fault.split(':')[0]!;
}

/** What the run looked like as it happened, beyond the report. */
export interface Watch {
  initialInService: Map<string, number>;
  halfInstalledInTraffic: string[];
  /** Replace-database: instants at which the endpoint the hosts use answered from another instance than the blue before its switchover completed, or from none. */
  endpointNotBlue?: string[];
  /** Per surge tier: its resolved batch.maxSurge, and the most surged hosts seen at once while it moved forward. */
  surged?: Map<string, { limit: number; most: number; rolledBack: boolean }>;
}

const LIVE = new Set(['pending', 'running', 'stopping']);

/** Records, from the moment the account is seeded, what the invariants need beyond the report. */
export function watch(account: SimulatedAccount, watched: Watch, environment?: EnvironmentDefinition, watchEndpoint = false): void {
  for (const host of account.hosts.values()) {
    watched.initialInService.set(host.tier, (watched.initialInService.get(host.tier) ?? 0) + (account.inService(host) ? 1 : 0));
  }
  // Replace-database: the blue answers at the hosts' endpoint until a switchover completes, then the green.
  const connection = account.dataTier?.connectionParameter;
  const endpoint = connection !== undefined ? account.parameters.get(connection)?.value : undefined;
  const blue = endpoint !== undefined ? databaseAtEndpoint(account, endpoint) : undefined;
  if (watchEndpoint && endpoint !== undefined && blue) {
    watched.endpointNotBlue = [];
    account.onObserve((at) => {
      const serving = databaseAtEndpoint(account, endpoint);
      const switched = [...account.compute.blueGreenDeployments.values()].find((d) => d.blue === blue && d.renamed);
      const expected = switched ? switched.green : blue;
      if (serving !== expected && watched.endpointNotBlue!.length < 5) watched.endpointNotBlue!.push(`${new Date(at).toISOString()}: ${serving?.identifier ?? 'nothing'} answered, not ${expected.identifier}`);
    });
  }
  // A surge tier's limit, resolved as Plan Release resolves it for the hosts the tier has.
  const surgeTiers = (environment?.tiers.filter(isHostTier) ?? []).filter((t) => t.batch.strategy === 'surge');
  const retiredBySurge = new Map<string, Set<string>>();
  for (const tier of surgeTiers) {
    const count = [...account.hosts.values()].filter((h) => h.tier === tier.name && LIVE.has(h.state)).length;
    if (count === 0) continue;
    const { batchSize } = resolveBatchPolicy(tier.name, tier.batch, count);
    watched.surged ??= new Map();
    watched.surged.set(tier.name, { limit: resolveSurgeLimits(tier.batch.maxSurge, count, batchSize).maxSurge, most: 0, rolledBack: false });
    retiredBySurge.set(tier.name, new Set());
  }
  account.onObserve((at) => {
    for (const host of account.hosts.values()) {
      if (host.halfInstalled && account.inService(host, at) && !watched.halfInstalledInTraffic.includes(host.name)) {
        watched.halfInstalledInTraffic.push(host.name);
      }
    }
    // Surged: new hosts a surge launched, still running, less the old hosts they took the place of (stopped by the surge).
    // Once a rollback starts an old host again (its retired record removed first) the surge is over: no new host launches.
    for (const [tier, seen] of retiredBySurge) {
      const entry = watched.surged!.get(tier)!;
      if (entry.rolledBack) continue;
      let launched = 0;
      let replaced = 0;
      let restoring = false;
      for (const h of account.hosts.values()) {
        if (h.tier !== tier) continue;
        if (h.tags.get(LAUNCH_SCOPE_TAG)?.startsWith('surge#') && LIVE.has(h.state)) launched += 1;
        if (h.tags.get(RETIRED_REASON_TAG) === SURGE_REASON) {
          seen.add(h.name);
          if (!LIVE.has(h.state)) replaced += 1;
        } else if (seen.has(h.name)) restoring = true;
      }
      if (restoring) entry.rolledBack = true;
      else entry.most = Math.max(entry.most, launched - replaced);
    }
  });
}

/** No more surged hosts at once than the tier's batch.maxSurge. */
export function checkSurgeLimit(watched: Watch): Violation[] {
  const violations: Violation[] = [];
  for (const [tier, { limit, most }] of watched.surged ?? []) {
    if (most > limit) violations.push({ invariant: 'surge within maxSurge', detail: `tier ${tier}: ${most} surged hosts at once, maxSurge ${limit}` });
  }
  return violations;
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const started = performance.now();
  const component = options.component ?? 'application';
  const workflow = options.workflow ?? 'deploy';
  const targets = targetsOf(options.environment, component, workflow);
  const indexes = options.indexes ?? Array.from({ length: options.runs }, (_, i) => i);
  const runs: CampaignRun[] = [];
  for (const index of indexes) {
    const run = await runOne(options.environment, component, options.seed, index, targets);
    runs.push(run);
    options.onRun?.(run, runs.length);
  }
  return summarize(runs, options.seed, component, (performance.now() - started) / 1000, workflow, undefined, campaignHostsPerTier(options.environment, workflow));
}

export function summarize(
  runs: readonly CampaignRun[],
  seed: number,
  component: string,
  realTimeSeconds: number,
  workflow: CampaignWorkflow = 'deploy',
  /** The environment file, when not the default one: the replay names it. */
  envFile?: string,
  /** Hosts per tier the runs had, when not 2: the replay says so. */
  hostsPerTier = 2,
): CampaignReport {
  const byFaultKind: Record<string, number> = {};
  const notAppliedByFaultKind: Record<string, number> = {};
  const byOutcome: Record<string, number> = {};
  for (const run of runs) {
    for (const fault of run.faults) byFaultKind[faultKind(fault)] = (byFaultKind[faultKind(fault)] ?? 0) + 1;
    for (const { fault } of run.notApplied ?? []) notAppliedByFaultKind[faultKind(fault)] = (notAppliedByFaultKind[faultKind(fault)] ?? 0) + 1;
    byOutcome[run.outcome] = (byOutcome[run.outcome] ?? 0) + 1;
  }
  const violated = runs.filter((r) => r.violations.length > 0);
  const replay = (r: CampaignRun) => replayCommand(r.faults, component, workflow, r.input, envFile, hostsPerTier);
  return {
    runs: runs.length,
    seed,
    component,
    violationCount: violated.reduce((n, r) => n + r.violations.length, 0),
    violations: violated.map((r) => ({ ...r, replay: replay(r) })),
    failedRuns: runs
      .filter((r) => r.outcome !== 'SUCCEEDED')
      .map((r) => ({ index: r.index, seed: r.seed, outcome: r.outcome, ...(r.cause ? { cause: r.cause } : {}), replay: replay(r) })),
    byFaultKind,
    notAppliedByFaultKind,
    notApplied: runs.flatMap((r) => (r.notApplied ?? []).map((n) => ({ index: r.index, seed: r.seed, ...n, replay: replay(r) }))),
    byOutcome,
    realTimeSeconds: Math.round(realTimeSeconds * 10) / 10,
  };
}

export function replayCommand(faults: readonly string[], component: string, workflow: CampaignWorkflow = 'deploy', input?: unknown, envFile?: string, hostsPerTier = 2): string {
  const options =
    workflow === 'replace'
      ? `--targets ${replaceTargetsOption(input)}`
      : workflow === 'scale-out'
        ? scaleOutOption(input)
      : workflow === 'scale-in'
        ? scaleInOption(input)
      : workflow === 'restore-data'
        ? `--source ${(input as { source?: string } | undefined)?.source ?? 'latest'}`
        : workflow === 'recover' || workflow === 'replace-database'
          ? ''
        : workflow === 'deploy' && component === 'monitoring'
          ? '--component monitoring'
          : '';
  const hosts = hostsPerTier !== 2 && workflow !== 'recover' ? `--hosts ${hostsPerTier}` : '';
  return [`npx fleetflow simulate ${workflow}`, envFile ? `--env ${shellWord(envFile)}` : '', hosts, options, ...faults.map((f) => `--fault ${shellWord(f)}`), '--json'].filter(Boolean).join(' ');
}

/** A value as one shell word: a fault like `error:Plan Rollback@1` names a state with spaces. */
export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function replaceTargetsOption(input: unknown): string {
  const targets = (input as { targets?: unknown } | undefined)?.targets;
  return Array.isArray(targets) ? targets.join(',') : 'unhealthy';
}

/** One or two hosts more on a tier that launches, the most the campaign's new host names cover. */
function scaleOutInput(r: () => number, t: Targets): { tier: string; add: number } {
  return { tier: pick(r, t.launchTiers).name, add: int(r, 1, 2) };
}

function scaleOutOption(input: unknown): string {
  const { tier, add } = (input ?? {}) as { tier?: unknown; add?: unknown };
  return `--tier ${shellWord(String(tier))} --add ${Number(add)}`;
}

function scaleInOption(input: unknown): string {
  const { tier, remove } = (input ?? {}) as { tier?: unknown; remove?: unknown };
  return `--tier ${shellWord(String(tier))} --remove ${Number(remove)}`;
}

/** A replacement of one or two application hosts, or of every unhealthy one. */
function replaceInput(r: () => number, t: Targets): { targets: string[] | 'unhealthy' } {
  if (r() < 0.25) return { targets: 'unhealthy' };
  const first = pick(r, t.hosts);
  const second = pick(r, t.hosts);
  return { targets: [...new Set([first, second])] };
}

async function runOne(environment: EnvironmentDefinition, component: 'application' | 'monitoring', seed: number, index: number, targets: Targets): Promise<CampaignRun> {
  const faults = drawFaults(seed, index, targets);
  const watched: Watch = { initialInService: new Map(), halfInstalledInTraffic: [] };
  const scaleIn: ScaleInWatch = { before: new Map(), retiredServing: [] };
  const workflow = targets.workflow;
  const input =
    workflow === 'allocate'
      ? {}
      : workflow === 'restore-data'
        ? { source: prng(seed * 7_919 + index)() < 0.5 ? 'latest' : 'latest-snapshot' }
        : workflow === 'recover' || workflow === 'replace-database'
          ? {}
        : workflow === 'replace'
        ? replaceInput(prng(seed * 7_919 + index), targets)
        : workflow === 'scale-out'
        ? scaleOutInput(prng(seed * 7_919 + index), targets)
        : workflow === 'scale-in'
        ? drawScaleInInput(prng(seed * 7_919 + index), targets.hostTiers ?? [])
        : {
            release: RELEASE,
            ...(component === 'monitoring' ? { component } : {}),
            // An approver's answer is only asked for when approval is required.
            ...(faults.some((f) => f.startsWith('approval:')) ? { requireApproval: true } : {}),
          };
  const { reports, account, events, childEvents } = await simulateExecutions({
    environment,
    input,
    faults,
    workflow,
    hostsPerTier: campaignHostsPerTier(environment, workflow),
    empty: workflow === 'allocate' || workflow === 'recover',
    // A recovery's account lost every instance and kept the database's snapshots.
    keepSnapshots: workflow === 'recover',
    executions: [{ input, name: `campaign-${seed}-${index}` }],
    prepare: (a) => {
      watch(a, watched, environment, workflow === 'replace-database');
      if (workflow === 'scale-in') prepareScaleIn(a, environment, scaleIn);
    },
  });
  // With restart:SECONDS the run is two executions: the one started again tells how it ended.
  const report = reports.at(-1)!;
  const outcome = report.status === 'SUCCEEDED' ? 'SUCCEEDED' : `${report.status} ${report.error ?? ''}`.trim();
  const notApplied = report.faultOutcomes.filter((o) => !o.applied).map((o) => ({ fault: o.fault, reason: o.reason ?? 'it never took effect' }));
  return {
    index,
    seed,
    faults,
    outcome,
    ...(notApplied.length > 0 ? { notApplied } : {}),
    ...(report.cause ? { cause: report.cause.slice(0, 600) } : {}),
    ...(workflow === 'replace' || workflow === 'scale-out' || workflow === 'scale-in' || workflow === 'restore-data' ? { input } : {}),
    violations: [
      ...(workflow === 'deploy'
        ? [...checkInvariants(report, account, faults, watched, new Set(targets.surge ? targets.launchTiers.map((t) => t.name) : [])), ...checkSurgeLimit(watched)]
        : workflow === 'restore-data' || workflow === 'recover'
          ? checkDataInvariants(report, account, faults, watched)
          : workflow === 'scale-in'
            ? scaleInViolations(report, account, environment, faults, watched, scaleIn, input as { tier: string; remove: number })
          : workflow === 'replace-database'
            ? checkReplaceDatabaseInvariants(report, account, watched)
            : checkComputeInvariants(report, account, faults, watched, input)),
      ...checkTruthInvariants(report, account, faults, changedTiers(report, workflow)),
      ...checkResumeInvariants(reports, account, environment, faults, failedStates(events.at(-1) ?? [], childEvents.at(-1) ?? [])),
    ],
  };
}

type Fail = (invariant: string, detail: string) => void;

/** A scale-in's promises (scale-in-campaign.ts), and every workflow's: a named failure, the lock released. */
export function scaleInViolations(
  report: SimulationReport,
  account: SimulatedAccount,
  environment: EnvironmentDefinition,
  faults: readonly string[],
  watched: Watch,
  scaleIn: ScaleInWatch,
  input: { tier: string; remove: number },
): Violation[] {
  const violations: Violation[] = [];
  const fail: Fail = (invariant, detail) => violations.push({ invariant, detail });
  checkNamedFailure(report, fail);
  checkLockReleased(report, account, fail);
  checkScaleInInvariants(report, account, environment, faults, watched.initialInService, scaleIn, input, fail);
  return violations;
}

/** Success, or a failure named by FleetFlow (never a runtime error's name) with a cause. */
function checkNamedFailure(report: SimulationReport, fail: Fail): void {
  if (report.status === 'SUCCEEDED') return;
  const name = report.error ?? '';
  if (report.status !== 'FAILED' || !/^[A-Z][A-Za-z]+Error$/.test(name) || RUNTIME_ERRORS.has(name)) fail('named failure', `ended ${report.status} with "${name}"`);
  if (!report.cause) fail('named failure', 'no cause');
  // On AWS a handler's error arrives as the runtime's JSON with a stack trace: the workflow must have read its message out.
  else if (/"errorType"\s*:|"trace"\s*:|\n\s+at \S/.test(report.cause)) fail('cause is a sentence', `the cause carries a Lambda error document or a stack trace: ${report.cause.slice(0, 200)}`);
}

/** Released by this execution: a lock item seeded by a fault (a gone holder) stays if the run was refused before taking it. */
function checkLockReleased(report: SimulationReport, account: SimulatedAccount, fail: Fail): void {
  const held = [...(account.tables.get(LOCK_TABLE_NAME)?.values() ?? [])].filter((item) => item.holder?.S?.endsWith(`:${report.executionName}`));
  // Never after a success; after a failure only when its cause says the lock is still held.
  if (held.length > 0 && !saysLockHeld(report)) fail('lock released', `the lock is still held by ${report.executionName} (${report.status})`);
}

/** After a success, every host the run launched serves, on the release recorded on it. */
function checkLaunchedInService(report: SimulationReport, launched: readonly string[], fail: Fail): void {
  for (const name of launched) {
    const h = report.hosts.find((x) => x.name === name);
    if (!h?.inService) fail('launched in service', `${name} launched but not in service after success`);
    else if (h.version === '' || h.version !== h.recordedVersion) fail('launched in service', `${name} runs "${h.version}", recorded "${h.recordedVersion}"`);
  }
}

/**
 * Whether the run failed with the compute planners' refusal of hosts set up but registered in no
 * target group (lambdas/shared/tier-hosts.ts `outOfServiceRefusal`), and that refusal names this host,
 * with no out-of-traffic marker (set up, or a leftover the refusal names as kept). A stopped run's host of that
 * kind cannot be told from a serving host a person deregistered, so FleetFlow leaves it and says so:
 * truthful, and no orphan. Any other out-of-service host, or one the cause does not name, still is.
 */
function refusedOutOfService(report: SimulationReport, account: SimulatedAccount, name: string): boolean {
  const cause = report.cause ?? '';
  if (report.status !== 'FAILED' || !/registered in none of (the tier's|their tiers') target groups and FleetFlow did not take (it|them) out of traffic/.test(cause)) return false;
  const host = [...account.hosts.values()].find((h) => h.name === name);
  // Named either as set up and registered nowhere, or as a leftover (no release) the refusal kept from Terminate Leftovers.
  if (!host || host.tags.has(OUT_OF_TRAFFIC_TAG)) return false;
  // Named as a whole word (by its Name tag, else its instance ID): web-3 is not web-30.
  const words = new Set(cause.split(/[\s,()]+/));
  return words.has(host.id) || words.has(host.name);
}

/**
 * What a compute workflow (allocate, scale-out, replace) must keep, whatever was injected: nothing it
 * launched left running out of service, a named failure with a cause, the lock free; a
 * replacement never below what each tier had in service (unless a fault took hosts away or
 * in disaster recovery); on success every launched host in service on its tier's release,
 * and every replaced host out of service.
 */
export function checkComputeInvariants(report: SimulationReport, account: SimulatedAccount, faults: readonly string[], watched: Watch, input: unknown): Violation[] {
  const violations: Violation[] = [];
  const fail = (invariant: string, detail: string) => violations.push({ invariant, detail });
  const compute = report.compute;
  if (!compute) return [{ invariant: 'compute report', detail: 'the report has no compute section' }];
  // A run refused because a host set up by another run is registered nowhere leaves that host for a person, on purpose.
  const orphans = compute.orphans.filter((name) => !refusedOutOfService(report, account, name));
  if (orphans.length > 0) fail('no orphan', `launched and left out of service: ${orphans.join(', ')}`);
  checkNamedFailure(report, fail);
  checkLockReleased(report, account, fail);
  const takenAway = faults.some((f) => /^(stop|terminate|down):/.test(f));
  // A replacement keeps each tier's capacity, and a scale-out only ever adds to it.
  if ((report.workflow === 'replace' || report.workflow === 'scale-out') && !takenAway) {
    for (const [tier, before] of watched.initialInService) {
      const seen = report.minInService[tier] ?? 0;
      if (seen < before) fail('capacity kept', `tier ${tier}: ${seen} in service at the lowest, ${before} before the ${report.workflow === 'replace' ? 'replacement' : 'scale-out'}`);
    }
  }
  if (report.status === 'SUCCEEDED') {
    checkLaunchedInService(report, compute.launched, fail);
    const { tier, add } = input as { tier?: string; add?: number };
    if (report.workflow === 'scale-out' && tier !== undefined && add !== undefined && !takenAway) {
      const serving = report.hosts.filter((h) => h.tier === tier && h.inService).length;
      const before = watched.initialInService.get(tier) ?? 0;
      // One execution (no restart, or one that came after the run had ended): exactly `add` more. A run
      // really stopped and started again: `add` is relative (docs/workflows/scale-out.md), so the hosts
      // the stopped one had put in service stay and the new one adds `add` more; those it had not set
      // up are terminated ("no leftover" checks that): exactly `add` plus what the stopped one left serving.
      const stopped = report.restart?.applied ? report.restart.stoppedExecution : undefined;
      const kept = stopped === undefined ? 0 : report.hosts.filter((h) => h.tier === tier && h.inService && account.hosts.get(h.id)?.tags.get(LAUNCHED_BY_TAG) === stopped).length;
      if (serving !== before + add + kept) {
        fail('scaled out', `tier ${tier}: ${serving} in service after success, ${before} before plus ${add} asked for${stopped ? ` plus ${kept} the stopped ${stopped} left in service` : ''}`);
      }
      if (kept > add) fail('scaled out', `tier ${tier}: the stopped ${stopped} left ${kept} in service, more than the ${add} asked for`);
    }
    const named = (input as { targets?: unknown }).targets;
    for (const name of Array.isArray(named) ? (named as string[]) : []) {
      if (report.hosts.find((x) => x.name === name)?.inService) fail('replaced out of service', `${name} still in service after its replacement`);
    }
  }
  return violations;
}

/**
 * What a restore must keep, whatever was injected: the old database unchanged; a named
 * failure with a cause; the lock free; every tier above its floor throughout; on success every
 * host of the restore tiers on the new database, recorded as current, the connection parameter
 * naming it; on any other failure every such host on the old database and in service again
 * (a failed repoint back, RepointFailedError, says hosts may use either).
 */
export function checkDataInvariants(report: SimulationReport, account: SimulatedAccount, faults: readonly string[], watched: Watch): Violation[] {
  const violations: Violation[] = [];
  const fail = (invariant: string, detail: string) => violations.push({ invariant, detail });
  if (report.oldDatabase && !report.oldDatabase.unchanged) fail('old database unchanged', `${report.oldDatabase.identifier} changed`);
  checkNamedFailure(report, fail);
  checkLockReleased(report, account, fail);
  const down = new Set(faults.filter((f) => f.startsWith('down:')).map((f) => f.slice('down:'.length)));
  const lostByTier = new Map<string, number>();
  for (const host of account.hosts.values()) if (down.has(host.name)) lostByTier.set(host.tier, (lostByTier.get(host.tier) ?? 0) + 1);
  for (const [tier, required] of Object.entries(report.minHealthyRequired)) {
    const floor = Math.min(required, watched.initialInService.get(tier) ?? 0) - (lostByTier.get(tier) ?? 0);
    const seen = report.minInService[tier] ?? 0;
    if (seen < floor) fail('capacity floor', `tier ${tier}: ${seen} in service at the lowest, floor ${floor} (required ${required})`);
  }
  // A recovery whose repoint fails with no database to go back to leaves the failed batch out of traffic (marked):
  // true only if the cause says so and names each such host.
  const leftOut = (name: string) => {
    const host = [...account.hosts.values()].find((h) => h.name === name);
    const cause = report.cause ?? '';
    return !!host?.tags.has(OUT_OF_TRAFFIC_TAG) && /a failed batch may be out of traffic/.test(cause) && (cause.includes(host.id) || cause.includes(host.name));
  };
  const orphans = (report.compute?.orphans ?? []).filter((name) => report.status === 'SUCCEEDED' || !leftOut(name));
  if (orphans.length > 0) fail('no orphan', `launched and left out of service: ${orphans.join(', ')}`);
  const hostsOn = Object.entries(report.hostsOnDatabase ?? {});
  // Every step done, but the lock could not be released (LockNotReleasedError): the restore stands.
  const done = report.status === 'SUCCEEDED' || report.error === 'LockNotReleasedError';
  const expected = done ? report.newDatabase?.identifier : report.oldDatabase?.identifier;
  // A recovery that fails has no old database to be back on (it was lost): what it launched is in service or gone.
  const nothingToGoBackTo = !done && !report.oldDatabase;
  if (done) checkLaunchedInService(report, report.compute?.launched ?? [], fail);
  if (!nothingToGoBackTo && (done || report.error !== 'RepointFailedError')) {
    const wrong = hostsOn.filter(([, db]) => db !== expected);
    if (wrong.length > 0) fail(done ? 'every host on the new database' : 'every host back on the old database', wrong.map(([h, db]) => `${h} uses ${db || 'nothing'}`).join(', '));
    const out = report.hosts.filter((h) => (report.hostsOnDatabase ?? {})[h.name] !== undefined && !h.inService && !down.has(h.name));
    if (out.length > 0) fail('back in traffic', `${out.map((h) => h.name).join(', ')} out of traffic at the end (${report.status})`);
  }
  return violations;
}

/**
 * What replace-database must keep, whatever was injected: the blue answers at the hosts'
 * endpoint until the switchover completes (then the green, never nothing); nothing written
 * is lost; the old instance exists, unchanged, and once replaced is tagged kept; no host is
 * repointed; a named failure with a cause; the lock free. After a success: switched over,
 * the endpoint unchanged, the downtime the modelled switchover's.
 */
export function checkReplaceDatabaseInvariants(report: SimulationReport, account: SimulatedAccount, watched: Watch): Violation[] {
  const violations: Violation[] = [];
  const fail = (invariant: string, detail: string) => violations.push({ invariant, detail });
  checkNamedFailure(report, fail);
  checkLockReleased(report, account, fail);
  for (const instant of watched.endpointNotBlue ?? []) fail('blue serves until switchover', instant);
  const replaced = report.replaceDatabase;
  const old = report.oldDatabase as (typeof report.oldDatabase & { kept?: boolean }) | null | undefined;
  if (!replaced || !old) {
    fail('report', 'no replace-database report or no old database');
    return violations;
  }
  if (replaced.writes.lost > 0) fail('nothing lost', `${replaced.writes.lost} write(s) held by the blue at the switchover are not on the serving instance`);
  if (!old.unchanged) fail('old instance kept unchanged', `${old.identifier} is gone or changed`);
  // A run stopped between the switchover and Record Replacement leaves it untagged; the run
  // started again must then refuse, naming it (plan.ts), rather than replace the database again.
  const refusedNamingIt = report.status === 'FAILED' && (report.cause ?? '').includes(`old instance ${old.identifier} is not tagged fleetflow:kept`);
  if (old.kept !== true && !refusedNamingIt) fail('old instance kept', `${old.identifier} is not tagged kept after the switchover`);
  if (replaced.hostsRepointed.length > 0) fail('no host repointed', replaced.hostsRepointed.join(', '));
  const switched = replaced.deploymentStatus === 'SWITCHOVER_COMPLETED';
  if (!switched && !replaced.blueServes) fail('blue serves until switchover', `the switchover did not complete (${replaced.deploymentStatus}) and the blue does not serve`);
  if (report.status === 'SUCCEEDED') {
    if (!switched) fail('switched over', `SUCCEEDED with the deployment ${replaced.deploymentStatus}`);
    if (!replaced.endpointUnchanged) fail('endpoint unchanged', 'the connection parameter or the instance at it changed');
    if (replaced.downtimeSeconds !== replaced.modelledSwitchoverSeconds) fail('downtime', `${replaced.downtimeSeconds}s reported, ${replaced.modelledSwitchoverSeconds}s modelled`);
  }
  return violations;
}

/** The promises every run must keep, whatever was injected. */
export function checkInvariants(
  report: SimulationReport,
  account: SimulatedAccount,
  faults: readonly string[],
  watched: Watch,
  /** Tiers released with a surge: their floor is everything they had in service. */
  surgeTiers: ReadonlySet<string> = new Set(),
): Violation[] {
  const violations: Violation[] = [];
  const fail = (invariant: string, detail: string) => violations.push({ invariant, detail });
  // Hosts the faults themselves take away are not FleetFlow's to keep in service.
  const lost = new Set(faults.filter((f) => /^(stop|terminate):/.test(f)).map((f) => f.slice(f.indexOf(':') + 1).split('@')[0]!));
  const lostByTier = new Map<string, number>();
  for (const host of account.hosts.values()) if (lost.has(host.name)) lostByTier.set(host.tier, (lostByTier.get(host.tier) ?? 0) + 1);

  // 1. The floor of every tier, at every virtual instant (what the tier had at the start, if less).
  for (const [tier, required] of Object.entries(report.minHealthyRequired)) {
    const had = watched.initialInService.get(tier) ?? 0;
    const floor = (surgeTiers.has(tier) ? had : Math.min(required, had)) - (lostByTier.get(tier) ?? 0);
    const seen = report.minInService[tier] ?? 0;
    if (seen < floor) fail('capacity floor', `tier ${tier}: ${seen} in service at the lowest, floor ${floor} (required ${required})`);
  }
  const monitoringAtStart = watched.initialInService.get('monitoring') ?? 0;
  const monitoringFloor = Math.min(1, monitoringAtStart) - (lostByTier.get('monitoring') ?? 0);
  if (report.minInService.monitoring !== undefined && report.minInService.monitoring < monitoringFloor) {
    fail('monitoring never fully down', `monitoring had ${monitoringAtStart} in service at the start and ${report.minInService.monitoring} at the lowest`);
  }
  // 2. No host serves traffic while half-installed.
  if (watched.halfInstalledInTraffic.length > 0) fail('half-installed in traffic', watched.halfInstalledInTraffic.join(', '));
  // 3. Success, or a failure named by FleetFlow with a cause.
  checkNamedFailure(report, fail);
  // 4. The lock is free afterwards (or the run failed saying it is not).
  const lock = account.tables.get(LOCK_TABLE_NAME);
  if (lock && lock.size > 0 && !saysLockHeld(report)) fail('lock released', `lock table still holds ${[...lock.keys()].join(', ')} (${report.status})`);
  // 5. Recorded only on success.
  if (report.status === 'SUCCEEDED' && report.recordedRelease !== report.release) fail('record on success', `succeeded but recorded ${report.recordedRelease}`);
  // A release whose every step succeeded but whose lock could not be released fails saying so, recorded.
  const doneButLocked = report.error === 'LockNotReleasedError';
  if (report.status !== 'SUCCEEDED' && !doneButLocked && report.recordedRelease === RELEASE) fail('record on success', `${report.status} but ${RELEASE} was recorded`);
  // 6. Every host that FleetFlow is responsible for is in traffic at the end, whole, and its record is the truth.
  const released = new Set(Object.keys(report.minHealthyRequired));
  // A surge stops or terminates old hosts, and a rollback terminates new ones, on purpose: they serve no longer.
  const gone = new Set([...account.hosts.values()].filter((h) => h.state !== 'running' && (h.tags.has(RETIRED_BY_TAG) || h.tags.has(LAUNCHED_BY_TAG))).map((h) => h.name));
  const ours = report.hosts.filter((h) => released.has(h.tier) && !lost.has(h.name) && !gone.has(h.name));
  if ((report.compute?.orphans.length ?? 0) > 0) fail('no orphan', `launched and left out of service: ${report.compute!.orphans.join(', ')}`);
  for (const h of ours) {
    if (h.halfInstalled) fail('no half-installed host', `${h.name} is half-installed at the end`);
    // True: the release record says what runs, or an unconfirmed install is recorded and the host runs one of the two.
    const recordTrue = h.recordedVersion === h.version || (h.installSent ?? []).includes(h.version);
    if (!recordTrue) fail('record is the truth', `${h.name} runs ${h.version} but is recorded as ${h.recordedVersion}${h.installSent ? ` (install of ${h.installSent.join(', ')} sent)` : ''}`);
    // A host that was down (or drained by hand) before the release may still be: FleetFlow did not take it out.
    if (!h.inService && !faults.includes(`down:${h.name}`) && !faults.includes(`drained:${h.name}`)) fail('back in traffic', `${h.name} is out of traffic at the end (${report.status})`);
  }
  // 7. A cause says only what is true.
  const cause = report.cause ?? '';
  if (report.rolledBack || cause.includes('runs its previous release again')) {
    const moved = ours.filter((h) => h.version !== INITIAL_RELEASE);
    if (moved.length > 0) fail('rollback is true', `the cause says every host runs its previous release, but ${moved.map((h) => `${h.name} runs ${h.version}`).join(', ')}`);
  }
  if (/nothing was (changed|migrated|reverted)|no host was (touched|taken out)/.test(cause)) {
    // A host that was down before the release is out of service, but not because of it.
    const moved = ours.filter((h) => h.version !== INITIAL_RELEASE || (!h.inService && !faults.includes(`down:${h.name}`) && !faults.includes(`drained:${h.name}`)));
    if (moved.length > 0) fail('nothing changed is true', `the cause says nothing changed, but ${moved.map((h) => h.name).join(', ')} did`);
  }
  return violations;
}

/** A state that failed in an execution (its retries spent), and the error it failed with, as the history records it. */
export interface FailedState {
  readonly state: string;
  readonly error?: string;
}

/**
 * The states that failed in an execution and the child executions it led to, read from their
 * histories: a cause that renames an unexpected error says where it happened, not which state
 * failed (statemachines/constructs/failures.ts), and the history is where the state is.
 */
export function failedStates(events: readonly ExecutionEvent[], childEvents: readonly (readonly ExecutionEvent[])[] = []): FailedState[] {
  return [events, ...childEvents].flatMap((history) =>
    history.filter((e) => e.type === 'StateFailed' && e.state).map((e) => ({ state: e.state!.name, ...(e.Error === undefined ? {} : { error: e.Error }) })),
  );
}

/** The restore's and the database workflows' RDS polls: each phase lasts far longer than a drawn RDS throttling window. */
const RDS_POLLS = ['Check Restored Database', 'Check Database Created', 'Check Snapshot', 'Check Database', 'Recheck Database'];
const THROTTLED = /(ThrottlingException|Throttling|RequestLimitExceeded)\b/;

/**
 * What a run stopped and started again (`restart:`), and RDS throttled for minutes
 * (`throttle:rds@`), must still end with:
 * - no leftover: no host any execution of the run launched is left running out of
 *   service (what the stopped execution launched is finished, or terminated), once the
 *   execution started again got past its plan and the lock;
 * - allocated in service: an allocate that succeeded has every host tier at its declared
 *   count of hosts set up, on the release recorded on them, and in service, and its database
 *   available;
 * - throttled polls ride it out: no RDS poll fails the run for throttling shorter than its
 *   phase (a throttled look learned nothing, and the phase had time left).
 */
export function checkResumeInvariants(
  reports: readonly SimulationReport[],
  account: SimulatedAccount,
  environment: EnvironmentDefinition,
  faults: readonly string[],
  failed: readonly FailedState[] = [],
): Violation[] {
  const violations: Violation[] = [];
  const fail = (invariant: string, detail: string) => violations.push({ invariant, detail });
  const report = reports.at(-1)!;
  if (report.workflow === 'allocate' || report.workflow === 'replace' || report.workflow === 'scale-out') {
    // A run refused before the lock (Plan failed: nothing was changed) cannot finish what a stopped one left: only its own count then.
    const locked = report.notifications.includes('Started');
    const executions = new Set((locked ? reports : [report]).map((r) => r.executionName));
    const out = [...account.hosts.values()].filter(
      (h) => executions.has(h.tags.get(LAUNCHED_BY_TAG) ?? '') && (h.state === 'running' || h.state === 'pending') && !report.hosts.find((x) => x.id === h.id)?.inService,
    );
    if (out.length > 0) fail('no leftover', `launched by ${[...executions].join(' or ')} and left running out of service: ${out.map((h) => h.name).join(', ')} (${report.status})`);
  }
  if (report.workflow === 'allocate' && report.status === 'SUCCEEDED') {
    for (const tier of environment.tiers.filter(isHostTier)) {
      if (!tier.launch || tier.count === undefined) continue;
      const ready = report.hosts.filter((h) => h.tier === tier.name && h.inService && h.version !== '' && h.version === h.recordedVersion);
      if (ready.length < tier.count) {
        fail('allocated in service', `tier ${tier.name}: ${ready.length} of ${tier.count} hosts set up, on their release and in service after success`);
      }
    }
    const databases = report.hosts.filter((h) => h.tier === 'database');
    if (environment.tiers.some((t) => !isHostTier(t)) && !databases.some((d) => d.inService)) fail('allocated in service', 'no database available after success');
  }
  if (faults.some((f) => f.startsWith('throttle:rds@')) && report.status === 'FAILED') {
    const cause = report.cause ?? '';
    const poll = failed.find((f) => RDS_POLLS.includes(f.state) && THROTTLED.test(f.error ?? ''));
    if (poll) fail('throttled polls ride it out', `${poll.state} failed for throttling (${poll.error}): ${cause.slice(0, 200)}`);
  }
  return violations;
}
