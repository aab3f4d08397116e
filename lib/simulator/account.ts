/**
 * The simulated AWS account: hosts, target groups, Run Command, alarms and an RDS
 * instance, on the virtual clock (Date.now() is faked while a simulation runs).
 *
 * State that changes with time (a draining target, an install in progress, a target
 * passing its health checks) is computed from timestamps when it is observed, and
 * scheduled effects (an install finishing) are applied in time order before every
 * API call, so jumping the clock forward is exact.
 *
 * This module is the account's state and its clock; each service's API (its requests,
 * limits and errors) is a module of its own under services/, which imports the account and
 * never the other way round. The rules the clock itself needs (when an SSM agent is online,
 * what a probe finds, which database answers at an endpoint) are at the end of this file.
 */
import { SIM_ACCOUNT_ID, SimulatedServiceError } from './aws-errors';
import { ec2RequestBucket, RequestRates } from './request-rates';

export { SIM_ACCOUNT_ID };

export interface HostProfile {
  /**
   * Seconds until the host's last connection from the load balancer closes once it is
   * deregistered (its in-flight requests finish): what the host itself observes, and what
   * a host-side drain check waits for. The load balancer shows the target `draining` for
   * the whole deregistration delay regardless.
   */
  readonly drainSeconds: number;
  /** Seconds the install document runs on this host. */
  readonly installSeconds: number;
}

export interface SimHost {
  readonly id: string;
  /** The simulator's name for the host (`web-1`), which faults and reports use; not a tag. */
  readonly name: string;
  /** The tier whose selector tags it carries; '' for none. */
  readonly tier: string;
  readonly tags: Map<string, string>;
  readonly profile: HostProfile;
  state: HostState;
  readonly availabilityZone: string;
  readonly subnetId: string;
  readonly vpcId: string;
  readonly instanceType: string;
  /** LaunchTime (virtual ms): a week before the simulation for seeded hosts. */
  readonly launchedAt: number;
  /** When it last reached `running`, and when it first did (status checks and SSM registration count from them). */
  bootedAt?: number;
  firstBootedAt?: number;
  /** The RunInstances client token it was launched with. */
  readonly launchedBy?: string;
  readonly launchTemplate?: { readonly id: string; readonly version: string };
  /** The role of its instance profile. */
  readonly instanceRole?: string;
  /** Prerequisite documents that succeeded on it (seeded hosts: all of their tier's). */
  readonly prerequisitesRun: Set<string>;
  /** Every prerequisite of its tier has succeeded on it; an install fails until then. */
  prerequisitesDone: boolean;
  /** What is actually installed (the tag is only FleetFlow's record of it). */
  release: string;
  halfInstalled: boolean;
  /** When the host last went back to the release it started with (virtual ms). */
  restoredAt?: number;
  /** When the host last stopped running (stopped, terminated, lost; virtual ms). */
  leftRunningAt?: number;
  /** Clustered tiers: drained by command. */
  drained: boolean;
  /**
   * When the host's connections from the load balancer close after it was deregistered
   * (virtual ms): its drain time, or the deregistration delay when that comes first (ELB
   * completes the deregistration then); never with the `drain-stuck` fault until the delay.
   * Undefined while it is registered (it serves traffic) or before it was ever deregistered.
   */
  connectionsCloseAt?: number;
  /**
   * The DB instance identifier its service is configured for ('' for none yet): seeded
   * hosts, the environment's database; a launched host, what the connection parameter
   * pointed to when its first install succeeded; then whatever a reconfigure connected it to.
   */
  database: string;
  /** Times at which the host's service became healthy (true) or unhealthy (false). */
  readonly healthTimeline: Array<{ at: number; healthy: boolean }>;
}

export interface SimTarget {
  registeredAt: number;
  deregisteredAt?: number;
  /** When the target stops being shown `draining`: its deregistration plus the group's delay. */
  drainEndsAt?: number;
}

export interface SimTargetGroup {
  readonly arn: string;
  readonly name: string;
  readonly tier: string;
  /** The port targets receive traffic on, and the VPC its targets must be in. */
  readonly port: number;
  readonly vpcId: string;
  readonly intervalSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  /**
   * `deregistration_delay.timeout_seconds` (DescribeTargetGroupAttributes; ELB's default is
   * 300): how long a deregistered target is shown `draining`. Mutable, as
   * ModifyTargetGroupAttributes would change it; a target already draining keeps the delay
   * it was deregistered with.
   */
  deregistrationDelaySeconds: number;
  readonly targets: Map<string, SimTarget>;
}

/**
 * `prerequisite`: run once on a new host before its release; `probe`: AWS-RunShellScript,
 * e.g. a curl of the health check path; `reconfigure`: the host reads the connection
 * parameter and reconnects its service; `database-check`: a connection and a query
 * against the database at the `endpoint` parameter; `drain-check`: the host-side drain
 * check, which waits (up to its `timeoutSeconds` parameter) until the host has no open
 * connection on its service port, then succeeds; it fails if they are still open then.
 */
export type DocumentRole = 'install' | 'drain' | 'undrain' | 'drain-check' | 'migration' | 'health' | 'prerequisite' | 'probe' | 'reconfigure' | 'database-check';

export interface SimInvocation {
  readonly instanceId: string;
  readonly requestedAt: number;
  readonly startsAt: number;
  readonly endsAt: number;
  outcome: 'Success' | 'Failed' | 'Cancelled' | 'TimedOut';
  status: string;
  details: string;
  /** What the document printed to standard error, and its exit code (GetCommandInvocation). */
  stderr?: string;
  exitCode?: number;
}

export interface SimCommand {
  readonly id: string;
  readonly document: string;
  readonly parameters: Record<string, string[]>;
  readonly comment: string;
  readonly invocations: Map<string, SimInvocation>;
}

/**
 * One change of an alarm's state, as CloudWatch keeps it (DescribeAlarmHistory, HistoryItemType StateUpdate: "CloudWatch
 * retains the history of an alarm even if you delete the alarm").
 */
export interface SimAlarmStateChange {
  readonly name: string;
  readonly type: SimAlarm['type'];
  readonly at: number;
  readonly from: SimAlarm['baseState'];
  readonly to: SimAlarm['baseState'];
}

export interface SimAlarm {
  readonly name: string;
  readonly type: 'MetricAlarm' | 'CompositeAlarm';
  /** State when no fault applies. */
  baseState: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  /** Tiers whose hosts' release the alarm watches. */
  readonly tiers: readonly string[];
}

export interface SimSnapshot {
  readonly id: string;
  readonly instance: string;
  readonly createdAt: number;
  readonly availableAt: number;
  readonly tags: Record<string, string>;
  /** @default "manual" */
  readonly type?: 'manual' | 'automated';
  /** The schema the instance had when the snapshot was taken, and what the instance was: a restore gets both. */
  readonly schemaRelease?: string;
  readonly definition?: DatabaseDefinition;
}

export interface SimParameter {
  readonly type: 'String' | 'SecureString';
  value: string;
  version: number;
}

/** A milestone event a workflow published (EventBridge). */
export interface SimNotification {
  readonly at: number;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
}

/** An event EventBridge accepted onto a bus: from the handlers' PutEvents (services/events.ts) or the workflows' (integrations.ts). */
export interface SimEvent {
  readonly at: number;
  readonly id: string;
  readonly bus: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
}

export interface SimDatabase {
  /** Mutable: a blue/green switchover renames both instances (services/rds.ts). */
  identifier: string;
  readonly name: string;
  /**
   * The status when nothing else applies; DescribeDBInstances reports `databaseStatus()`,
   * which overlays a snapshot in progress (`backing-up`) and injected status windows.
   */
  status: string;
  schemaRelease: string;
  /**
   * False once any observation found it in a status in which it does not serve
   * (see databaseServes): the report's `dbAvailableThroughout`.
   */
  availableThroughout: boolean;
  /** What it was created as (engine, class, groups, Multi-AZ), to compare against the definition. */
  readonly definition?: DatabaseDefinition;
  /** InstanceCreateTime (virtual ms). */
  readonly createdAt?: number;
  /** An instance created or restored during the simulation: its status from each instant on, and when it first serves. */
  readonly lifecycle?: ReadonlyArray<{ readonly at: number; readonly status: string }>;
  readonly servesFrom?: number;
  /** What it was restored from: a snapshot's identifier, or `<source>@<ISO time>` for a point-in-time restore. */
  readonly restoredFrom?: string;
  /** Its tags (AddTagsToResource changes them; they are not part of what it was created as). */
  tags?: Record<string, string>;
  /**
   * The application's writes it holds: `count` as of `since`, and, while it is the writer
   * (`since` not null), one more each WRITES_PER_SECOND. Absent: a database seeded before the
   * run is the writer from the start; any other holds none of its own (see writesOf).
   */
  writes?: { count: number; since: number | null };
  /** A blue/green deployment's green: it replicates `source`, `lagSecondsAt` behind (services/rds.ts). */
  replica?: { readonly source: SimDatabase; readonly deployment: string; readonly lagSecondsAt: (at: number) => number };
}

/** The application's write rate against the database it uses (writes per second), to count what a switchover keeps. */
export const WRITES_PER_SECOND = 1;

/** An RDS blue/green deployment (services/rds.ts keeps its rules; the account only holds it). */
export interface SimBlueGreenDeployment {
  readonly id: string;
  readonly name: string;
  /** The blue and the green instances (the objects: a switchover renames them). */
  readonly blue: SimDatabase;
  readonly green: SimDatabase;
  readonly createdAt: number;
  readonly availableAt: number;
  readonly tags: Record<string, string>;
  /** How the green is kept in sync: physical or logical (PostgreSQL), binlog (MySQL, MariaDB). */
  readonly replication: 'physical' | 'logical' | 'binlog';
  /** Set when its creation fails once provisioned (INVALID_CONFIGURATION, with this as StatusDetails). */
  readonly creationFailed?: string;
  /** Asked for at `at`, with its timeout; it completes at `endsAt`, or fails there (`failed`). */
  switchover?: { readonly at: number; readonly timeoutSeconds: number; readonly endsAt: number; readonly failed?: string };
  /** The instance names before and after the switchover, once it completed. */
  renamed?: { readonly blueFrom: string; readonly blueTo: string };
}

