/**
 * Provisioning in the simulated account: EC2 instances launched from launch templates,
 * their lifecycle (pending, running, stopping, stopped, shutting-down, terminated), status
 * checks and SSM registration over virtual time; RDS instances created or restored from a
 * snapshot. Whatever AWS would refuse or fail, this refuses or fails the same way: the same
 * error codes, per-call limits, transient states and idempotency-token semantics, so that a
 * workflow that allocates, scales out or replaces hosts is tested against what AWS does.
 *
 * The state lives on the account (`account.compute`, hosts, databases); this module holds
 * the rules. It imports the account only as a type, so the account can use its helpers.
 */
import { createHash } from 'node:crypto';
import { SIM_ACCOUNT_ID, SimulatedServiceError, invalidParameterCombination, invalidParameterValue, missingParameter } from './aws-errors';
import type { HostProfile, SimDatabase, SimHost, SimulatedAccount } from './account';
import { LAUNCHED_BY_TAG, RETIRED_BY_TAG } from '../../lambdas/domain/contract/tags';

// ---------- instance states and timings ----------

/** EC2 instance states (API reference, InstanceState). */
export type HostState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';
/** EC2 `InstanceState.Code` of each state: 0 pending, 16 running, 32 shutting-down, 48 terminated, 64 stopping, 80 stopped. */
export const INSTANCE_STATE_CODE: Record<HostState, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };

/** Seconds a new or started instance is `pending` before it is `running`. */
export const BOOT_SECONDS = 30;
/** Seconds after reaching `running` during which both status checks report `initializing`. */
export const STATUS_CHECK_SECONDS = 60;
/** Seconds after reaching `running` until the SSM Agent registers and pings `Online`. */
export const SSM_REGISTRATION_SECONDS = 45;
/** Seconds an instance is `stopping` before it is `stopped`. */
export const STOPPING_SECONDS = 15;
/** Seconds an instance is `shutting-down` before it is `terminated`. */
export const SHUTTING_DOWN_SECONDS = 20;
/** Seconds a prerequisite document runs. */
export const PREREQUISITE_SECONDS = 20;
/** Seconds AWS-RunShellScript runs a probe. */
export const PROBE_SECONDS = 2;
/** Seconds a new DB instance is `creating`, then `backing-up` (its first automated backup). */
export const DB_CREATE_SECONDS = 420;
export const DB_FIRST_BACKUP_SECONDS = 60;
/** Seconds a DB instance restored from a snapshot is `creating`. */
export const DB_RESTORE_SECONDS = 600;

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

// ---------- compute state ----------

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
  /** Bumped by every state change of a host, so a transition scheduled before it is dropped. */
  readonly generations = new Map<string, number>();
  /** The service's health when a host last left `running`: what it comes back with on a start. */
  readonly healthOnStart = new Map<string, boolean>();
  /** DB instances that were lost (deleted, their automated backups retained), by resource ID. */
  readonly lostDatabases = new Map<string, LostDatabase>();
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

// ---------- host lifecycle ----------

const ms = (seconds: number) => seconds * 1000;

/** Whether the host booted during the simulation (a launch or a start), not before it. */
function bootedDuringRun(account: SimulatedAccount, host: SimHost): boolean {
  return host.bootedAt !== undefined && host.bootedAt >= account.startedAt;
}

/** `boot-fail:HOST`: a boot during the simulation never passes the instance status check. */
export function bootFails(account: SimulatedAccount, host: SimHost): boolean {
  return bootedDuringRun(account, host) && (account.faults.bootFail?.has(host.name) ?? false);
}

/** When the agent pings Online after the host's latest boot; undefined if it never does (or the host is not running). */
export function agentOnlineAt(account: SimulatedAccount, host: SimHost): number | undefined {
  if (host.state !== 'running' || host.bootedAt === undefined) return undefined;
  if (bootFails(account, host) || (bootedDuringRun(account, host) && account.faults.ssmUnmanaged?.has(host.name))) return undefined;
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
  return !neverRegisters && at >= host.firstBootedAt + ms(SSM_REGISTRATION_SECONDS);
}

/**
 * The host's SSM PingStatus at `at`, or undefined when DescribeInstanceInformation does not
 * list it: never registered, or stopped or terminated ("This operation does not return
 * information for nodes that are either Stopped or Terminated", SSM API reference).
 */
export function pingStatus(account: SimulatedAccount, host: SimHost, at = account.now()): 'Online' | 'ConnectionLost' | undefined {
  if (!knownToSsm(account, host, at) || host.state === 'stopped' || host.state === 'terminated') return undefined;
  const online = agentOnlineAt(account, host);
  return online !== undefined && at >= online ? 'Online' : 'ConnectionLost';
}

type CheckStatus = 'ok' | 'impaired' | 'initializing' | 'not-applicable';

/**
 * EC2 status checks at `at`: `not-applicable` unless running; `initializing` for
 * STATUS_CHECK_SECONDS after reaching running; then `ok`, except the instance check of a
 * host that fails to boot (`boot-fail:HOST`): `impaired`. A boot failure is the
 * instance's, not AWS's: its system check passes.
 */
