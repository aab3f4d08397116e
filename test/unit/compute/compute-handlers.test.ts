/**
 * The compute workflows' task handlers against mocked AWS clients (aws-sdk-client-mock
 * intercepts the handlers' module-level clients): new hosts coming up, their setup, hosts
 * retired and terminated, and what the planners of replace and allocate refuse.
 *
 * EC2 DescribeInstances answers from an in-memory fleet with AWS's filter semantics (every
 * filter must match; tag:KEY, instance-state-name, instance-id), so a handler only sees
 * the hosts its filters select.
 */
import { BatchWriteItemCommand, DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import {
  CreateTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  EC2Client,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type DescribeInstancesCommandInput,
  type DescribeInstanceStatusCommandInput,
  type Filter,
  type Instance,
  type SummaryStatus,
} from '@aws-sdk/client-ec2';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type DescribeTargetGroupsCommandInput,
  type DescribeTargetHealthCommandInput,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetParameterCommand,
  InvalidInstanceId,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
  type CommandInvocationStatus,
  type DescribeInstanceInformationCommandInput,
  type ListCommandInvocationsCommandInput,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import canonicalFile from '../../../environments/canonical.json';
import { parseEnvironment } from '../../../lambdas/domain/environment/parse';
import { checkHostsReady } from '../../../lambdas/compute/hosts-ready';
import { checkRetired } from '../../../lambdas/compute/check-retired';
import { checkSetUp } from '../../../lambdas/compute/check-set-up';
import { balance, planAllocation } from '../../../lambdas/compute/allocation';
import { planReplacement } from '../../../lambdas/compute/plan-replacement';
import { retireHosts } from '../../../lambdas/compute/retiring';
import { setUpHosts, type SetupPhase, type SetupTaskInput } from '../../../lambdas/compute/setup';
import { terminateLaunched, type CleanUpInput } from '../../../lambdas/compute/terminate-launched';
import { isLeftover, LEFTOVER_REASON, registeredHosts, terminateLeftovers } from '../../../lambdas/compute/leftovers';
import { planScaleOut } from '../../../lambdas/compute/plan-scale-out';
import { findInstances, tagFilters } from '../../../lambdas/shared/instances';
import { terminateSurged } from '../../../lambdas/surge/terminate-surged';
import type { ProvisionTier, SetupStep, HostRef, PhaseState, TierPlan } from '../../../lambdas/domain/contract/payloads';
import { LAUNCH_SCOPE_TAG, LAUNCHED_BY_TAG, OUT_OF_TRAFFIC_TAG, RETIRED_AT_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG, SURGE_REASON, RELEASE_TAG } from '../../../lambdas/domain/contract/tags';
import {
  DependencyCheckFailedError,
  InstanceNotManagedError,
  InvalidInputError,
  InventoryError,
  LaunchFailedError,
  PrerequisiteFailedError,
  RetireFailedError,
} from '../../../lambdas/domain/contract/errors';
import { batchInput, NOW, phaseAt, WEB_ADMIN_TG_ARN, WEB_TG_ARN, webHost, webTier } from '../fixtures';
import { lbArnFor, mockWorkingNetwork } from './network-fixture';

/** The canonical environment as synth stores it for the planners: validated, defaults filled in. */
const canonical = parseEnvironment(canonicalFile);

const ec2Mock = mockClient(EC2Client);
const ssmMock = mockClient(SSMClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const dynamoMock = mockClient(DynamoDBClient);
const rdsMock = mockClient(RDSClient);
const cloudwatchMock = mockClient(CloudWatchClient);
const mocks = [ec2Mock, ssmMock, elbMock, dynamoMock, rdsMock, cloudwatchMock];

const EXECUTION = 'exec-1';
const WEB_TAGS = { 'fleetflow:environment': 'canonical', 'fleetflow:tier': 'web' };
const MIDDLE_TAGS = { 'fleetflow:environment': 'canonical', 'fleetflow:tier': 'middle' };
const SUBNET_A = 'subnet-0a1b2c3d4e5f60001';
const SUBNET_B = 'subnet-0a1b2c3d4e5f60002';

// ---------------------------------------------------------------------------------------
// The simulated fleet
// ---------------------------------------------------------------------------------------

interface FakeHost {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly tags?: Record<string, string>;
  readonly subnetId?: string;
}

let fleet: FakeHost[] = [];

/** A fleet host with web host n's ID and name. */
function host(n: number, state: string, tags: Record<string, string> = {}, subnetId = n % 2 === 1 ? SUBNET_A : SUBNET_B): FakeHost {
  const ref = webHost(n);
  return { id: ref.id, name: ref.name, state, tags, subnetId };
}

function matches(h: FakeHost, filters: readonly Filter[]): boolean {
  const tags: Record<string, string> = { ...h.tags, Name: h.name };
  return filters.every((f) => {
    const values = f.Values ?? [];
    if (f.Name === 'instance-state-name') return values.includes(h.state);
    if (f.Name === 'instance-id') return values.includes(h.id);
    if (f.Name?.startsWith('tag:')) {
      const value = tags[f.Name.slice('tag:'.length)];
      return value !== undefined && values.includes(value);
    }
    throw new Error(`the fake EC2 does not know the filter ${f.Name}`);
  });
}

function toInstance(h: FakeHost): Instance {
  return {
    InstanceId: h.id,
    State: { Name: h.state as never },
    SubnetId: h.subnetId,
    Tags: [{ Key: 'Name', Value: h.name }, ...Object.entries(h.tags ?? {}).map(([Key, Value]) => ({ Key, Value }))],
  };
}

function useFleet(hosts: FakeHost[]): void {
  fleet = hosts;
}

/** The instance status checks per ID (instance, system); absent IDs are not reported. */
let statusChecks = new Map<string, [SummaryStatus, SummaryStatus]>();
/** What Systems Manager lists, and with which PingStatus. */
let ssmPing = new Map<string, string>();

/** Calls to any client, in the order they were made, as "Command input-summary". */
let callLog: string[] = [];
/** Instance ID -> the protections DescribeInstanceAttribute reports on (disableApiStop, disableApiTermination). */
let protections = new Map<string, Set<string>>();

const sentNames = (mock: typeof ec2Mock | typeof elbMock | typeof ssmMock) =>
  mock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);

function expectNoAwsCall(): void {
  for (const m of mocks) expect(m).not.toHaveReceivedAnyCommand();
}

beforeEach(() => {
  for (const m of mocks) m.reset();
  fleet = [];
  statusChecks = new Map();
  ssmPing = new Map();
  callLog = [];
  protections = new Map();
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);

  ec2Mock.on(DescribeInstancesCommand).callsFake((input: DescribeInstancesCommandInput) => ({
    Reservations: [{ Instances: fleet.filter((h) => matches(h, input.Filters ?? [])).map(toInstance) }],
  }));
  ec2Mock.on(DescribeInstanceStatusCommand).callsFake((input: DescribeInstanceStatusCommandInput) => ({
    InstanceStatuses: (input.InstanceIds ?? [])
      .filter((id) => statusChecks.has(id))
      .map((id) => ({ InstanceId: id, InstanceStatus: { Status: statusChecks.get(id)![0] }, SystemStatus: { Status: statusChecks.get(id)![1] } })),
  }));
  ec2Mock.on(DescribeInstanceAttributeCommand).callsFake((input: { InstanceId: string; Attribute: string }) => {
    const on = protections.get(input.InstanceId)?.has(input.Attribute) ?? false;
    return input.Attribute === 'disableApiStop' ? { InstanceId: input.InstanceId, DisableApiStop: { Value: on } } : { InstanceId: input.InstanceId, DisableApiTermination: { Value: on } };
  });
  ec2Mock.on(CreateTagsCommand).callsFake((input: { Resources: string[] }) => {
    callLog.push(`CreateTags ${input.Resources.join(',')}`);
    return {};
  });
  ec2Mock.on(StopInstancesCommand).callsFake((input: { InstanceIds: string[] }) => {
    callLog.push(`StopInstances ${input.InstanceIds.join(',')}`);
    return {};
  });
  ec2Mock.on(TerminateInstancesCommand).callsFake((input: { InstanceIds: string[] }) => {
    callLog.push(`TerminateInstances ${input.InstanceIds.join(',')}`);
    return {};
  });
  elbMock.on(DeregisterTargetsCommand).callsFake((input: { TargetGroupArn: string; Targets: Array<{ Id: string }> }) => {
    callLog.push(`DeregisterTargets ${input.TargetGroupArn} ${input.Targets.map((t) => t.Id).join(',')}`);
    return {};
  });
  ssmMock.on(DescribeInstanceInformationCommand).callsFake((input: DescribeInstanceInformationCommandInput) => {
    const ids = input.Filters?.find((f) => f.Key === 'InstanceIds')?.Values ?? [];
    return { InstanceInformationList: ids.filter((id) => ssmPing.has(id)).map((id) => ({ InstanceId: id, PingStatus: ssmPing.get(id) as never })) };
  });
});

afterEach(() => {
  vi.useRealTimers();
  delete process.env.PLAN_TABLE;
});

// ---------------------------------------------------------------------------------------
// Check Hosts Ready
// ---------------------------------------------------------------------------------------