/** The environment's database as its hosts find it (fleet.ts). */
export interface DataTierConfig {
  /** The data tier's DB instance identifier. */
  readonly identifier: string;
  /** The SSM String parameter holding "<address>:<port>" of the database the hosts use (`database.restore`). */
  readonly connectionParameter?: string;
  /** The host tiers that use the database (`database.restore.tiers`). */
  readonly restoreTiers: readonly string[];
}

/** An injected DB instance status: from `atMs` after the simulation starts, for `seconds` (or for good). */
export interface DatabaseStatusFault {
  readonly status: string;
  readonly atMs: number;
  readonly seconds?: number;
}

/**
 * DB instance statuses in which the database accepts connections and serves queries, per
 * the RDS User Guide's DB instance status table: `available`; `backing-up` (a snapshot of a
 * Single-AZ instance suspends I/O only briefly); `modifying` and `storage-optimization`
 * ("the DB instance is fully operational"); and the `configuring-*` statuses (a monitoring,
 * IAM auth or log-export setting is being changed). Every other status (rebooting,
 * upgrading, maintenance, storage-full, stopped, failed, ...) counts as not serving, so
 * `dbAvailableThroughout` means "never observed in a status in which it does not serve".
 */
export function databaseServes(status: string): boolean {
  return ['available', 'backing-up', 'modifying', 'storage-optimization'].includes(status) || status.startsWith('configuring-');
}

/** Faults injected into the account, by host name or service. */
export interface AccountFaults {
  readonly patchFail: Set<string>;
  readonly unhealthy: Set<string>;
  readonly drainStuck: Set<string>;
  /**
   * Throttling per service: a burst of `remaining` calls, armed after the service's first
   * `after` calls; or, with `window`, every call from `fromMs` to `toMs` after the start.
   */
  readonly throttle: Map<string, { after: number; remaining: number; window?: { fromMs: number; toMs: number } }>;
  /** Hosts whose service is down before the release starts (`down:HOST`). */
  readonly down?: Set<string>;
  /** Hosts stopped or terminated at a virtual time (`stop:HOST@SECONDS`, `terminate:HOST@SECONDS`). */
  readonly hostLoss?: ReadonlyArray<{ readonly host: string; readonly state: 'stopped' | 'terminated'; readonly atMs: number }>;
  /** Install invocations of the new release on a host that end in another SSM status (`ssm-status:HOST@STATUS`). */
  readonly installStatus?: Map<string, 'Cancelled' | 'TimedOut' | 'Undeliverable' | 'Delayed'>;
  /** Task state name -> the invocations of its handler (1 = the first) that throw a TypeError instead (`error:STATE[@N]`). */
  readonly taskErrors?: Map<string, Set<number>>;
  /**
   * What the environment's lock item holds before anything runs (`lock:stale`: an execution
   * that no longer exists; `lock:malformed`: an item with no holder).
   */
  readonly lock?: 'stale' | 'malformed';
  /** Alarm name -> virtual milliseconds after the simulation starts. */
  readonly alarmAt: Map<string, number>;
  readonly migrationFail: boolean;
  readonly approval: 'approve' | 'reject' | 'timeout' | undefined;
  /** Statuses the database instance(s) report at given times (`db-status:STATUS@SECONDS[+DURATION]`). */
  readonly databaseStatus: readonly DatabaseStatusFault[];
  /** A tier's launches find no capacity, in one Availability Zone or in all (`launch-fail:TIER[@AZ]`). */
  readonly launchFail?: ReadonlyArray<{ readonly tier: string; readonly availabilityZone?: string }>;
  /** Hosts (by name, launched or to be) whose boots fail their instance status check (`boot-fail:HOST`). */
  readonly bootFail?: Set<string>;
  /** Hosts whose SSM Agent never comes online after a boot (`ssm-unmanaged:HOST`). */
  readonly ssmUnmanaged?: Set<string>;
  /** Hosts on which every prerequisite document fails (`prerequisite-fail:HOST`). */
  readonly prerequisiteFail?: Set<string>;
  /** Tiers whose target groups were never created (`missing-target-group:TIER`). */
  readonly missingTargetGroups?: Set<string>;
  /** Every restore started during the simulation ends `incompatible-restore` (`restore-fail`). */
  readonly restoreFail?: boolean;
  /** The check document fails against any database restored during the simulation (`restored-db-invalid`). */
  readonly restoredDbInvalid?: boolean;
  /** Hosts whose reconfigure to another database than their original one fails (`reconfigure-fail:HOST`). */
  readonly reconfigureFail?: Set<string>;
  /** A blue/green switchover takes longer than its SwitchoverTimeout, and RDS rolls it back (`switchover-timeout`). */
  readonly switchoverTimeout?: boolean;
  /** The check document fails against a blue/green deployment's green (`green-check-fail`). */
  readonly greenCheckFail?: boolean;
  /** A green's ReplicaLag never comes down from where it starts (`lag-never-settles`). */
  readonly lagNeverSettles?: boolean;
  /** The account has no DB snapshot at all, manual or automated, hence no automated backup (`no-snapshot`). */
  readonly noSnapshot?: boolean;
  /** Nodes of drain-command tiers drained by hand before the run, without FleetFlow's mark (`drained:HOST`). */
  readonly drained?: Set<string>;
  /** The first N DeleteItem calls on the lock table are throttled (`unlock-throttle:N`). */
  readonly unlockThrottle?: number;
  /** Host name -> its EC2 protections: DisableApiStop ('stop'), DisableApiTermination ('terminate') (`protected:HOST[@stop|@terminate]`). */
  readonly protection?: Map<string, Set<'stop' | 'terminate'>>;
  /** Hosts that belong to an Auto Scaling group: they carry the tag aws:autoscaling:groupName (`asg:HOST`). */
  readonly autoScaling?: Set<string>;
  /** Tier -> what is wrong with its network (`listener-missing:TIER`, `sg-blocked:TIER`, `certificate-expiring:TIER`, ...; services/network.ts). */
  readonly network?: Map<string, Set<NetworkFault>>;
}

/** What a network fault breaks in front of a tier (services/network.ts). */
export type NetworkFault = 'listener-missing' | 'sg-blocked' | 'certificate-expiring' | 'certificate-pending' | 'record-missing';

/** What seeding or a launch gives addHost; what it leaves out is a seeded host's. */
export type NewHost = Pick<SimHost, 'id' | 'name' | 'tier' | 'tags' | 'profile' | 'release'> &
  Partial<Pick<SimHost, 'availabilityZone' | 'subnetId' | 'vpcId' | 'instanceType' | 'launchedAt' | 'launchedBy' | 'launchTemplate' | 'instanceRole' | 'database'>> & {
    /** @default "running" (a seeded host, booted long ago, with its tier's prerequisites) */
    readonly state?: 'running' | 'pending';
  };

/** How long before the simulation seeded hosts were launched. */
const SEEDED_HOST_AGE_MS = 7 * 24 * 3600 * 1000;

/** What runInvocation needs of the request. */
interface InvocationRun {
  readonly release: string;
  readonly isNewRelease: boolean;
  readonly fails: boolean;
  readonly parameters: Record<string, string[]>;
  readonly document: string;
}

/** What a reconfigure read when it started: the parameter, its value, and the instance at that endpoint. */
interface Reconnect {
  readonly name: string;
  readonly value?: string;
  readonly db?: SimDatabase;
}

interface Effect {
  readonly at: number;
  readonly seq: number;
  readonly apply: () => void;
}

/** Seconds an alarm stays in ALARM after its cause is gone (its evaluation periods). */
export const ALARM_RECOVERY_SECONDS = 60;
/** Seconds between SendCommand and the agent starting the document. */
export const SSM_DELIVERY_SECONDS = 1;
/** Seconds an RDS snapshot of the simulated database takes. */
export const SNAPSHOT_SECONDS = 120;
/** Seconds the simulated migration document runs. */
export const MIGRATION_SECONDS = 45;
/** Seconds an injected `Delayed` invocation is held before it runs. */
export const DELAYED_SECONDS = 300;
/** Seconds the reconfigure document runs (the service is down meanwhile, as it restarts). */
export const RECONFIGURE_SECONDS = 10;
/** Seconds the database check document runs (a connection and a query). */
export const CHECK_SECONDS = 20;
/** Seconds a drain, undrain or health document runs. */
export const QUICK_COMMAND_SECONDS: Record<'drain' | 'undrain' | 'health', number> = { drain: 5, undrain: 5, health: 3 };
/** Seconds the drain check takes to look at the host's connections once (it then ends, or looks again until they close). */
export const DRAIN_CHECK_SECONDS = 1;
/** How long the drain check waits for connections to close when the command does not say (its `timeoutSeconds` parameter). */
export const DRAIN_CHECK_DEFAULT_TIMEOUT_SECONDS = 120;

/**
 * The unavoidable drain of one host, in seconds from its deregistration, as a lower bound
 * counts it. ELB shows the target `draining` for the largest deregistration delay of its
 * groups; without a host-side drain check, that is when the batch can go on. With one (sent
 * at the deregistration, when the tier's plan knows the ports to watch), the check ends
 * when the host's connections close (its drain time; with `drain-stuck`, at the delay), if
 * that comes within the check's own timeout; otherwise the delay again.
 */
/** The host-side drain check a tier's batches run: declared, and the plan knows the ports it watches. */
export function drainCheckOf(spec: { traffic: { kind: string; ports?: number[] }; drainCheck?: { timeoutSeconds: number } }): { timeoutSeconds: number } | undefined {
  return spec.traffic.kind === 'target-group' && spec.drainCheck && (spec.traffic.ports?.length ?? 0) > 0 ? spec.drainCheck : undefined;
}

export function drainBoundSeconds(
  account: SimulatedAccount,
  host: SimHost,
  groups: readonly SimTargetGroup[],
  check?: { readonly timeoutSeconds: number },
): number {
  const delay = Math.max(0, ...groups.map((g) => g.deregistrationDelaySeconds));
  if (!check) return delay;
  const close = account.faults.drainStuck.has(host.name) ? delay : Math.min(host.profile.drainSeconds, delay);
  // Delivered, one look; then it ends when the connections close, unless its own time is up first.
  const checked = Math.max(SSM_DELIVERY_SECONDS + DRAIN_CHECK_SECONDS, close);
  return close <= SSM_DELIVERY_SECONDS + check.timeoutSeconds ? Math.min(checked, delay) : delay;
}

