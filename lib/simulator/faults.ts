/**
 * Fault injection for simulated runs: `KIND:TARGET` strings from the CLI or tests.
 */
import type { AccountFaults, DatabaseStatusFault } from './account';

export const FAULT_KINDS = [
  'patch-fail', 'unhealthy', 'drain-stuck', 'throttle', 'alarm', 'migration-fail', 'approval', 'db-status', 'down', 'stop', 'terminate', 'ssm-status', 'error', 'lock',
  'launch-fail', 'boot-fail', 'ssm-unmanaged', 'prerequisite-fail', 'missing-target-group',
  'restore-fail', 'restored-db-invalid', 'reconfigure-fail', 'no-snapshot',
  'switchover-timeout', 'green-check-fail', 'lag-never-settles',
  'restart',
  'drained', 'unlock-throttle',
  'listener-missing', 'sg-blocked', 'certificate-expiring', 'certificate-pending', 'record-missing',
  'protected', 'asg',
] as const;

/** Faults that name nothing: the whole account has them. */
export const BARE_FAULTS = ['migration-fail', 'restore-fail', 'restored-db-invalid', 'no-snapshot', 'switchover-timeout', 'green-check-fail', 'lag-never-settles'] as const;
type BareFault = (typeof BARE_FAULTS)[number];

/** What each kind injects, for help texts (`KIND[:TARGET]` — what it does). */
export const FAULT_HELP: Readonly<Record<string, string>> = {
  'restore-fail': 'every DB restore started in the run (snapshot or point in time) ends incompatible-restore, never available',
  'restored-db-invalid': 'the database check document fails against any DB instance restored in the run',
  'reconfigure-fail:HOST': "the reconfigure document fails on HOST for any database but the one it used at the start; its service stays down",
  'no-snapshot': 'the account has no DB snapshot, manual or automated, hence no automated backup to restore a point in time from',
  'switchover-timeout': 'a blue/green switchover takes longer than its SwitchoverTimeout: RDS rolls it back (SWITCHOVER_FAILED), the blue serves on',
  'green-check-fail': "the database check document fails against a blue/green deployment's green",
  'lag-never-settles': "a blue/green deployment's green keeps its ReplicaLag where it starts (90 s), never under the threshold",
  'restart:SECONDS': 'if still running SECONDS after it started, the execution is stopped (StopExecution) and started again with the same input 60 s later',
  'drained:HOST': 'HOST, a node of a drain-command tier, was drained by hand before the run (no FleetFlow mark): it serves nothing and fails its health command',
  'unlock-throttle:CALLS': "DynamoDB throttles the first CALLS DeleteItem calls on the lock table (ProvisionedThroughputExceededException)",
  'listener-missing:TIER': "the tier's load balancer has no listener, so nothing forwards to its target groups",
  'sg-blocked:TIER': "the hosts' security groups (traffic.hostSecurityGroups) have no inbound rule from the tier's load balancer's security group",
  'certificate-expiring:TIER': "the ACM certificate of the tier's HTTPS listener expires 12 hours from when it is read, within any declared minCertificateDays",
  'certificate-pending:TIER': "the ACM certificate of the tier's HTTPS listener is PENDING_VALIDATION, not ISSUED",
  'record-missing:TIER': "the tier's records (traffic.domain.records, else names) are absent from its declared hosted zone",
  'protected:HOST[@stop|@terminate]': 'HOST has stop protection (DisableApiStop) and termination protection (DisableApiTermination), or only the one named: EC2 refuses to stop or terminate it',
  'asg:HOST': 'HOST belongs to an Auto Scaling group (it carries the tag aws:autoscaling:groupName, as EC2 Auto Scaling puts on its instances)',
};

/** Seconds between a stopped execution and its start again (`restart:SECONDS`). */
export const RESTART_GAP_SECONDS = 60;