function provisionTier(perSubnet: number[] = [1, 1], spec: Partial<TierPlan> = {}): ProvisionTier {
  return {
    spec: webTier({ hostTags: WEB_TAGS, minHealthy: 0, ...spec }),
    release: '1.0.0',
    launch: {
      template: { name: 'canonical-web' },
      version: '1',
      subnets: [
        { id: SUBNET_A, availabilityZone: 'us-east-1a' },
        { id: SUBNET_B, availabilityZone: 'us-east-1b' },
      ],
      instanceTypes: ['m6i.large'],
    },
    perSubnet,
    targetGroupNames: ['canonical-web'],
    port: 80,
    setup: [],
    readyTimeoutSeconds: 900,
  };
}

/** Host n launched by `execution` for the web tier, in `state`. */
function launched(n: number, state = 'running', execution = EXECUTION, extra: Record<string, string> = {}): FakeHost {
  return host(n, state, { ...WEB_TAGS, [LAUNCHED_BY_TAG]: execution, ...extra });
}

/** Hosts 1..count, launched and running, their checks passed and Online in SSM. */
function readyHosts(count: number): FakeHost[] {
  const hosts = Array.from({ length: count }, (_, i) => launched(i + 1));
  for (const h of hosts) {
    statusChecks.set(h.id, ['ok', 'ok']);
    ssmPing.set(h.id, 'Online');
  }
  return hosts;
}

describe('checkHostsReady', () => {
  it('is done when every launched host runs, passed both status checks and is Online in SSM', async () => {
    useFleet(readyHosts(2));

    const phase = await checkHostsReady({ execution: EXECUTION, tier: provisionTier([1, 1]) });

    expect(phase).toMatchObject({ done: true, waitSeconds: 0, startedAt: NOW, deadline: NOW + 900_000 });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: 'tag:fleetflow:environment', Values: ['canonical'] },
        { Name: 'tag:fleetflow:tier', Values: ['web'] },
        { Name: `tag:${LAUNCHED_BY_TAG}`, Values: [EXECUTION] },
      ],
    });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstanceStatusCommand, { IncludeAllInstances: true });
  });

  it('looks only at what this execution launched, under its scope when it has one', async () => {
    const ours = readyHosts(2).map((h) => ({ ...h, tags: { ...h.tags, [LAUNCH_SCOPE_TAG]: 'web#1' } }));
    // Another execution's host, and one of ours from another scope, are both broken: not ours to judge.
    const theirs = launched(3, 'running', 'exec-other');
    const otherScope = launched(4, 'terminated', EXECUTION, { [LAUNCH_SCOPE_TAG]: 'web#0' });
    statusChecks.set(theirs.id, ['impaired', 'ok']);
    useFleet([...ours, theirs, otherScope]);

    const phase = await checkHostsReady({ execution: EXECUTION, tier: provisionTier([1, 1]), scope: 'web#1' });

    expect(phase.done).toBe(true);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: expect.arrayContaining([{ Name: `tag:${LAUNCH_SCOPE_TAG}`, Values: ['web#1'] }]),
    });
  });

  it.each([
    ['a host still pending', (hosts: FakeHost[]) => [hosts[0]!, { ...hosts[1]!, state: 'pending' }]],
    ['instance status initializing', (hosts: FakeHost[]) => (statusChecks.set(hosts[1]!.id, ['initializing', 'ok']), hosts)],
    ['system status initializing', (hosts: FakeHost[]) => (statusChecks.set(hosts[1]!.id, ['ok', 'initializing']), hosts)],
    ['no status reported yet', (hosts: FakeHost[]) => (statusChecks.delete(hosts[1]!.id), hosts)],
    ['not yet listed by SSM', (hosts: FakeHost[]) => (ssmPing.delete(hosts[1]!.id), hosts)],
    ['SSM PingStatus ConnectionLost', (hosts: FakeHost[]) => (ssmPing.set(hosts[1]!.id, 'ConnectionLost'), hosts)],
    ['only 1 of the 2 hosts visible yet', (hosts: FakeHost[]) => [hosts[0]!]],
  ])('keeps polling before the deadline with %s', async (_label, arrange) => {
    useFleet(arrange(readyHosts(2)));
    const before = phaseAt(60, 840);

    const phase = await checkHostsReady({ execution: EXECUTION, tier: provisionTier([1, 1]), phase: before });

    expect(phase).toMatchObject({ done: false, startedAt: before.startedAt, deadline: before.deadline });
    expect(phase.waitSeconds).toBe(0); // the end may be near: the check watches again at once (poll-schedule.ts)
  });

  it.each([
    ['instance', ['impaired', 'ok']],
    ['system', ['ok', 'impaired']],
  ] as const)('fails LaunchFailedError at once when a host\'s %s status check is impaired', async (_which, checks) => {
    const hosts = readyHosts(2);
    statusChecks.set(hosts[1]!.id, [...checks]);
    useFleet(hosts);

    const act = checkHostsReady({ execution: EXECUTION, tier: provisionTier([1, 1]) });

    await expect(act).rejects.toBeInstanceOf(LaunchFailedError);
    await expect(act).rejects.toThrow('tier web: web-2 (i-0a000000000000002) failed their EC2 status checks (impaired)');
  });

  it.each(['terminated', 'shutting-down', 'stopped', 'stopping'])('fails LaunchFailedError at once for a host %s on its own', async (state) => {
    const hosts = readyHosts(2);
    useFleet([hosts[0]!, { ...hosts[1]!, state }]);

    const act = checkHostsReady({ execution: EXECUTION, tier: provisionTier([1, 1]), phase: phaseAt(10, 890) });

    await expect(act).rejects.toBeInstanceOf(LaunchFailedError);
    await expect(act).rejects.toThrow(`tier web: web-2 (i-0a000000000000002) is ${state} before ever serving`);
  });

  it('fails InstanceNotManagedError at the deadline for a host that runs and passes its checks but never came Online', async () => {
    const hosts = readyHosts(3);
    ssmPing.set(hosts[2]!.id, 'ConnectionLost');
    useFleet(hosts);

    const act = checkHostsReady({ execution: EXECUTION, tier: provisionTier([2, 1]), phase: phaseAt(900, 0) });

    await expect(act).rejects.toBeInstanceOf(InstanceNotManagedError);
    await expect(act).rejects.toThrow('tier web: web-3 (i-0a000000000000003) never came online in Systems Manager within 900s');
  });

  it('fails LaunchFailedError at the deadline when fewer hosts than requested are visible', async () => {
    useFleet(readyHosts(1));

    const act = checkHostsReady({ execution: EXECUTION, tier: provisionTier([1, 1]), phase: phaseAt(900, 0) });

    await expect(act).rejects.toBeInstanceOf(LaunchFailedError);
    await expect(act).rejects.toThrow('tier web: only 1 of the 2 launched host(s) were found after 900s');
  });

  it('fails LaunchFailedError (not InstanceNotManagedError) at the deadline for a host still initializing', async () => {
    const hosts = readyHosts(2);
    statusChecks.set(hosts[0]!.id, ['initializing', 'initializing']);
    ssmPing.delete(hosts[1]!.id);
    useFleet(hosts);

    const act = checkHostsReady({ execution: EXECUTION, tier: provisionTier([1, 1]), phase: phaseAt(900, 0) });

    await expect(act).rejects.toBeInstanceOf(LaunchFailedError);
    await expect(act).rejects.toThrow('tier web: web-1 (i-0a000000000000001) still booting or checking after 900s');
  });

  it('asks DescribeInstanceStatus at most 100 IDs and DescribeInstanceInformation at most 50 IDs per call (120 hosts)', async () => {
    const hosts = readyHosts(120);
    useFleet(hosts);

    const phase = await checkHostsReady({ execution: EXECUTION, tier: provisionTier([60, 60]) });

    expect(phase.done).toBe(true);
    const statusIds = ec2Mock.commandCalls(DescribeInstanceStatusCommand).map((c) => c.args[0].input.InstanceIds ?? []);
    expect(statusIds.length).toBeGreaterThanOrEqual(2);
    for (const ids of statusIds) expect(ids.length).toBeLessThanOrEqual(100);
    expect(statusIds.flat().sort()).toEqual(hosts.map((h) => h.id).sort());
    const infoCalls = ssmMock.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input);
    expect(infoCalls.length).toBeGreaterThanOrEqual(3);
    for (const input of infoCalls) {
      expect(input.Filters?.[0]?.Values?.length).toBeLessThanOrEqual(50);
      expect(input.MaxResults).toBeLessThanOrEqual(50);
      expect(input.MaxResults).toBeGreaterThanOrEqual(5);
    }
    expect(infoCalls.flatMap((i) => i.Filters?.[0]?.Values ?? []).sort()).toEqual(hosts.map((h) => h.id).sort());
  });

  it('reads every page of DescribeInstanceInformation before calling a host unmanaged', async () => {
    const hosts = readyHosts(40);
    useFleet(hosts);
    // SSM answers 10 at a time, whatever MaxResults says.
    ssmMock.on(DescribeInstanceInformationCommand).callsFake((input: DescribeInstanceInformationCommandInput) => {
      const ids = input.Filters?.find((f) => f.Key === 'InstanceIds')?.Values ?? [];
      const from = Number(input.NextToken ?? 0);
      return {
        InstanceInformationList: ids.slice(from, from + 10).map((id) => ({ InstanceId: id, PingStatus: 'Online' as const })),
        NextToken: from + 10 < ids.length ? String(from + 10) : undefined,
      };
    });

    const phase = await checkHostsReady({ execution: EXECUTION, tier: provisionTier([20, 20]), phase: phaseAt(900, 0) });

    expect(phase.done).toBe(true);
    expect(ssmMock).toHaveReceivedCommandTimes(DescribeInstanceInformationCommand, 4);
  });
});