export function statusChecks(account: SimulatedAccount, host: SimHost, at = account.now()): { system: CheckStatus; instance: CheckStatus } {
  if (host.state !== 'running' || host.bootedAt === undefined) return { system: 'not-applicable', instance: 'not-applicable' };
  if (at < host.bootedAt + ms(STATUS_CHECK_SECONDS)) return { system: 'initializing', instance: 'initializing' };
  return { system: 'ok', instance: bootFails(account, host) ? 'impaired' : 'ok' };
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

/** Moves the host to `state` and returns the generation a transition scheduled now must still find. */
function enter(account: SimulatedAccount, host: SimHost, state: HostState): number {
  host.state = state;
  const generation = (account.compute.generations.get(host.id) ?? 0) + 1;
  account.compute.generations.set(host.id, generation);
  account.changed();
  return generation;
}

/** Schedules the end of a transient state, unless the host has moved on by then. */
function after(account: SimulatedAccount, host: SimHost, seconds: number, generation: number, apply: (at: number) => void): void {
  const at = account.now() + ms(seconds);
  account.schedule(at, () => {
    if (account.compute.generations.get(host.id) === generation) apply(at);
  });
}

/** pending -> running: the host boots, its service comes back as it was when it stopped (nothing, for a new host). */
function boot(account: SimulatedAccount, host: SimHost): void {
  after(account, host, BOOT_SECONDS, enter(account, host, 'pending'), (at) => {
    enter(account, host, 'running');
    host.bootedAt = at;
    host.firstBootedAt ??= at;
    account.setHealth(host, at, !bootFails(account, host) && (account.compute.healthOnStart.get(host.id) ?? false));
  });
}

/** running (or pending) -> stopping/shutting-down -> stopped/terminated: the service goes down, in-flight commands fail. */
function shutDown(account: SimulatedAccount, host: SimHost, via: 'stopping' | 'shutting-down', to: 'stopped' | 'terminated', seconds: number): void {
  account.hostLeftRunning(host);
  after(account, host, seconds, enter(account, host, via), () => enter(account, host, to));
}

interface StateChange {
  InstanceId: string;
  CurrentState: { Code: number; Name: HostState };
  PreviousState: { Code: number; Name: HostState };
}

const stateOf = (state: HostState) => ({ Code: INSTANCE_STATE_CODE[state], Name: state });

/** Looks every ID up first: one that does not exist refuses the whole call (InvalidInstanceID.NotFound). */
function requireInstances(account: SimulatedAccount, ids: unknown, max?: number): SimHost[] {
  if (!Array.isArray(ids) || ids.length === 0) throw missingParameter('InstanceId');
  if (max !== undefined && ids.length > max) throw invalidParameterValue(`The request may name at most ${max} instance IDs (received ${ids.length})`);
  const unknown = (ids as string[]).filter((id) => !account.hosts.has(id));
  if (unknown.length > 0) {
    throw new SimulatedServiceError(
      'InvalidInstanceID.NotFound',
      unknown.length === 1 ? `The instance ID '${unknown[0]}' does not exist` : `The instance IDs '${unknown.join(', ')}' do not exist`,
    );
  }
  return (ids as string[]).map((id) => account.hosts.get(id)!);
}

function incorrectState(message: string): SimulatedServiceError {
  return new SimulatedServiceError('IncorrectInstanceState', message);
}

/** Applies `act` to every host once all of them passed `refuse` (a refused instance changes nothing). */
function changeStates(hosts: SimHost[], refuse: (host: SimHost) => SimulatedServiceError | undefined, act: (host: SimHost) => void): StateChange[] {
  for (const host of hosts) {
    const refusal = refuse(host);
    if (refusal) throw refusal;
  }
  return hosts.map((host) => {
    const previous = host.state;
    act(host);
    return { InstanceId: host.id, CurrentState: stateOf(host.state), PreviousState: stateOf(previous) };
  });
}

/**
 * StopInstances: running -> stopping -> stopped. Stopping or stopped: nothing to do. An
 * instance still pending is refused ("cannot be stopped as it has never reached the
 * 'running' state", AWS's message), as is one shutting down or terminated.
 */
export function stopInstances(account: SimulatedAccount, ids: unknown): { StoppingInstances: StateChange[] } {
  const refuse = (host: SimHost) => {
    if (host.state === 'pending' && host.firstBootedAt === undefined) {
      return incorrectState(`Instance '${host.id}' cannot be stopped as it has never reached the 'running' state.`);
    }
    if (host.state === 'pending' || host.state === 'shutting-down' || host.state === 'terminated') {
      return incorrectState(`This instance '${host.id}' is not in a state from which it can be stopped.`);
    }
    return undefined;
  };
  const act = (host: SimHost) => {
    if (host.state === 'running') shutDown(account, host, 'stopping', 'stopped', STOPPING_SECONDS);
  };
  return { StoppingInstances: changeStates(requireInstances(account, ids), refuse, act) };
}

/**
 * StartInstances: stopped -> pending -> running, with what it had installed. Pending or
 * running: nothing to do. Stopping, shutting down or terminated: "The instance '…' is
 * not in a state from which it can be started." (IncorrectInstanceState).
 */
export function startInstances(account: SimulatedAccount, ids: unknown): { StartingInstances: StateChange[] } {
  const refuse = (host: SimHost) =>
    host.state === 'stopping' || host.state === 'shutting-down' || host.state === 'terminated'
      ? incorrectState(`The instance '${host.id}' is not in a state from which it can be started.`)
      : undefined;
  const act = (host: SimHost) => {
    if (host.state === 'stopped') boot(account, host);
  };
  return { StartingInstances: changeStates(requireInstances(account, ids), refuse, act) };
}

/**
 * TerminateInstances ("Up to 1000 instance IDs", API reference; idempotent by default):
 * any state -> shutting-down -> terminated; already shutting down or terminated: nothing
 * to do. A terminated instance stays listed by DescribeInstances, as in AWS for about an
 * hour (the simulator keeps it). A registered target stays registered: ELB reports it
 * `unused` / Target.InvalidState until it is deregistered.
 */
export const MAX_TERMINATE_IDS = 1000;
export function terminateInstances(account: SimulatedAccount, ids: unknown): { TerminatingInstances: StateChange[] } {
  const act = (host: SimHost) => {
    if (host.state !== 'shutting-down' && host.state !== 'terminated') shutDown(account, host, 'shutting-down', 'terminated', SHUTTING_DOWN_SECONDS);
  };
  return { TerminatingInstances: changeStates(requireInstances(account, ids, MAX_TERMINATE_IDS), () => undefined, act) };
}

// ---------- RunInstances ----------

export interface RunInstancesRequest {
  readonly LaunchTemplate?: { readonly LaunchTemplateId?: string; readonly LaunchTemplateName?: string; readonly Version?: string };
  readonly ImageId?: string;
  readonly MinCount?: number;
  readonly MaxCount?: number;
  readonly SubnetId?: string;
  readonly InstanceType?: string;
  readonly ClientToken?: string;
  readonly TagSpecifications?: ReadonlyArray<{ readonly ResourceType?: string; readonly Tags?: ReadonlyArray<{ readonly Key?: string; readonly Value?: string }> }>;
  readonly DryRun?: boolean;
}

/** RunInstances, ClientToken: "Constraints: Maximum 64 ASCII characters". */
export const MAX_CLIENT_TOKEN_CHARS = 64;
/** EC2 allows 50 user tags per resource (tags with the reserved `aws:` prefix do not count). */
export const MAX_TAGS_PER_RESOURCE = 50;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/** The request as a canonical string, without its client token: what a retry must repeat exactly. */
function fingerprintOf(request: RunInstancesRequest): string {
  const canonical = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
    }
    return JSON.stringify(value);
  };
  const { ClientToken: _token, DryRun: _dryRun, ...rest } = request;
  return canonical(rest);
}

function checkClientToken(token: string | undefined): void {
  // eslint-disable-next-line no-control-regex -- ASCII is the constraint
  if (token !== undefined && (token.length > MAX_CLIENT_TOKEN_CHARS || !/^[\x00-\x7f]*$/.test(token))) {
    throw invalidParameterValue(`Value (${token.slice(0, 80)}) for parameter clientToken is invalid. The client token must be at most ${MAX_CLIENT_TOKEN_CHARS} ASCII characters`);
  }
}