export class SimulatedAccount {
  readonly hosts = new Map<string, SimHost>();
  readonly targetGroups = new Map<string, SimTargetGroup>();
  readonly commands = new Map<string, SimCommand>();
  readonly alarms = new Map<string, SimAlarm>();
  /** Every alarm state change noted so far, oldest first (noteAlarmStates). */
  readonly alarmHistory: SimAlarmStateChange[] = [];
  /** Each alarm's state when last noted, and when. */
  private readonly notedAlarms = new Map<string, { state: SimAlarm['baseState']; at: number }>();
  readonly databases = new Map<string, SimDatabase>();
  readonly documents = new Map<string, DocumentRole>();
  readonly snapshots = new Map<string, SimSnapshot>();
  readonly parameters = new Map<string, SimParameter>();
  /** DynamoDB tables: name -> partition key value -> item (attribute-value JSON). */
  readonly tables = new Map<string, Map<string, Record<string, Record<string, string>>>>();
  /** Step Functions executions known to the account, by ARN. */
  readonly executions = new Map<string, 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT'>();
  readonly notifications: SimNotification[] = [];
  /** Every event put on a bus, in order. */
  readonly events: SimEvent[] = [];
  /** Told of each event put by the handlers, as it is put (the CLI's live block). */
  onEvent?: (event: SimEvent) => void;
  /** Secret values referenced by documents; they must never appear in execution history. */
  readonly secretValues = new Set<string>();
  /** Secrets Manager secrets, by name (services/secretsmanager.ts); each value is also in `secretValues`. */
  readonly secrets = new Map<string, SimSecret>();
  readonly calls = new Map<string, number>();
  throttledCalls = 0;
  /** Calls EC2's request rate refused (request-rates.ts), by operation: also counted in `throttledCalls`. */
  readonly rateLimited = new Map<string, number>();
  /** EC2's request token buckets, account-wide, on this account's clock (request-rates.ts). */
  readonly requestRates = new RequestRates();
  readonly startedAt: number;
  /** Launch templates, subnets, tiers, reservations, RDS groups (their rules: services/ec2.ts, services/rds.ts). */
  readonly compute = new ComputeState();
  /**
   * The release the environment runs when the simulation begins (its record): a launched
   * host that installs it is not "on another release" for faults and alarms.
   */
  baselineRelease = '';
  /** The environment's database and its connection parameter (fleet.ts); undefined without a data tier. */
  dataTier?: DataTierConfig;
  private readonly effects: Effect[] = [];
  private seq = 0;
  private commandSeq = 0;
  private readonly observers: Array<(at: number) => void> = [];
  private readonly hostListeners: Array<(host: SimHost) => void> = [];
  /** Bumped by every change that can move a host in or out of service. */
  private version = 0;
  private lastObserved = { at: Number.NaN, version: -1 };
  private groupsByTier?: Map<string, SimTargetGroup[]>;
  /** The release each host had when the simulation began; faults target any other. */
  private readonly originalRelease = new Map<string, string>();
  /** The database each host was configured for when the simulation began ('' for a launched one): `reconfigure-fail` targets any other. */
  private readonly originalDatabase = new Map<string, string>();
  /**
   * Hosts whose service a reconfigure took down: the health it had before, which a
   * successful reconfigure gives back (a failed one leaves it down; an install decides anew).
   */
  private readonly healthBeforeReconnect = new Map<string, boolean>();

  /**
   * When each injected fault first took effect, by `faultKey` (faults.ts): the report says which
   * fault given never did ("not applied"), as it says of a restart after the run's end.
   */
  readonly firedFaults = new Map<string, number>();

  constructor(private currentFaults: AccountFaults) {
    this.startedAt = Date.now();
    this.useFaults(currentFaults);
  }
  get faults(): AccountFaults {
    return this.currentFaults;
  }

  /** Records that the fault `key` (faults.ts `faultKey`) took effect at `at` (now); the earliest time counts. */
  faultFired(key: string, at = this.now()): void {
    const earlier = this.firedFaults.get(key);
    if (earlier === undefined || at < earlier) this.firedFaults.set(key, at);
  }

  /**
   * Faults are read only when something happens, so they can be set once the fleet
   * exists and its host and alarm names are known to validate them against.
   */
  useFaults(faults: AccountFaults): void {
    this.currentFaults = faults;
    // Observe the database at the edges of every injected status window, so that a window
    // between two API calls still counts in dbAvailableThroughout.
    for (const window of faults.databaseStatus ?? []) {
      this.schedule(this.startedAt + window.atMs, () => undefined);
      if (window.seconds !== undefined) this.schedule(this.startedAt + window.atMs + window.seconds * 1000, () => undefined);
    }
    for (const host of this.hosts.values()) {
      // Down since long before the release: every health check has failed.
      if (faults.down?.has(host.name)) host.healthTimeline.splice(0, host.healthTimeline.length, { at: 0, healthy: false });
      // Drained by hand with the tier's drain document: out of the cluster, no FleetFlow mark.
      if (faults.drained?.has(host.name)) host.drained = true;
      // Launched by an Auto Scaling group, which tags each instance with its name (`asg:HOST`).
      if (faults.autoScaling?.has(host.name)) host.tags.set('aws:autoscaling:groupName', `${host.tier}-asg`);
    }
    for (const loss of faults.hostLoss ?? []) {
      const host = [...this.hosts.values()].find((h) => h.name === loss.host);
      if (host) {
        this.schedule(this.startedAt + loss.atMs, () => {
          this.faultFired(`${loss.state === 'stopped' ? 'stop' : 'terminate'}:${host.name}`, this.startedAt + loss.atMs);
          this.loseHost(host, loss.state);
        });
      }
    }
    // `missing-target-group:TIER`: the tier's target groups were never created.
    for (const group of [...this.targetGroups.values()]) if (faults.missingTargetGroups?.has(group.tier)) this.targetGroups.delete(group.arn);
    // `no-snapshot`: none of the snapshots seeded before the start (manual or automated) exists.
    if (faults.noSnapshot) for (const snapshot of [...this.snapshots.values()]) if (snapshot.createdAt < this.startedAt) this.snapshots.delete(snapshot.id);
    this.groupsByTier = undefined;
    // Health, drains and target groups may all have changed.
    for (const host of this.hosts.values()) this.hostChanged(host);
  }

  /**
   * A host stopped or terminated under FleetFlow's feet: its service goes down, and Run
   * Command invocations on it end failed (the agent is gone).
   */
  private loseHost(host: SimHost, state: 'stopped' | 'terminated'): void {
    this.hostLeftRunning(host);
    this.forceState(host, state);
  }

  /** Puts a host in a state at once, dropping any transition under way (a boot, a stop). */
  private forceState(host: SimHost, state: HostState): void {
    host.state = state;
    this.compute.generations.set(host.id, (this.compute.generations.get(host.id) ?? 0) + 1);
    this.hostChanged(host);
  }

  /**
   * A host stops running (stopped, terminated, lost): its service goes down, and Run
   * Command invocations on it end failed (the agent is gone).
   */
  hostLeftRunning(host: SimHost): void {
    host.leftRunningAt = this.now();
    // What its service comes back as if it is started again.
    if (host.state === 'running') this.compute.healthOnStart.set(host.id, host.healthTimeline.at(-1)?.healthy ?? false);
    this.setHealth(host, this.now(), false);
    for (const command of this.commands.values()) {
      const invocation = command.invocations.get(host.id);
      if (invocation && (invocation.status === 'Pending' || invocation.status === 'InProgress' || invocation.status === 'Delayed')) {
        Object.assign(invocation, { status: 'Failed', details: invocation.status === 'Pending' ? 'Undeliverable' : 'Failed' });
      }
    }
    this.changed();
  }

  // ---------- seeding ----------

  /**
   * A seeded host runs its release, healthy, with its tier's prerequisites, booted a week
   * ago; a launched one (`state: 'pending'`) has nothing installed and is not healthy until
   * an install succeeds.
   */
  addHost(host: NewHost): SimHost {
    const { state = 'running', ...rest } = host;
    const seeded = state === 'running';
    const launchedAt = host.launchedAt ?? this.startedAt - SEEDED_HOST_AGE_MS;
    const full: SimHost = {
      availabilityZone: DEFAULT_SUBNET.availabilityZone,
      subnetId: DEFAULT_SUBNET.id,
      vpcId: SIM_VPC_ID,
      instanceType: DEFAULT_INSTANCE_TYPE,
      ...rest,
      launchedAt,
      state,
      ...(seeded ? { bootedAt: launchedAt, firstBootedAt: launchedAt } : {}),
      prerequisitesRun: new Set(seeded ? (this.compute.tiers.get(host.tier)?.prerequisites ?? []) : []),
      prerequisitesDone: false,
      halfInstalled: false,
      drained: false,
      database: host.database ?? (seeded ? (this.dataTier?.identifier ?? '') : ''),
      healthTimeline: [seeded ? { at: 0, healthy: true } : { at: launchedAt, healthy: false }],
    };
    full.prerequisitesDone = hasPrerequisites(this, full);
    this.hosts.set(host.id, full);
    this.originalRelease.set(host.id, host.release || this.baselineRelease);
    this.originalDatabase.set(host.id, full.database);
    this.hostChanged(full);
    return full;
  }

  /** Adds a target group; none for a tier whose groups a fault says were never created. */
  addTargetGroup(group: Omit<SimTargetGroup, 'targets'>, members: readonly string[]): SimTargetGroup | undefined {
    if (this.faults.missingTargetGroups?.has(group.tier)) return undefined;
    const targets = new Map<string, SimTarget>(members.map((id) => [id, { registeredAt: 0 }]));
    const full = { ...group, targets };
    this.targetGroups.set(group.arn, full);
    this.groupsByTier = undefined;
    for (const host of this.hosts.values()) if (host.tier === group.tier || targets.has(host.id)) this.hostChanged(host);
    return full;
  }

  addAlarm(name: string, tiers: readonly string[], type: SimAlarm['type'] = 'MetricAlarm'): void {
    const existing = this.alarms.get(name);
    this.alarms.set(name, { name, type, baseState: 'OK', tiers: [...new Set([...(existing?.tiers ?? []), ...tiers])] });
  }