/**
 * `restart:SECONDS`: when to stop the execution (StopExecution), which is then started again
 * with the same input RESTART_GAP_SECONDS later; undefined without the fault. The runner,
 * not the account, carries it out (simulate.ts).
 */
export function restartOf(specs: readonly string[]): number | undefined {
  const spec = specs.find((s) => s.startsWith('restart:'));
  if (spec === undefined) return undefined;
  const seconds = /^restart:(\d{1,6})$/.exec(spec)?.[1];
  if (seconds === undefined) throw new InvalidFaultError(`--fault ${spec}: use restart:SECONDS, e.g. restart:600 (stop the execution 600 s after it started, and start it again)`);
  return Number(seconds);
}
/**
 * Services `throttle:SERVICE` may name: every call to them goes through the account's meter
 * (services/index.ts; EventBridge's PutEvents from the handlers, and from Step Functions'
 * events:putEvents in integrations.ts), which answers with the service's own throttling code.
 */
export const THROTTLEABLE_SERVICES = ['ec2', 'elbv2', 'ssm', 'cloudwatch', 'rds', 'events'] as const;

/** Calls a throttled service answers normally before the burst, and the burst's length. */
const THROTTLE_AFTER_CALLS = 2;
const THROTTLE_BURST = 8;

export class InvalidFaultError extends Error {
  override readonly name = 'InvalidFaultError';
}

/**
 * What faults about provisioning may name beyond the fleet's hosts (fleet.ts `faultScope`):
 * each host tier, the prefix of its host names (a fault may name a host a launch will
 * create: `web-7`), the Availability Zones of its launch subnets, and whether target groups
 * serve it.
 */
export interface FaultScope {
  readonly tiers: ReadonlyMap<
    string,
    {
      readonly prefix: string;
      readonly availabilityZones: readonly string[];
      readonly targetGroups: boolean;
      readonly securityGroups?: boolean;
      /** Whether its listener is HTTPS with an ACM certificate, and whether it declares a hosted zone. */
      readonly certificates?: boolean;
      readonly records?: boolean;
    }
  >;
  /**
   * A release (deploy) of surge tiers: each host such a tier has before the run, with its tier and the name
   * the tier's first new host gets. A surge installs the release only on new hosts it launches
   * (statemachines/surge/), so a fault of the install or of the new release's health on an old host
   * could never fire: it is refused, naming a new host to aim it at instead.
   */
  readonly surgeOldHosts?: ReadonlyMap<string, { readonly tier: string; readonly firstNewHost: string }>;
}

/** Faults about the install of the new release on a host, or its health on it: a surge's old hosts never get it. */
const NEW_RELEASE_HOST_KINDS = new Set(['patch-fail', 'unhealthy', 'ssm-status']);

/** A host name a launch could give: `<prefix>-<n>`, n ≥ 1. */
const LAUNCHABLE_NAME = /^([a-z][a-z0-9-]*)-([1-9][0-9]*)$/;

/** An account with nothing injected. */
export function noFaults(): AccountFaults {
  return parseFaults([], new Set(), new Set());
}

/**
 * `knownTasks`: the Lambda task states an `error:STATE` fault may name; without it any name
 * is accepted here (the simulation checks it against its workflows before anything runs).
 * `scope`: the tiers, host name prefixes and Availability Zones provisioning faults may
 * name; without it their tier and zone names are taken as they are, and a host must be
 * known or at least look like one (`web-3`).
 */