/** MinCount and MaxCount: at least 1 each, MinCount at most MaxCount. */
function instanceCounts(request: RunInstancesRequest): { min: number; max: number } {
  const { MinCount: min, MaxCount: max } = request;
  if (min === undefined) throw missingParameter('MinCount');
  if (max === undefined) throw missingParameter('MaxCount');
  if (!Number.isInteger(min) || min < 1) throw invalidParameterValue(`Value (${min}) for parameter minCount is invalid. Expected a value greater than or equal to 1.`);
  if (!Number.isInteger(max) || max < 1) throw invalidParameterValue(`Value (${max}) for parameter maxCount is invalid. Expected a value greater than or equal to 1.`);
  if (min > max) throw invalidParameterValue(`Value (${min}) for parameter minCount is invalid. It must not exceed maxCount (${max}).`);
  return { min, max };
}

/** The launch template and version a request names: exactly one of its ID and its name, and a version it has. */
function resolveTemplate(account: SimulatedAccount, request: RunInstancesRequest): { template: SimLaunchTemplate; version: string } {
  const spec = request.LaunchTemplate;
  if (!spec) {
    // The simulator's instances come from launch templates only; an AMI it does not know does not exist.
    if (!request.ImageId) throw missingParameter('ImageId');
    throw new SimulatedServiceError('InvalidAMIID.NotFound', `The image id '[${request.ImageId}]' does not exist`);
  }
  if ((spec.LaunchTemplateId === undefined) === (spec.LaunchTemplateName === undefined)) {
    throw invalidParameterCombination('Exactly one of LaunchTemplateId and LaunchTemplateName must be specified');
  }
  const template = spec.LaunchTemplateId !== undefined ? account.compute.templates.get(spec.LaunchTemplateId) : account.compute.templateNamed(spec.LaunchTemplateName!);
  if (!template && spec.LaunchTemplateId !== undefined) {
    throw new SimulatedServiceError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${spec.LaunchTemplateId}, does not exist.`);
  }
  if (!template) {
    throw new SimulatedServiceError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${spec.LaunchTemplateName}, does not exist.`);
  }
  // LaunchTemplateSpecification.Version: a number, $Latest or $Default; "Default: The default version".
  const asked = spec.Version ?? '$Default';
  const version = asked === '$Default' ? template.defaultVersion : asked === '$Latest' ? template.latestVersion : asked;
  if (!template.versions.has(version)) {
    throw new SimulatedServiceError('InvalidLaunchTemplateId.VersionNotFound', `Could not find the specified version ${asked} for the launch template with ID ${template.id}.`);
  }
  return { template, version };
}

function resolveSubnet(account: SimulatedAccount, subnetId: string | undefined): SimSubnet {
  if (subnetId === undefined) return account.compute.subnets.get(DEFAULT_VPC.subnetId)!;
  const subnet = account.compute.subnets.get(subnetId);
  if (!subnet) throw new SimulatedServiceError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
  return subnet;
}

/** The tags of the `instance` tag specification (at most 50, no reserved `aws:` keys). */
function instanceTags(request: RunInstancesRequest): Map<string, string> {
  const specs = request.TagSpecifications ?? [];
  if (specs.filter((s) => s.ResourceType === 'instance').length > 1) {
    throw invalidParameterValue("The same resource type may not be specified more than once in tag specifications: 'instance'");
  }
  const tags = (specs.find((s) => s.ResourceType === 'instance')?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''] as const);
  if (tags.some(([key]) => key.toLowerCase().startsWith('aws:'))) throw invalidParameterValue('Tag keys starting with \'aws:\' are reserved for internal use');
  if (tags.length > MAX_TAGS_PER_RESOURCE) {
    throw new SimulatedServiceError('TagLimitExceeded', `The maximum number of tags per resource is ${MAX_TAGS_PER_RESOURCE} (received ${tags.length})`);
  }
  return new Map(tags);
}

/** The tier whose selector tags the instance carries (the most specific, if several); undefined for none. */
function tierOfTags(account: SimulatedAccount, tags: ReadonlyMap<string, string>): ComputeTier | undefined {
  return [...account.compute.tiers.values()]
    .filter((tier) => Object.entries(tier.tags).every(([key, value]) => tags.get(key) === value))
    .sort((a, b) => Object.keys(b.tags).length - Object.keys(a.tags).length)[0];
}

/** `launch-fail:TIER[@AZ]`: the tier's launches find no capacity (in that Availability Zone, or in all). */
function capacityFor(account: SimulatedAccount, tier: string, availabilityZone: string): number {
  const failing = (account.faults.launchFail ?? []).some((f) => f.tier === tier && (f.availabilityZone === undefined || f.availabilityZone === availabilityZone));
  return failing ? 0 : Number.POSITIVE_INFINITY;
}

/**
 * InsufficientInstanceCapacity, as AWS words it, naming the zones where the tier's launches
 * would find capacity. A server error (HTTP 500): SDKs retry it.
 */
function insufficientCapacity(account: SimulatedAccount, instanceType: string, availabilityZone: string, tier: string): SimulatedServiceError {
  const elsewhere = account.compute.environmentZones().filter((az) => az !== availabilityZone && capacityFor(account, tier, az) > 0);
  const advice = elsewhere.length > 0 ? ` You can currently get ${instanceType} capacity by not specifying an Availability Zone in your request or choosing ${elsewhere.join(', ')}.` : '';
  return new SimulatedServiceError(
    'InsufficientInstanceCapacity',
    `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${availabilityZone}). Our system will be working on provisioning additional capacity.${advice}`,
    { status: 500 },
  );
}