  /**
   * An injected alarm fires at its time and stays in ALARM while any host it watches
   * runs a release other than the one it started with: the bad release causes it, and
   * rolling back clears it.
   */
  alarmState(alarm: SimAlarm, at = this.now()): SimAlarm['baseState'] {
    const firesAfter = this.faults.alarmAt.get(alarm.name);
    if (firesAfter === undefined || at < this.startedAt + firesAfter) return alarm.baseState;
    const recoversAt = this.alarmRecoversAt(alarm);
    if (recoversAt !== undefined && at >= recoversAt) return alarm.baseState;
    // In ALARM at `at` because of the fault: it fired (simulate.ts counts it if `at` is within the run).
    this.faultFired(`alarm:${alarm.name}`, at);
    return 'ALARM';
  }

  /** When an injected alarm returns to its base state, with the hosts as they are now; undefined while its cause lasts. */
  private alarmRecoversAt(alarm: SimAlarm): number | undefined {
    // A host with nothing installed yet runs no release at all; one stopped or terminated serves nothing.
    const ran = [...this.hosts.values()].filter((h) => alarm.tiers.includes(h.tier) && h.release !== '');
    const watched = ran.filter((h) => h.state === 'running');
    if (watched.some((h) => h.release !== this.originalRelease.get(h.id))) return undefined;
    // Like a real alarm, it returns to OK only after its evaluation periods without the cause:
    // the last host back on its release, or the last one on the new release gone.
    const gone = ran.filter((h) => h.state !== 'running' && h.release !== this.originalRelease.get(h.id));
    const causeGoneAt = Math.max(0, ...watched.map((h) => h.restoredAt ?? 0), ...gone.map((h) => h.leftRunningAt ?? 0));
    return causeGoneAt + ALARM_RECOVERY_SECONDS * 1000;
  }

  /**
   * Notes each alarm's state changes up to `at` in `alarmHistory`, as CloudWatch records them. Called wherever the
   * account is observed (every instant an effect applies, before and after it, and at every call), so the hosts an
   * alarm watches are the same from one note to the next: the changes between two notes are those the alarm's own
   * clock makes (the fault firing, the evaluation periods after its cause went), noted at their own instants.
   */
  noteAlarmStates(at = this.now()): void {
    for (const alarm of this.alarms.values()) {
      const noted = this.notedAlarms.get(alarm.name);
      if (!noted) {
        // First seen: the state it was in is its starting point, not a change.
        this.notedAlarms.set(alarm.name, { state: this.alarmState(alarm, at), at });
        continue;
      }
      // The same instant again: an effect applied at it may have changed the state.
      if (at < noted.at) continue;
      const firesAfter = this.faults.alarmAt.get(alarm.name);
      // Without a fault the state is the base state: only setAlarmBaseState changes it (no host to read).
      const instants = firesAfter === undefined ? [] : [this.startedAt + firesAfter, this.alarmRecoversAt(alarm)]
        .filter((t): t is number => t !== undefined && t > noted.at && t < at)
        .sort((a, b) => a - b);
      let last = noted.state;
      for (const t of [...instants, at]) {
        const state = this.alarmState(alarm, t);
        if (state !== last) this.alarmHistory.push({ name: alarm.name, type: alarm.type, at: t, from: last, to: state });
        last = state;
      }
      this.notedAlarms.set(alarm.name, { state: last, at });
    }
  }

  /** Sets an alarm's state when no fault applies (an operator's, or a test's, SetAlarmState), noting the change. */
  setAlarmBaseState(name: string, state: SimAlarm['baseState']): void {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new Error(`no alarm ${name}`);
    this.noteAlarmStates();
    alarm.baseState = state;
    const noted = this.notedAlarms.get(name);
    const now = this.now();
    const current = this.alarmState(alarm, now);
    if (noted && noted.state !== current) this.alarmHistory.push({ name, type: alarm.type, at: now, from: noted.state, to: current });
    this.notedAlarms.set(name, { state: current, at: now });
  }

  /** A Secrets Manager secret as a stack creates it (AWS::SecretsManager::Secret with a generated value). */
  addSecretsManagerSecret(name: string, value: string): SimSecret {
    // The ARN ends in a hyphen and six random characters Secrets Manager adds to the name (API reference, GetSecretValue, SecretId).
    const suffix = Buffer.from(name).toString('hex').slice(-6);
    const secret: SimSecret = { name, arn: `arn:aws:secretsmanager:us-east-1:${SIM_ACCOUNT_ID}:secret:${name}-${suffix}`, value, createdAt: this.startedAt };
    this.secrets.set(name, secret);
    this.secretValues.add(value);
    return secret;
  }

  addSecret(name: string, value: string): void {
    this.parameters.set(name, { type: 'SecureString', value, version: 1 });
    this.secretValues.add(value);
  }

  /** Called at every instant the account is observed or changed (capacity sampling). */
  onObserve(observer: (at: number) => void): void {
    this.observers.push(observer);
  }

  // ---------- time ----------

  now(): number {
    return Date.now();
  }

  /**
   * Applies every scheduled effect due by now, in time order. The account is observed
   * at each instant effects happen, before them (the state that lasted until then) and
   * after all of them (the state from then on).
   */
  settle(): void {
    const now = this.now();
    this.effects.sort((a, b) => a.at - b.at || a.seq - b.seq);
    while (this.effects.length > 0 && this.effects[0]!.at <= now) {
      const at = this.effects[0]!.at;
      this.observe(at);
      while (this.effects.length > 0 && this.effects[0]!.at === at) this.effects.shift()!.apply();
      this.changed();
      this.observe(at);
    }
    this.observe(now);
  }

  /** Observers see the account whenever time has moved or something changed since they last did. */
  observe(at: number): void {
    if (at === this.lastObserved.at && this.version === this.lastObserved.version) return;
    this.lastObserved = { at, version: this.version };
    this.noteAlarmStates(at);
    for (const db of this.databases.values()) {
      // An instance created during the run counts from when it first serves.
      if (at >= (db.servesFrom ?? Number.NEGATIVE_INFINITY) && !databaseServes(this.databaseStatus(db, at))) db.availableThroughout = false;
    }
    for (const observer of this.observers) observer(at);
  }

  /** Marks a change that may move hosts in or out of service. */
  changed(): void {
    this.version += 1;
  }

  /**
   * Marks a change to what decides whether this host serves (its state, health, drain, target
   * registrations): listeners (capacity.ts) look at it again instead of at every host.
   */
  hostChanged(host: SimHost): void {
    this.version += 1;
    for (const listener of this.hostListeners) listener(host);
  }

  /** Called with each host `hostChanged` is told of. */
  onHostChanged(listener: (host: SimHost) => void): void {
    this.hostListeners.push(listener);
  }

  /** Applies `apply` when the clock reaches `at` (before the next API call that finds it due). */
  schedule(at: number, apply: () => void): void {
    this.effects.push({ at, seq: this.seq++, apply });
  }

  // ---------- health and service ----------

  hostHealthyAt(host: SimHost, at: number): boolean {
    let healthy = true;
    for (const entry of host.healthTimeline) if (entry.at <= at) healthy = entry.healthy;
    return healthy && host.state === 'running';
  }

  /** When the host's health last flipped at or before `at`. */
  private lastFlip(host: SimHost, at: number): number {
    let flip = 0;
    let previous: boolean | undefined;
    for (const entry of host.healthTimeline) {
      if (entry.at > at) break;
      if (previous !== undefined && entry.healthy !== previous) flip = entry.at;
      previous = entry.healthy;
    }
    return flip;
  }

  setHealth(host: SimHost, at: number, healthy: boolean): void {
    host.healthTimeline.push({ at, healthy });
    this.hostChanged(host);
  }

  /** Sets a clustered node drained (out of the cluster) or back in. */
  setDrained(host: SimHost, drained: boolean): void {
    host.drained = drained;
    this.hostChanged(host);
  }

  /** ELBv2 target state of a host in a group at `at`, as DescribeTargetHealth would report it. */
  targetState(group: SimTargetGroup, id: string, at = this.now()): 'initial' | 'healthy' | 'unhealthy' | 'draining' | 'unused' {
    const target = group.targets.get(id);
    const host = this.hosts.get(id);
    if (!target || !host) return 'unused';
    // ALB user guide, deregistration delay: "even though target deregistration is complete,
    // the status of the target will be displayed as draining until the deregistration delay
    // elapses" — whether or not the host's connections closed earlier (connectionsCloseAt).
    if (target.deregisteredAt !== undefined) return at < (target.drainEndsAt ?? 0) ? 'draining' : 'unused';
    // A registered instance that is stopped or terminated: unused, reason Target.InvalidState.
    if (host.state !== 'running') return 'unused';
    const since = Math.max(target.registeredAt, this.lastFlip(host, at));
    const flippedWhileRegistered = since > target.registeredAt;
    const healthy = this.hostHealthyAt(host, at);
    const threshold = (healthy ? group.healthyThreshold : group.unhealthyThreshold) * group.intervalSeconds * 1000;
    if (at - since >= threshold) return healthy ? 'healthy' : 'unhealthy';
    if (!flippedWhileRegistered) return 'initial';
    return healthy ? 'unhealthy' : 'healthy';
  }

  /** In service: healthy in every target group of its tier (or, clustered, undrained and healthy). */
  inService(host: SimHost, at = this.now()): boolean {
    const groups = this.groupsOf(host.tier);
    if (groups.length > 0) return groups.every((g) => this.targetState(g, host.id, at) === 'healthy');
    return this.hostHealthyAt(host, at) && !host.drained;
  }

  /**
   * The next instant after `at` at which `inService(host)` may change with nothing else
   * happening to the host (a health check threshold passed, a drain's delay over, a health
   * change already on its timeline); +Infinity when only a change to the host can change it.
   */
  serviceChangesAt(host: SimHost, at: number): number {
    let next = host.healthTimeline.find((entry) => entry.at > at)?.at ?? Number.POSITIVE_INFINITY;
    for (const group of this.groupsOf(host.tier)) next = Math.min(next, this.targetStateChangesAt(group, host, at));
    return next;
  }

  /** When `targetState` of the host in the group changes by time alone after `at` (the rules of `targetState`). */
  private targetStateChangesAt(group: SimTargetGroup, host: SimHost, at: number): number {
    const target = group.targets.get(host.id);
    if (!target || host.state !== 'running') return Number.POSITIVE_INFINITY;
    if (target.deregisteredAt !== undefined) return at < (target.drainEndsAt ?? 0) ? target.drainEndsAt! : Number.POSITIVE_INFINITY;
    const since = Math.max(target.registeredAt, this.lastFlip(host, at));
    const threshold = (this.hostHealthyAt(host, at) ? group.healthyThreshold : group.unhealthyThreshold) * group.intervalSeconds * 1000;
    return at - since < threshold ? since + threshold : Number.POSITIVE_INFINITY;
  }