export function parseFaults(
  specs: readonly string[],
  knownHosts: ReadonlySet<string>,
  knownAlarms: ReadonlySet<string>,
  knownTasks?: ReadonlySet<string>,
  scope?: FaultScope,
): AccountFaults {
  const databaseStatus: DatabaseStatusFault[] = [];
  const faults: { -readonly [K in keyof AccountFaults]: AccountFaults[K] } = {
    patchFail: new Set(),
    unhealthy: new Set(),
    drainStuck: new Set(),
    throttle: new Map(),
    alarmAt: new Map(),
    migrationFail: false,
    approval: undefined,
    databaseStatus,
    down: new Set(),
    hostLoss: [],
    installStatus: new Map(),
    taskErrors: new Map(),
    launchFail: [],
    bootFail: new Set(),
    ssmUnmanaged: new Set(),
    prerequisiteFail: new Set(),
    missingTargetGroups: new Set(),
    restoreFail: false,
    restoredDbInvalid: false,
    reconfigureFail: new Set(),
    noSnapshot: false,
  };
  const provisioning = provisioningTargets(knownHosts, scope);
  for (const spec of specs) {
    if ((BARE_FAULTS as readonly string[]).includes(spec)) {
      setBareFault(faults, spec as BareFault);
      continue;
    }
    const match = /^([a-z-]+):(.+)$/.exec(spec);
    if (!match) throw new InvalidFaultError(`--fault must be KIND:TARGET (or one of ${BARE_FAULTS.join(', ')}) with KIND one of ${FAULT_KINDS.join(', ')} (received "${spec}")`);
    const [, kind, target] = match as unknown as [string, string, string];
    if ((BARE_FAULTS as readonly string[]).includes(kind)) throw new InvalidFaultError(`--fault ${spec}: ${kind} names nothing; use --fault ${kind}`);
    // With the environment's tiers known, a host may also be one a launch will create (a surge's web-3).
    const hostNamed = (name: string) => {
      const old = NEW_RELEASE_HOST_KINDS.has(kind) ? scope?.surgeOldHosts?.get(name) : undefined;
      if (old) {
        throw new InvalidFaultError(
          `--fault ${spec}: tier "${old.tier}" is released by surge, which installs the new release only on new hosts it launches, never on ${name}: the fault could not fire; name a new host as it will be launched, e.g. ${kind}:${old.firstNewHost}${target.slice(name.length)}`,
        );
      }
      if (scope && !knownHosts.has(name)) return provisioning.host(spec, name);
      if (!knownHosts.has(name)) {
        throw new InvalidFaultError(`--fault ${spec}: no simulated host is named "${name}" (hosts: ${[...knownHosts].join(', ')})`);
      }
      return name;
    };
    const host = () => hostNamed(target);
    switch (kind) {
      case 'patch-fail':
        faults.patchFail.add(host());
        break;
      case 'unhealthy':
        faults.unhealthy.add(host());
        break;
      case 'drain-stuck':
        faults.drainStuck.add(host());
        break;
      case 'throttle': {
        // throttle:SERVICE is a burst of 8 calls; throttle:SERVICE@SECONDS+DURATION throttles every call in that window.
        const window = /^([a-z0-9]+)(?:@(\d+)\+(\d+))?$/.exec(target);
        const service = window?.[1] ?? '';
        if (!window || !(THROTTLEABLE_SERVICES as readonly string[]).includes(service)) {
          throw new InvalidFaultError(`--fault ${spec}: use throttle:SERVICE or throttle:SERVICE@SECONDS+DURATION, SERVICE one of ${THROTTLEABLE_SERVICES.join(', ')}`);
        }
        faults.throttle.set(service, {
          after: THROTTLE_AFTER_CALLS,
          remaining: THROTTLE_BURST,
          ...(window[2] !== undefined ? { window: { fromMs: Number(window[2]) * 1000, toMs: (Number(window[2]) + Number(window[3])) * 1000 } } : {}),
        });
        break;
      }
      case 'down':
        faults.down!.add(host());
        break;
      case 'stop':
      case 'terminate': {
        const at = /^(.+)@(\d+)$/.exec(target);
        if (!at) throw new InvalidFaultError(`--fault ${spec}: use ${kind}:HOST@SECONDS, e.g. ${kind}:web-2@300`);
        const [, name, seconds] = at as unknown as [string, string, string];
        if (!knownHosts.has(name)) throw new InvalidFaultError(`--fault ${spec}: no simulated host is named "${name}"`);
        (faults.hostLoss as Array<{ host: string; state: 'stopped' | 'terminated'; atMs: number }>).push({
          host: name,
          state: kind === 'stop' ? 'stopped' : 'terminated',
          atMs: Number(seconds) * 1000,
        });
        break;
      }
      case 'ssm-status': {
        const at = /^(.+)@(Cancelled|TimedOut|Undeliverable|Delayed)$/.exec(target);
        if (!at) throw new InvalidFaultError(`--fault ${spec}: use ssm-status:HOST@STATUS, STATUS one of Cancelled, TimedOut, Undeliverable, Delayed`);
        const [, name, status] = at as unknown as [string, string, 'Cancelled' | 'TimedOut' | 'Undeliverable' | 'Delayed'];
        // A host that exists, or (with the tiers known) one a launch will create: a surge installs only on those.
        faults.installStatus!.set(hostNamed(name), status);
        break;
      }
      case 'lock':
        if (target !== 'stale' && target !== 'malformed') throw new InvalidFaultError(`--fault ${spec}: use lock:stale or lock:malformed`);
        faults.lock = target;
        break;
      case 'error': {
        // The Nth invocation (default: the first) of the task's handler throws a TypeError, once.
        const at = /^(.+?)(?:@(\d+))?$/.exec(target);
        const [, state, nth] = at as unknown as [string, string, string | undefined];
        if (knownTasks && !knownTasks.has(state)) {
          const near = nearestNames(state, knownTasks);
          const meant = near.length > 0 ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '';
          throw new InvalidFaultError(`--fault ${spec}: no Lambda task state is named "${state}" in the workflow this run starts${meant} (its tasks: ${[...knownTasks].sort().join(', ')})`);
        }
        const n = nth === undefined ? 1 : Number(nth);
        if (!Number.isSafeInteger(n) || n < 1) throw new InvalidFaultError(`--fault ${spec}: use error:STATE[@N], N the invocation (1 = the first)`);
        faults.taskErrors!.set(state, new Set([...(faults.taskErrors!.get(state) ?? []), n]));
        break;
      }
      case 'alarm': {
        const at = /^(.+)@(\d+)$/.exec(target);
        if (!at) throw new InvalidFaultError(`--fault ${spec}: use alarm:NAME@SECONDS, e.g. alarm:canonical-web-5xx@600`);
        const [, name, seconds] = at as unknown as [string, string, string];
        if (!knownAlarms.has(name)) {
          throw new InvalidFaultError(`--fault ${spec}: no alarm is named "${name}" (alarms: ${[...knownAlarms].join(', ')})`);
        }
        faults.alarmAt.set(name, Number(seconds) * 1000);
        break;
      }
      case 'approval':
        if (target !== 'reject' && target !== 'timeout' && target !== 'approve') {
          throw new InvalidFaultError(`--fault ${spec}: use approval:approve, approval:reject or approval:timeout`);
        }
        faults.approval = target;
        break;
      case 'launch-fail': {
        // launch-fail:TIER (every launch of the tier finds no capacity) or launch-fail:TIER@AZ (only in that zone).
        const [tier, availabilityZone] = target.split('@') as [string, string | undefined];
        provisioning.tier(spec, tier);
        if (availabilityZone !== undefined) provisioning.zone(spec, tier, availabilityZone);
        (faults.launchFail as Array<{ tier: string; availabilityZone?: string }>).push({ tier, ...(availabilityZone !== undefined ? { availabilityZone } : {}) });
        break;
      }
      case 'boot-fail':
        faults.bootFail!.add(provisioning.host(spec, target));
        break;
      case 'ssm-unmanaged':
        faults.ssmUnmanaged!.add(provisioning.host(spec, target));
        break;
      case 'prerequisite-fail':
        faults.prerequisiteFail!.add(provisioning.host(spec, target));
        break;
      case 'missing-target-group':
        provisioning.tier(spec, target, { withTargetGroups: true });
        faults.missingTargetGroups!.add(target);
        break;
      case 'listener-missing':
      case 'sg-blocked':
      case 'certificate-expiring':
      case 'certificate-pending':
      case 'record-missing': {
        provisioning.tier(spec, target, {
          withTargetGroups: true,
          withSecurityGroups: kind === 'sg-blocked',
          withCertificates: kind === 'certificate-expiring' || kind === 'certificate-pending',
          withRecords: kind === 'record-missing',
        });
        const network = (faults.network ??= new Map());
        network.set(target, new Set([...(network.get(target) ?? []), kind]));
        break;
      }
      case 'reconfigure-fail':
        // A host that exists, or (with the tiers known) one a launch will create.
        faults.reconfigureFail!.add(host());
        break;
      case 'restart':
        // The runner stops the execution and starts it again (simulate.ts); here it is only checked.
        restartOf([spec]);
        if (specs.filter((other) => other.startsWith('restart:')).length > 1) throw new InvalidFaultError(`--fault ${spec}: give restart once`);
        break;
      case 'db-status': {
        // The database instance reports STATUS from SECONDS after the start, for DURATION
        // seconds or for good: e.g. db-status:modifying@0+300, db-status:storage-full@600.
        const window = /^([a-z][a-z-]*[a-z])@(\d+)(?:\+(\d+))?$/.exec(target);
        if (!window) throw new InvalidFaultError(`--fault ${spec}: use db-status:STATUS@SECONDS[+DURATION], e.g. db-status:modifying@0+300`);
        const [, status, at, seconds] = window as unknown as [string, string, string, string | undefined];
        databaseStatus.push({ status, atMs: Number(at) * 1000, ...(seconds === undefined ? {} : { seconds: Number(seconds) }) });
        break;
      }
      case 'drained':
      case 'unlock-throttle':
        parseReleaseFault(faults, spec, kind, target, host);
        break;
      case 'protected':
      case 'asg':
        parseRetireFault(faults, spec, kind, target, knownHosts);
        break;
      default:
        throw new InvalidFaultError(`--fault ${spec}: unknown kind "${kind}"; use one of ${FAULT_KINDS.join(', ')}`);
    }
  }
  return faults;
}