/** The next host name of a prefix: one more than any number used so far, so names are never reused. */
function nextHostName(account: SimulatedAccount, prefix: string): { name: string; n: number } {
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`);
  const used = [...account.hosts.values()].map((h) => Number(pattern.exec(h.name)?.[1] ?? 0));
  const n = Math.max(0, ...used) + 1;
  return { name: `${prefix}-${n}`, n };
}

interface LaunchPlan {
  readonly template: SimLaunchTemplate;
  readonly version: string;
  readonly subnet: SimSubnet;
  readonly instanceType: string;
  readonly tags: ReadonlyMap<string, string>;
  readonly tier?: ComputeTier;
  readonly clientToken?: string;
}

function launchHost(account: SimulatedAccount, plan: LaunchPlan): SimHost {
  const tierForName = plan.tier ?? account.compute.tiers.get(plan.template.tier);
  const { name, n } = nextHostName(account, tierForName?.prefix ?? 'host');
  // EC2 tags an instance launched from a template with the template's ID and version.
  const tags = new Map([...plan.tags, ['aws:ec2launchtemplate:id', plan.template.id], ['aws:ec2launchtemplate:version', plan.version]]);
  const host = account.addHost({
    id: `i-0c${String(account.compute.nextSerial()).padStart(15, '0')}`,
    name,
    tier: plan.tier?.name ?? '',
    tags,
    profile: tierForName?.profile(n) ?? { drainSeconds: 5, installSeconds: 45 },
    release: '',
    state: 'pending',
    availabilityZone: plan.subnet.availabilityZone,
    subnetId: plan.subnet.id,
    vpcId: plan.subnet.vpcId,
    instanceType: plan.instanceType,
    launchedAt: account.now(),
    launchTemplate: { id: plan.template.id, version: plan.version },
    instanceRole: plan.template.versions.get(plan.version)!.instanceRole,
    ...(plan.clientToken !== undefined ? { launchedBy: plan.clientToken } : {}),
  });
  boot(account, host);
  return host;
}

/**
 * RunInstances from a launch template. A client token makes it idempotent ("Ensuring
 * idempotency in Amazon EC2 API requests"): the same token with the same parameters returns
 * the same reservation (its instances as they are now, terminated ones included) and
 * launches nothing; with other parameters, IdempotentParameterMismatch. MinCount semantics:
 * fewer than MinCount instances of capacity launches none (InsufficientInstanceCapacity);
 * otherwise as many as capacity allows, up to MaxCount.
 */
export function runInstances(account: SimulatedAccount, request: RunInstancesRequest): object {
  checkClientToken(request.ClientToken);
  const fingerprint = fingerprintOf(request);
  const previous = request.ClientToken !== undefined ? account.compute.reservationsByToken.get(request.ClientToken) : undefined;
  if (previous) {
    if (previous.fingerprint !== fingerprint) {
      throw new SimulatedServiceError('IdempotentParameterMismatch', 'Arguments on this idempotent request are inconsistent with arguments used in previous request(s).');
    }
    return reservationOutput(account, previous);
  }
  const { min, max } = instanceCounts(request);
  const { template, version } = resolveTemplate(account, request);
  const subnet = resolveSubnet(account, request.SubnetId);
  const instanceType = request.InstanceType ?? template.versions.get(version)!.instanceType;
  if (!INSTANCE_TYPE.test(instanceType)) throw invalidParameterValue(`Invalid value '${instanceType}' for InstanceType.`);
  const tags = instanceTags(request);
  const tier = tierOfTags(account, tags);
  const chargedTo = tier?.name ?? template.tier;
  if (request.DryRun) throw new SimulatedServiceError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', { status: 412 });
  const count = Math.min(max, capacityFor(account, chargedTo, subnet.availabilityZone));
  if (count < min) throw insufficientCapacity(account, instanceType, subnet.availabilityZone, chargedTo);

  const plan: LaunchPlan = { template, version, subnet, instanceType, tags, tier, ...(request.ClientToken !== undefined ? { clientToken: request.ClientToken } : {}) };
  const hosts = Array.from({ length: count }, () => launchHost(account, plan));
  const reservation: SimReservation = {
    id: `r-0${account.compute.nextSerial().toString(16).padStart(16, '0')}`,
    fingerprint,
    instanceIds: hosts.map((h) => h.id),
    ...(request.ClientToken !== undefined ? { clientToken: request.ClientToken } : {}),
  };
  account.compute.reservations.set(reservation.id, reservation);
  if (request.ClientToken !== undefined) account.compute.reservationsByToken.set(request.ClientToken, reservation);
  return reservationOutput(account, reservation);
}

function reservationOutput(account: SimulatedAccount, reservation: SimReservation): object {
  return {
    ReservationId: reservation.id,
    OwnerId: SIM_ACCOUNT_ID,
    Groups: [],
    Instances: reservation.instanceIds.map((id) => describeInstance(account.hosts.get(id)!)),
  };
}

/** The reservation a host was launched in (seeded hosts: one of their own). */
export function reservationOf(account: SimulatedAccount, host: SimHost): string {
  const launched = [...account.compute.reservations.values()].find((r) => r.instanceIds.includes(host.id));
  return launched?.id ?? `r-0${host.id.slice(-16)}`;
}

/** An instance as DescribeInstances and RunInstances report it. */
export function describeInstance(host: SimHost): object {
  return {
    InstanceId: host.id,
    InstanceType: host.instanceType,
    State: { Name: host.state, Code: INSTANCE_STATE_CODE[host.state] },
    Placement: { AvailabilityZone: host.availabilityZone, Tenancy: 'default' },
    SubnetId: host.subnetId,
    VpcId: host.vpcId,
    LaunchTime: new Date(host.launchedAt),
    // "The client token is included in the response when you describe the instance."
    ClientToken: host.launchedBy ?? '',
    ...(host.instanceRole ? { IamInstanceProfile: { Arn: `arn:aws:iam::${SIM_ACCOUNT_ID}:instance-profile/${host.instanceRole}` } } : {}),
    Tags: [...host.tags].map(([Key, Value]) => ({ Key, Value })),
  };
}

// ---------- probes ----------

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

// ---------- the record of launches and retirements (reports) ----------

export interface InstanceRecord {
  readonly id: string;
  readonly name: string;
  readonly tier: string;
  readonly state: HostState;
  readonly availabilityZone: string;
  readonly inService: boolean;
  /** What is installed ('' for nothing). */
  readonly release: string;
  /** The execution that launched it (`fleetflow:launched-by`), if FleetFlow did. */
  readonly launchedBy?: string;
  /** The execution that retired it on purpose (`fleetflow:retired-by`), if one did. */
  readonly retiredBy?: string;
}

/** Every instance FleetFlow launched or retired, as it is now (transitions due by now applied first). */
export function instanceRecords(account: SimulatedAccount): InstanceRecord[] {
  account.settle();
  const at = account.now();
  return [...account.hosts.values()]
    .filter((h) => h.tags.has(LAUNCHED_BY_TAG) || h.tags.has(RETIRED_BY_TAG))
    .map((h) => ({
      id: h.id,
      name: h.name,
      tier: h.tier,
      state: h.state,
      availabilityZone: h.availabilityZone,
      inService: account.inService(h, at),
      release: h.release,
      ...(h.tags.has(LAUNCHED_BY_TAG) ? { launchedBy: h.tags.get(LAUNCHED_BY_TAG)! } : {}),
      ...(h.tags.has(RETIRED_BY_TAG) ? { retiredBy: h.tags.get(RETIRED_BY_TAG)! } : {}),
    }));
}

/** The instances one execution launched (tag `fleetflow:launched-by` = its name), with whether they were retired on purpose. */
export function launchedInstances(account: SimulatedAccount, execution: string): Array<InstanceRecord & { readonly retiredOnPurpose: boolean }> {
  return instanceRecords(account)
    .filter((r) => r.launchedBy === execution)
    .map((r) => ({ ...r, retiredOnPurpose: r.retiredBy !== undefined }));
}

// ---------- RDS: creating and restoring DB instances ----------

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
}

type DatabaseRequest = Record<string, unknown>;
type Tag = { Key?: string; Value?: string };

const DB_IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}$/;
const ENDPOINT_DOMAIN = 'c0sim0example.us-east-1.rds.amazonaws.com';

/** The default VPC security group, which RDS uses when a request names none. */
export const DEFAULT_DB_SECURITY_GROUP = 'sg-0default00000001';

/** The Region of the simulated account's RDS resources (their ARNs and endpoints). */
const RDS_REGION = 'us-east-1';

/**
 * DBInstanceIdentifier (CreateDBInstance, RestoreDBInstanceFromDBSnapshot), and
 * TargetDBInstanceIdentifier (RestoreDBInstanceToPointInTime): 1 to 63 letters, digits or
 * hyphens, a letter first, no trailing hyphen nor two consecutive ones; "stored as a
 * lowercase string".
 */
function checkIdentifier(value: unknown, parameter = 'DBInstanceIdentifier'): string {
  if (typeof value !== 'string' || value === '') throw missingParameter(parameter);
  if (!DB_IDENTIFIER.test(value) || value.endsWith('-')) {
    throw invalidParameterValue(
      `The parameter ${parameter} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
    );
  }
  return value.toLowerCase();
}