  /** Target groups are fixed once the account is seeded (and its faults set). */
  groupsOf(tier: string): SimTargetGroup[] {
    if (!this.groupsByTier) {
      this.groupsByTier = new Map();
      for (const group of this.targetGroups.values()) this.groupsByTier.set(group.tier, [...(this.groupsByTier.get(group.tier) ?? []), group]);
    }
    return this.groupsByTier.get(tier) ?? [];
  }

  // ---------- throttling ----------

  /**
   * Counts the call and throws the service's throttling error while a burst is armed, or when
   * the request's EC2 token bucket is empty (request-rates.ts: EC2 answers RequestLimitExceeded).
   */
  meter(service: string, operation: string, throttleCode: string, input: Readonly<Record<string, unknown>> = {}): void {
    const count = (this.calls.get(service) ?? 0) + 1;
    this.calls.set(service, count);
    this.calls.set(`${service}:${operation}`, (this.calls.get(`${service}:${operation}`) ?? 0) + 1);
    const burst = this.faults.throttle.get(service);
    if (burst?.window) {
      const since = this.now() - this.startedAt;
      if (since >= burst.window.fromMs && since < burst.window.toMs) {
        this.throttledCalls += 1;
        this.faultFired(`throttle:${service}`);
        throw new SimulatedServiceError(throttleCode, 'Rate exceeded', { throttling: true });
      }
    } else if (burst && count > burst.after && burst.remaining > 0) {
      burst.remaining -= 1;
      this.throttledCalls += 1;
      this.faultFired(`throttle:${service}`);
      throw new SimulatedServiceError(throttleCode, 'Rate exceeded', { throttling: true });
    }
    const bucket = service === 'ec2' ? ec2RequestBucket(operation, input) : undefined;
    if (bucket && !this.requestRates.take(bucket.key, bucket.size, this.now())) {
      this.throttledCalls += 1;
      this.rateLimited.set(operation, (this.rateLimited.get(operation) ?? 0) + 1);
      throw new SimulatedServiceError(throttleCode, 'Request limit exceeded.', { throttling: true });
    }
  }

  // ---------- EC2 ----------