/** The release's own faults: a node drained by hand before the run, the lock's release throttled. */
function parseReleaseFault(
  faults: { -readonly [K in keyof AccountFaults]: AccountFaults[K] },
  spec: string,
  kind: 'drained' | 'unlock-throttle',
  target: string,
  host: () => string,
): void {
  if (kind === 'drained') {
    faults.drained = new Set([...(faults.drained ?? []), host()]);
    return;
  }
  const calls = /^\d{1,4}$/.test(target) ? Number(target) : 0;
  if (calls < 1) throw new InvalidFaultError(`--fault ${spec}: use unlock-throttle:CALLS, CALLS the number of DeleteItem calls throttled (1-9999)`);
  faults.unlockThrottle = calls;
}

/**
 * What a retire runs into on a host that exists before the run: `protected:HOST[@stop|@terminate]` (EC2's stop
 * and termination protection, both unless one is named) and `asg:HOST` (a member of an Auto Scaling group).
 */
function parseRetireFault(
  faults: { -readonly [K in keyof AccountFaults]: AccountFaults[K] },
  spec: string,
  kind: 'protected' | 'asg',
  target: string,
  knownHosts: ReadonlySet<string>,
): void {
  const at = /^([^@]+)(?:@(stop|terminate))?$/.exec(target);
  if (!at || (kind === 'asg' && at[2] !== undefined)) throw new InvalidFaultError(`--fault ${spec}: use ${kind === 'asg' ? 'asg:HOST' : 'protected:HOST, protected:HOST@stop or protected:HOST@terminate'}`);
  const name = at[1]!;
  if (!knownHosts.has(name)) throw new InvalidFaultError(`--fault ${spec}: no simulated host is named "${name}" (hosts: ${[...knownHosts].join(', ')})`);
  if (kind === 'asg') {
    faults.autoScaling = new Set([...(faults.autoScaling ?? []), name]);
    return;
  }
  const protection = (faults.protection ??= new Map());
  const which = at[2] === undefined ? (['stop', 'terminate'] as const) : [at[2] as 'stop' | 'terminate'];
  protection.set(name, new Set([...(protection.get(name) ?? []), ...which]));
}