/** The DB instance of that identifier (identifiers are not case-sensitive). */
export function findDatabase(account: SimulatedAccount, identifier: string): SimDatabase | undefined {
  return account.databases.get(identifier) ?? [...account.databases.values()].find((d) => d.identifier.toLowerCase() === identifier.toLowerCase());
}

function requireNew(account: SimulatedAccount, identifier: string): void {
  if (findDatabase(account, identifier)) throw new SimulatedServiceError('DBInstanceAlreadyExistsFault', 'DB instance already exists');
}

function requireText(request: DatabaseRequest, name: string): string {
  const value = request[name];
  if (typeof value !== 'string' || value === '') throw missingParameter(name);
  return value;
}

/** DB subnet groups and parameter groups must exist ("Must match the name of an existing DB subnet group"). */
function checkGroups(account: SimulatedAccount, definition: DatabaseDefinition): void {
  if (!account.compute.dbSubnetGroups.has(definition.subnetGroup)) {
    throw new SimulatedServiceError('DBSubnetGroupNotFoundFault', `DBSubnetGroup '${definition.subnetGroup}' not found.`, { status: 404 });
  }
  const group = definition.parameterGroup;
  if (group !== undefined && !group.startsWith('default.') && !account.compute.dbParameterGroups.has(group)) {
    throw new SimulatedServiceError('DBParameterGroupNotFoundFault', `DBParameterGroup not found: ${group}`, { status: 404 });
  }
}

/**
 * The master password (CreateDBInstance): MasterUserPassword "Can't be specified if
 * ManageMasterUserPassword is turned on", and ManageMasterUserPassword cannot be used "if
 * MasterUserPassword is specified"; with neither, RDS has no password to set. A literal
 * password is a secret: the simulator watches that it never reaches an execution's history.
 */
function checkMasterPassword(account: SimulatedAccount, request: DatabaseRequest): void {
  const managed = request.ManageMasterUserPassword === true;
  const literal = typeof request.MasterUserPassword === 'string' && request.MasterUserPassword !== '';
  if (managed && literal) throw invalidParameterCombination('MasterUserPassword cannot be specified when ManageMasterUserPassword is turned on.');
  if (!managed && !literal) throw invalidParameterValue('The parameter MasterUserPassword must be provided and must not be blank.');
  if (literal) account.secretValues.add(request.MasterUserPassword as string);
}

/**
 * RDS API reference, Tag: a key or a value "can't be prefixed with aws: or rds:"; values are
 * at most 256 characters. Checked on every request that carries RDS tags (create, restore, AddTagsToResource).
 */
function checkRdsTags(request: DatabaseRequest): void {
  for (const tag of (request.Tags as Tag[] | undefined) ?? []) {
    for (const [what, text] of [['key', tag.Key ?? ''], ['value', tag.Value ?? '']] as const) {
      if (/^(aws|rds):/i.test(text)) throw invalidParameterValue(`Tag ${what} ${text.slice(0, 60)} is invalid: tag keys and values can't be prefixed with aws: or rds:`);
    }
    if ((tag.Value ?? '').length > 256) throw invalidParameterValue('Tag values must be at most 256 characters');
  }
}