  requireHost(id: string): SimHost {
    const host = this.hosts.get(id);
    if (!host) throw new SimulatedServiceError('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return host;
  }

  /**
   * Stops or terminates a host (tests and scenarios). Like AWS, a registered target stays
   * registered (DescribeTargetHealth: unused, Target.InvalidState) until it is deregistered.
   */
  setHostState(id: string, state: HostState): void {
    this.forceState(this.requireHost(id), state);
  }

  // ---------- ELBv2 ----------

  requireTargetGroup(arn: string): SimTargetGroup {
    const group = this.targetGroups.get(arn);
    if (!group) throw new SimulatedServiceError('TargetGroupNotFoundException', `Target groups '${arn}' not found`);
    return group;
  }

  /**
   * DeregisterTargets of one target. The load balancer stops routing new requests to it at
   * once; it is shown `draining` for the group's whole deregistration delay, then `unused`
   * (and leaves the group). The host's own connections close after its drain time (never
   * with `drain-stuck`), or at the delay, when ELB completes the deregistration.
   * API reference: "If the specified target does not exist, the action returns successfully."
   */
  deregisterTarget(group: SimTargetGroup, id: string): void {
    const target = group.targets.get(id);
    if (!target || target.deregisteredAt !== undefined) return; // AWS: succeeds when not registered
    const host = this.requireHost(id);
    const now = this.now();
    const delayMs = group.deregistrationDelaySeconds * 1000;
    const drainMs = this.faults.drainStuck.has(host.name) ? Number.POSITIVE_INFINITY : host.profile.drainSeconds * 1000;
    if (this.faults.drainStuck.has(host.name)) this.faultFired(`drain-stuck:${host.name}`);
    target.deregisteredAt = now;
    target.drainEndsAt = now + delayMs;
    // A host in several groups keeps connections until the last group's have closed.
    host.connectionsCloseAt = Math.max(host.connectionsCloseAt ?? 0, now + Math.min(drainMs, delayMs));
    this.hostChanged(host);
    this.schedule(target.drainEndsAt, () => {
      if (group.targets.get(id) === target && target.deregisteredAt !== undefined) {
        group.targets.delete(id);
        this.hostChanged(host);
      }
    });
  }

  /** Registers one target; RegisterTargets checks every target of the call first (services/elbv2.ts). */
  registerTarget(group: SimTargetGroup, id: string): void {
    const host = this.requireHost(id);
    if (host.state !== 'running') {
      throw new SimulatedServiceError('InvalidTargetException', `The following targets are not in a running state and cannot be registered: '${id}'`);
    }
    const target = group.targets.get(id);
    if (target && target.deregisteredAt === undefined) return; // already registered
    // Registering a draining target registers it again: the deregistration is abandoned (it is
    // no longer shown draining, and the scheduled removal no longer applies) and health checks
    // start over from `initial`. AWS's API reference does not describe this case; see
    // docs/aws-behaviour.md for what is known and what is assumed.
    group.targets.set(id, { registeredAt: this.now() });
    // It serves traffic again: its connections are open.
    host.connectionsCloseAt = undefined;
    this.hostChanged(host);
  }

  /**
   * Whether the host has open connections from the load balancer at `at`: while it is
   * registered in any of its tier's target groups, and after its deregistration until its
   * connections close.
   */
  connectionsOpen(host: SimHost, at = this.now()): boolean {
    const registered = this.groupsOf(host.tier).some((g) => {
      const target = g.targets.get(host.id);
      return target !== undefined && target.deregisteredAt === undefined && target.registeredAt <= at;
    });
    if (registered) return true;
    return host.connectionsCloseAt !== undefined && at < host.connectionsCloseAt;
  }

  /** When a drain check that starts at `startsAt` ends: once the connections are closed, or at its timeout. */
  private drainCheckEnd(host: SimHost, startsAt: number, parameters: Record<string, string[]>): number {
    const timeoutSeconds = Number(parameters.timeoutSeconds?.[0] ?? DRAIN_CHECK_DEFAULT_TIMEOUT_SECONDS);
    const giveUpAt = startsAt + (Number.isFinite(timeoutSeconds) && timeoutSeconds > 0 ? timeoutSeconds : DRAIN_CHECK_DEFAULT_TIMEOUT_SECONDS) * 1000;
    const firstLook = startsAt + DRAIN_CHECK_SECONDS * 1000;
    if (!this.connectionsOpen(host, startsAt)) return firstLook;
    const registered = this.groupsOf(host.tier).some((g) => g.targets.get(host.id)?.deregisteredAt === undefined && g.targets.has(host.id));
    const closeAt = registered ? Number.POSITIVE_INFINITY : (host.connectionsCloseAt ?? Number.POSITIVE_INFINITY);
    return Math.min(Math.max(firstLook, closeAt), giveUpAt);
  }

  // ---------- SSM Run Command ----------

  sendCommand(document: string, instanceIds: readonly string[], parameters: Record<string, string[]>, comment: string): SimCommand {
    const role = this.documents.get(document);
    if (!role) throw new SimulatedServiceError('InvalidDocument', `Document ${document} does not exist`);
    if ((role === 'install' || role === 'migration') && !parameters.release?.[0]) {
      throw new SimulatedServiceError('InvalidParameters', 'Parameter "release" is required');
    }
    if (role === 'probe' && !parameters.commands?.length) throw new SimulatedServiceError('InvalidParameters', 'Parameter "commands" is required');
    // The check document declares `endpoint` without a default: SSM refuses the command without it.
    if (role === 'database-check' && !parameters.endpoint?.[0]) throw new SimulatedServiceError('InvalidParameters', 'Parameter "endpoint" is required');
    const now = this.now();
    // SSM API reference, InvalidInstanceId: the whole call is refused when a managed node
    // does not exist (for the caller), its "SSM Agent isn't registered with the SSM
    // endpoint" (a new instance, pending or still booting, or one whose agent never comes
    // online), or it is not in a valid state. Valid: Running, Pending, Stopped, Stopping;
    // invalid: Shutting-down, Terminated. A registered host that stopped is accepted and its
    // invocation is not delivered (below). The message's shape is AWS's.
    const refused = instanceIds.filter((id) => {
      const host = this.hosts.get(id);
      return !host || host.state === 'shutting-down' || host.state === 'terminated' || !knownToSsm(this, host, now);
    });
    if (refused.length > 0) {
      throw new SimulatedServiceError('InvalidInstanceId', `Instances [[${refused.join(', ')}]] not in a valid state for account ${SIM_ACCOUNT_ID}`);
    }
    const id = `sim-cmd-${String(++this.commandSeq).padStart(6, '0')}`;
    const command: SimCommand = { id, document, parameters, comment, invocations: new Map() };
    for (const instanceId of instanceIds) {
      const host = this.hosts.get(instanceId)!;
      // The agent must be running to pick the command up: a stopped host's, or one that never comes back online, never does.
      const onlineAt = agentOnlineAt(this, host);
      if (onlineAt === undefined) {
        command.invocations.set(instanceId, {
          instanceId, requestedAt: now, startsAt: now, endsAt: now, outcome: 'Failed', status: 'Failed', details: 'Undeliverable',
        });
        continue;
      }
      // A host still coming back online after a start gets it once its agent reconnects.
      command.invocations.set(instanceId, this.invoke(host, { role, document, parameters }, Math.max(now, onlineAt), now));
    }
    this.commands.set(id, command);
    return command;
  }

  /** Seconds a document of this role runs on the host. */
  private commandSeconds(host: SimHost, role: DocumentRole): number {
    switch (role) {
      case 'install':
        return host.profile.installSeconds;
      case 'migration':
        return MIGRATION_SECONDS;
      case 'prerequisite':
        return PREREQUISITE_SECONDS;
      case 'probe':
        return PROBE_SECONDS;
      case 'reconfigure':
        return RECONFIGURE_SECONDS;
      case 'database-check':
        return CHECK_SECONDS;
      case 'drain-check':
        return DRAIN_CHECK_SECONDS;
      default:
        return QUICK_COMMAND_SECONDS[role];
    }
  }

  /** `deliverAt`: when the agent can take the command (now, or when it reconnects); `now`: when it was sent. */
  private invoke(
    host: SimHost,
    { role, document, parameters }: { role: DocumentRole; document: string; parameters: Record<string, string[]> },
    deliverAt: number,
    now: number,
  ): SimInvocation {
    const startsAt = deliverAt + SSM_DELIVERY_SECONDS * 1000;
    const endsAt = role === 'drain-check' ? this.drainCheckEnd(host, startsAt, parameters) : startsAt + this.commandSeconds(host, role) * 1000;
    const release = parameters.release?.[0] ?? '';
    const isNewRelease = release !== this.originalRelease.get(host.id);
    // The document resolves parameter references on the host; a dangling one fails it.
    const unresolved = Object.values(parameters).flat().some((v) => v.startsWith('/') && !this.parameters.has(v));
    // An install needs what the tier's prerequisites put on the host (its runtime, its web server).
    const missingPrerequisites = role === 'install' && !host.prerequisitesDone;
    const fails =
      unresolved ||
      missingPrerequisites ||
      (role === 'install' && isNewRelease && this.faults.patchFail.has(host.name)) ||
      (role === 'migration' && this.faults.migrationFail) ||
      (role === 'prerequisite' && (this.faults.prerequisiteFail?.has(host.name) ?? false));
    const injected = role === 'install' && isNewRelease ? this.faults.installStatus?.get(host.name) : undefined;
    if (injected) this.faultFired(`ssm-status:${host.name}`);
    if (role === 'install' && isNewRelease && this.faults.patchFail.has(host.name)) this.faultFired(`patch-fail:${host.name}`);
    if (role === 'migration' && this.faults.migrationFail) this.faultFired('migration-fail');
    if (role === 'prerequisite' && this.faults.prerequisiteFail?.has(host.name)) this.faultFired(`prerequisite-fail:${host.name}`);
    const invocation: SimInvocation = {
      instanceId: host.id, requestedAt: now, startsAt, endsAt, outcome: fails ? 'Failed' : 'Success', status: 'Pending', details: 'Pending',
      ...(missingPrerequisites ? { stderr: 'install: the runtime this release needs is not installed (prerequisites have not run on this host)', exitCode: 127 } : {}),
    };
    if (injected === 'Undeliverable') {
      // The agent never picks it up: Failed / Undeliverable once delivery gives up.
      Object.assign(invocation, { outcome: 'Failed' });
      this.schedule(startsAt, () => {
        if (invocation.status === 'Pending') Object.assign(invocation, { status: 'Failed', details: 'Undeliverable' });
      });
      return invocation;
    }
    if (injected === 'Delayed') {
      // SSM holds the command (Delayed) for a while before it runs.
      const delayMs = DELAYED_SECONDS * 1000;
      this.schedule(now, () => Object.assign(invocation, { status: 'Delayed', details: 'Delayed' }));
      this.schedule(now + delayMs, () => {
        if (invocation.status === 'Delayed') Object.assign(invocation, { status: 'Pending', details: 'Pending' });
      });
      Object.assign(invocation, { startsAt: startsAt + delayMs, endsAt: endsAt + delayMs });
      return this.runInvocation(host, role, invocation, { release, isNewRelease, fails, parameters, document });
    }
    if (injected === 'Cancelled' || injected === 'TimedOut') {
      // Someone cancels it, or it runs out its time, halfway: the host is left half-installed.
      Object.assign(invocation, { outcome: injected, endsAt: startsAt + Math.round((endsAt - startsAt) / 2) });
    }
    return this.runInvocation(host, role, invocation, { release, isNewRelease, fails: fails || injected !== undefined, parameters, document });
  }

  /** Schedules an invocation's start (Pending -> InProgress) and its end, and what they do to the host. */
  private runInvocation(host: SimHost, role: DocumentRole, invocation: SimInvocation, run: InvocationRun): SimInvocation {
    const { release, isNewRelease, fails } = run;
    const { startsAt, endsAt } = invocation;
    // What a reconfigure read from the connection parameter when it started.
    let reconnect: Reconnect | undefined;
    this.schedule(startsAt, () => {
      if (invocation.status !== 'Pending') return;
      Object.assign(invocation, { status: 'InProgress', details: 'InProgress' });
      if (role === 'install') {
        // The service stops while its files are replaced: half-installed until the document ends.
        host.halfInstalled = true;
        this.setHealth(host, startsAt, false);
      } else if (role === 'reconfigure') {
        reconnect = this.beginReconnect(host, run.parameters, startsAt);
      }
    });
    this.schedule(endsAt, () => {
      if (invocation.status !== 'InProgress') return;
      this.judge(host, role, invocation, run, reconnect, endsAt);
      // StatusDetails spells a timeout with spaces (GetCommandInvocation: "Execution Timed Out"); the others as the status.
      Object.assign(invocation, { status: invocation.outcome, details: invocation.outcome === 'TimedOut' ? 'Execution Timed Out' : invocation.outcome });
      if (role === 'install') {
        // Back to the release it started with (not a first install): the cause of its alarms is gone.
        if (release === this.originalRelease.get(host.id) && host.release !== release && host.release !== '') host.restoredAt = endsAt;
        host.release = release;
        host.halfInstalled = fails;
        const brokenRelease = isNewRelease && this.faults.unhealthy.has(host.name);
        if (brokenRelease) this.faultFired(`unhealthy:${host.name}`);
        this.setHealth(host, endsAt, !fails && !brokenRelease);
        this.installed(host, !fails);
      } else if (role === 'migration') {
        // Expand-only migrations leave the database up; a failed one leaves the schema as it was.
        if (invocation.outcome === 'Success') this.migrated(host, release);
      } else if (role === 'drain' || role === 'undrain') {
        this.setDrained(host, role === 'drain');
      } else if (role === 'prerequisite' && !fails) {
        recordPrerequisite(this, host, run.document);
      } else if (role === 'reconfigure') {
        this.endReconnect(host, invocation.outcome === 'Success' ? reconnect?.db : undefined, endsAt);
      }
    });
    return invocation;
  }

  /**
   * Documents whose outcome is what they find when they run: a health document or a probe
   * (the host), a reconfigure, a database check or a migration (the database). One that
   * already fails (a dangling parameter reference, an injected fault) stays failed.
   */
  private judge(host: SimHost, role: DocumentRole, invocation: SimInvocation, run: InvocationRun, reconnect: Reconnect | undefined, at: number): void {
    // The health command of a drain-command tier reports whether the node serves: a drained
    // node fails it, as an unhealthy one does (the contract in lambdas/domain/environment/model.ts).
    if (role === 'health' && (!this.hostHealthyAt(host, at) || host.drained)) invocation.outcome = 'Failed';
    if (role === 'drain-check' && invocation.outcome === 'Success' && this.connectionsOpen(host, at)) {
      // The document prints what it found and exits 1 when its time is up.
      const ports = (run.parameters.ports ?? []).join(', ') || 'the service port';
      Object.assign(invocation, { outcome: 'Failed', stderr: `drain check: connections still open on ${ports} after ${Math.round((at - invocation.startsAt) / 1000)}s`, exitCode: 1 });
    }
    if (role === 'probe') {
      const found = probe(this, host, run.parameters.commands ?? []);
      Object.assign(invocation, { outcome: found.ok ? 'Success' : 'Failed', stderr: found.stderr, exitCode: found.exitCode });
    }
    if (invocation.outcome !== 'Success') return;
    const error =
      role === 'reconfigure' ? this.reconnectError(host, reconnect ?? { name: '' }, at)
      : role === 'database-check' ? this.checkError(run.parameters.endpoint?.[0] ?? '', at)
      : role === 'migration' ? this.migrationError(host)
      : undefined;
    // The documents print why to standard error and exit 1.
    if (error !== undefined) Object.assign(invocation, { outcome: 'Failed', stderr: error, exitCode: 1 });
  }

  // ---------- the database the hosts use ----------

  /** The identifier the connection parameter points to now ('' when it points at no instance, or there is none). */
  connectedDatabase(): string {
    const tier = this.dataTier;
    if (!tier) return '';
    // Without a connection parameter the hosts know one database: the environment's.
    if (tier.connectionParameter === undefined) return findDatabase(this, tier.identifier)?.identifier ?? '';
    const value = this.parameters.get(tier.connectionParameter)?.value;
    return (value !== undefined ? databaseAtEndpoint(this, value)?.identifier : undefined) ?? '';
  }

  /** An install ended: its service restarts, so a reconfigure's outage is over; a first success configures the database. */
  private installed(host: SimHost, succeeded: boolean): void {
    this.healthBeforeReconnect.delete(host.id);
    if (succeeded && host.database === '') host.database = this.connectedDatabase();
  }

  /**
   * A reconfigure starts: the service stops to reconnect (down until it ends), and the
   * host reads the connection parameter the document names (else the environment's).
   */
  private beginReconnect(host: SimHost, parameters: Record<string, string[]>, at: number): Reconnect {
    if (!this.healthBeforeReconnect.has(host.id)) this.healthBeforeReconnect.set(host.id, this.hostHealthyAt(host, at));
    this.setHealth(host, at, false);
    const name = parameters.connectionParameter?.[0] ?? this.dataTier?.connectionParameter ?? '';
    const value = this.parameters.get(name)?.value;
    return { name, ...(value !== undefined ? { value, db: databaseAtEndpoint(this, value) } : {}) };
  }

  /**
   * Why a reconfigure fails, or undefined: the database it read must still exist and serve
   * when it connects; `reconfigure-fail:HOST` refuses any database but the host's original one.
   */
  private reconnectError(host: SimHost, reconnect: Reconnect, at: number): string | undefined {
    if (reconnect.value === undefined) return `reconnect: parameter ${reconnect.name || '(none)'} not found`;
    const db = reconnect.db;
    if (!db || this.databases.get(db.identifier) !== db || !databaseServes(this.databaseStatus(db, at))) return `reconnect: cannot connect to ${reconnect.value}`;
    if (this.faults.reconfigureFail?.has(host.name) && db.identifier !== this.originalDatabase.get(host.id)) {
      this.faultFired(`reconfigure-fail:${host.name}`);
      return `reconnect: connection refused by ${db.identifier}`;
    }
    return undefined;
  }

  /** A reconfigure ended: connected to `db` and back as it was, or (undefined) still down until a later reconfigure or install. */
  private endReconnect(host: SimHost, db: SimDatabase | undefined, at: number): void {
    if (!db) return;
    host.database = db.identifier;
    this.setHealth(host, at, this.healthBeforeReconnect.get(host.id) ?? true);
    this.healthBeforeReconnect.delete(host.id);
  }

  /**
   * Why the check document fails against "<address>:<port>", or undefined: a database must
   * answer there and serve; with `restored-db-invalid`, the query fails on one restored
   * during the simulation (its data is not what the application expects).
   */
  private checkError(endpoint: string, at: number): string | undefined {
    const db = databaseAtEndpoint(this, endpoint);
    if (!db || !databaseServes(this.databaseStatus(db, at))) return `check: cannot connect to ${endpoint}`;
    if (this.faults.restoredDbInvalid && restoredDuringRun(this, db)) {
      this.faultFired('restored-db-invalid');
      return `check: query failed on ${db.identifier}: relation "orders" does not exist`;
    }
    if (this.faults.greenCheckFail && db.replica) {
      this.faultFired('green-check-fail');
      return `check: query failed on ${db.identifier}: permission denied for table orders`;
    }
    return undefined;
  }

  /** The database a migration run on the host changes: the one its service is configured for, else the environment's. */
  private migrationTarget(host: SimHost): string | undefined {
    return host.database || this.dataTier?.identifier;
  }

  /** A migration cannot connect to a database that does not exist. */
  private migrationError(host: SimHost): string | undefined {
    const identifier = this.migrationTarget(host);
    if (identifier === undefined || findDatabase(this, identifier)) return undefined;
    return `migrate: cannot connect to database ${identifier}: it does not exist`;
  }

  private migrated(host: SimHost, release: string): void {
    const identifier = this.migrationTarget(host);
    // An account that knows no data tier: every database, as a bare account always did.
    const targets = identifier === undefined ? [...this.databases.values()] : [findDatabase(this, identifier)];
    for (const db of targets) if (db) db.schemaRelease = release;
  }

  cancelCommand(id: string): void {
    const command = this.commands.get(id);
    if (!command) throw new SimulatedServiceError('InvalidCommandId', `Command ${id} not found`);
    for (const invocation of command.invocations.values()) {
      if (invocation.status === 'Pending' || invocation.status === 'InProgress') {
        Object.assign(invocation, { status: 'Cancelled', details: 'Cancelled' });
      }
    }
  }

  // ---------- RDS ----------

  createSnapshot(instance: string, id: string, tags: Record<string, string>): SimSnapshot {
    const db = this.databases.get(instance);
    if (!db) throw new SimulatedServiceError('DBInstanceNotFoundFault', `DBInstance ${instance} not found.`, { status: 404 });
    if (this.snapshots.has(id)) throw new SimulatedServiceError('DBSnapshotAlreadyExistsFault', `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`);
    if (!/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,254}$/.test(id) || id.endsWith('-')) {
      throw new SimulatedServiceError('InvalidParameterValue', `The parameter DBSnapshotIdentifier is not a valid identifier: ${id}`);
    }
    // RDS API reference, CreateDBSnapshot: "The source DB instance must be in the available
    // or storage-optimization state", else InvalidDBInstanceState (HTTP 400). One already
    // backing-up (another snapshot, an automated backup) is refused.
    const status = this.databaseStatus(db);
    if (status !== 'available' && status !== 'storage-optimization') {
      throw new SimulatedServiceError(
        'InvalidDBInstanceStateFault',
        `Cannot create a snapshot because the database instance ${instance} is not currently in the available state.`,
      );
    }
    const now = this.now();
    const snapshot: SimSnapshot = {
      id, instance, createdAt: now, availableAt: now + SNAPSHOT_SECONDS * 1000, tags,
      type: 'manual', schemaRelease: db.schemaRelease, ...(db.definition ? { definition: db.definition } : {}),
    };
    this.snapshots.set(id, snapshot);
    this.changed();
    // The instance is backing-up until the snapshot is available: observe that instant.
    this.schedule(snapshot.availableAt, () => undefined);
    return snapshot;
  }

