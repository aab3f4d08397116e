/**
 * EC2 in the simulated account: DescribeInstances, DescribeInstanceStatus, RunInstances
 * (launch templates, client tokens, capacity), Stop/Start/TerminateInstances and their
 * transient states, stop and termination protection (DescribeInstanceAttribute), and tags. Whatever EC2 refuses or fails, this refuses or fails the same
 * way: the same error codes, per-call limits, transient states and idempotency-token
 * semantics.
 */
import { type ComputeTier, DEFAULT_VPC, type HostState, INSTANCE_STATE_CODE, type SimHost, type SimLaunchTemplate, type SimReservation, type SimSubnet, type SimulatedAccount, bootFails } from '../account';
import { LAUNCHED_BY_TAG, RETIRED_BY_TAG } from '../../../lambdas/domain/contract/tags';
import { type Operation, checkRange, paginate } from './common';
import { ingressOf, networkOf, type SimPermission } from './network';
import { SIM_ACCOUNT_ID, SimulatedServiceError, invalidParameterCombination, invalidParameterValue, missingParameter, validation } from '../aws-errors';

const ms = (seconds: number) => seconds * 1000;

/** Seconds a new or started instance is `pending` before it is `running`. */
export const BOOT_SECONDS = 30;

/** Seconds after reaching `running` during which both status checks report `initializing`. */
export const STATUS_CHECK_SECONDS = 60;

/** Seconds an instance is `stopping` before it is `stopped`. */
export const STOPPING_SECONDS = 15;

/** Seconds an instance is `shutting-down` before it is `terminated`. */
export const SHUTTING_DOWN_SECONDS = 20;

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