// ---------------------------------------------------------------------------------------
// Set Up Hosts and Check Set Up
// ---------------------------------------------------------------------------------------

const PREREQUISITE: SetupStep = {
  purpose: 'prerequisite',
  document: 'FleetFlow-InstallWebServer',
  parameters: { server: ['nginx'] },
  timeoutSeconds: 600,
  expectedSeconds: 20,
};
const PROBE: SetupStep = {
  purpose: 'probe',
  document: 'AWS-RunShellScript',
  parameters: { commands: ['curl -fsS --max-time 5 -o /dev/null http://localhost:80/health'] },
  timeoutSeconds: 60,
};

function setupInput(options: { setup?: SetupStep[]; step?: number; hosts?: HostRef[] } = {}): SetupTaskInput {
  return {
    ...batchInput({ tier: webTier({ minHealthy: 0 }), hosts: options.hosts ?? [webHost(1), webHost(2)] }),
    setup: options.setup ?? [PREREQUISITE, PROBE],
    step: options.step ?? 0,
  };
}

function setupPhase(step: number, more: boolean, phase: PhaseState): SetupPhase {
  return { ...phase, step, more };
}

/** Invocations per command ID: each host's status (missing hosts have none yet). */
function invocations(byCommand: Record<string, Array<[HostRef, CommandInvocationStatus, string?]>>): void {
  ssmMock.on(ListCommandInvocationsCommand).callsFake((input: ListCommandInvocationsCommandInput) => ({
    CommandInvocations: (byCommand[input.CommandId ?? ''] ?? []).map(([h, Status, StatusDetails]) => ({ InstanceId: h.id, Status, StatusDetails: StatusDetails ?? Status })),
  }));
}

describe('setUpHosts', () => {
  beforeEach(() => {
    let sent = 0;
    ssmMock.on(SendCommandCommand).callsFake(() => ({ Command: { CommandId: `cmd-${++sent}` } }));
  });

  it('sends the first step\'s document to the batch and says another step follows', async () => {
    const input = setupInput({ step: 0 });

    const phase = await setUpHosts(input);

    expect(phase).toMatchObject({ done: false, step: 0, more: true, commandIds: ['cmd-1'], startedAt: NOW, deadline: NOW + 600_000 });
    expect(ssmMock).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    expect(ssmMock).toHaveReceivedCommandWith(SendCommandCommand, {
      DocumentName: 'FleetFlow-InstallWebServer',
      InstanceIds: [webHost(1).id, webHost(2).id],
      Parameters: { server: ['nginx'] },
    });
  });

  it('sends the last step (the probe) with its own timeout, and says none follows', async () => {
    const phase = await setUpHosts(setupInput({ step: 1 }));

    expect(phase).toMatchObject({ done: false, step: 1, more: false, deadline: NOW + 60_000 });
    expect(ssmMock).toHaveReceivedCommandWith(SendCommandCommand, { DocumentName: 'AWS-RunShellScript', Parameters: PROBE.parameters });
  });

  it('sends at most 50 instance IDs per SendCommand (120 hosts: 3 commands)', async () => {
    const hosts = Array.from({ length: 120 }, (_, i) => webHost(i + 1));

    const phase = await setUpHosts(setupInput({ hosts }));

    const sent = ssmMock.commandCalls(SendCommandCommand).map((c) => c.args[0].input.InstanceIds ?? []);
    expect(sent).toHaveLength(3);
    for (const ids of sent) expect(ids.length).toBeLessThanOrEqual(50);
    expect(sent.flat()).toEqual(hosts.map((h) => h.id));
    expect(phase.commandIds).toEqual(['cmd-1', 'cmd-2', 'cmd-3']);
  });

  it('is done at once, sending nothing, when the tier has no setup', async () => {
    const phase = await setUpHosts(setupInput({ setup: [] }));

    expect(phase).toMatchObject({ done: true, waitSeconds: 0, step: 0, more: false });
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });

  it.each([
    [0, PrerequisiteFailedError, 'prerequisite FleetFlow-InstallWebServer'],
    [1, DependencyCheckFailedError, 'the probe of the health check path'],
  ] as const)('turns SSM refusing step %i (InvalidInstanceId) into its named error', async (step, errorClass, what) => {
    ssmMock
      .on(SendCommandCommand)
      .rejects(new InvalidInstanceId({ message: `Instances [[${webHost(2).id}]] not in a valid state for account 111122223333`, $metadata: {} }));

    const act = setUpHosts(setupInput({ step }));

    await expect(act).rejects.toBeInstanceOf(errorClass);
    await expect(act).rejects.toThrow(`tier web: SSM refused the ${what}: web-2 (i-0a000000000000002) is not valid for Run Command`);
  });

  it('lets any other SSM error through as it is (the task retries it)', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ssmMock.on(SendCommandCommand).rejects(throttled);

    const err = await setUpHosts(setupInput()).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(err?.name).toBe('ThrottlingException');
    expect(err).not.toBeInstanceOf(PrerequisiteFailedError);
  });
});

describe('checkSetUp', () => {
  const [web1, web2] = [webHost(1), webHost(2)];

  it('is done when every host of the batch succeeded, keeping the step and whether more follow', async () => {
    invocations({ 'cmd-1': [[web1, 'Success'], [web2, 'Success']] });

    const phase = await checkSetUp({ ...setupInput(), phase: setupPhase(0, true, phaseAt(30, 570, ['cmd-1'])) });

    expect(phase).toMatchObject({ done: true, step: 0, more: true, tookSeconds: 30 });
    expect(ssmMock).not.toHaveReceivedCommand(CancelCommandCommand);
  });

  it('keeps polling before the deadline while a host is still running the step (or has no invocation yet)', async () => {
    invocations({ 'cmd-1': [[web1, 'Success']], 'cmd-2': [] });
    const hosts = [web1, web2, webHost(3)];
    // Two commands: ListCommands tells their state; cmd-2 still runs with no error counted.
    ssmMock.on(ListCommandsCommand).resolves({
      Commands: [
        { CommandId: 'cmd-1', Status: 'Success', InstanceIds: [web1.id] },
        { CommandId: 'cmd-2', Status: 'InProgress', InstanceIds: [web2.id, hosts[2]!.id], ErrorCount: 0, DeliveryTimedOutCount: 0 },
      ],
    });

    const phase = await checkSetUp({ ...setupInput({ hosts }), phase: setupPhase(1, false, phaseAt(30, 30, ['cmd-1', 'cmd-2'])) });

    expect(phase).toMatchObject({ done: false, step: 1, more: false });
    expect(phase.waitSeconds).toBe(0); // the end may be near: the check watches again at once (poll-schedule.ts)
    expect(ssmMock).not.toHaveReceivedCommand(CancelCommandCommand);
  });

  it('fails PrerequisiteFailedError naming the host whose prerequisite failed, and only it', async () => {
    invocations({ 'cmd-1': [[web1, 'Success'], [web2, 'Failed']] });

    const act = checkSetUp({ ...setupInput(), phase: setupPhase(0, true, phaseAt(30, 570, ['cmd-1'])) });

    await expect(act).rejects.toBeInstanceOf(PrerequisiteFailedError);
    await expect(act).rejects.toThrow('tier web: prerequisite FleetFlow-InstallWebServer failed on web-2 (i-0a000000000000002): Failed');
    await expect(act).rejects.not.toThrow(/web-1/);
  });

  it('fails DependencyCheckFailedError when the probe of the health check path fails', async () => {
    invocations({ 'cmd-9': [[web1, 'Failed'], [web2, 'Success']] });

    const act = checkSetUp({ ...setupInput({ step: 1 }), phase: setupPhase(1, false, phaseAt(10, 50, ['cmd-9'])) });

    await expect(act).rejects.toBeInstanceOf(DependencyCheckFailedError);
    await expect(act).rejects.toThrow('tier web: the probe of the health check path failed on web-1 (i-0a000000000000001): Failed');
  });

  it('counts an undeliverable invocation as failed', async () => {
    invocations({ 'cmd-1': [[web1, 'Success'], [web2, 'InProgress', 'Undeliverable']] });

    const act = checkSetUp({ ...setupInput(), phase: setupPhase(0, true, phaseAt(30, 570, ['cmd-1'])) });

    await expect(act).rejects.toThrow('failed on web-2 (i-0a000000000000002): Undeliverable');
  });

  it.each([
    [0, PrerequisiteFailedError, 'prerequisite FleetFlow-InstallWebServer did not finish within 600s'],
    [1, DependencyCheckFailedError, 'the probe of the health check path did not finish within 60s'],
  ] as const)('past the deadline of step %i: cancels its commands and fails naming the late hosts', async (step, errorClass, text) => {
    const hosts = [web1, web2, webHost(3)];
    invocations({ 'cmd-a': [[web1, 'Success'], [web2, 'InProgress']], 'cmd-b': [[hosts[2]!, 'Pending']] });

    const act = checkSetUp({ ...setupInput({ hosts, step }), phase: setupPhase(step, step === 0, phaseAt(600, 0, ['cmd-a', 'cmd-b'])) });

    await expect(act).rejects.toBeInstanceOf(errorClass);
    await expect(act).rejects.toThrow(`tier web: ${text} on web-2 (i-0a000000000000002), web-3 (i-0a000000000000003)`);
    await expect(act).rejects.not.toThrow(/web-1/);
    expect(ssmMock).toHaveReceivedCommandWith(CancelCommandCommand, { CommandId: 'cmd-a' });
    expect(ssmMock).toHaveReceivedCommandWith(CancelCommandCommand, { CommandId: 'cmd-b' });
  });

  it('is done at once, asking nothing, when the tier has no setup', async () => {
    const phase = await checkSetUp({ ...setupInput({ setup: [] }), phase: setupPhase(0, false, phaseAt(0, 1)) });

    expect(phase.done).toBe(true);
    expectNoAwsCall();
  });
});