  /**
   * The status DescribeDBInstances reports at `at`: an injected status window wins (the
   * latest to start); otherwise `backing-up` while a snapshot of the instance is being
   * created (RDS User Guide: a snapshot of a Single-AZ instance; the simulated database is
   * Single-AZ); otherwise, for an instance being created or restored, the status of its
   * lifecycle at that instant; otherwise the seeded status.
   */
  databaseStatus(db: SimDatabase, at = this.now()): string {
    const windows = (this.faults.databaseStatus ?? []).filter(
      (w) => at >= this.startedAt + w.atMs && (w.seconds === undefined || at < this.startedAt + w.atMs + w.seconds * 1000),
    );
    if (windows.length > 0) {
      const window = windows.reduce((a, b) => (b.atMs >= a.atMs ? b : a));
      // Read for an instant inside the window; simulate.ts counts it only if that instant is within the run.
      this.faultFired(`db-status:${window.status}@${window.atMs / 1000}${window.seconds === undefined ? '' : `+${window.seconds}`}`, at);
      return window.status;
    }
    const backingUp = [...this.snapshots.values()].some((s) => s.instance === db.identifier && at >= s.createdAt && at < s.availableAt);
    if (backingUp) return 'backing-up';
    return db.lifecycle?.findLast((step) => step.at <= at)?.status ?? db.status;
  }

  /**
   * The application's writes `db` holds at `at`: its own (see SimDatabase.writes), or, for a
   * green, its source's as of `lagSecondsAt(at)` ago (what replication has brought over).
   */
  writesOf(db: SimDatabase, at = this.now()): number {
    if (db.replica) {
      const behind = Math.max(db.createdAt ?? at, at - db.replica.lagSecondsAt(at) * 1000);
      return this.writesOf(db.replica.source, behind);
    }
    const writes = db.writes ?? ((db.createdAt ?? this.startedAt) < this.startedAt ? { count: 0, since: this.startedAt } : { count: 0, since: null });
    const running = writes.since !== null && at > writes.since ? Math.floor(((at - writes.since) / 1000) * WRITES_PER_SECOND) : 0;
    return writes.count + running;
  }

  snapshotStatus(snapshot: SimSnapshot, at = this.now()): string {
    return at >= snapshot.availableAt ? 'available' : 'creating';
  }

  // ---------- DynamoDB (the lock table) ----------

  table(name: string): Map<string, Record<string, Record<string, string>>> {
    const table = this.tables.get(name);
    if (!table) throw new SimulatedServiceError('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
    return table;
  }

  requireCommand(id: string): SimCommand {
    const command = this.commands.get(id);
    if (!command) throw new SimulatedServiceError('InvalidCommandId', `Command ${id} not found`);
    return command;
  }
}

// ---------- what the account's own clock needs of EC2, SSM and RDS (their APIs: services/) ----------

/** EC2 instance states (API reference, InstanceState). */
export type HostState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/** EC2 `InstanceState.Code` of each state: 0 pending, 16 running, 32 shutting-down, 48 terminated, 64 stopping, 80 stopped. */
export const INSTANCE_STATE_CODE: Record<HostState, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };

/** Seconds after reaching `running` until the SSM Agent registers and pings `Online`. */
export const SSM_REGISTRATION_SECONDS = 45;

/** Seconds a prerequisite document runs. */
export const PREREQUISITE_SECONDS = 20;

/** Seconds AWS-RunShellScript runs a probe. */
export const PROBE_SECONDS = 2;

/** The environment's VPC: every subnet of a tier's launch, and every target group, is in it. */
export const SIM_VPC_ID = 'vpc-0sim00000000001';

/** Where seeded hosts of a tier without `launch` run. */
export const DEFAULT_SUBNET = { id: 'subnet-0sim00000000001', availabilityZone: 'us-east-1a' } as const;

/**
 * The account's default VPC and its default subnet: where RunInstances puts an instance
 * when neither the request nor the launch template names a subnet. It is not the
 * environment's VPC, so such an instance cannot be registered with its target groups.
 */
export const DEFAULT_VPC = { vpcId: 'vpc-0default00000001', subnetId: 'subnet-0default00000001', availabilityZone: 'us-east-1a' } as const;

/** The instance type of every seeded launch template version. */
export const DEFAULT_INSTANCE_TYPE = 'm5.large';

/** The AWS-managed shell document; FleetFlow probes a new host's health check path with it. */
export const PROBE_DOCUMENT = 'AWS-RunShellScript';

/** What the account knows of one host tier of the environment. */
export interface ComputeTier {
  readonly name: string;
  /** Host names are `<prefix>-<n>`: web, mid, mon, or the tier's name when roles repeat. */
  readonly prefix: string;
  /** The tags that make an instance a host of the tier. */
  readonly tags: Readonly<Record<string, string>>;
  /** Documents every host of the tier must have run before an install can succeed. */
  readonly prerequisites: readonly string[];
  /** The port the tier's target groups route to; undefined when no target group serves it. */
  readonly port?: number;
  /** Drain and install times of its `n`-th host (1-based). */
  readonly profile: (n: number) => HostProfile;
}

export interface SimSubnet {
  readonly id: string;
  readonly availabilityZone: string;
  readonly vpcId: string;
}

interface TemplateVersion {
  readonly instanceType: string;
  /** The role of the version's instance profile. */
  readonly instanceRole: string;
}

export interface SimLaunchTemplate {
  readonly id: string;
  readonly name: string;
  readonly versions: ReadonlyMap<string, TemplateVersion>;
  readonly defaultVersion: string;
  readonly latestVersion: string;
  /** The tier whose launch names it first: what a launch from it counts against. */
  readonly tier: string;
}

export interface SimReservation {
  readonly id: string;
  readonly clientToken?: string;
  /** The request without its client token, to recognise a retry (same parameters) from a reuse. */
  readonly fingerprint: string;
  readonly instanceIds: readonly string[];
}