/** Sets a fault that names nothing. */
function setBareFault(faults: { -readonly [K in keyof AccountFaults]: AccountFaults[K] }, kind: BareFault): void {
  const field = {
    'migration-fail': 'migrationFail', 'restore-fail': 'restoreFail', 'restored-db-invalid': 'restoredDbInvalid', 'no-snapshot': 'noSnapshot',
    'switchover-timeout': 'switchoverTimeout', 'green-check-fail': 'greenCheckFail', 'lag-never-settles': 'lagNeverSettles',
  } as const;
  faults[field[kind]] = true;
}

/**
 * Checks the tier, zone and host names of provisioning faults: against the scope when
 * there is one; otherwise a host must be known or look like a launched one.
 */
function provisioningTargets(knownHosts: ReadonlySet<string>, scope: FaultScope | undefined) {
  const tierNames = () => [...(scope?.tiers.keys() ?? [])].join(', ');
  return {
    tier(spec: string, tier: string, options: { withTargetGroups?: boolean; withSecurityGroups?: boolean; withCertificates?: boolean; withRecords?: boolean } = {}): void {
      if (!/^[a-z][a-z0-9-]{0,31}$/.test(tier)) throw new InvalidFaultError(`--fault ${spec}: "${tier}" is not a tier name`);
      if (!scope) return;
      const known = scope.tiers.get(tier);
      if (!known) throw new InvalidFaultError(`--fault ${spec}: no host tier is named "${tier}" (host tiers: ${tierNames()})`);
      if (options.withTargetGroups && !known.targetGroups) throw new InvalidFaultError(`--fault ${spec}: tier "${tier}" has no target groups`);
      // Without declared host security groups nothing checks them: the fault could not show.
      if (options.withSecurityGroups && !known.securityGroups) throw new InvalidFaultError(`--fault ${spec}: tier "${tier}" declares no traffic.hostSecurityGroups`);
      if (options.withCertificates && !known.certificates) throw new InvalidFaultError(`--fault ${spec}: tier "${tier}" has no HTTPS listener (a web tier, or one declaring traffic.domain)`);
      if (options.withRecords && !known.records) throw new InvalidFaultError(`--fault ${spec}: tier "${tier}" declares no traffic.domain.hostedZoneId`);
    },
    zone(spec: string, tier: string, availabilityZone: string): void {
      if (!/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/.test(availabilityZone)) throw new InvalidFaultError(`--fault ${spec}: use launch-fail:TIER or launch-fail:TIER@AZ, AZ an Availability Zone such as us-east-1a`);
      const zones = scope?.tiers.get(tier)?.availabilityZones;
      if (zones && !zones.includes(availabilityZone)) {
        throw new InvalidFaultError(`--fault ${spec}: tier "${tier}" launches in no subnet of ${availabilityZone} (its zones: ${zones.join(', ') || 'none'})`);
      }
    },
    /** A host that exists, or that a launch of a tier could create (its prefix, any number from 1). */
    host(spec: string, name: string): string {
      if (knownHosts.has(name)) return name;
      const launchable = LAUNCHABLE_NAME.exec(name);
      const prefixes = scope ? [...scope.tiers.values()].map((t) => t.prefix) : undefined;
      if (launchable && (!prefixes || prefixes.includes(launchable[1]!))) return name;
      const expected = prefixes ? `; a host to be launched is PREFIX-N with PREFIX one of ${prefixes.join(', ')}` : '';
      throw new InvalidFaultError(`--fault ${spec}: no simulated host is named "${name}"${expected}`);
    },
  };
}