// ---------------------------------------------------------------------------------------
// Retire Hosts and Check Retired
// ---------------------------------------------------------------------------------------

function retireInput(hosts: HostRef[], retire?: 'stop' | 'terminate', reason = 'replaced') {
  return { ...batchInput({ tier: webTier(retire ? { retire } : {}), hosts }), execution: 'replace-1', reason };
}

describe('retireHosts', () => {
  it('tags who retired the hosts, when and why before stopping them', async () => {
    useFleet([host(1, 'running'), host(2, 'running')]);

    const phase = await retireHosts(retireInput([webHost(1), webHost(2)]));

    const [web1, web2] = [webHost(1).id, webHost(2).id];
    expect(callLog).toEqual([`CreateTags ${web1},${web2}`, `StopInstances ${web1},${web2}`]);
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [web1, web2],
      Tags: [
        { Key: RETIRED_BY_TAG, Value: 'replace-1' },
        { Key: RETIRED_AT_TAG, Value: new Date(NOW).toISOString() },
        { Key: RETIRED_REASON_TAG, Value: 'replaced' },
      ],
    });
    expect(ec2Mock).not.toHaveReceivedCommand(TerminateInstancesCommand);
    expect(phase).toMatchObject({ done: false, startedAt: NOW, deadline: NOW + 600_000 });
  });

  it('stops only the hosts not already stopping, stopped or gone (safe to retry)', async () => {
    useFleet([host(1, 'running'), host(2, 'stopping'), host(3, 'stopped'), host(4, 'terminated'), host(5, 'shutting-down'), host(6, 'running')]);
    const hosts = [1, 2, 3, 4, 5, 6].map((n) => webHost(n));

    await retireHosts(retireInput(hosts));

    expect(ec2Mock).toHaveReceivedCommandTimes(StopInstancesCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(StopInstancesCommand, { InstanceIds: [webHost(1).id, webHost(6).id] });
  });

  it('asks nothing to stop when every host is already stopped', async () => {
    useFleet([host(1, 'stopped'), host(2, 'stopping')]);

    await retireHosts(retireInput([webHost(1), webHost(2)]));

    expect(ec2Mock).not.toHaveReceivedCommand(StopInstancesCommand);
  });

  it('terminates, after tagging, when the tier retires by terminating; stopped hosts too, gone ones not', async () => {
    useFleet([host(1, 'running'), host(2, 'stopped'), host(3, 'shutting-down'), host(4, 'terminated')]);
    const hosts = [1, 2, 3, 4].map((n) => webHost(n));

    await retireHosts(retireInput(hosts, 'terminate'));

    expect(sentNames(ec2Mock).filter((n) => !n.startsWith('Describe'))).toEqual(['CreateTagsCommand', 'TerminateInstancesCommand']);
    expect(ec2Mock).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: [webHost(1).id, webHost(2).id] });
    expect(ec2Mock).not.toHaveReceivedCommand(StopInstancesCommand);
  });

  it.each([
    ['stop', 'stopped', 'disableApiStop', 'stop protection', '--no-disable-api-stop'],
    ['terminate', 'terminated', 'disableApiTermination', 'termination protection', '--no-disable-api-termination'],
  ] as const)('names a %s EC2 refuses for a protection set after the plan as RetireFailedError: the host and the attribute', async (policy, done, attribute, protection, off) => {
    useFleet([host(1, 'running'), host(2, 'running')]);
    const web2 = webHost(2).id;
    // EC2's answer (EC2 User Guide, Enable stop protection / Troubleshoot instance termination).
    const refused = Object.assign(new Error(`The instance '${web2}' may not be ${done}. Modify its '${attribute}' instance attribute and try again.`), { name: 'OperationNotPermitted' });
    ec2Mock.on(policy === 'stop' ? StopInstancesCommand : TerminateInstancesCommand).rejects(refused);

    const act = retireHosts(retireInput([webHost(1), webHost(2)], policy));

    await expect(act).rejects.toBeInstanceOf(RetireFailedError);
    await expect(act).rejects.toThrow(
      `tier web: EC2 refused to ${policy} web-2 (${web2}) (OperationNotPermitted): its ${attribute} attribute (${protection}) is on, set after the plan; ` +
        `turn it off (aws ec2 modify-instance-attribute --instance-id ${web2} ${off}) before running again`,
    );
  });

  it('lets any other EC2 failure through as it is', async () => {
    useFleet([host(1, 'running')]);
    ec2Mock.on(StopInstancesCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded' }));

    await expect(retireHosts(retireInput([webHost(1)]))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });

  it('cuts a long reason to the 255 characters a tag value holds', async () => {
    useFleet([host(1, 'running')]);

    await retireHosts(retireInput([webHost(1)], 'stop', 'r'.repeat(300)));

    const tags = ec2Mock.commandCalls(CreateTagsCommand)[0]!.args[0].input.Tags!;
    expect(tags.find((t) => t.Key === RETIRED_REASON_TAG)?.Value).toBe('r'.repeat(255));
  });
});

describe('checkRetired', () => {
  const batch = [webHost(1), webHost(2)];

  it('is done when every host is stopped or terminated (retire: stop)', async () => {
    useFleet([host(1, 'stopped'), host(2, 'terminated')]);

    const phase = await checkRetired({ ...batchInput({ hosts: batch, phase: phaseAt(40, 560) }) });

    expect(phase).toMatchObject({ done: true, tookSeconds: 40 });
  });

  it('keeps polling while a host is still stopping', async () => {
    useFleet([host(1, 'stopped'), host(2, 'stopping')]);

    const phase = await checkRetired({ ...batchInput({ hosts: batch, phase: phaseAt(40, 560) }) });

    expect(phase.done).toBe(false);
    expect(phase.waitSeconds).toBe(0); // the end may be near: the check watches again at once (poll-schedule.ts)
  });

  it('keeps polling a stopped host when the tier retires by terminating', async () => {
    useFleet([host(1, 'terminated'), host(2, 'stopped')]);

    const phase = await checkRetired({ ...batchInput({ tier: webTier({ retire: 'terminate' }), hosts: batch, phase: phaseAt(40, 560) }) });

    expect(phase.done).toBe(false);
  });

  it('fails RetireFailedError at the deadline, naming the hosts not yet stopped', async () => {
    useFleet([host(1, 'stopped'), host(2, 'stopping')]);

    const act = checkRetired({ ...batchInput({ hosts: batch, phase: phaseAt(600, 0) }) });

    await expect(act).rejects.toBeInstanceOf(RetireFailedError);
    await expect(act).rejects.toThrow('tier web: web-2 (i-0a000000000000002) not stopped or terminated 600s after being asked; they are out of traffic');
  });
});

// ---------------------------------------------------------------------------------------
// Terminate Launched and Terminate Surged
// ---------------------------------------------------------------------------------------

const MIDDLE_TG_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/canonical-middle/00000000000000aa';

function cleanUp(options: { scope?: string; phase?: PhaseState } = {}): CleanUpInput {
  return {
    execution: EXECUTION,
    plan: {
      tiers: [
        { spec: webTier({ hostTags: WEB_TAGS, traffic: { kind: 'target-group', targetGroupArns: [WEB_TG_ARN, WEB_ADMIN_TG_ARN] } }) },
        { spec: webTier({ name: 'middle', hostTags: MIDDLE_TAGS, traffic: { kind: 'target-group', targetGroupArns: [MIDDLE_TG_ARN] } }) },
        { spec: webTier({ name: 'monitoring', hostTags: { 'fleetflow:tier': 'monitoring' }, traffic: { kind: 'none' } }) },
      ],
    },
    ...options,
  };
}

