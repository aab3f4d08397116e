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
}

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
    const host = () => {
      if (scope && !knownHosts.has(target)) return provisioning.host(spec, target);
      if (!knownHosts.has(target)) {
        throw new InvalidFaultError(`--fault ${spec}: no simulated host is named "${target}" (hosts: ${[...knownHosts].join(', ')})`);
      }
      return target;
    };
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
        if (!knownHosts.has(name)) throw new InvalidFaultError(`--fault ${spec}: no simulated host is named "${name}"`);
        faults.installStatus!.set(name, status);
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
          throw new InvalidFaultError(`--fault ${spec}: no Lambda task state is named "${state}" (tasks: ${[...knownTasks].sort().join(', ')})`);
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