export class ComputeState {
  readonly tiers = new Map<string, ComputeTier>();
  readonly subnets = new Map<string, SimSubnet>([[DEFAULT_VPC.subnetId, { id: DEFAULT_VPC.subnetId, availabilityZone: DEFAULT_VPC.availabilityZone, vpcId: DEFAULT_VPC.vpcId }]]);
  /** Launch templates by ID. */
  readonly templates = new Map<string, SimLaunchTemplate>();
  /** Successful launches by client token (a failed launch does not use its token up). */
  readonly reservationsByToken = new Map<string, SimReservation>();
  readonly reservations = new Map<string, SimReservation>();
  /** RDS DB subnet groups and DB parameter groups that exist. */
  readonly dbSubnetGroups = new Set<string>(['default']);
  readonly dbParameterGroups = new Set<string>();
  /**
   * What the simulation knows of a DB parameter group beyond its name (services/rds.ts): its family
   * (else the family of the instance that uses it), the parameters set away from the engine's
   * defaults, and whether a static change waits for a reboot (ParameterApplyStatus pending-reboot).
   */
  readonly dbParameterGroupSettings = new Map<string, { family?: string; parameters: Record<string, string>; pendingReboot?: boolean }>();
  /** Bumped by every state change of a host, so a transition scheduled before it is dropped. */
  readonly generations = new Map<string, number>();
  /** The service's health when a host last left `running`: what it comes back with on a start. */
  readonly healthOnStart = new Map<string, boolean>();
  /** DB instances that were lost (deleted, their automated backups retained), by resource ID. */
  readonly lostDatabases = new Map<string, LostDatabase>();
  /** RDS blue/green deployments by ID (services/rds.ts). */
  readonly blueGreenDeployments = new Map<string, SimBlueGreenDeployment>();
  private serial = 0;

  nextSerial(): number {
    return ++this.serial;
  }

  templateNamed(name: string): SimLaunchTemplate | undefined {
    return [...this.templates.values()].find((t) => t.name === name);
  }

  /**
   * Adds a launch template with versions "1" to "3" ($Default = "1", $Latest = "3"), each
   * launching `m5.large` with the tier's role as instance profile; `template` names it by
   * name or by ID, as the environment does.
   */
  addTemplate(template: { name: string } | { id: string }, tier: string, instanceRole: string): SimLaunchTemplate {
    const existing = 'name' in template ? this.templateNamed(template.name) : this.templates.get(template.id);
    if (existing) return existing;
    const serial = this.nextSerial();
    const id = 'id' in template ? template.id : `lt-0${serial.toString(16).padStart(16, '0')}`;
    const name = 'name' in template ? template.name : `fleetflow-sim-template-${serial}`;
    const version: TemplateVersion = { instanceType: DEFAULT_INSTANCE_TYPE, instanceRole };
    const created: SimLaunchTemplate = { id, name, versions: new Map(['1', '2', '3'].map((v) => [v, version])), defaultVersion: '1', latestVersion: '3', tier };
    this.templates.set(id, created);
    return created;
  }

  addSubnet(id: string, availabilityZone: string): void {
    if (!this.subnets.has(id)) this.subnets.set(id, { id, availabilityZone, vpcId: SIM_VPC_ID });
  }

  /** Availability Zones of the environment's subnets, in the order they were added. */
  environmentZones(): string[] {
    return [...new Set([...this.subnets.values()].filter((s) => s.vpcId === SIM_VPC_ID).map((s) => s.availabilityZone))];
  }
}

const ms = (seconds: number) => seconds * 1000;

/** Whether the host booted during the simulation (a launch or a start), not before it. */
function bootedDuringRun(account: SimulatedAccount, host: SimHost): boolean {
  return host.bootedAt !== undefined && host.bootedAt >= account.startedAt;
}

/** `boot-fail:HOST`: a boot during the simulation never passes the instance status check. */
export function bootFails(account: SimulatedAccount, host: SimHost): boolean {
  const fails = bootedDuringRun(account, host) && (account.faults.bootFail?.has(host.name) ?? false);
  if (fails) account.faultFired(`boot-fail:${host.name}`);
  return fails;
}

/** When the agent pings Online after the host's latest boot; undefined if it never does (or the host is not running). */
export function agentOnlineAt(account: SimulatedAccount, host: SimHost): number | undefined {
  if (host.state !== 'running' || host.bootedAt === undefined) return undefined;
  if (bootFails(account, host)) return undefined;
  if (bootedDuringRun(account, host) && account.faults.ssmUnmanaged?.has(host.name)) {
    account.faultFired(`ssm-unmanaged:${host.name}`);
    return undefined;
  }
  return host.bootedAt + ms(SSM_REGISTRATION_SECONDS);
}

/**
 * Whether Systems Manager knows the host as a managed node at `at`: its agent registered
 * once, after its first boot. A node it knows stays known when it stops (SendCommand then
 * accepts it and the invocation is not delivered); one it never knew is refused.
 */
export function knownToSsm(account: SimulatedAccount, host: SimHost, at = account.now()): boolean {
  if (host.firstBootedAt === undefined) return false;
  const firstBootDuringRun = host.firstBootedAt >= account.startedAt;
  const neverRegisters = firstBootDuringRun && (account.faults.ssmUnmanaged?.has(host.name) || account.faults.bootFail?.has(host.name));
  if (firstBootDuringRun && account.faults.ssmUnmanaged?.has(host.name)) account.faultFired(`ssm-unmanaged:${host.name}`);
  if (firstBootDuringRun && account.faults.bootFail?.has(host.name)) account.faultFired(`boot-fail:${host.name}`);
  return !neverRegisters && at >= host.firstBootedAt + ms(SSM_REGISTRATION_SECONDS);
}

/** Every prerequisite document of the host's tier has succeeded on it. */
export function hasPrerequisites(account: SimulatedAccount, host: SimHost): boolean {
  return (account.compute.tiers.get(host.tier)?.prerequisites ?? []).every((document) => host.prerequisitesRun.has(document));
}

/** Records a prerequisite that succeeded on the host. */
export function recordPrerequisite(account: SimulatedAccount, host: SimHost, document: string): void {
  host.prerequisitesRun.add(document);
  host.prerequisitesDone = hasPrerequisites(account, host);
}

/**
 * What `curl ... http://localhost:PORT/PATH` finds on the host: something answers when
 * the host runs, has its tier's prerequisites (the web server or runtime), booted, is not
 * down (`down:HOST`) and is not in the middle of an install; and, for a tier behind target
 * groups, only on the port they route to. Commands that are not such a curl succeed.
 */
export function probe(account: SimulatedAccount, host: SimHost, commands: readonly string[]): { ok: boolean; stderr: string; exitCode: number } {
  const serving = host.state === 'running' && hasPrerequisites(account, host) && !bootFails(account, host) && !account.faults.down?.has(host.name) && !host.halfInstalled;
  const expectedPort = account.compute.tiers.get(host.tier)?.port;
  for (const command of commands) {
    const url = /\bcurl\b.*?\b(https?):\/\/(?:localhost|127\.0\.0\.1)(?::(\d+))?/.exec(command);
    if (!url) continue;
    const port = Number(url[2] ?? (url[1] === 'https' ? 443 : 80));
    if (!serving || (expectedPort !== undefined && port !== expectedPort)) {
      return { ok: false, exitCode: 7, stderr: `curl: (7) Failed to connect to localhost port ${port} after 0 ms: Couldn't connect to server` };
    }
  }
  return { ok: true, exitCode: 0, stderr: '' };
}

/** A Secrets Manager secret: its name, ARN and current value (AWSCURRENT). */
export interface SimSecret {
  readonly name: string;
  readonly arn: string;
  readonly value: string;
  readonly createdAt: number;
}

/** What an instance was created as: what a later check compares to say it is unchanged. */
export interface DatabaseDefinition {
  readonly engine: string;
  readonly engineVersion?: string;
  readonly instanceClass: string;
  readonly allocatedStorage: number;
  readonly subnetGroup: string;
  readonly securityGroups: readonly string[];
  readonly parameterGroup?: string;
  readonly multiAz: boolean;
  readonly masterUsername: string;
  /**
   * Its master password is managed by RDS in Secrets Manager (ManageMasterUserPassword): it
   * then reports MasterUserSecret, and a blue/green deployment refuses it. @default false
   */
  readonly managedMasterPassword?: boolean;
}

const ENDPOINT_DOMAIN = 'c0sim0example.us-east-1.rds.amazonaws.com';

/** The default VPC security group, which RDS uses when a request names none. */
export const DEFAULT_DB_SECURITY_GROUP = 'sg-0default00000001';

/** The DB instance of that identifier (identifiers are not case-sensitive). */
export function findDatabase(account: SimulatedAccount, identifier: string): SimDatabase | undefined {
  return account.databases.get(identifier) ?? [...account.databases.values()].find((d) => d.identifier.toLowerCase() === identifier.toLowerCase());
}

/** Restored (either restore API) during the simulation, not before it. */
export function restoredDuringRun(account: SimulatedAccount, db: SimDatabase): boolean {
  return db.restoredFrom !== undefined && (db.createdAt ?? Number.NEGATIVE_INFINITY) >= account.startedAt;
}

/** A database seeded without a definition is described as a Single-AZ PostgreSQL instance in the default groups. */
export function definitionOf(db: Pick<SimDatabase, 'definition'> | undefined): DatabaseDefinition {
  return (
    db?.definition ?? {
      engine: 'postgres',
      instanceClass: 'db.m6g.large',
      allocatedStorage: 100,
      subnetGroup: 'default',
      securityGroups: [DEFAULT_DB_SECURITY_GROUP],
      multiAz: false,
      masterUsername: 'fleetflow',
    }
  );
}

/** The endpoint DescribeDBInstances reports: `<identifier>.<domain>`, port 5432 for PostgreSQL, else 3306. */
export function endpointParts(db: Pick<SimDatabase, 'identifier' | 'definition'>): { Address: string; Port: number } {
  return { Address: `${db.identifier}.${ENDPOINT_DOMAIN}`, Port: definitionOf(db).engine === 'postgres' ? 5432 : 3306 };
}

/**
 * "<address>:<port>" of an instance, exactly as DescribeDBInstances reports Endpoint: what
 * the connection parameter and the check document's `endpoint` hold.
 */
export function endpointOf(db: Pick<SimDatabase, 'identifier' | 'definition'>): string {
  const { Address, Port } = endpointParts(db);
  return `${Address}:${Port}`;
}

/** The instance that answers at "<address>:<port>" (DNS names are not case-sensitive); undefined when none does. */
export function databaseAtEndpoint(account: SimulatedAccount, value: string): SimDatabase | undefined {
  const wanted = value.trim().toLowerCase();
  return [...account.databases.values()].find((db) => endpointOf(db).toLowerCase() === wanted);
}

/** An instance that was lost: deleted with its automated backups retained (disaster recovery). */
export interface LostDatabase {
  readonly identifier: string;
  readonly resourceId: string;
  readonly createdAt: number;
  readonly lostAt: number;
  readonly definition: DatabaseDefinition;
  /** Its data when it was lost (its schema release). */
  readonly schemaRelease: string;
}