/** Moves the host to `state` and returns the generation a transition scheduled now must still find. */
function enter(account: SimulatedAccount, host: SimHost, state: HostState): number {
  host.state = state;
  const generation = (account.compute.generations.get(host.id) ?? 0) + 1;
  account.compute.generations.set(host.id, generation);
  account.hostChanged(host);
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

/** The EC2 protections a host has (`protected:HOST[@stop|@terminate]`): DisableApiStop, DisableApiTermination. */
function protectionOf(account: SimulatedAccount, host: SimHost): { stop: boolean; terminate: boolean } {
  const set = account.faults.protection?.get(host.name);
  return { stop: set?.has('stop') ?? false, terminate: set?.has('terminate') ?? false };
}

/**
 * A stop or terminate EC2 refuses for the instance's protection (OperationNotPermitted), or undefined.
 * Stop: "The instance 'i-…' may not be stopped. Modify its 'disableApiStop' instance attribute and try
 * again." Terminate: "The instance … may not be terminated. Modify its 'disableApiTermination' instance
 * attribute" (EC2 User Guide, Troubleshoot instance termination); stop protection blocks it too ("Stop
 * protection not only prevents your instance from being accidentally stopped, but also from accidental
 * termination", Enable stop protection), with, we take it, the same sentence naming that attribute (not
 * found documented).
 */
function protectionRefusal(account: SimulatedAccount, host: SimHost, action: 'stop' | 'terminate'): SimulatedServiceError | undefined {
  const protection = protectionOf(account, host);
  const attribute = action === 'stop' ? (protection.stop ? 'disableApiStop' : undefined) : protection.terminate ? 'disableApiTermination' : protection.stop ? 'disableApiStop' : undefined;
  if (attribute === undefined) return undefined;
  return new SimulatedServiceError(
    'OperationNotPermitted',
    `The instance '${host.id}' may not be ${action === 'stop' ? 'stopped' : 'terminated'}. Modify its '${attribute}' instance attribute and try again.`,
  );
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
    // A protected instance is refused and, as the whole call is, nothing named in it is stopped.
    return host.state === 'running' ? protectionRefusal(account, host, 'stop') : undefined;
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
  const hosts = requireInstances(account, ids, MAX_TERMINATE_IDS);
  // "If you terminate multiple instances across multiple Availability Zones in the same request, and one or more of the
  // specified instances are enabled for termination protection, the request fails": the instances in a protected one's
  // zone are not terminated, those in zones with none are (EC2 User Guide, Terminate multiple instances with termination protection).
  const refused = hosts.map((host) => [host, host.state === 'shutting-down' || host.state === 'terminated' ? undefined : protectionRefusal(account, host, 'terminate')] as const).filter(([, r]) => r);
  if (refused.length > 0) {
    const zones = new Set(refused.map(([host]) => host.availabilityZone));
    for (const host of hosts) if (!zones.has(host.availabilityZone)) act(host);
    throw refused[0]![1]!;
  }
  return { TerminatingInstances: changeStates(hosts, () => undefined, act) };
}

/** DescribeInstanceAttribute's attributes the simulator answers: the two protections. */
const MODELLED_ATTRIBUTES = ['disableApiStop', 'disableApiTermination'] as const;
/** Every attribute EC2 takes (API reference, Attribute: Valid Values). */
const INSTANCE_ATTRIBUTES = new Set([
  'instanceType', 'kernel', 'ramdisk', 'userData', 'disableApiTermination', 'instanceInitiatedShutdownBehavior', 'rootDeviceName', 'blockDeviceMapping',
  'productCodes', 'sourceDestCheck', 'groupSet', 'ebsOptimized', 'sriovNetSupport', 'enaSupport', 'enclaveOptions', 'disableApiStop',
]);

/**
 * DescribeInstanceAttribute: "Describes the specified attribute of the specified instance. You can specify only one
 * attribute at a time" (API reference): one InstanceId and one Attribute, both required. The simulator answers the two
 * protections; another attribute EC2 has is refused as not modelled rather than answered wrongly.
 */
export function describeInstanceAttribute(account: SimulatedAccount, input: { InstanceId?: unknown; Attribute?: unknown }): object {
  if (typeof input.InstanceId !== 'string' || input.InstanceId === '') throw missingParameter('InstanceId');
  if (typeof input.Attribute !== 'string' || input.Attribute === '') throw missingParameter('Attribute');
  if (!INSTANCE_ATTRIBUTES.has(input.Attribute)) throw invalidParameterValue(`Value (${input.Attribute.slice(0, 64)}) for parameter attribute is invalid. Unknown attribute.`);
  if (!(MODELLED_ATTRIBUTES as readonly string[]).includes(input.Attribute)) {
    throw invalidParameterValue(`The simulator answers DescribeInstanceAttribute for ${MODELLED_ATTRIBUTES.join(' and ')} only (asked ${input.Attribute})`);
  }
  const [host] = requireInstances(account, [input.InstanceId]);
  const protection = protectionOf(account, host!);
  return input.Attribute === 'disableApiStop'
    ? { InstanceId: host!.id, DisableApiStop: { Value: protection.stop } }
    : { InstanceId: host!.id, DisableApiTermination: { Value: protection.terminate } };
}

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
function capacityFor(account: SimulatedAccount, tier: string, availabilityZone: string, launching = false): number {
  const failing = (account.faults.launchFail ?? []).filter((f) => f.tier === tier && (f.availabilityZone === undefined || f.availabilityZone === availabilityZone));
  // Only a launch asked for in the zone is the fault taking effect; the zones an error names are only looked at.
  if (launching) for (const f of failing) account.faultFired(`launch-fail:${f.tier}${f.availabilityZone === undefined ? '' : `@${f.availabilityZone}`}`);
  return failing.length > 0 ? 0 : Number.POSITIVE_INFINITY;
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
  const count = Math.min(max, capacityFor(account, chargedTo, subnet.availabilityZone, true));
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

/**
 * EC2 refuses a describe call whose filters carry more than 200 values in all (the error
 * AWS returns: FilterLimitExceeded, "The maximum number of filter values specified on a
 * single call is 200"; the API reference lists FilterLimitExceeded as "The request uses too
 * many filters or too many filter values") or a value longer than 255 characters ("The
 * maximum length for a filter value is 255 characters"). The count is over the whole call,
 * as the message says: 200 instance IDs plus one state value is refused.
 */
export const MAX_FILTER_VALUES_PER_CALL = 200;

export const MAX_FILTER_VALUE_LENGTH = 255;

function checkFilterLimits(filters: ReadonlyArray<{ Name: string; Values?: string[] }>): void {
  const values = filters.flatMap((f) => f.Values ?? []);
  if (values.length > MAX_FILTER_VALUES_PER_CALL) {
    throw new SimulatedServiceError('FilterLimitExceeded', `The maximum number of filter values specified on a single call is ${MAX_FILTER_VALUES_PER_CALL}`);
  }
  if (values.some((v) => v.length > MAX_FILTER_VALUE_LENGTH)) {
    throw new SimulatedServiceError('FilterLimitExceeded', `The maximum length for a filter value is ${MAX_FILTER_VALUE_LENGTH} characters`);
  }
}

/** DescribeInstanceStatus: "Maximum 100 explicitly specified instance IDs". */
export const MAX_STATUS_INSTANCE_IDS = 100;

/** One DescribeInstances filter against a host; a filter EC2 has but the simulator does not is refused, not ignored. */
function instanceMatches(host: SimHost, f: { Name: string; Values: string[] }): boolean {
  if (f.Name.startsWith('tag:')) return f.Values.includes(host.tags.get(f.Name.slice(4)) ?? '\u0000');
  if (f.Name === 'tag-key') return f.Values.some((k) => host.tags.has(k));
  const value: Record<string, string | undefined> = {
    'instance-state-name': host.state,
    'instance-id': host.id,
    'availability-zone': host.availabilityZone,
    'subnet-id': host.subnetId,
    'vpc-id': host.vpcId,
    'instance-type': host.instanceType,
    'client-token': host.launchedBy,
  };
  if (!(f.Name in value)) throw new SimulatedServiceError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
  return value[f.Name] !== undefined && f.Values.includes(value[f.Name]!);
}

type Checks = ReturnType<typeof statusChecks>;

function statusMatches(host: SimHost, checks: Checks, f: { Name: string; Values: string[] }): boolean {
  const value: Record<string, string> = {
    'instance-state-name': host.state,
    'availability-zone': host.availabilityZone,
    'instance-status.status': checks.instance,
    'system-status.status': checks.system,
  };
  if (!(f.Name in value)) throw new SimulatedServiceError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
  return f.Values.includes(value[f.Name]!);
}

/** A status check with its reachability detail, as DescribeInstanceStatus reports it. */
function statusSummary(status: Checks['instance']) {
  const reachability = { ok: 'passed', impaired: 'failed', initializing: 'initializing', 'not-applicable': undefined }[status];
  return { Status: status, ...(reachability ? { Details: [{ Name: 'reachability', Status: reachability }] } : {}) };
}

/** A rule as DescribeSecurityGroups answers it (IpPermission); ports are absent for protocol -1. */
function ipPermission(p: SimPermission) {
  return {
    IpProtocol: p.protocol,
    ...(p.protocol !== '-1' ? { FromPort: p.fromPort, ToPort: p.toPort } : {}),
    UserIdGroupPairs: (p.groups ?? []).map((GroupId) => ({ GroupId, UserId: SIM_ACCOUNT_ID })),
    IpRanges: (p.cidrs ?? []).map((CidrIp) => ({ CidrIp })),
    Ipv6Ranges: [],
    PrefixListIds: [],
  };
}

export const ec2: Record<string, Operation> = {
  DescribeSecurityGroups(account, input) {
    // MaxResults: "This value can be between 5 and 1000."
    checkRange('MaxResults', input.MaxResults, 5, 1000);
    const groups = networkOf(account).securityGroups;
    const ids: string[] | undefined = input.GroupIds;
    // EC2 error codes: InvalidGroup.NotFound, "The specified security group does not exist."
    const unknown = (ids ?? []).filter((id) => !groups.has(id));
    if (unknown.length > 0) throw new SimulatedServiceError('InvalidGroup.NotFound', `The security group '${unknown[0]}' does not exist`);
    const selected = ids ? [...groups.values()].filter((g) => ids.includes(g.id)) : [...groups.values()];
    const { page, next } = paginate(selected, input.NextToken, input.MaxResults ?? selected.length);
    return {
      SecurityGroups: page.map((g) => ({
        GroupId: g.id,
        GroupName: g.name,
        Description: g.name,
        OwnerId: SIM_ACCOUNT_ID,
        VpcId: g.vpcId,
        IpPermissions: ingressOf(account, g).map(ipPermission),
        IpPermissionsEgress: g.egress.map(ipPermission),
      })),
      ...(next !== undefined ? { NextToken: next } : {}),
    };
  },
  DescribeVpcs(account, input) {
    checkRange('MaxResults', input.MaxResults, 5, 1000);
    const vpcs = networkOf(account).vpcs;
    const ids: string[] | undefined = input.VpcIds;
    // EC2 error codes: InvalidVpcID.NotFound, "The specified VPC does not exist."
    const unknown = (ids ?? []).filter((id) => !vpcs.has(id));
    if (unknown.length > 0) throw new SimulatedServiceError('InvalidVpcID.NotFound', `The vpc ID '${unknown[0]}' does not exist`);
    const selected = [...vpcs.entries()].filter(([id]) => !ids || ids.includes(id));
    const { page, next } = paginate(selected, input.NextToken, input.MaxResults ?? selected.length);
    return {
      Vpcs: page.map(([id, cidrs]) => ({
        VpcId: id,
        CidrBlock: cidrs[0],
        State: 'available',
        OwnerId: SIM_ACCOUNT_ID,
        CidrBlockAssociationSet: cidrs.map((CidrBlock, i) => ({ AssociationId: `vpc-cidr-assoc-${i}`, CidrBlock, CidrBlockState: { State: 'associated' } })),
      })),
      ...(next !== undefined ? { NextToken: next } : {}),
    };
  },
  DescribeInstances(account, input) {
    if (input.InstanceIds && input.MaxResults) throw validation('InstanceIds and MaxResults cannot be combined');
    checkRange('MaxResults', input.MaxResults, 5, 1000);
    const filters: Array<{ Name: string; Values: string[] }> = input.Filters ?? [];
    checkFilterLimits(filters);
    // "If you specify an instance ID that is not valid, an error is returned."
    const unknown = ((input.InstanceIds ?? []) as string[]).filter((id) => !account.hosts.has(id));
    if (unknown.length > 0) {
      throw new SimulatedServiceError(
        'InvalidInstanceID.NotFound',
        unknown.length === 1 ? `The instance ID '${unknown[0]}' does not exist` : `The instance IDs '${unknown.join(', ')}' do not exist`,
      );
    }
    const matches = [...account.hosts.values()].filter((host) => {
      if (input.InstanceIds && !input.InstanceIds.includes(host.id)) return false;
      return filters.every((f) => instanceMatches(host, f));
    });
    const { page, next } = paginate(matches, input.NextToken, input.MaxResults ?? matches.length);
    return {
      Reservations: page.map((host) => ({ ReservationId: reservationOf(account, host), OwnerId: SIM_ACCOUNT_ID, Instances: [describeInstance(host)] })),
      NextToken: next,
    };
  },
  RunInstances(account, input) {
    return runInstances(account, input);
  },
  StopInstances(account, input) {
    return stopInstances(account, input.InstanceIds);
  },
  StartInstances(account, input) {
    return startInstances(account, input.InstanceIds);
  },
  TerminateInstances(account, input) {
    return terminateInstances(account, input.InstanceIds);
  },
  DescribeInstanceAttribute(account, input) {
    return describeInstanceAttribute(account, input);
  },
  /**
   * API reference, DescribeInstanceStatus: InstanceIds "Maximum 100 explicitly specified
   * instance IDs"; MaxResults (5-1000, as DescribeInstances) "You cannot specify this
   * parameter and the instance IDs parameter in the same request"; "By default, only
   * running instances are described" (IncludeAllInstances for the others).
   */
  DescribeInstanceStatus(account, input) {
    const ids: string[] | undefined = input.InstanceIds;
    if (ids && input.MaxResults !== undefined) throw invalidParameterCombination('The parameter instancesSet cannot be used with the parameter maxResults');
    if (ids && ids.length > MAX_STATUS_INSTANCE_IDS) throw invalidParameterValue(`The request may name at most ${MAX_STATUS_INSTANCE_IDS} instance IDs (received ${ids.length})`);
    if (input.MaxResults !== undefined && (input.MaxResults < 5 || input.MaxResults > 1000)) {
      throw invalidParameterValue(`Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
    }
    const filters: Array<{ Name: string; Values: string[] }> = input.Filters ?? [];
    checkFilterLimits(filters);
    const unknown = (ids ?? []).filter((id) => !account.hosts.has(id));
    if (unknown.length > 0) throw new SimulatedServiceError('InvalidInstanceID.NotFound', `The instance IDs '${unknown.join(', ')}' do not exist`);
    const now = account.now();
    const statuses = (ids ? ids.map((id) => account.hosts.get(id)!) : [...account.hosts.values()])
      .filter((host) => input.IncludeAllInstances === true || host.state === 'running')
      .map((host) => ({ host, checks: statusChecks(account, host, now) }))
      .filter(({ host, checks }) => filters.every((f) => statusMatches(host, checks, f)));
    const { page, next } = paginate(statuses, input.NextToken, input.MaxResults ?? 1000);
    return {
      InstanceStatuses: page.map(({ host, checks }) => ({
        InstanceId: host.id,
        AvailabilityZone: host.availabilityZone,
        InstanceState: { Code: INSTANCE_STATE_CODE[host.state], Name: host.state },
        InstanceStatus: statusSummary(checks.instance),
        SystemStatus: statusSummary(checks.system),
      })),
      NextToken: next,
    };
  },
  CreateTags(account, input) {
    const resources: string[] = input.Resources ?? [];
    if (resources.length === 0 || resources.length > 1000) throw validation(`Resources must hold 1 to 1000 IDs (received ${resources.length})`);
    const hosts = resources.map((id) => account.requireHost(id));
    // "Each resource can have a maximum of 50 tags" (CreateTags): a call that would take one
    // instance past it changes none. New keys count, an existing key is overwritten, and
    // AWS's own `aws:` tags (the launch template's) do not count.
    const keys: string[] = (input.Tags ?? []).map((t: { Key: string }) => t.Key);
    const userTags = (host: SimHost) => [...new Set([...host.tags.keys(), ...keys])].filter((k) => !k.toLowerCase().startsWith('aws:')).length;
    const over = hosts.find((host) => userTags(host) > MAX_TAGS_PER_RESOURCE);
    if (over) throw new SimulatedServiceError('TagLimitExceeded', `The maximum number of tags per resource is ${MAX_TAGS_PER_RESOURCE} (${over.id} would have ${userTags(over)})`);
    for (const host of hosts) for (const tag of input.Tags ?? []) host.tags.set(tag.Key, tag.Value ?? '');
    return {};
  },
  DeleteTags(account, input) {
    const resources: string[] = input.Resources ?? [];
    if (resources.length === 0 || resources.length > 1000) throw validation(`Resources must hold 1 to 1000 IDs (received ${resources.length})`);
    const hosts = resources.map((id) => account.requireHost(id));
    // A tag named without a value is deleted whatever its value; with a value, only if it matches.
    for (const host of hosts) {
      for (const tag of input.Tags ?? []) if (tag.Value === undefined || host.tags.get(tag.Key) === tag.Value) host.tags.delete(tag.Key);
    }
    return {};
  },
};