/** Up to three task names close to `name` (a typo, another case, a word more or less), nearest first. */
export function nearestNames(name: string, names: Iterable<string>): string[] {
  const wanted = name.toLowerCase();
  const words = new Set(wanted.split(/\s+/));
  return [...names]
    .map((candidate) => {
      const lower = candidate.toLowerCase();
      const shared = lower.split(/\s+/).filter((w) => words.has(w)).length;
      return { candidate, distance: editDistance(wanted, lower), shared };
    })
    // Close in spelling, or sharing half its words or more ("Launch Next Surge Hosts" and "Launch Surge Hosts").
    .filter((c) => c.distance <= Math.max(3, Math.floor(wanted.length / 4)) || c.shared >= Math.max(2, Math.ceil(words.size / 2)))
    .sort((a, b) => b.shared - a.shared || a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .slice(0, 3)
    .map((c) => c.candidate);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * What the account records when a fault takes effect (SimulatedAccount.faultFired), for a
 * fault as given: the kind and what it names, without its timing or status where the firing
 * site does not know them (`stop:web-2@300` fires as `stop:web-2`, `error:Check Install` as
 * `error:Check Install@1`).
 */
export function faultKey(spec: string): string {
  const colon = spec.indexOf(':');
  if (colon < 0) return spec;
  const kind = spec.slice(0, colon);
  const target = spec.slice(colon + 1);
  switch (kind) {
    case 'ssm-status':
    case 'stop':
    case 'terminate':
    case 'alarm':
    case 'protected':
      return `${kind}:${target.replace(/@[^@]*$/, '')}`;
    case 'throttle':
      return `throttle:${target.split('@')[0]}`;
    case 'error': {
      // As parsed: the invocation as a number (`@02` is the second).
      const nth = /^(.+?)@(\d+)$/.exec(target);
      return nth ? `error:${nth[1]}@${Number(nth[2])}` : `${spec}@1`;
    }
    case 'db-status':
      // As the account holds the window: its seconds as numbers.
      return `db-status:${target.replace(/\d+/g, (n) => String(Number(n)))}`;
    case 'approval':
    case 'lock':
    case 'unlock-throttle':
      return kind;
    default:
      return spec;
  }
}

/**
 * Faults that are the account's state before anything runs (a host down, a lock left behind, a
 * listener missing): they hold for the whole run once what they name exists, whether or not
 * the workflow then looks. Every other kind fires at a moment of the run, when the account records it.
 */
export const STANDING_FAULT_KINDS: ReadonlySet<string> = new Set([
  'down', 'drained', 'lock', 'protected', 'asg', 'no-snapshot',
  'missing-target-group', 'listener-missing', 'sg-blocked', 'certificate-expiring', 'certificate-pending', 'record-missing',
]);

/** Whether a fault given took effect in the run, and if not, why (the report's `faultOutcomes`). */
export interface FaultOutcome {
  readonly fault: string;
  readonly applied: boolean;
  readonly reason?: string;
}

/**
 * Each fault's outcome: `fired(key)` says whether the account recorded `faultKey(spec)` while
 * the run went on, `hostExisted(name)` whether the run had a host of that name (a standing fault
 * on a host a launch never created held for nothing). `restart:` is the runner's, not the
 * account's: left out here (simulate.ts reports it from what the runner did).
 */
export function faultOutcomes(specs: readonly string[], fired: (key: string) => boolean, hostExisted: (name: string) => boolean): FaultOutcome[] {
  return specs
    .filter((spec) => !spec.startsWith('restart:'))
    .map((spec) => {
      const kind = spec.split(':')[0]!;
      const target = spec.slice(kind.length + 1);
      const hostNamed = /^(down|drained)$/.test(kind) ? target : undefined;
      const applied = STANDING_FAULT_KINDS.has(kind) ? hostNamed === undefined || hostExisted(hostNamed) : fired(faultKey(spec));
      return applied ? { fault: spec, applied } : { fault: spec, applied, reason: notAppliedReason(spec) };
    });
}

/** Why a fault never took effect, in words a person reading the summary can act on. */
export function notAppliedReason(spec: string): string {
  const kind = spec.split(':')[0]!;
  const target = spec.slice(kind.length + 1);
  const name = target.replace(/@[^@]*$/, '');
  const at = /@(\d+)/.exec(target)?.[1];
  switch (kind) {
    case 'patch-fail':
    case 'ssm-status':
      return `${name} was never sent the new release's install`;
    case 'unhealthy':
      return `${name} never finished an install of the new release`;
    case 'drain-stuck':
      return `${name} was never taken out of a target group`;
    case 'throttle':
      return `no call to ${target.split('@')[0]} was throttled while the run went on`;
    case 'alarm':
      return `${name} never went to ALARM while the run went on (it fires from ${at} s, and only while a host it watches runs a new release)`;
    case 'migration-fail':
      return 'no migration ran';
    case 'approval':
      return 'no approval was asked for';
    case 'db-status':
      return `nothing read the database's status in the window (from ${at} s) while the run went on`;
    case 'stop':
    case 'terminate':
      return `the run had ended before ${at} s`;
    case 'error': {
      const [state, nth = '1'] = target.split(/@(?=\d+$)/) as [string, string?];
      return nth === '1' ? `"${state}" never ran in this run` : `"${state}" ran fewer than ${nth} times in this run`;
    }
    case 'launch-fail':
      return `no launch for tier ${target.replace('@', ' in ')} was asked for`;
    case 'boot-fail':
    case 'ssm-unmanaged':
      return `no host named ${target} booted in the run`;
    case 'prerequisite-fail':
      return `no prerequisite document ran on ${target}`;
    case 'reconfigure-fail':
      return `${target} was never reconfigured for another database`;
    case 'restore-fail':
      return 'no DB restore was started';
    case 'restored-db-invalid':
      return 'no DB instance restored in the run was checked';
    case 'green-check-fail':
      return 'no blue/green deployment\'s green was checked';
    case 'lag-never-settles':
      return 'no blue/green deployment\'s replica lag was read';
    case 'switchover-timeout':
      return 'no switchover was asked for';
    case 'unlock-throttle':
      return 'no DeleteItem call reached the lock table';
    case 'down':
    case 'drained':
      return `no host named ${target} existed in the run`;
    default:
      return 'it never took effect in the run';
  }
}

/**
 * `FaultScope.surgeOldHosts` for a release: the hosts each surge tier (`surgeTiers`: tier to
 * host name prefix) has before the run, each with the name its tier's first new host will get
 * (a launch numbers a prefix's hosts on from the highest used: services/ec2.ts `nextHostName`).
 */
export function surgeOldHosts(hosts: ReadonlyArray<{ readonly name: string; readonly tier: string }>, surgeTiers: ReadonlyMap<string, string>): Map<string, { tier: string; firstNewHost: string }> {
  const old = new Map<string, { tier: string; firstNewHost: string }>();
  for (const [tier, prefix] of surgeTiers) {
    const numbered = hosts.map((h) => LAUNCHABLE_NAME.exec(h.name)).filter((m) => m?.[1] === prefix).map((m) => Number(m![2]));
    const firstNewHost = `${prefix}-${Math.max(0, ...numbered) + 1}`;
    for (const h of hosts) if (h.tier === tier) old.set(h.name, { tier, firstNewHost });
  }
  return old;
}