describe('terminateLaunched', () => {
  const middle = (n: number, state: string) => ({ ...host(n, state, { ...MIDDLE_TAGS, [LAUNCHED_BY_TAG]: EXECUTION }), name: `middle-${n}` });

  it('finds the hosts by the execution\'s launched-by tag, deregisters each from its tier\'s groups, tags why, then terminates', async () => {
    const w = launched(1);
    const m = middle(2, 'running');
    // Not launched by this execution: never touched.
    const other = launched(3, 'running', 'exec-other');
    useFleet([w, m, other]);

    const phase = await terminateLaunched(cleanUp());

    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, { Filters: [{ Name: `tag:${LAUNCHED_BY_TAG}`, Values: [EXECUTION] }] });
    expect(callLog).toEqual([
      `DeregisterTargets ${WEB_TG_ARN} ${w.id}`,
      `DeregisterTargets ${WEB_ADMIN_TG_ARN} ${w.id}`,
      `DeregisterTargets ${MIDDLE_TG_ARN} ${m.id}`,
      // Hosts in name order: middle-2, web-1.
      `CreateTags ${m.id},${w.id}`,
      `TerminateInstances ${m.id},${w.id}`,
    ]);
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
      Tags: expect.arrayContaining([
        { Key: RETIRED_BY_TAG, Value: EXECUTION },
        { Key: RETIRED_REASON_TAG, Value: 'the execution that launched it failed' },
      ]),
    });
    expect(phase).toMatchObject({ done: false, launched: 2, terminated: 0 });
  });

  it('with a scope, looks only at what was launched under it', async () => {
    const inScope = launched(1, 'running', EXECUTION, { [LAUNCH_SCOPE_TAG]: 'web#2' });
    const outOfScope = launched(2, 'running', EXECUTION, { [LAUNCH_SCOPE_TAG]: 'web#1' });
    useFleet([inScope, outOfScope]);

    await terminateLaunched(cleanUp({ scope: 'web#2' }));

    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: `tag:${LAUNCHED_BY_TAG}`, Values: [EXECUTION] },
        { Name: `tag:${LAUNCH_SCOPE_TAG}`, Values: ['web#2'] },
      ],
    });
    expect(ec2Mock).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: [inScope.id] });
  });

  it('never asks to terminate (or deregister) hosts already terminated or shutting down, and is not done until all are terminated', async () => {
    const [running, shutting, gone] = [launched(1), launched(2, 'shutting-down'), launched(3, 'terminated')];
    useFleet([running, shutting, gone]);

    const phase = await terminateLaunched(cleanUp({ phase: phaseAt(30, 870) }));

    expect(ec2Mock).toHaveReceivedCommandTimes(TerminateInstancesCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: [running.id] });
    expect(callLog.filter((c) => c.startsWith('DeregisterTargets')).every((c) => c.endsWith(` ${running.id}`))).toBe(true);
    expect(phase).toMatchObject({ done: false, launched: 3, terminated: 1 });
  });

  it('is done, calling nothing but DescribeInstances, once every launched host is terminated', async () => {
    useFleet([launched(1, 'terminated'), launched(2, 'terminated')]);

    const phase = await terminateLaunched(cleanUp({ phase: phaseAt(30, 870) }));

    expect(phase).toMatchObject({ done: true, launched: 2, terminated: 2 });
    expect(sentNames(ec2Mock)).toEqual(['DescribeInstancesCommand']);
    expect(elbMock).not.toHaveReceivedAnyCommand();
  });

  it('is done at once when the execution launched nothing', async () => {
    useFleet([launched(1, 'running', 'exec-other')]);

    const phase = await terminateLaunched(cleanUp());

    expect(phase).toMatchObject({ done: true, launched: 0, terminated: 0 });
    expect(ec2Mock).not.toHaveReceivedCommand(TerminateInstancesCommand);
  });
});

describe('terminateSurged', () => {
  it('terminates only the hosts this execution retired for a surge, and not those already gone', async () => {
    const retiredBy = (execution: string, reason: string) => ({ [RETIRED_BY_TAG]: execution, [RETIRED_REASON_TAG]: reason });
    useFleet([
      host(1, 'stopped', retiredBy('deploy-2', SURGE_REASON)),
      host(2, 'stopped', retiredBy('deploy-2', SURGE_REASON)),
      host(3, 'stopped', retiredBy('deploy-2', 'replaced')),
      host(4, 'stopped', retiredBy('deploy-1', SURGE_REASON)),
      host(5, 'terminated', retiredBy('deploy-2', SURGE_REASON)),
      host(6, 'running'),
    ]);

    const result = await terminateSurged('deploy-2');

    expect(result).toEqual({ terminated: 2 });
    expect(ec2Mock).toHaveReceivedCommandTimes(TerminateInstancesCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: [webHost(1).id, webHost(2).id] });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstancesCommand, {
      Filters: [
        { Name: `tag:${RETIRED_BY_TAG}`, Values: ['deploy-2'] },
        { Name: `tag:${RETIRED_REASON_TAG}`, Values: [SURGE_REASON] },
      ],
    });
  });

  it('terminates nothing when the execution retired nothing', async () => {
    useFleet([host(1, 'running')]);

    const result = await terminateSurged('deploy-2');

    expect(result).toEqual({ terminated: 0 });
    expect(ec2Mock).not.toHaveReceivedCommand(TerminateInstancesCommand);
  });

  it('given the surge tiers, also terminates the old hosts an earlier, stopped execution\'s surge left stopped, but none that runs again, and none of another environment', async () => {
    const retiredBy = (execution: string, tags: Record<string, string> = WEB_TAGS) => ({ ...tags, [RETIRED_BY_TAG]: execution, [RETIRED_REASON_TAG]: SURGE_REASON });
    const otherEnvironment = { ...WEB_TAGS, 'fleetflow:environment': 'staging' };
    useFleet([
      host(1, 'stopped', retiredBy('deploy-2')),
      // deploy-1 was stopped (StopExecution) after its surge had stopped web-2 (and web-5, still stopping): nothing else would ever terminate them.
      host(2, 'stopped', retiredBy('deploy-1')),
      host(5, 'stopping', retiredBy('deploy-1')),
      // web-3 was stopped by deploy-1 and started again by a person: it may serve, so it stays.
      host(3, 'running', retiredBy('deploy-1')),
      // Another environment's deploy, with the same execution name: not this environment's host.
      host(4, 'stopped', retiredBy('deploy-1', otherEnvironment)),
      // A replacement's kept host: not a surge's.
      host(6, 'stopped', { ...WEB_TAGS, [RETIRED_BY_TAG]: 'replace-1', [RETIRED_REASON_TAG]: 'replaced' }),
    ]);

    const result = await terminateSurged('deploy-2', [{ name: 'web', hostTags: WEB_TAGS }]);

    expect(result).toEqual({ terminated: 3 });
    expect(ec2Mock).toHaveReceivedCommandTimes(TerminateInstancesCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: [webHost(1).id, webHost(2).id, webHost(5).id] });
  });

  it('given the surge tiers, also tags and terminates the new hosts an earlier execution\'s surge launched and never set up, and no host that got its release', async () => {
    const surgeLaunched = (execution: string, extra: Record<string, string> = {}) => ({ ...WEB_TAGS, [LAUNCHED_BY_TAG]: execution, [LAUNCH_SCOPE_TAG]: 'surge#web#1', ...extra });
    useFleet([
      // deploy-1 was stopped while web-3's install was sent: no release, so never registered, never served.
      host(3, 'running', surgeLaunched('deploy-1', { 'fleetflow:installing': '1.1.0' })),
      // web-4: the same surge's host that got its release and serves: kept.
      host(4, 'running', surgeLaunched('deploy-1', { [RELEASE_TAG]: '1.1.0' })),
      // web-5: this execution's own new host (its rollback, not this, would remove it).
      host(5, 'running', surgeLaunched('deploy-2')),
      // web-6: a compute run's never-set-up host: that workflow's leftover (Terminate Leftovers), not a surge's.
      host(6, 'running', { ...WEB_TAGS, [LAUNCHED_BY_TAG]: 'scale-out-1', [LAUNCH_SCOPE_TAG]: 'web#0' }),
    ]);

    const result = await terminateSurged('deploy-2', [{ name: 'web', hostTags: WEB_TAGS }]);

    expect(result).toEqual({ terminated: 1 });
    // Tagged first (why, and by whom), so a person reading the instance knows; then terminated.
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
      Resources: [webHost(3).id],
      Tags: expect.arrayContaining([{ Key: RETIRED_BY_TAG, Value: 'deploy-2' }, { Key: RETIRED_REASON_TAG, Value: LEFTOVER_REASON }]),
    });
    expect(ec2Mock).toHaveReceivedCommandTimes(TerminateInstancesCommand, 1);
    expect(ec2Mock).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: [webHost(3).id] });
  });
});

// ---------------------------------------------------------------------------------------
// Plan Replacement
// ---------------------------------------------------------------------------------------