const tagsOf = (request: DatabaseRequest): Record<string, string> => {
  checkRdsTags(request);
  return tagsFrom(request);
};
const tagsFrom = (request: DatabaseRequest): Record<string, string> =>
  Object.fromEntries(((request.Tags as Tag[] | undefined) ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/**
 * Adds an instance that goes through `steps` (status from each instant on), then stays
 * `final`; it serves from its first backup or from `available`, never if it ends otherwise.
 */
function addDatabase(
  account: SimulatedAccount,
  fields: Pick<SimDatabase, 'identifier' | 'schemaRelease' | 'definition' | 'tags' | 'restoredFrom'>,
  steps: ReadonlyArray<{ readonly seconds: number; readonly status: string }>,
  final: 'available' | 'incompatible-restore' = 'available',
): SimDatabase {
  const now = account.now();
  let at = now;
  const lifecycle = steps.map((step) => {
    const entry = { at, status: step.status };
    at += ms(step.seconds);
    return entry;
  });
  const db: SimDatabase = {
    ...fields,
    name: `db-${account.databases.size + 1}`,
    status: final,
    availableThroughout: true,
    createdAt: now,
    lifecycle: [...lifecycle, { at, status: final }],
    servesFrom: final === 'available' ? (lifecycle.find((l) => l.status === 'backing-up')?.at ?? at) : Number.POSITIVE_INFINITY,
  };
  account.databases.set(db.identifier, db);
  // Observe the instant each status begins, so a report sees every one of them.
  for (const entry of db.lifecycle!) account.schedule(entry.at, () => undefined);
  account.changed();
  return db;
}

/**
 * CreateDBInstance: `creating` for DB_CREATE_SECONDS, `backing-up` (its first automated
 * backup) for DB_FIRST_BACKUP_SECONDS, then `available`. Refused: an identifier in use
 * (DBInstanceAlreadyExists), a subnet or parameter group that does not exist, the master
 * password rules above, missing required parameters.
 */
export function createDatabase(account: SimulatedAccount, request: DatabaseRequest): object {
  const identifier = checkIdentifier(request.DBInstanceIdentifier);
  requireNew(account, identifier);
  const engine = requireText(request, 'Engine');
  const instanceClass = requireText(request, 'DBInstanceClass');
  const storage = request.AllocatedStorage;
  if (typeof storage !== 'number' || !Number.isInteger(storage) || storage < 1) {
    throw invalidParameterValue(`Invalid storage size for engine name ${engine} and storage type gp2: ${String(storage)}`);
  }
  if (typeof request.MasterUsername !== 'string' || request.MasterUsername === '') {
    throw invalidParameterValue('The parameter MasterUsername must be provided and must not be blank.');
  }
  checkMasterPassword(account, request);
  const definition: DatabaseDefinition = {
    engine,
    ...(typeof request.EngineVersion === 'string' ? { engineVersion: request.EngineVersion } : {}),
    instanceClass,
    allocatedStorage: storage,
    subnetGroup: (request.DBSubnetGroupName as string | undefined) ?? 'default',
    securityGroups: (request.VpcSecurityGroupIds as string[] | undefined) ?? [DEFAULT_DB_SECURITY_GROUP],
    ...(typeof request.DBParameterGroupName === 'string' ? { parameterGroup: request.DBParameterGroupName } : {}),
    multiAz: request.MultiAZ === true,
    masterUsername: request.MasterUsername,
  };
  checkGroups(account, definition);
  const db = addDatabase(account, { identifier, schemaRelease: '', definition, tags: tagsOf(request) }, [
    { seconds: DB_CREATE_SECONDS, status: 'creating' },
    { seconds: DB_FIRST_BACKUP_SECONDS, status: 'backing-up' },
  ]);
  return { DBInstance: describeDatabase(account, db) };
}

/**
 * RestoreDBInstanceFromDBSnapshot: a new instance with the snapshot's engine and data (its
 * schema release), restored as restoreInstance says. Refused: an identifier in use, a
 * snapshot that does not exist (DBSnapshotNotFound) or is not available (InvalidDBSnapshotState).
 */
export function restoreDatabase(account: SimulatedAccount, request: DatabaseRequest): object {
  const identifier = checkIdentifier(request.DBInstanceIdentifier);
  const snapshotId = requireText(request, 'DBSnapshotIdentifier');
  requireNew(account, identifier);
  const snapshot = account.snapshots.get(snapshotId);
  if (!snapshot) throw new SimulatedServiceError('DBSnapshotNotFoundFault', `DBSnapshot ${snapshotId} not found.`, { status: 404 });
  if (account.snapshotStatus(snapshot) !== 'available') {
    throw new SimulatedServiceError('InvalidDBSnapshotStateFault', `Snapshot ${snapshotId} is not in the available state.`);
  }
  const source = snapshot.definition ?? definitionOf(findDatabase(account, snapshot.instance));
  return restoreInstance(account, request, { identifier, source, schemaRelease: snapshot.schemaRelease ?? '', restoredFrom: snapshot.id });
}

/**
 * A new instance from a backup (a snapshot, or a point in time), `creating` for
 * DB_RESTORE_SECONDS, then `available`. What the request leaves out is RDS's default, not
 * the original's (API reference, both restores: "the default security group, the default
 * subnet group, and the default DB parameter group", Single-AZ); only the instance class
 * and the engine come from the source. With `restore-fail` it ends `incompatible-restore`
 * instead (RDS User Guide, DB instance status: "Amazon RDS can't do a point-in-time
 * restore"), and never serves.
 */
function restoreInstance(
  account: SimulatedAccount,
  request: DatabaseRequest,
  restore: { readonly identifier: string; readonly source: DatabaseDefinition; readonly schemaRelease: string; readonly restoredFrom: string },
): object {
  const { source } = restore;
  const definition: DatabaseDefinition = {
    engine: source.engine,
    ...(source.engineVersion !== undefined ? { engineVersion: source.engineVersion } : {}),
    instanceClass: (request.DBInstanceClass as string | undefined) ?? source.instanceClass,
    allocatedStorage: source.allocatedStorage,
    subnetGroup: (request.DBSubnetGroupName as string | undefined) ?? 'default',
    securityGroups: (request.VpcSecurityGroupIds as string[] | undefined) ?? [DEFAULT_DB_SECURITY_GROUP],
    ...(typeof request.DBParameterGroupName === 'string' ? { parameterGroup: request.DBParameterGroupName } : {}),
    multiAz: request.MultiAZ === true,
    masterUsername: source.masterUsername,
  };
  checkGroups(account, definition);
  const db = addDatabase(
    account,
    { identifier: restore.identifier, schemaRelease: restore.schemaRelease, definition, tags: tagsOf(request), restoredFrom: restore.restoredFrom },
    [{ seconds: DB_RESTORE_SECONDS, status: 'creating' }],
    account.faults.restoreFail ? 'incompatible-restore' : 'available',
  );
  return { DBInstance: describeDatabase(account, db) };
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

/** The DB parameter group an instance uses: its own, else the engine's default (`default.<engine>`). */
export function parameterGroupOf(definition: DatabaseDefinition): string {
  return definition.parameterGroup ?? `default.${definition.engine}`;
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

/** `arn:aws:rds:<region>:<account>:db:<identifier>`, as DBInstanceArn. */
export function databaseArn(identifier: string): string {
  return `arn:aws:rds:${RDS_REGION}:${SIM_ACCOUNT_ID}:db:${identifier}`;
}

/**
 * DbiResourceId: "db-" and 26 base-32 characters, unique to one instance for its life (a
 * new instance under a lost one's identifier gets another). Derived from the identifier
 * and the creation time so that it is stable across runs.
 */
export function resourceIdOf(identifier: string, createdAt: number): string {
  const digest = createHash('sha256').update(`${identifier}@${createdAt}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return `db-${Array.from(digest.subarray(0, 26), (byte) => alphabet[byte % 32]).join('')}`;
}

/** An instance as DescribeDBInstances reports it: no endpoint nor creation time while it is being created. */
export function describeDatabase(account: SimulatedAccount, db: SimDatabase, at = account.now()): object {
  const status = account.databaseStatus(db, at);
  const definition = definitionOf(db);
  const created = status !== 'creating';
  return {
    DBInstanceIdentifier: db.identifier,
    DBInstanceStatus: status,
    Engine: definition.engine,
    ...(definition.engineVersion !== undefined ? { EngineVersion: definition.engineVersion } : {}),
    DBInstanceClass: definition.instanceClass,
    AllocatedStorage: definition.allocatedStorage,
    MultiAZ: definition.multiAz,
    MasterUsername: definition.masterUsername,
    DBSubnetGroup: { DBSubnetGroupName: definition.subnetGroup, VpcId: SIM_VPC_ID, SubnetGroupStatus: 'Complete' },
    VpcSecurityGroups: definition.securityGroups.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
    DBParameterGroups: [{ DBParameterGroupName: parameterGroupOf(definition), ParameterApplyStatus: 'in-sync' }],
    DBInstanceArn: databaseArn(db.identifier),
    DbiResourceId: resourceIdOf(db.identifier, db.createdAt ?? account.startedAt),
    BackupRetentionPeriod: backupRetentionPeriod(account),
    ...(created ? { Endpoint: endpointParts(db), InstanceCreateTime: new Date(db.createdAt ?? account.startedAt) } : {}),
    // Point-in-time restore reaches to about five minutes ago once the first backup exists (and backups are on).
    ...(created && status !== 'backing-up' && backupRetentionPeriod(account) > 0 ? { LatestRestorableTime: new Date(at - RESTORABLE_LAG_MS) } : {}),
    TagList: Object.entries(db.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
  };
}

/** `rds:<instance>-YYYY-MM-DD-HH-MM`, the name RDS gives an automated snapshot. */
function automatedSnapshotId(instance: string, at: number): string {
  const iso = new Date(at).toISOString();
  return `rds:${instance}-${iso.slice(0, 10)}-${iso.slice(11, 13)}-${iso.slice(14, 16)}`;
}

/** Two automated snapshots of a database that existed before the simulation: a day and an hour old. */
export function seedAutomatedSnapshots(account: SimulatedAccount, db: SimDatabase): void {
  for (const hoursAgo of [24, 1]) {
    const createdAt = account.startedAt - hoursAgo * 3600 * 1000;
    seedSnapshot(account, db, automatedSnapshotId(db.identifier, createdAt), createdAt, 'automated');
  }
}

/** A manual snapshot taken three hours before the simulation, so that "the newest snapshot" must choose among both types. */
export function seedManualSnapshot(account: SimulatedAccount, db: SimDatabase): void {
  seedSnapshot(account, db, `${db.identifier}-manual-before-release`, account.startedAt - 3 * 3600 * 1000, 'manual');
}

/** A snapshot of the instance as it is, taken at `createdAt` and available two minutes later. */
function seedSnapshot(account: SimulatedAccount, db: SimDatabase, id: string, createdAt: number, type: 'manual' | 'automated'): void {
  account.snapshots.set(id, {
    id,
    instance: db.identifier,
    createdAt,
    availableAt: createdAt + 120 * 1000,
    tags: {},
    type,
    schemaRelease: db.schemaRelease,
    definition: definitionOf(db),
  });
}

// ---------- RDS: automated backups and point-in-time restore ----------

/** Days of automated backups the simulated instances keep. */
export const BACKUP_RETENTION_DAYS = 7;
/** LatestRestorableTime trails the present by about five minutes (transaction logs are uploaded every five minutes). */
export const RESTORABLE_LAG_MS = 5 * 60 * 1000;

/** BackupRetentionPeriod: 0 (backups off) under `no-snapshot`, where the account has no automated backup at all. */
export function backupRetentionPeriod(account: SimulatedAccount): number {
  return account.faults.noSnapshot ? 0 : BACKUP_RETENTION_DAYS;
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

/** The instance is gone; its snapshots and automated backups stay (retained). */
export function loseDatabase(account: SimulatedAccount, db: SimDatabase, at = account.now()): void {
  const createdAt = db.createdAt ?? account.startedAt;
  const resourceId = resourceIdOf(db.identifier, createdAt);
  account.databases.delete(db.identifier);
  account.compute.lostDatabases.set(resourceId, { identifier: db.identifier, resourceId, createdAt, lostAt: at, definition: definitionOf(db), schemaRelease: db.schemaRelease });
  account.changed();
}

/** An instance's automated backups: what DescribeDBInstanceAutomatedBackups lists and a point-in-time restore reads. */
export interface AutomatedBackup {
  readonly identifier: string;
  readonly resourceId: string;
  readonly status: 'active' | 'retained';
  /** The restorable window (virtual ms). */
  readonly earliest: number;
  readonly latest: number;
  readonly createdAt: number;
  readonly definition: DatabaseDefinition;
  readonly schemaRelease: string;
}

/**
 * When the automated snapshots of one instance were taken: those of its identifier from
 * its creation until `until` (an instance of the same name created later is another one).
 */
function automatedSnapshotTimes(account: SimulatedAccount, identifier: string, from: number, until: number): number[] {
  return [...account.snapshots.values()]
    .filter((s) => s.type === 'automated' && s.instance.toLowerCase() === identifier.toLowerCase() && s.createdAt >= from && s.createdAt <= until)
    .map((s) => s.createdAt);
}

/**
 * The automated backup of an instance that exists: restorable from its oldest automated
 * snapshot to LatestRestorableTime (now − 5 min). None without automated snapshots.
 */
export function activeBackup(account: SimulatedAccount, db: SimDatabase, at = account.now()): AutomatedBackup | undefined {
  const createdAt = db.createdAt ?? account.startedAt;
  const times = automatedSnapshotTimes(account, db.identifier, createdAt, at);
  if (times.length === 0) return undefined;
  const [identifier, definition] = [db.identifier, definitionOf(db)];
  return {
    identifier, resourceId: resourceIdOf(identifier, createdAt), status: 'active', earliest: Math.min(...times), latest: at - RESTORABLE_LAG_MS,
    createdAt, definition, schemaRelease: db.schemaRelease,
  };
}

/**
 * The retained backup of a lost instance. Its window ends when the instance was lost (for
 * an instance lost before the simulation, `empty` + `keepSnapshots`: the simulation start):
 * RDS keeps the transaction logs up to the deletion, so the simulator takes that instant.
 */
function retainedBackup(account: SimulatedAccount, lost: LostDatabase): AutomatedBackup | undefined {
  const times = automatedSnapshotTimes(account, lost.identifier, lost.createdAt, lost.lostAt);
  if (times.length === 0) return undefined;
  const { identifier, resourceId, createdAt, definition, schemaRelease } = lost;
  return { identifier, resourceId, status: 'retained', earliest: Math.min(...times), latest: lost.lostAt, createdAt, definition, schemaRelease };
}

/** Every automated backup in the account: of existing instances (active), then of lost ones (retained). */
export function automatedBackups(account: SimulatedAccount, at = account.now()): AutomatedBackup[] {
  const active = [...account.databases.values()].map((db) => activeBackup(account, db, at));
  const retained = [...account.compute.lostDatabases.values()].map((lost) => retainedBackup(account, lost));
  return [...active, ...retained].filter((b): b is AutomatedBackup => b !== undefined);
}

/** `arn:aws:rds:<region>:<account>:auto-backup:ab-<id>`, as DBInstanceAutomatedBackupsArn. */
export function automatedBackupArn(backup: AutomatedBackup): string {
  return `arn:aws:rds:${RDS_REGION}:${SIM_ACCOUNT_ID}:auto-backup:ab-${backup.resourceId.slice(3)}`;
}

/** A backup as DescribeDBInstanceAutomatedBackups reports it. */
export function describeAutomatedBackup(account: SimulatedAccount, backup: AutomatedBackup): object {
  const { definition } = backup;
  return {
    DBInstanceArn: databaseArn(backup.identifier),
    DbiResourceId: backup.resourceId,
    DBInstanceAutomatedBackupsArn: automatedBackupArn(backup),
    Region: RDS_REGION,
    DBInstanceIdentifier: backup.identifier,
    RestoreWindow: { EarliestTime: new Date(backup.earliest), LatestTime: new Date(backup.latest) },
    Status: backup.status,
    Engine: definition.engine,
    ...(definition.engineVersion !== undefined ? { EngineVersion: definition.engineVersion } : {}),
    AllocatedStorage: definition.allocatedStorage,
    Port: endpointParts({ identifier: backup.identifier, definition }).Port,
    MasterUsername: definition.masterUsername,
    InstanceCreateTime: new Date(backup.createdAt),
    VpcId: SIM_VPC_ID,
    BackupRetentionPeriod: backupRetentionPeriod(account),
  };
}

/** DBInstanceAutomatedBackupNotFound (HTTP 404): "No automated backup for this DB instance was found". */
export const automatedBackupNotFound = (name: string) =>
  new SimulatedServiceError('DBInstanceAutomatedBackupNotFoundFault', `No automated backup for this DB instance was found: ${name}`, { status: 404 });

/**
 * The backup a point-in-time restore reads, named by exactly one of
 * SourceDBInstanceIdentifier ("Must match the identifier of an existing DB instance": a lost
 * instance is refused, DBInstanceNotFound), SourceDbiResourceId or
 * SourceDBInstanceAutomatedBackupsArn (these two also reach a lost instance's retained
 * backup). An existing instance without automated backups: PointInTimeRestoreNotEnabled.
 */
function pointInTimeSource(account: SimulatedAccount, request: DatabaseRequest): AutomatedBackup {
  const names = ['SourceDBInstanceIdentifier', 'SourceDbiResourceId', 'SourceDBInstanceAutomatedBackupsArn'] as const;
  const given = names.filter((n) => typeof request[n] === 'string' && request[n] !== '');
  if (given.length !== 1) throw invalidParameterCombination(`Exactly one of ${names.join(', ')} must be specified`);
  const value = request[given[0]!] as string;
  if (given[0] === 'SourceDBInstanceIdentifier') {
    const db = findDatabase(account, value);
    if (!db) throw new SimulatedServiceError('DBInstanceNotFoundFault', `DBInstance ${value} not found.`, { status: 404 });
    const backup = activeBackup(account, db);
    // The documented cause is a BackupRetentionPeriod of 0; the exact message was not confirmed.
    if (!backup) throw new SimulatedServiceError('PointInTimeRestoreNotEnabledFault', `Point-in-time restore is not enabled for DB instance ${db.identifier}: it has no automated backups.`);
    return backup;
  }
  const wanted = value.toLowerCase();
  const found = automatedBackups(account).find((b) => (given[0] === 'SourceDbiResourceId' ? b.resourceId : automatedBackupArn(b)).toLowerCase() === wanted);
  if (!found) throw automatedBackupNotFound(value);
  return found;
}

/** RestoreTime or UseLatestRestorableTime: exactly one ("Can't be specified if the RestoreTime parameter is provided"). */
function requestedTime(request: DatabaseRequest): number | 'latest' {
  const latest = request.UseLatestRestorableTime === true;
  const asked = request.RestoreTime;
  if (latest === (asked !== undefined && asked !== null)) throw invalidParameterCombination('Exactly one of RestoreTime or UseLatestRestorableTime must be specified');
  if (latest) return 'latest';
  const time = new Date(asked as string | number | Date).getTime();
  if (Number.isNaN(time)) throw invalidParameterValue(`The parameter RestoreTime is not a valid timestamp: ${String(asked)}`);
  return time;
}

/** A time within the backup's window ("Must be before the latest restorable time"), else InvalidRestoreFault. */
function restoreTimeWithin(backup: AutomatedBackup, time: number | 'latest'): number {
  if (time === 'latest') return backup.latest;
  if (time < backup.earliest || time > backup.latest) {
    // InvalidRestoreFault is RDS's error for this; the exact message was not confirmed.
    const iso = (t: number) => new Date(t).toISOString();
    throw new SimulatedServiceError(
      'InvalidRestoreFault',
      `The restore time ${iso(time)} is not within the restorable window of ${backup.identifier} (${iso(backup.earliest)} to ${iso(backup.latest)})`,
    );
  }
  return time;
}

/**
 * RestoreDBInstanceToPointInTime: a new instance (TargetDBInstanceIdentifier) with the
 * source's data at a time within its restorable window, restored as restoreInstance says.
 * Its data is the source's schema release: the simulator does not model the history of a
 * schema, only its current release. Recorded as restored from `<source>@<ISO time>`.
 */
export function restoreDatabaseToPointInTime(account: SimulatedAccount, request: DatabaseRequest): object {
  const identifier = checkIdentifier(request.TargetDBInstanceIdentifier, 'TargetDBInstanceIdentifier');
  const time = requestedTime(request);
  const backup = pointInTimeSource(account, request);
  const at = restoreTimeWithin(backup, time);
  requireNew(account, identifier);
  const restoredFrom = `${backup.identifier}@${new Date(at).toISOString()}`;
  return restoreInstance(account, request, { identifier, source: backup.definition, schemaRelease: backup.schemaRelease, restoredFrom });
}

// ---------- RDS: tags ----------

const RDS_ARN = /^arn:aws:rds:([a-z0-9-]+):(\d{12}):([a-z-]+):(.+)$/;

/**
 * The tags of the resource an ARN names (AddTagsToResource, ListTagsForResource): a DB
 * instance or a DB snapshot of the account; one that does not exist: its NotFound fault
 * (HTTP 404); anything else: InvalidParameterValue (the exact message was not confirmed).
 */
function taggedResource(account: SimulatedAccount, arn: unknown): { readonly tags: Record<string, string>; readonly add: (tags: Record<string, string>) => void } {
  if (typeof arn !== 'string' || arn === '') throw missingParameter('ResourceName');
  const match = RDS_ARN.exec(arn);
  const [, region, owner, type, name] = match ?? [];
  if (!match || (type !== 'db' && type !== 'snapshot')) throw invalidParameterValue(`The specified resource name does not match an RDS resource in this region: ${arn}`);
  const ours = region === RDS_REGION && owner === SIM_ACCOUNT_ID;
  if (type === 'db') {
    const db = ours ? findDatabase(account, name!) : undefined;
    if (!db) throw new SimulatedServiceError('DBInstanceNotFoundFault', `DBInstance ${name} not found.`, { status: 404 });
    return { tags: db.tags ?? {}, add: (tags) => (db.tags = { ...db.tags, ...tags }) };
  }
  const snapshot = ours ? account.snapshots.get(name!) : undefined;
  if (!snapshot) throw new SimulatedServiceError('DBSnapshotNotFoundFault', `DBSnapshot ${name} not found.`, { status: 404 });
  return { tags: snapshot.tags, add: (tags) => Object.assign(snapshot.tags, tags) };
}

/** AddTagsToResource: adds or overwrites tags; keys may not start with `aws:` (reserved). */
export function addTagsToResource(account: SimulatedAccount, request: DatabaseRequest): object {
  const resource = taggedResource(account, request.ResourceName);
  const tags = (request.Tags as Tag[] | undefined) ?? [];
  if (tags.length === 0) throw missingParameter('Tags');
  if (tags.some((t) => !t.Key)) throw invalidParameterValue('A tag key must not be empty.');
  if (tags.some((t) => t.Key!.toLowerCase().startsWith('aws:'))) throw invalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use");
  resource.add(tagsOf(request));
  account.changed();
  return {};
}

/** ListTagsForResource: the resource's tags as a TagList. */
export function listTagsForResource(account: SimulatedAccount, request: DatabaseRequest): object {
  return { TagList: Object.entries(taggedResource(account, request.ResourceName).tags).map(([Key, Value]) => ({ Key, Value })) };
}