const tgArn = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/${name}/0123456789abcdef`;

/** Target health per instance ID in each group (canonical-web, canonical-middle). */
let targetHealth: Record<string, Record<string, TargetHealthStateEnum>> = {};

/** A host of a canonical tier, on release 1.0.0. */
function tierHost(tier: 'web' | 'middle', n: number, state = 'running', extra: Record<string, string> = {}): FakeHost {
  const ref = webHost(tier === 'web' ? n : 100 + n);
  return { id: ref.id, name: `${tier}-${n}`, state, subnetId: n % 2 === 1 ? SUBNET_A : SUBNET_B, tags: { ...(tier === 'web' ? WEB_TAGS : MIDDLE_TAGS), [RELEASE_TAG]: '1.0.0', ...extra } };
}

function useAccount(hosts: FakeHost[], health: Record<string, Record<string, TargetHealthStateEnum>> = {}): void {
  useFleet(hosts);
  targetHealth = health;
  process.env.PLAN_TABLE = 'plan-table';
  elbMock.on(DescribeTargetGroupsCommand).callsFake((input: DescribeTargetGroupsCommandInput) => ({
    TargetGroups: (input.Names ?? []).map((name) => ({
      TargetGroupName: name,
      TargetGroupArn: tgArn(name),
      Port: name === 'canonical-middle' ? 8080 : 80,
      HealthCheckPort: 'traffic-port',
      HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 3,
      LoadBalancerArns: [lbArnFor(tgArn(name))],
    })),
  }));
  // ELB's default delay: the retire batches' drain (lambdas/compute/retire-traffic.ts).
  elbMock.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }] });
  // Listeners and security groups that let the planners' network checks pass.
  mockWorkingNetwork(elbMock, ec2Mock);
  elbMock.on(DescribeTargetHealthCommand).callsFake((input: DescribeTargetHealthCommandInput) => {
    const group = Object.keys(targetHealth).find((name) => tgArn(name) === input.TargetGroupArn);
    const members = Object.entries(group ? targetHealth[group]! : {});
    const asked = input.Targets ? members.filter(([id]) => input.Targets!.some((t) => t.Id === id)) : members;
    return { TargetHealthDescriptions: asked.map(([Id, State]) => ({ Target: { Id, Port: 80 }, TargetHealth: { State } })) };
  });
  ssmMock.on(GetParameterCommand).resolves({ Parameter: { Name: '/fleetflow/canonical/application/current', Type: 'String', Value: '1.0.0' } });
  dynamoMock.on(BatchWriteItemCommand).resolves({ UnprocessedItems: {} });
}

/** The hosts Plan Replacement wrote to the plan table to be retired, by name. */
function retiredInPlan(): string[] {
  return dynamoMock
    .commandCalls(BatchWriteItemCommand)
    .flatMap((c) => (c.args[0].input.RequestItems?.['plan-table'] ?? []) as WriteRequest[])
    .flatMap((w) => JSON.parse(w.PutRequest!.Item!.hosts!.S!) as HostRef[])
    .map((h) => h.name);
}

const replace = (input: unknown) => planReplacement({ environment: canonical, input, execution: 'replace-1' });

describe('planReplacement: hosts EC2 would not retire, or an Auto Scaling group would bring back', () => {
  const healthy = (hosts: FakeHost[]) => ({ 'canonical-web': Object.fromEntries(hosts.map((h) => [h.id, 'healthy' as const])) });

  it('refuses a host with stop protection when the tier stops what it replaces, before launching or writing anything', async () => {
    const hosts = [tierHost('web', 1), tierHost('web', 2)];
    useAccount(hosts, healthy(hosts));
    protections.set(hosts[0]!.id, new Set(['disableApiStop']));

    const act = replace({ targets: ['web-1', 'web-2'] });

    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(
      `tier web: web-1 (${hosts[0]!.id}) has stop protection (DisableApiStop): its retire policy stops the hosts a replacement removes, and EC2 would refuse (OperationNotPermitted) once they were drained; ` +
        `turn it off first (aws ec2 modify-instance-attribute --instance-id ${hosts[0]!.id} --no-disable-api-stop, one attribute per call) or leave it out; nothing was changed`,
    );
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
    // One attribute per call, for the targets only: web (retire stop) reads disableApiStop of each.
    expect(ec2Mock.commandCalls(DescribeInstanceAttributeCommand).map((c) => c.args[0].input)).toEqual(
      expect.arrayContaining([{ InstanceId: hosts[0]!.id, Attribute: 'disableApiStop' }, { InstanceId: hosts[1]!.id, Attribute: 'disableApiStop' }]),
    );
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstanceAttributeCommand, 2);
  });

  it('ignores termination protection on a tier that stops, and stop protection on a host already stopped', async () => {
    const hosts = [tierHost('web', 1), tierHost('web', 2, 'stopped')];
    useAccount(hosts, healthy(hosts));
    protections.set(hosts[0]!.id, new Set(['disableApiTermination']));
    protections.set(hosts[1]!.id, new Set(['disableApiStop']));

    await expect(replace({ targets: ['web-1', 'web-2'] })).resolves.toMatchObject({ launchCount: 2 });
    // Retire Hosts sends no stop to a stopped host (retiring.ts): its protection is not read.
    expect(ec2Mock).toHaveReceivedCommandTimes(DescribeInstanceAttributeCommand, 1);
  });

  it('refuses a member of an Auto Scaling group, naming the group, without reading any attribute', async () => {
    const hosts = [tierHost('web', 1, 'running', { 'aws:autoscaling:groupName': 'web-asg' }), tierHost('web', 2)];
    useAccount(hosts, healthy(hosts));

    const act = replace({ targets: ['web-1'] });

    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(`tier web: web-1 (${hosts[0]!.id}) belongs to Auto Scaling group web-asg (tag aws:autoscaling:groupName), which would replace a member a replacement stops`);
    expect(ec2Mock).not.toHaveReceivedCommand(DescribeInstanceAttributeCommand);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });
});

describe('planReplacement: which hosts are replaced', () => {
  it('replaces a named host in its own subnet, never retiring below what was in service', async () => {
    const hosts = [tierHost('web', 1), tierHost('web', 2)];
    useAccount(hosts, { 'canonical-web': { [hosts[0]!.id]: 'healthy', [hosts[1]!.id]: 'healthy' } });

    const plan = await replace({ targets: ['web-1'] });

    expect(retiredInPlan()).toEqual(['web-1']);
    expect(plan.tiers.map((t) => ({ name: t.spec.name, hostCount: t.spec.hostCount, perSubnet: t.perSubnet, release: t.release }))).toEqual([
      { name: 'web', hostCount: 1, perSubnet: [1, 0], release: '1.0.0' },
    ]);
    expect(plan.retire).toMatchObject({ hostCount: 1, first: false });
    expect(plan.retire!.tiers[0]!.spec).toMatchObject({ name: 'web', minHealthy: 2, retire: 'stop' });
    // The replaced host drains as a release's does: the host-side check on the group's port, the first look at the delay.
    expect(plan.retire!.tiers[0]!.spec).toMatchObject({
      traffic: { kind: 'target-group', targetGroupArns: [tgArn('canonical-web')], ports: [80], deregistrationDelaySeconds: 300 },
      drainCheck: { document: 'FleetFlow-CheckConnectionsDrained' },
    });
  });

  it('refuses a deregistration delay the drain timeout cannot cover before writing any plan (the replacements would launch, then the retire time out)', async () => {
    const hosts = [tierHost('web', 1), tierHost('web', 2)];
    useAccount(hosts, { 'canonical-web': { [hosts[0]!.id]: 'healthy', [hosts[1]!.id]: 'healthy' } });
    elbMock.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '400' }] });

    const act = replace({ targets: ['web-1'] });

    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(/drain\.timeoutSeconds 360 cannot cover the deregistration delay of target group canonical-web, 400s/);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('refuses a name that matches two hosts, naming both, before writing any plan', async () => {
    const twin = { ...tierHost('middle', 1), name: 'web-1' };
    useAccount([tierHost('web', 1), twin]);

    const act = replace({ targets: ['web-1'] });

    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(`targets: "web-1" names 2 hosts (web-1 (${twin.id}), web-1 (${webHost(1).id}))`);
    await expect(act).rejects.toThrow(/name them by instance ID; nothing was changed$/);
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('accepts the instance ID of one of two hosts with the same name', async () => {
    const twin = { ...tierHost('middle', 1), name: 'web-1' };
    useAccount([tierHost('web', 1), twin], { 'canonical-middle': { [twin.id]: 'healthy' } });

    const plan = await replace({ targets: [twin.id] });

    expect(plan.tiers.map((t) => t.spec.name)).toEqual(['middle']);
    expect(retiredInPlan()).toEqual(['web-1']);
  });

  it('replaces a host named twice (by name and by instance ID) once', async () => {
    const hosts = [tierHost('web', 1), tierHost('web', 2)];
    useAccount(hosts, { 'canonical-web': { [hosts[0]!.id]: 'healthy', [hosts[1]!.id]: 'healthy' } });

    const plan = await replace({ targets: ['web-1', hosts[0]!.id, 'web-1'] });

    expect(retiredInPlan()).toEqual(['web-1']);
    expect(plan.launchCount).toBe(1);
  });

  it('refuses unknown names with InventoryError, listing at most 5 of them', async () => {
    useAccount([tierHost('web', 1), tierHost('web', 2)]);
    const unknown = Array.from({ length: 7 }, (_, i) => `ghost-${i + 1}`);

    const err = await replace({ targets: ['web-1', ...unknown] }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    expect(err).toBeInstanceOf(InventoryError);
    expect(err!.message).toBe(
      'targets: no running or stopped host of this environment is named "ghost-1", "ghost-2", "ghost-3", "ghost-4", "ghost-5" and 2 more; nothing was changed',
    );
    expect(dynamoMock).not.toHaveReceivedAnyCommand();
  });

  it('does not take a host an earlier replacement retired (fleetflow:retired-by) as a target', async () => {
    useAccount([tierHost('web', 1, 'stopped', { [RETIRED_BY_TAG]: 'replace-0' }), tierHost('web', 2)]);

    const act = replace({ targets: ['web-1'] });

    await expect(act).rejects.toBeInstanceOf(InventoryError);
    await expect(act).rejects.toThrow('is named "web-1"; nothing was changed');
  });

  it('takes the live host, not the retired one of the same name', async () => {
    const retired = tierHost('web', 1, 'stopped', { [RETIRED_BY_TAG]: 'replace-0' });
    const live = { ...tierHost('web', 3), name: 'web-1' };
    useAccount([retired, live], { 'canonical-web': { [live.id]: 'healthy' } });

    await replace({ targets: ['web-1'] });

    const written = dynamoMock
      .commandCalls(BatchWriteItemCommand)
      .flatMap((c) => (c.args[0].input.RequestItems?.['plan-table'] ?? []) as WriteRequest[])
      .flatMap((w) => JSON.parse(w.PutRequest!.Item!.hosts!.S!) as HostRef[]);
    expect(written.map((h) => h.id)).toEqual([live.id]);
  });

  it('"unhealthy" picks hosts a target group reports unhealthy, whose status checks are impaired, or that are stopped', async () => {
    const web = [1, 2, 3, 4, 5, 6, 7].map((n) => tierHost('web', n, n === 4 ? 'stopped' : 'running'));
    // web-8 is stopped too, but an earlier replacement retired it: no longer part of the tier.
    const retired = tierHost('web', 8, 'stopped', { [RETIRED_BY_TAG]: 'replace-0' });
    const middle1 = tierHost('middle', 1);
    useAccount([...web, retired, middle1], {
      'canonical-web': {
        [web[0]!.id]: 'healthy',
        [web[1]!.id]: 'unhealthy',
        [web[2]!.id]: 'healthy',
        [web[4]!.id]: 'healthy',
        [web[5]!.id]: 'initial',
        [web[6]!.id]: 'draining',
      },
      'canonical-middle': { [middle1.id]: 'unhealthy' },
    });
    for (const h of web) statusChecks.set(h.id, ['ok', 'ok']);
    statusChecks.set(web[2]!.id, ['impaired', 'ok']);
    statusChecks.set(web[4]!.id, ['ok', 'impaired']);

    const plan = await replace({ targets: 'unhealthy', tier: 'web' });

    expect(retiredInPlan()).toEqual(['web-2', 'web-3', 'web-4', 'web-5']);
    expect(plan.tiers.map((t) => [t.spec.name, t.spec.hostCount])).toEqual([['web', 4]]);
    expect(plan.retire?.hostCount).toBe(4);
    expect(plan.nothingToDo).toBeUndefined();
  });

  it('"unhealthy" over every host tier plans nothing when every host is well', async () => {
    const hosts = [tierHost('web', 1), tierHost('middle', 1)];
    useAccount(hosts, { 'canonical-web': { [hosts[0]!.id]: 'healthy' }, 'canonical-middle': { [hosts[1]!.id]: 'healthy' } });
    for (const h of hosts) statusChecks.set(h.id, ['ok', 'ok']);

    const plan = await replace({ targets: 'unhealthy' });

    expect(plan.launchCount).toBe(0);
    expect(plan.tiers).toEqual([]);
    expect(retiredInPlan()).toEqual([]);
    expect(plan.nothingToDo).toBe('no unhealthy host: nothing replaced');
  });

  it('in disaster-recovery mode retires first and keeps no minimum in service', async () => {
    const hosts = [tierHost('web', 1), tierHost('web', 2)];
    useAccount(hosts, { 'canonical-web': { [hosts[0]!.id]: 'healthy', [hosts[1]!.id]: 'healthy' } });

    const plan = await replace({ targets: ['web-1', 'web-2'], mode: 'disaster-recovery' });

    expect(plan.retire).toMatchObject({ first: true, hostCount: 2 });
    expect(plan.retire!.tiers[0]).toMatchObject({ reason: 'disaster-recovery', spec: { minHealthy: 0 } });
  });
});

// ---------------------------------------------------------------------------------------
// Plan Allocation
// ---------------------------------------------------------------------------------------

describe('balance', () => {
  it.each([
    // [missing, wanted, existing per subnet, launched per subnet]
    [3, 3, [0, 0], [2, 1], 'an odd count: the first subnet takes the remainder'],
    [0, 4, [2, 2], [0, 0], 'nothing missing'],
    [3, 5, [2], [3], 'a single subnet'],
    [2, 4, [0, 0], [1, 1], 'the existing hosts are outside the tier\'s subnets'],
    [1, 6, [5, 0, 0], [0, 0, 1], 'one subnet far over its share'],
    [4, 6, [0, 2, 0], [2, 0, 2], 'the other subnets filled up to their share'],
    [5, 5, [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 0], 'more subnets than hosts'],
  ] as const)('balance(%i, %i, %j) = %j: %s', (missing, wanted, existing, expected, _case) => {
    const launch = balance(missing, wanted, existing);

    expect(launch).toEqual(expected);
    expect(launch.reduce((a, b) => a + b, 0)).toBe(missing);
    expect(launch.every((n) => n >= 0)).toBe(true);
  });
});

describe('planAllocation: tier counts', () => {
  /** The canonical environment with the middle tier (the first host tier) declaring no count. */
  const withoutMiddleCount = () => {
    const env = structuredClone(canonical) as { tiers: Array<{ name: string; count?: number }> };
    delete env.tiers.find((t) => t.name === 'middle')!.count;
    return env;
  };

  it('refuses a tier that declares no count when the input gives none, before any AWS call', async () => {
    const act = planAllocation({ environment: withoutMiddleCount(), input: {}, execution: 'allocate-1' });

    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow('tiers.middle: the tier declares no count and the input gives none; nothing was changed');
    expectNoAwsCall();
  });

  it('takes the input\'s count for a tier that declares none', async () => {
    useFleet([]);

    const plan = await planAllocation({ environment: withoutMiddleCount(), input: { tiers: { middle: 0 } }, execution: 'allocate-1' });

    expect(plan.tiers).toEqual([]);
    expect(plan.launchCount).toBe(0);
    // Nothing to launch, no database asked for: the run ends before the lock (compute-run.ts), saying why.
    expect(plan.nothingToDo).toBe('every tier has its hosts and the database is there: nothing allocated');
  });

  it.each([
    [{ cache: 2 }, 'tiers.cache: environment canonical has no tier "cache" (host tiers: middle, web, monitoring); nothing was changed'],
    [{ web: 2, cache: 2 }, 'tiers.cache: environment canonical has no tier "cache"'],
  ])('refuses an unknown tier name in input.tiers (%j), before any AWS call', async (tiers, message) => {
    const act = planAllocation({ environment: canonical, input: { tiers }, execution: 'allocate-1' });

    await expect(act).rejects.toBeInstanceOf(InvalidInputError);
    await expect(act).rejects.toThrow(message);
    expectNoAwsCall();
  });
});

// ---------------------------------------------------------------------------------------
// Leftovers of a stopped run: not counted by the planners, terminated by the run started again;
// a host set up and registered nowhere: refused by the planners, never terminated
// ---------------------------------------------------------------------------------------

describe('a stopped run\'s leftovers', () => {
  /** Web host n launched by the stopped execution `stopped-1`, set up (release 1.0.0), with `extra` tags; `withoutRelease` for one never set up. */
  const leftover = (n: number, extra: Record<string, string> = {}) => ({ ...tierHost('web', n, 'running', { [LAUNCHED_BY_TAG]: 'stopped-1', ...extra }) });
  const withoutRelease = (h: FakeHost): FakeHost => ({ ...h, tags: Object.fromEntries(Object.entries(h.tags ?? {}).filter(([k]) => k !== RELEASE_TAG)) });

  it('Plan Allocate does not count hosts a stopped run launched and never set up: it launches what the tier misses and names them as leftovers', async () => {
    // Prepare: web-1 serves; web-2 and web-3 were launched by a stopped allocate and never got a release.
    useAccount([tierHost('web', 1), withoutRelease(leftover(2)), withoutRelease(leftover(3))], { 'canonical-web': { [webHost(1).id]: 'healthy' } });

    // Act
    const plan = await planAllocation({ environment: canonical, input: { tiers: { web: 2 } }, execution: 'allocate-2' });

    // Assess
    expect(plan.launchCount).toBe(1);
    expect(plan.nothingToDo).toBeUndefined();
    expect(plan.tiers.map((t) => t.perSubnet)).toEqual([[0, 1]]);
    expect(plan.leftovers).toEqual([{ tier: 'web', hostTags: WEB_TAGS, count: 2, sample: `web-2 (${webHost(2).id}), web-3 (${webHost(3).id})` }]);
    // No host was set up by another run: its registration decides nothing, so no ELB call was needed to find them.
    expect(elbMock).not.toHaveReceivedCommand(DescribeTargetHealthCommand);
  });

  it('counts hosts another run launched, set up and registered (healthy or not), and its own', async () => {
    useAccount([leftover(1), leftover(2), withoutRelease(tierHost('web', 3, 'running', { [LAUNCHED_BY_TAG]: 'allocate-2' }))], {
      'canonical-web': { [webHost(1).id]: 'healthy', [webHost(2).id]: 'unhealthy' },
    });

    const plan = await planAllocation({ environment: canonical, input: { tiers: { web: 3 } }, execution: 'allocate-2' });

    expect(plan.launchCount).toBe(0);
    expect(plan.leftovers).toBeUndefined();
    expect(plan.nothingToDo).toBe('every tier has its hosts and the database is there: nothing allocated');
  });

  it('a plan that launches nothing but has leftovers to terminate is not "nothing to do": the run takes the lock to terminate them', async () => {
    // web-1 and web-2 serve; web-3 was launched by a stopped allocate and never got a release.
    useAccount([tierHost('web', 1), tierHost('web', 2), withoutRelease(leftover(3))], { 'canonical-web': { [webHost(1).id]: 'healthy', [webHost(2).id]: 'healthy' } });
    for (const n of [1, 2, 3]) statusChecks.set(webHost(n).id, ['ok', 'ok']);

    const allocated = await planAllocation({ environment: canonical, input: { tiers: { web: 2 } }, execution: 'allocate-2' });
    const replaced = await planReplacement({ environment: canonical, input: { targets: 'unhealthy', tier: 'web' }, execution: 'replace-2' });

    for (const plan of [allocated, replaced]) {
      expect(plan.launchCount).toBe(0);
      expect(plan.leftovers?.map((t) => t.count)).toEqual([1]);
      expect(plan.nothingToDo).toBeUndefined();
    }
  });

  /** What every compute planner says of web-2 (release 1.0.0, launched by stopped-1, registered nowhere, no marker). */
  const web2Refusal =
    `tier web: 1 host, web-2 (${webHost(2).id}), has release 1.0.0 but is registered in none of the tier's target groups and FleetFlow did not take it ` +
    'out of traffic (no fleetflow:out-of-traffic tag): a FleetFlow run stopped before putting it into service, or it was deregistered by hand; ' +
    'register it back with `aws elbv2 register-targets` if it should serve, or terminate it if a stopped run left it; nothing was changed';

  it('Plan Allocate refuses a host set up by another run and registered in no target group, naming it; one a release took out of traffic is counted', async () => {
    // Prepare: web-1 serves; web-2 got its release and is in no group, with no marker: a run stopped before Return To
    // Traffic, or a person deregistered it. web-3 is the same but a release took it out of traffic (its marker): counted.
    useAccount([tierHost('web', 1), leftover(2), leftover(3, { [OUT_OF_TRAFFIC_TAG]: 'deploy-7' })], { 'canonical-web': { [webHost(1).id]: 'healthy' } });

    const act = planAllocation({ environment: canonical, input: { tiers: { web: 3 } }, execution: 'allocate-2' });

    await expect(act).rejects.toBeInstanceOf(InventoryError);
    await expect(act).rejects.toThrow(web2Refusal);
    // Only the hosts whose registration is read were asked about, by ID (web-1 was launched by nobody; web-3 is marked).
    expect(elbMock).toHaveReceivedCommandWith(DescribeTargetHealthCommand, { TargetGroupArn: tgArn('canonical-web'), Targets: [{ Id: webHost(2).id }] });
  });

  it('Plan Scale Out refuses the same host the same way, and Plan Replace too, whatever it targets', async () => {
    const hosts = [tierHost('web', 1), leftover(2)];
    useAccount(hosts, { 'canonical-web': { [webHost(1).id]: 'healthy' } });

    await expect(planScaleOut({ environment: canonical, input: { tier: 'web', add: 1 }, execution: 'scale-out-2' })).rejects.toThrow(web2Refusal);
    useAccount(hosts, { 'canonical-web': { [webHost(1).id]: 'healthy' } });
    await expect(replace({ targets: ['web-1'] })).rejects.toThrow(web2Refusal);
  });

  it('Plan Replace names such hosts of every tier it plans in one line, whatever it targets, and the leftovers it leaves with them', async () => {
    // A replace stopped after two of its new hosts got their release (middle-3, web-2), before Return To Traffic,
    // and before web-4's install was recorded: the refusal keeps Terminate Leftovers from running, so it says so.
    const mid3 = tierHost('middle', 3, 'running', { [LAUNCHED_BY_TAG]: 'stopped-1' });
    const hosts = [tierHost('web', 1), leftover(2), tierHost('middle', 1), mid3, withoutRelease(leftover(4))];
    useAccount(hosts, { 'canonical-web': { [webHost(1).id]: 'healthy' }, 'canonical-middle': { [webHost(101).id]: 'healthy' } });

    const act = replace({ targets: ['web-1'] });

    await expect(act).rejects.toThrow(
      `tiers middle, web: 2 hosts, middle-3 (${mid3.id}), web-2 (${webHost(2).id}), have release 1.0.0 but are registered in none of their tiers' target groups`,
    );
    await expect(act).rejects.toThrow(
      `or terminate them if a stopped run left them; 1 host a stopped run launched and never set up (no fleetflow:release), web-4 (${webHost(4).id}), ` +
        'is terminated by the first allocate, scale-out or replace of its tier that is not refused; nothing was changed',
    );
  });

  it('names at most five of many such hosts, with their count, and every release they have', async () => {
    // A person deregistered seven hosts a scale-out launched long ago; two were released 1.1.0 since.
    const hosts = [1, 2, 3, 4, 5, 6, 7].map((n) => leftover(n, n > 5 ? { [RELEASE_TAG]: '1.1.0' } : {}));
    useAccount(hosts, {});

    const act = planScaleOut({ environment: canonical, input: { tier: 'web', add: 1 }, execution: 'scale-out-2' });

    await expect(act).rejects.toThrow(
      `tier web: 7 hosts, ${[1, 2, 3, 4, 5].map((n) => `web-${n} (${webHost(n).id})`).join(', ')} and 2 more, have releases 1.0.0, 1.1.0 but are registered in none`,
    );
  });

  it('a host registered in one of several target groups is registered; one registered in none is not (registeredHosts), and neither is a leftover', async () => {
    const hosts = [leftover(1), leftover(2), withoutRelease(leftover(3))];
    useAccount(hosts, { 'canonical-middle': { [webHost(1).id]: 'draining' } });
    const facts = await findInstances(tagFilters(WEB_TAGS));

    const registered = await registeredHosts([tgArn('canonical-web'), tgArn('canonical-middle')], facts, 'allocate-2');

    expect([...registered!]).toEqual([webHost(1).id]);
    // Only the host without a release is a leftover: registration never makes one (web-2 is refused by the planners, not terminated).
    expect(facts.filter((h) => isLeftover(h, 'allocate-2')).map((h) => h.name)).toEqual(['web-3']);
    expect(await registeredHosts([], facts, 'allocate-2')).toBeUndefined();
    // Its own hosts are never leftovers.
    expect(facts.filter((h) => isLeftover(h, 'stopped-1'))).toEqual([]);
  });

  it('Plan Scale Out counts a set-up host of a tier without target groups (monitoring), as before', async () => {
    const mon = (n: number, extra: Record<string, string> = {}): FakeHost => ({
      id: `i-0000000000000a${n}`, name: `mon-${n}`, state: 'running', subnetId: SUBNET_A,
      tags: { 'fleetflow:environment': 'canonical', 'fleetflow:tier': 'monitoring', [RELEASE_TAG]: '1.0.0', [LAUNCHED_BY_TAG]: 'stopped-1', ...extra },
    });
    useAccount([mon(1), withoutRelease(mon(2))]);

    const plan = await planScaleOut({ environment: canonical, input: { tier: 'monitoring', add: 1 }, execution: 'scale-out-2' });

    expect(plan.leftovers?.map((t) => t.sample)).toEqual(['mon-2 (i-0000000000000a2)']);
    expect(elbMock).not.toHaveReceivedCommand(DescribeTargetHealthCommand);
  });

  it('Plan Replace neither targets nor counts them, and names them as leftovers', async () => {
    const hosts = [tierHost('web', 1), tierHost('web', 2), withoutRelease(leftover(3))];
    useAccount(hosts, { 'canonical-web': { [hosts[0]!.id]: 'healthy', [hosts[1]!.id]: 'healthy' } });

    const act = replace({ targets: ['web-3'] });

    await expect(act).rejects.toBeInstanceOf(InventoryError);
    useAccount(hosts, { 'canonical-web': { [hosts[0]!.id]: 'healthy', [hosts[1]!.id]: 'healthy' } });
    const plan = await replace({ targets: ['web-1'] });
    expect(plan.leftovers?.map((t) => t.count)).toEqual([1]);
    expect(retiredInPlan()).toEqual(['web-1']);
  });

  it('Terminate Leftovers tags and terminates exactly the leftovers, also those a retry already tagged', async () => {
    // Prepare: web-2 never set up; web-3 tagged by a first try of this task whose TerminateInstances was lost;
    // web-1 serves (launched by the stopped run, but set up); web-4 is this run's own.
    useFleet([
      leftover(1),
      withoutRelease(leftover(2)),
      withoutRelease(leftover(3, { [RETIRED_BY_TAG]: 'allocate-2', [RETIRED_REASON_TAG]: LEFTOVER_REASON })),
      withoutRelease(tierHost('web', 4, 'running', { [LAUNCHED_BY_TAG]: 'allocate-2' })),
    ]);

    // Act
    const outcome = await terminateLeftovers({ execution: 'allocate-2', leftovers: [{ tier: 'web', hostTags: WEB_TAGS, count: 1, sample: 'web-2' }] });

    // Assess
    expect(outcome).toEqual({ terminated: 2 });
    expect(callLog).toEqual([`CreateTags ${webHost(2).id},${webHost(3).id}`, `TerminateInstances ${webHost(2).id},${webHost(3).id}`]);
    expect(ec2Mock).toHaveReceivedCommandWith(CreateTagsCommand, {
      Tags: expect.arrayContaining([{ Key: RETIRED_BY_TAG, Value: 'allocate-2' }, { Key: RETIRED_REASON_TAG, Value: LEFTOVER_REASON }]),
    });
  });

  it('Terminate Leftovers never terminates a host with a release, registered or not: only the one never set up', async () => {
    // Prepare: under the lock, web-1 and web-2 have their release and are in no group (a person deregistered them,
    // or a run stopped before Return To Traffic); web-3 was never set up.
    useAccount([leftover(1), leftover(2), withoutRelease(leftover(3))], {});
    const leftovers = [{ tier: 'web', hostTags: WEB_TAGS, count: 1, sample: 'web-3' }];

    const outcome = await terminateLeftovers({ execution: 'scale-out-2', leftovers });

    expect(outcome).toEqual({ terminated: 1 });
    expect(ec2Mock).toHaveReceivedCommandWith(TerminateInstancesCommand, { InstanceIds: [webHost(3).id] });
    expect(ec2Mock).toHaveReceivedCommandTimes(TerminateInstancesCommand, 1);
    // The release-tag rule alone: no registration is read (its role has no DescribeTargetHealth).
    expect(elbMock).not.toHaveReceivedCommand(DescribeTargetHealthCommand);
  });
});
