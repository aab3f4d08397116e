/**
 * The simulated account launches, boots, stops and terminates EC2 instances, and creates
 * and restores RDS instances, the way AWS does: the same refusals and error codes, the same
 * per-call limits, the same transient states over virtual time, ClientToken idempotency.
 * Calls go through callService, as the handlers' SDK clients do in a simulated run.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isHostTier, type EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { type SimHost, type SimulatedAccount, PREREQUISITE_SECONDS, SIM_VPC_ID, SSM_REGISTRATION_SECONDS } from '../../lib/simulator/account';
import { BOOT_SECONDS, SHUTTING_DOWN_SECONDS, STATUS_CHECK_SECONDS, STOPPING_SECONDS, launchedInstances } from '../../lib/simulator/services/ec2';
import { DB_CREATE_SECONDS, DB_FIRST_BACKUP_SECONDS, DB_RESTORE_SECONDS } from '../../lib/simulator/services/rds';
import { InvalidFaultError, noFaults, parseFaults } from '../../lib/simulator/faults';
import { faultScope, seedAccount, type FleetOptions } from '../../lib/simulator/fleet';
import { callService } from '../../lib/simulator/services/index';
import { releaseParameterName } from '../../lambdas/domain/contract/records';
import { NOW } from './fixtures';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));

// The launch definitions the tests rely on, whatever canonical.json says.
const SUBNETS = [
  { id: 'subnet-0aaaaaaaaaaaaaaa1', availabilityZone: 'us-east-1a' },
  { id: 'subnet-0aaaaaaaaaaaaaaa2', availabilityZone: 'us-east-1b' },
  { id: 'subnet-0aaaaaaaaaaaaaaa3', availabilityZone: 'us-east-1c' },
];
const MIDDLE_TEMPLATE_ID = 'lt-0123456789abcdef0';
const WEB_PREREQUISITES = ['Sim-InstallWebServer', 'Sim-InstallCertificates'];

/** Canonical, with launch definitions, prerequisites and a database `create` the tests control. */
function environment(): EnvironmentDefinition {
  const tiers = canonical.tiers.map((tier) => {
    if (!isHostTier(tier)) {
      return {
        ...tier,
        database: {
          ...tier.database,
          create: {
            engine: 'postgres',
            engineVersion: '16.4',
            instanceClass: 'db.m6g.large',
            allocatedStorage: 100,
            subnetGroup: 'sim-db',
            securityGroups: ['sg-0a1b2c3d4e5f60001'],
            parameterGroup: 'sim-postgres16',
            multiAz: true,
            masterUsername: 'fleetflow',
          },
        },
      };
    }
    switch (tier.name) {
      case 'web':
        return {
          ...tier,
          traffic: { ...tier.traffic, port: 80 },
          launch: { template: { name: 'sim-web' }, version: '1', subnets: SUBNETS, instanceTypes: [], instanceRole: 'sim-web-host' },
          prerequisites: WEB_PREREQUISITES.map((document) => ({ document, parameters: {}, timeoutSeconds: 600 })),
        };
      case 'middle':
        return {
          ...tier,
          traffic: { ...tier.traffic, port: 8080 },
          launch: { template: { id: MIDDLE_TEMPLATE_ID }, version: '$Default', subnets: SUBNETS.slice(0, 2), instanceTypes: [], instanceRole: 'sim-middle-host' },
          prerequisites: [{ document: 'Sim-InstallRuntime', parameters: {}, timeoutSeconds: 600 }],
        };
      default:
        return { ...tier, launch: undefined, prerequisites: [] };
    }
  });
  return { ...canonical, tiers } as unknown as EnvironmentDefinition;
}

const ENV = environment();
const tagsOf = (tier: string) => (ENV.tiers.find((t) => t.name === tier) as { hosts: { tags: Record<string, string> } }).hosts.tags;
const WEB_TAGS = tagsOf('web');

function seed(options: FleetOptions = {}, faults: readonly string[] = []): SimulatedAccount {
  const account = seedAccount(ENV, noFaults(), options);
  const hosts = new Set([...account.hosts.values()].map((h) => h.name));
  account.useFaults(parseFaults(faults, hosts, new Set(account.alarms.keys()), undefined, faultScope(ENV)));
  return account;
}

const call = (account: SimulatedAccount, service: string, operation: string, input: Record<string, any>): any =>
  callService(account, service, operation, input, 'Throttling');

/** What a call throws, for asserting its name and message. */
function refusal(act: () => unknown): Error & { $metadata?: { httpStatusCode: number } } {
  try {
    act();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the call was not refused');
}

const elapse = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

/** RunInstances of web hosts, from the web template, into a subnet (the first by default). */
function launchRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    LaunchTemplate: { LaunchTemplateName: 'sim-web', Version: '1' },
    MinCount: 1,
    MaxCount: 1,
    SubnetId: SUBNETS[0]!.id,
    ClientToken: 'allocate-1-web-0',
    TagSpecifications: [{ ResourceType: 'instance', Tags: [...Object.entries(WEB_TAGS).map(([Key, Value]) => ({ Key, Value })), { Key: 'fleetflow:launched-by', Value: 'allocate-1' }] }],
    ...overrides,
  };
}

function launch(account: SimulatedAccount, overrides: Record<string, unknown> = {}): SimHost[] {
  const output = call(account, 'ec2', 'RunInstances', launchRequest(overrides));
  return output.Instances.map((i: { InstanceId: string }) => account.hosts.get(i.InstanceId)!);
}

const describe1 = (account: SimulatedAccount, id: string) => call(account, 'ec2', 'DescribeInstances', { InstanceIds: [id] }).Reservations[0].Instances[0];
const stateOf = (account: SimulatedAccount, id: string) => describe1(account, id).State;
const managed = (account: SimulatedAccount, id: string) =>
  call(account, 'ssm', 'DescribeInstanceInformation', { Filters: [{ Key: 'InstanceIds', Values: [id] }] }).InstanceInformationList;
const statusOf = (account: SimulatedAccount, id: string) =>
  call(account, 'ec2', 'DescribeInstanceStatus', { InstanceIds: [id], IncludeAllInstances: true }).InstanceStatuses[0];
const send = (account: SimulatedAccount, document: string, ids: string[], parameters: Record<string, string[]> = {}) =>
  call(account, 'ssm', 'SendCommand', { DocumentName: document, InstanceIds: ids, Parameters: parameters }).Command.CommandId as string;
const invocation = (account: SimulatedAccount, commandId: string, instanceId: string) =>
  call(account, 'ssm', 'GetCommandInvocation', { CommandId: commandId, InstanceId: instanceId });

/** Launches one web host and waits until it is running and Online in SSM. */
function launchManaged(account: SimulatedAccount, overrides: Record<string, unknown> = {}): SimHost {
  const [host] = launch(account, overrides);
  elapse(BOOT_SECONDS + SSM_REGISTRATION_SECONDS);
  return host!;
}

/** Runs documents one after the other on a host and returns the last invocation. */
function runEach(account: SimulatedAccount, host: SimHost, steps: Array<[string, Record<string, string[]>]>): any {
  let last: any;
  for (const [document, parameters] of steps) {
    const id = send(account, document, [host.id], parameters);
    elapse(600);
    last = invocation(account, id, host.id);
  }
  return last;
}

const prerequisiteSteps = (): Array<[string, Record<string, string[]>]> => WEB_PREREQUISITES.map((d) => [d, {}]);
const install = (release = '1.0.0'): [string, Record<string, string[]>] => ['FleetFlow-InstallRelease', { release: [release] }];
/** CreateDBInstance as allocate sends it: the definition's `create`, the password managed by RDS. */
const createRequest = (overrides: Record<string, unknown> = {}) => ({
  DBInstanceIdentifier: 'canonical-db-2',
  DBInstanceClass: 'db.m6g.large',
  Engine: 'postgres',
  EngineVersion: '16.4',
  AllocatedStorage: 100,
  DBSubnetGroupName: 'sim-db',
  VpcSecurityGroupIds: ['sg-0a1b2c3d4e5f60001'],
  DBParameterGroupName: 'sim-postgres16',
  MultiAZ: true,
  MasterUsername: 'fleetflow',
  ManageMasterUserPassword: true,
  ...overrides,
});
const webGroup = (account: SimulatedAccount) => [...account.targetGroups.values()].find((g) => g.tier === 'web')!;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('EC2 RunInstances from a launch template', () => {
  it('launches pending hosts named after the tier, in the subnet asked for, tagged as asked and by their template', () => {
    // Prepare
    const account = seed();

    // Act
    const hosts = launch(account, { MaxCount: 2, SubnetId: SUBNETS[1]!.id });

    // Assess
    expect(hosts.map((h) => [h.name, h.tier, h.release, h.prerequisitesDone])).toEqual([
      ['web-3', 'web', '', false],
      ['web-4', 'web', '', false],
    ]);
    const described = describe1(account, hosts[0]!.id);
    expect(described).toMatchObject({
      State: { Name: 'pending', Code: 0 },
      Placement: { AvailabilityZone: 'us-east-1b' },
      SubnetId: SUBNETS[1]!.id,
      VpcId: SIM_VPC_ID,
      InstanceType: 'm5.large',
      ClientToken: 'allocate-1-web-0',
      IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/sim-web-host' },
    });
    const tags = Object.fromEntries(described.Tags.map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ ...WEB_TAGS, 'fleetflow:launched-by': 'allocate-1', 'aws:ec2launchtemplate:version': '1' });
    expect(new Date(described.LaunchTime).getTime()).toBe(NOW);
  });

  it('places seeded hosts in their tier\'s launch subnets in turn, in the environment\'s VPC', () => {
    // Prepare
    const account = seed();
    const web = [...account.hosts.values()].filter((h) => h.tier === 'web');

    // Act
    const placements = web.map((h) => describe1(account, h.id)).map((i) => [i.Placement.AvailabilityZone, i.SubnetId, i.VpcId]);

    // Assess
    expect(placements).toEqual([
      ['us-east-1a', SUBNETS[0]!.id, SIM_VPC_ID],
      ['us-east-1b', SUBNETS[1]!.id, SIM_VPC_ID],
    ]);
    expect(web.every((h) => h.prerequisitesDone)).toBe(true);
  });

  it('returns the same reservation for a retry with the same client token and parameters, launching nothing, even once its hosts are terminated', () => {
    // Prepare
    const account = seed();
    const first = call(account, 'ec2', 'RunInstances', launchRequest({ MaxCount: 2 }));
    const ids = first.Instances.map((i: { InstanceId: string }) => i.InstanceId);
    elapse(BOOT_SECONDS);
    call(account, 'ec2', 'TerminateInstances', { InstanceIds: ids });
    elapse(SHUTTING_DOWN_SECONDS);
    const hostCount = account.hosts.size;

    // Act
    const retry = call(account, 'ec2', 'RunInstances', launchRequest({ MaxCount: 2 }));

    // Assess
    expect(retry.ReservationId).toBe(first.ReservationId);
    expect(retry.Instances.map((i: { InstanceId: string }) => i.InstanceId)).toEqual(ids);
    expect(retry.Instances.map((i: { State: { Name: string } }) => i.State.Name)).toEqual(['terminated', 'terminated']);
    expect(account.hosts.size).toBe(hostCount);
  });

  it('refuses the same client token with other parameters (IdempotentParameterMismatch), launching nothing', () => {
    // Prepare
    const account = seed();
    launch(account);
    const hostCount = account.hosts.size;

    // Act
    const error = refusal(() => launch(account, { SubnetId: SUBNETS[1]!.id }));

    // Assess
    expect(error.name).toBe('IdempotentParameterMismatch');
    expect(error.message).toBe('Arguments on this idempotent request are inconsistent with arguments used in previous request(s).');
    expect(account.hosts.size).toBe(hostCount);
  });

  it('refuses a client token longer than 64 ASCII characters', () => {
    // Prepare
    const account = seed();

    // Act
    const error = refusal(() => launch(account, { ClientToken: 'x'.repeat(65) }));

    // Assess
    expect(error.name).toBe('InvalidParameterValue');
    expect(launch(account, { ClientToken: 'x'.repeat(64) })).toHaveLength(1);
  });

  it.each([
    [{ LaunchTemplate: { LaunchTemplateName: 'nope', Version: '1' } }, 'InvalidLaunchTemplateName.NotFoundException', 'The specified launch template, with template name nope, does not exist.'],
    [{ LaunchTemplate: { LaunchTemplateId: 'lt-0fffffffffffffff0', Version: '1' } }, 'InvalidLaunchTemplateId.NotFound', 'The specified launch template, with template ID lt-0fffffffffffffff0, does not exist.'],
    [{ LaunchTemplate: { LaunchTemplateName: 'sim-web', Version: '4' } }, 'InvalidLaunchTemplateId.VersionNotFound', 'Could not find the specified version 4 for the launch template'],
    [{ LaunchTemplate: { LaunchTemplateName: 'sim-web', LaunchTemplateId: MIDDLE_TEMPLATE_ID } }, 'InvalidParameterCombination', 'Exactly one of LaunchTemplateId and LaunchTemplateName'],
    [{ SubnetId: 'subnet-0fffffffffffffff9' }, 'InvalidSubnetID.NotFound', "The subnet ID 'subnet-0fffffffffffffff9' does not exist"],
    [{ MinCount: 3, MaxCount: 2 }, 'InvalidParameterValue', 'minCount'],
    [{ MinCount: 0 }, 'InvalidParameterValue', 'minCount'],
    [{ InstanceType: 'large' }, 'InvalidParameterValue', "Invalid value 'large' for InstanceType."],
  ])('refuses %j with %s', (overrides, code, message) => {
    // Prepare
    const account = seed();
    const hostCount = account.hosts.size;

    // Act
    const error = refusal(() => launch(account, overrides));

    // Assess
    expect(error.name).toBe(code);
    expect(error.message).toContain(message);
    expect(account.hosts.size).toBe(hostCount);
  });

  it('resolves $Default and $Latest, and a template named by ID, to their versions', () => {
    // Prepare
    const account = seed();
    const middleTags = Object.entries(tagsOf('middle')).map(([Key, Value]) => ({ Key, Value }));

    // Act
    const [latest] = launch(account, { ClientToken: 'a', LaunchTemplate: { LaunchTemplateName: 'sim-web', Version: '$Latest' } });
    const [middle] = launch(account, { ClientToken: 'b', LaunchTemplate: { LaunchTemplateId: MIDDLE_TEMPLATE_ID }, TagSpecifications: [{ ResourceType: 'instance', Tags: middleTags }] });

    // Assess
    expect(latest!.launchTemplate).toEqual({ id: expect.stringMatching(/^lt-0[0-9a-f]{16}$/), version: '3' });
    expect(middle!.launchTemplate).toEqual({ id: MIDDLE_TEMPLATE_ID, version: '1' });
    expect([middle!.name, middle!.tier]).toEqual(['mid-3', 'middle']);
  });

  it('gives a host whose tags match no tier the tier \'\'', () => {
    // Prepare
    const account = seed();

    // Act
    const [host] = launch(account, { TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'team', Value: 'payments' }] }] });

    // Assess
    expect(host!.tier).toBe('');
  });

  it('refuses a launch in an Availability Zone without capacity (launch-fail:TIER@AZ) with AWS\'s message, and launches in another', () => {
    // Prepare
    const account = seed({}, ['launch-fail:web@us-east-1a']);
    const hostCount = account.hosts.size;

    // Act
    const error = refusal(() => launch(account, { MaxCount: 3 }));
    const elsewhere = launch(account, { MaxCount: 3, SubnetId: SUBNETS[1]!.id });

    // Assess
    expect(error.name).toBe('InsufficientInstanceCapacity');
    expect(error.message).toBe(
      'We currently do not have sufficient m5.large capacity in the Availability Zone you requested (us-east-1a). Our system will be working on provisioning additional capacity. You can currently get m5.large capacity by not specifying an Availability Zone in your request or choosing us-east-1b, us-east-1c.',
    );
    expect(error.$metadata?.httpStatusCode).toBe(500);
    expect(elsewhere).toHaveLength(3);
    expect(account.hosts.size).toBe(hostCount + 3);
  });

  it('launches nothing when fewer than MinCount hosts find capacity, and a failed launch does not use its client token up', () => {
    // Prepare: no web capacity anywhere; middle launches are unaffected.
    const account = seed({}, ['launch-fail:web']);
    const hostCount = account.hosts.size;

    // Act
    const error = refusal(() => launch(account, { MinCount: 1, MaxCount: 3, ClientToken: 'scale-out-7' }));
    const sameTokenOtherTier = launch(account, {
      ClientToken: 'scale-out-7',
      LaunchTemplate: { LaunchTemplateId: MIDDLE_TEMPLATE_ID },
      TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tagsOf('middle')).map(([Key, Value]) => ({ Key, Value })) }],
    });

    // Assess
    expect(error.name).toBe('InsufficientInstanceCapacity');
    expect(error.message).not.toContain('You can currently get');
    expect(sameTokenOtherTier.map((h) => h.tier)).toEqual(['middle']);
    expect(account.hosts.size).toBe(hostCount + 1);
  });

  it('launches into the default VPC without a subnet, where its target groups refuse it (InvalidTarget)', () => {
    // Prepare
    const account = seed();
    const [host] = launch(account, { SubnetId: undefined });
    elapse(BOOT_SECONDS);

    // Act
    const error = refusal(() => call(account, 'elbv2', 'RegisterTargets', { TargetGroupArn: webGroup(account).arn, Targets: [{ Id: host!.id }] }));

    // Assess
    expect(host!.vpcId).not.toBe(SIM_VPC_ID);
    expect(error.name).toBe('InvalidTargetException');
  });
});

describe('a new host over virtual time', () => {
  it('is pending, then running; its status checks initialize then pass; it comes Online in SSM after registering', () => {
    // Prepare
    const account = seed();
    const [host] = launch(account);
    const id = host!.id;
    const look = () => ({
      state: stateOf(account, id).Name,
      checks: [statusOf(account, id).InstanceStatus.Status, statusOf(account, id).SystemStatus.Status],
      ssm: managed(account, id).map((i: { PingStatus: string }) => i.PingStatus),
    });

    // Act
    const atLaunch = look();
    elapse(BOOT_SECONDS - 1);
    const justBeforeRunning = look();
    elapse(1);
    const running = look();
    elapse(SSM_REGISTRATION_SECONDS);
    const registered = look();
    elapse(STATUS_CHECK_SECONDS - SSM_REGISTRATION_SECONDS);
    const checked = look();

    // Assess
    expect(atLaunch).toEqual({ state: 'pending', checks: ['not-applicable', 'not-applicable'], ssm: [] });
    expect(justBeforeRunning.state).toBe('pending');
    expect(running).toEqual({ state: 'running', checks: ['initializing', 'initializing'], ssm: [] });
    expect(registered).toEqual({ state: 'running', checks: ['initializing', 'initializing'], ssm: ['Online'] });
    expect(checked).toEqual({ state: 'running', checks: ['ok', 'ok'], ssm: ['Online'] });
  });

  it('leaves a pending host out of DescribeInstanceStatus unless IncludeAllInstances', () => {
    // Prepare
    const account = seed();
    const [host] = launch(account);

    // Act
    const running = call(account, 'ec2', 'DescribeInstanceStatus', { InstanceIds: [host!.id] }).InstanceStatuses;
    const all = call(account, 'ec2', 'DescribeInstanceStatus', { InstanceIds: [host!.id], IncludeAllInstances: true }).InstanceStatuses;

    // Assess
    expect(running).toEqual([]);
    expect(all[0].InstanceState).toEqual({ Code: 0, Name: 'pending' });
  });

  it('refuses SendCommand to a host until its agent has registered (InvalidInstanceId), whole call included', () => {
    // Prepare
    const account = seed();
    const [host] = launch(account);
    const seeded = [...account.hosts.values()].find((h) => h.name === 'web-1')!;
    elapse(BOOT_SECONDS + 5);

    // Act
    const early = refusal(() => send(account, WEB_PREREQUISITES[0]!, [seeded.id, host!.id]));
    elapse(SSM_REGISTRATION_SECONDS);
    const later = send(account, WEB_PREREQUISITES[0]!, [host!.id]);

    // Assess
    expect(early.name).toBe('InvalidInstanceId');
    expect(early.message).toBe(`Instances [[${host!.id}]] not in a valid state for account 123456789012`);
    expect(later).toMatch(/^sim-cmd-/);
  });

  it('refuses to register a pending host with a target group (InvalidTarget, not in a running state)', () => {
    // Prepare
    const account = seed();
    const [host] = launch(account);

    // Act
    const error = refusal(() => call(account, 'elbv2', 'RegisterTargets', { TargetGroupArn: webGroup(account).arn, Targets: [{ Id: host!.id }] }));

    // Assess
    expect(error.name).toBe('InvalidTargetException');
    expect(error.message).toBe(`The following targets are not in a running state and cannot be registered: '${host!.id}'`);
  });
});

describe('boot and registration faults', () => {
  it('boot-fail:HOST: the instance runs, its instance status check ends impaired and it never registers with SSM', () => {
    // Prepare: web-3 is the next web host a launch creates.
    const account = seed({}, ['boot-fail:web-3']);
    const [host] = launch(account);

    // Act
    elapse(BOOT_SECONDS + STATUS_CHECK_SECONDS + 600);
    const status = statusOf(account, host!.id);
    const error = refusal(() => send(account, WEB_PREREQUISITES[0]!, [host!.id]));

    // Assess
    expect(host!.name).toBe('web-3');
    expect(status.InstanceState.Name).toBe('running');
    expect(status.InstanceStatus).toEqual({ Status: 'impaired', Details: [{ Name: 'reachability', Status: 'failed' }] });
    expect(status.SystemStatus.Status).toBe('ok');
    expect(managed(account, host!.id)).toEqual([]);
    expect(error.name).toBe('InvalidInstanceId');
  });

  it('ssm-unmanaged:HOST: the instance passes its status checks but is never listed by Systems Manager', () => {
    // Prepare
    const account = seed({}, ['ssm-unmanaged:web-3']);
    const [host] = launch(account);

    // Act
    elapse(BOOT_SECONDS + STATUS_CHECK_SECONDS + 600);

    // Assess
    expect(statusOf(account, host!.id).InstanceStatus.Status).toBe('ok');
    expect(managed(account, host!.id)).toEqual([]);
    expect(refusal(() => send(account, WEB_PREREQUISITES[0]!, [host!.id])).name).toBe('InvalidInstanceId');
  });

  it('prerequisite-fail:HOST: every prerequisite document fails on it, so its install fails too', () => {
    // Prepare
    const account = seed({}, ['prerequisite-fail:web-3']);
    const host = launchManaged(account);

    // Act
    const prerequisite = runEach(account, host, [[WEB_PREREQUISITES[0]!, {}]]);
    const installed = runEach(account, host, [install()]);

    // Assess
    expect(prerequisite.Status).toBe('Failed');
    expect(host.prerequisitesDone).toBe(false);
    expect(installed.Status).toBe('Failed');
  });
});

describe('prerequisites, probes and installs on a new host', () => {
  it('fails an install on a host that has not run its tier\'s prerequisites, leaving it half-installed and out of service', () => {
    // Prepare
    const account = seed();
    const host = launchManaged(account);

    // Act
    const installed = runEach(account, host, [install()]);

    // Assess
    expect(installed.Status).toBe('Failed');
    expect(installed.StandardErrorContent).toContain('prerequisites have not run');
    expect(host.halfInstalled).toBe(true);
    expect(account.inService(host)).toBe(false);
  });

  it('installs once every prerequisite succeeded, and the registered host turns healthy after the health checks', () => {
    // Prepare
    const account = seed();
    const host = launchManaged(account);
    const group = webGroup(account);

    // Act
    const lastPrerequisite = runEach(account, host, prerequisiteSteps());
    const installed = runEach(account, host, [install()]);
    call(account, 'elbv2', 'RegisterTargets', { TargetGroupArn: group.arn, Targets: [{ Id: host.id }] });
    const health = () => call(account, 'elbv2', 'DescribeTargetHealth', { TargetGroupArn: group.arn, Targets: [{ Id: host.id }] }).TargetHealthDescriptions[0];
    const initial = health().TargetHealth.State;
    elapse(group.intervalSeconds * group.healthyThreshold);
    const after = health();

    // Assess
    expect(lastPrerequisite.Status).toBe('Success');
    expect(host.prerequisitesRun).toEqual(new Set(WEB_PREREQUISITES));
    expect(host.prerequisitesDone).toBe(true);
    expect(installed.Status).toBe('Success');
    expect(host.release).toBe('1.0.0');
    expect(initial).toBe('initial');
    expect(after).toEqual({ Target: { Id: host.id, Port: 80 }, TargetHealth: { State: 'healthy' } });
  });

  it('runs a prerequisite for PREREQUISITE_SECONDS after delivery', () => {
    // Prepare
    const account = seed();
    const host = launchManaged(account);
    const commandId = send(account, WEB_PREREQUISITES[0]!, [host.id]);

    // Act
    elapse(PREREQUISITE_SECONDS);
    const running = invocation(account, commandId, host.id).Status;
    elapse(1);
    const done = invocation(account, commandId, host.id).Status;

    // Assess
    expect([running, done]).toEqual(['InProgress', 'Success']);
  });

  it('probes with AWS-RunShellScript: connection refused before the prerequisites or on another port, an answer after', () => {
    // Prepare
    const account = seed();
    const host = launchManaged(account);
    const curl = (port: number) => ['AWS-RunShellScript', { commands: [`curl -fsS --max-time 5 http://localhost:${port}/health`] }] as [string, Record<string, string[]>];

    // Act
    const before = runEach(account, host, [curl(80)]);
    runEach(account, host, prerequisiteSteps());
    const after = runEach(account, host, [curl(80)]);
    const otherPort = runEach(account, host, [curl(8080)]);

    // Assess
    expect([before.Status, before.ResponseCode]).toEqual(['Failed', 7]);
    expect(before.StandardErrorContent).toBe("curl: (7) Failed to connect to localhost port 80 after 0 ms: Couldn't connect to server");
    expect([after.Status, after.ResponseCode]).toEqual(['Success', 0]);
    expect(otherPort.Status).toBe('Failed');
  });

  it('fails a probe on a host that is down (down:HOST)', () => {
    // Prepare
    const account = seed({}, ['down:web-1']);
    const web1 = [...account.hosts.values()].find((h) => h.name === 'web-1')!;

    // Act
    const probed = runEach(account, web1, [['AWS-RunShellScript', { commands: ['curl -fsS http://localhost:80/health'] }]]);

    // Assess
    expect(probed.Status).toBe('Failed');
  });
});

describe('EC2 StopInstances, StartInstances, TerminateInstances', () => {
  it('refuses to stop a host that never reached running', () => {
    // Prepare
    const account = seed();
    const [host] = launch(account);

    // Act
    const error = refusal(() => call(account, 'ec2', 'StopInstances', { InstanceIds: [host!.id] }));

    // Assess
    expect(error.name).toBe('IncorrectInstanceState');
    expect(error.message).toBe(`Instance '${host!.id}' cannot be stopped as it has never reached the 'running' state.`);
    expect(host!.state).toBe('pending');
  });

  it('stops a running host through stopping; its agent loses the connection, then it is no longer listed; its target is unused', () => {
    // Prepare
    const account = seed();
    const web1 = [...account.hosts.values()].find((h) => h.name === 'web-1')!;
    const group = webGroup(account);

    // Act
    const output = call(account, 'ec2', 'StopInstances', { InstanceIds: [web1.id] });
    const stopping = [stateOf(account, web1.id).Name, managed(account, web1.id)[0]?.PingStatus];
    elapse(STOPPING_SECONDS);
    const stopped = [stateOf(account, web1.id), managed(account, web1.id)];
    const target = call(account, 'elbv2', 'DescribeTargetHealth', { TargetGroupArn: group.arn, Targets: [{ Id: web1.id }] }).TargetHealthDescriptions[0].TargetHealth;
    const again = call(account, 'ec2', 'StopInstances', { InstanceIds: [web1.id] }).StoppingInstances[0];

    // Assess
    expect(output.StoppingInstances[0]).toEqual({ InstanceId: web1.id, CurrentState: { Code: 64, Name: 'stopping' }, PreviousState: { Code: 16, Name: 'running' } });
    expect(stopping).toEqual(['stopping', 'ConnectionLost']);
    expect(stopped).toEqual([{ Name: 'stopped', Code: 80 }, []]);
    expect(target).toEqual({ State: 'unused', Reason: 'Target.InvalidState' });
    expect(again.CurrentState.Name).toBe('stopped');
    expect(account.inService(web1)).toBe(false);
  });

  it('starts a stopped host through pending; it keeps its release, comes back Online and healthy in its target group', () => {
    // Prepare
    const account = seed();
    const web1 = [...account.hosts.values()].find((h) => h.name === 'web-1')!;
    const group = webGroup(account);
    call(account, 'ec2', 'StopInstances', { InstanceIds: [web1.id] });
    elapse(STOPPING_SECONDS);

    // Act
    const output = call(account, 'ec2', 'StartInstances', { InstanceIds: [web1.id] });
    elapse(BOOT_SECONDS);
    const running = [stateOf(account, web1.id).Name, managed(account, web1.id)[0]?.PingStatus];
    elapse(SSM_REGISTRATION_SECONDS);
    const online = managed(account, web1.id)[0]?.PingStatus;
    elapse(group.intervalSeconds * group.healthyThreshold);

    // Assess
    expect(output.StartingInstances[0].CurrentState).toEqual({ Code: 0, Name: 'pending' });
    expect(running).toEqual(['running', 'ConnectionLost']);
    expect(online).toBe('Online');
    expect(web1.release).toBe('1.0.0');
    expect(account.targetState(group, web1.id)).toBe('healthy');
  });

  it('starts a running host as a no-op, and refuses to start a terminated one', () => {
    // Prepare
    const account = seed();
    const [web1, web2] = [...account.hosts.values()].filter((h) => h.tier === 'web');
    call(account, 'ec2', 'TerminateInstances', { InstanceIds: [web2!.id] });
    elapse(SHUTTING_DOWN_SECONDS);

    // Act
    const noop = call(account, 'ec2', 'StartInstances', { InstanceIds: [web1!.id] }).StartingInstances[0];
    const error = refusal(() => call(account, 'ec2', 'StartInstances', { InstanceIds: [web1!.id, web2!.id] }));

    // Assess
    expect([noop.PreviousState.Name, noop.CurrentState.Name]).toEqual(['running', 'running']);
    expect(error.name).toBe('IncorrectInstanceState');
    expect(error.message).toBe(`The instance '${web2!.id}' is not in a state from which it can be started.`);
  });

  it('terminates through shutting-down; the terminated host stays listed; stopping it is refused; terminating again is a no-op', () => {
    // Prepare
    const account = seed();
    const web1 = [...account.hosts.values()].find((h) => h.name === 'web-1')!;

    // Act
    const output = call(account, 'ec2', 'TerminateInstances', { InstanceIds: [web1.id] });
    const during = stateOf(account, web1.id);
    elapse(SHUTTING_DOWN_SECONDS);
    const after = stateOf(account, web1.id);
    const stop = refusal(() => call(account, 'ec2', 'StopInstances', { InstanceIds: [web1.id] }));
    const again = call(account, 'ec2', 'TerminateInstances', { InstanceIds: [web1.id] }).TerminatingInstances[0];

    // Assess
    expect(output.TerminatingInstances[0].CurrentState).toEqual({ Code: 32, Name: 'shutting-down' });
    expect(during).toEqual({ Name: 'shutting-down', Code: 32 });
    expect(after).toEqual({ Name: 'terminated', Code: 48 });
    expect(stop.name).toBe('IncorrectInstanceState');
    expect([again.PreviousState.Name, again.CurrentState.Name]).toEqual(['terminated', 'terminated']);
  });

  it('refuses a call naming an instance that does not exist, changing none of the others', () => {
    // Prepare
    const account = seed();
    const web1 = [...account.hosts.values()].find((h) => h.name === 'web-1')!;

    // Act
    const error = refusal(() => call(account, 'ec2', 'TerminateInstances', { InstanceIds: [web1.id, 'i-0ffffffffffffffff'] }));

    // Assess
    expect(error.name).toBe('InvalidInstanceID.NotFound');
    expect(web1.state).toBe('running');
  });

  it('refuses more than 1,000 instance IDs in one TerminateInstances call', () => {
    // Prepare
    const account = seed();
    const ids = Array.from({ length: 1001 }, () => [...account.hosts.keys()][0]!);

    // Act
    const error = refusal(() => call(account, 'ec2', 'TerminateInstances', { InstanceIds: ids }));

    // Assess
    expect(error.name).toBe('InvalidParameterValue');
  });
});

describe('per-call limits of the status and inventory APIs', () => {
  it('refuses DescribeInstanceStatus with both InstanceIds and MaxResults, MaxResults outside 5-1000, or more than 100 IDs', () => {
    // Prepare
    const account = seed();
    const id = [...account.hosts.keys()][0]!;

    // Act
    const combined = refusal(() => call(account, 'ec2', 'DescribeInstanceStatus', { InstanceIds: [id], MaxResults: 5 }));
    const tooFew = refusal(() => call(account, 'ec2', 'DescribeInstanceStatus', { MaxResults: 4 }));
    const tooMany = refusal(() => call(account, 'ec2', 'DescribeInstanceStatus', { InstanceIds: Array.from({ length: 101 }, () => id) }));
    const page = call(account, 'ec2', 'DescribeInstanceStatus', { MaxResults: 5 });

    // Assess
    expect(combined.name).toBe('InvalidParameterCombination');
    expect(tooFew.name).toBe('InvalidParameterValue');
    expect(tooMany.name).toBe('InvalidParameterValue');
    expect(page.InstanceStatuses).toHaveLength(5);
    expect(page.NextToken).toBeDefined();
  });

  it('pages DescribeInstanceInformation by 10 by default, and refuses MaxResults outside 5-50 and filters of more than 100 values', () => {
    // Prepare: 8 seeded hosts.
    const account = seed({ hostsPerTier: 4 });
    const id = [...account.hosts.keys()][0]!;

    // Act
    const first = call(account, 'ssm', 'DescribeInstanceInformation', {});
    const second = call(account, 'ssm', 'DescribeInstanceInformation', { NextToken: first.NextToken });
    const big = refusal(() => call(account, 'ssm', 'DescribeInstanceInformation', { MaxResults: 51 }));
    const values = refusal(() => call(account, 'ssm', 'DescribeInstanceInformation', { Filters: [{ Key: 'InstanceIds', Values: Array.from({ length: 101 }, () => id) }] }));
    const unknown = refusal(() => call(account, 'ssm', 'DescribeInstanceInformation', { Filters: [{ Key: 'InstanceIds', Values: ['i-0ffffffffffffffff'] }] }));

    // Assess
    expect(account.hosts.size).toBe(12);
    expect(first.InstanceInformationList).toHaveLength(10);
    expect(second.InstanceInformationList).toHaveLength(2);
    expect(second.NextToken).toBeUndefined();
    expect(big.name).toBe('ValidationException');
    expect(values.name).toBe('ValidationException');
    expect(unknown.name).toBe('InvalidInstanceId');
  });
});

describe('ELBv2 target groups', () => {
  it('describes a tier\'s target groups with the environment\'s VPC, the tier\'s port and the health check', () => {
    // Prepare
    const account = seed();
    const names = ['web', 'middle'].map((tier) => [...account.targetGroups.values()].find((g) => g.tier === tier)!.name);

    // Act
    const groups = call(account, 'elbv2', 'DescribeTargetGroups', { Names: names }).TargetGroups;

    // Assess
    const byName = new Map(groups.map((g: Record<string, unknown>) => [g.TargetGroupName, g]));
    expect(names.map((n) => byName.get(n) as Record<string, unknown>).map((g) => [g.Port, g.VpcId, g.Protocol, g.HealthCheckPath, g.HealthCheckPort])).toEqual([
      [80, SIM_VPC_ID, 'HTTP', '/health', 'traffic-port'],
      [8080, SIM_VPC_ID, 'HTTP', '/health', 'traffic-port'],
    ]);
  });

  it('missing-target-group:TIER: the tier\'s target groups do not exist', () => {
    // Prepare
    const name = (ENV.tiers.find((t) => t.name === 'web') as { traffic: { targetGroups: string[] } }).traffic.targetGroups[0]!;
    const account = seed({}, ['missing-target-group:web']);

    // Act
    const error = refusal(() => call(account, 'elbv2', 'DescribeTargetGroups', { Names: [name] }));

    // Assess
    expect(error.name).toBe('TargetGroupNotFoundException');
    expect(account.groupsOf('web')).toEqual([]);
    expect(account.groupsOf('middle')).toHaveLength(1);
  });
});

describe('RDS CreateDBInstance and RestoreDBInstanceFromDBSnapshot', () => {
  const statusOfDb = (account: SimulatedAccount, id: string) => call(account, 'rds', 'DescribeDBInstances', { DBInstanceIdentifier: id }).DBInstances[0];

  it('creates an instance: creating, then backing-up, then available, with no endpoint until created', () => {
    // Prepare
    const account = seed();

    // Act
    const output = call(account, 'rds', 'CreateDBInstance', createRequest());
    const creating = statusOfDb(account, 'canonical-db-2');
    elapse(DB_CREATE_SECONDS);
    const backingUp = statusOfDb(account, 'canonical-db-2').DBInstanceStatus;
    elapse(DB_FIRST_BACKUP_SECONDS);
    const available = statusOfDb(account, 'canonical-db-2');

    // Assess
    expect(output.DBInstance.DBInstanceStatus).toBe('creating');
    expect(creating.Endpoint).toBeUndefined();
    expect(backingUp).toBe('backing-up');
    expect(available).toMatchObject({
      DBInstanceStatus: 'available',
      DBInstanceClass: 'db.m6g.large',
      MultiAZ: true,
      DBSubnetGroup: { DBSubnetGroupName: 'sim-db' },
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0a1b2c3d4e5f60001', Status: 'active' }],
      DBParameterGroups: [{ DBParameterGroupName: 'sim-postgres16' }],
      Endpoint: { Address: expect.stringContaining('canonical-db-2.'), Port: 5432 },
    });
    expect(account.databases.get('canonical-db-2')!.definition).toMatchObject({ instanceClass: 'db.m6g.large', subnetGroup: 'sim-db', multiAz: true, engine: 'postgres' });
    // The new instance counts as serving from its first backup on, not while it is created.
    expect(account.databases.get('canonical-db-2')!.availableThroughout).toBe(true);
  });

  it.each([
    [{ DBInstanceIdentifier: 'canonical-db' }, 'DBInstanceAlreadyExistsFault'],
    [{ ManageMasterUserPassword: undefined }, 'InvalidParameterValue'],
    [{ MasterUserPassword: 'correct-horse-battery' }, 'InvalidParameterCombination'],
    [{ DBSubnetGroupName: 'nope' }, 'DBSubnetGroupNotFoundFault'],
    [{ DBParameterGroupName: 'nope' }, 'DBParameterGroupNotFoundFault'],
    [{ DBInstanceIdentifier: 'bad--name' }, 'InvalidParameterValue'],
  ])('refuses CreateDBInstance with %j: %s', (overrides, code) => {
    // Prepare
    const account = seed();
    const count = account.databases.size;

    // Act
    const error = refusal(() => call(account, 'rds', 'CreateDBInstance', createRequest(overrides)));

    // Assess
    expect(error.name).toBe(code);
    expect(account.databases.size).toBe(count);
  });

  it('seeds two automated snapshots of the existing instance, a day and an hour old, and a manual one three hours old', () => {
    // Prepare
    const account = seed();

    // Act
    const automated = call(account, 'rds', 'DescribeDBSnapshots', { DBInstanceIdentifier: 'canonical-db', SnapshotType: 'automated' }).DBSnapshots;
    const manual = call(account, 'rds', 'DescribeDBSnapshots', { SnapshotType: 'manual' }).DBSnapshots;

    // Assess
    expect(automated.map((s: { SnapshotCreateTime: Date }) => (NOW - new Date(s.SnapshotCreateTime).getTime()) / 3600_000)).toEqual([24, 1]);
    expect(automated.every((s: { Status: string; DBSnapshotIdentifier: string }) => s.Status === 'available' && s.DBSnapshotIdentifier.startsWith('rds:canonical-db-'))).toBe(true);
    expect(manual.map((s: { DBSnapshotIdentifier: string; SnapshotCreateTime: Date }) => [s.DBSnapshotIdentifier, (NOW - new Date(s.SnapshotCreateTime).getTime()) / 3600_000])).toEqual([
      ['canonical-db-manual-before-release', 3],
    ]);
  });

  it('restores a snapshot to a new instance: creating for DB_RESTORE_SECONDS, then available, with the snapshot\'s schema and RDS\'s defaults', () => {
    // Prepare
    const account = seed();
    const [snapshot] = call(account, 'rds', 'DescribeDBSnapshots', { SnapshotType: 'automated' }).DBSnapshots;

    // Act
    call(account, 'rds', 'RestoreDBInstanceFromDBSnapshot', { DBInstanceIdentifier: 'canonical-db-restored', DBSnapshotIdentifier: snapshot.DBSnapshotIdentifier });
    const creating = statusOfDb(account, 'canonical-db-restored').DBInstanceStatus;
    elapse(DB_RESTORE_SECONDS - 1);
    const stillCreating = statusOfDb(account, 'canonical-db-restored').DBInstanceStatus;
    elapse(1);
    const available = statusOfDb(account, 'canonical-db-restored');
    const restored = account.databases.get('canonical-db-restored')!;

    // Assess
    expect([creating, stillCreating, available.DBInstanceStatus]).toEqual(['creating', 'creating', 'available']);
    expect(restored.restoredFrom).toBe(snapshot.DBSnapshotIdentifier);
    expect(restored.schemaRelease).toBe('1.0.0');
    // What the request left out is RDS's default, not the original's: a check that compares definitions sees the difference.
    expect(restored.definition).toMatchObject({ instanceClass: 'db.m6g.large', multiAz: false, subnetGroup: 'default' });
    expect(available.MultiAZ).toBe(false);
  });

  it('refuses a restore from a snapshot that does not exist, one still being created, or onto an identifier in use', () => {
    // Prepare
    const account = seed();
    call(account, 'rds', 'CreateDBSnapshot', { DBInstanceIdentifier: 'canonical-db', DBSnapshotIdentifier: 'fleetflow-canonical-manual' });
    const restore = (DBInstanceIdentifier: string, DBSnapshotIdentifier: string) =>
      refusal(() => call(account, 'rds', 'RestoreDBInstanceFromDBSnapshot', { DBInstanceIdentifier, DBSnapshotIdentifier }));

    // Act
    const missing = restore('copy', 'nope');
    const creating = restore('copy', 'fleetflow-canonical-manual');
    const inUse = restore('canonical-db', 'fleetflow-canonical-manual');

    // Assess
    expect(missing.name).toBe('DBSnapshotNotFoundFault');
    expect(creating.name).toBe('InvalidDBSnapshotStateFault');
    expect(inUse.name).toBe('DBInstanceAlreadyExistsFault');
    expect(account.databases.has('copy')).toBe(false);
  });

  it('refuses DescribeDBInstances of an unknown instance and MaxRecords outside 20-100', () => {
    // Prepare
    const account = seed();

    // Act
    const unknown = refusal(() => call(account, 'rds', 'DescribeDBInstances', { DBInstanceIdentifier: 'nope' }));
    const records = refusal(() => call(account, 'rds', 'DescribeDBSnapshots', { MaxRecords: 10 }));

    // Assess
    expect(unknown.name).toBe('DBInstanceNotFoundFault');
    expect(records.name).toBe('InvalidParameterValue');
  });
});

describe('an empty account (before allocate)', () => {
  it('has target groups without targets, templates, documents and the release record, but no instance and no database', () => {
    // Prepare
    const account = seed({ empty: true, initialRelease: '3.1.0' });

    // Act
    const db = refusal(() => call(account, 'rds', 'DescribeDBInstances', { DBInstanceIdentifier: 'canonical-db' }));

    // Assess
    expect(account.hosts.size).toBe(0);
    expect(account.targetGroups.size).toBeGreaterThan(0);
    expect([...account.targetGroups.values()].every((g) => g.targets.size === 0)).toBe(true);
    expect(db.name).toBe('DBInstanceNotFoundFault');
    expect(account.parameters.get(releaseParameterName(ENV.name, 'application', 'current'))?.value).toBe('3.1.0');
    expect(account.parameters.get(releaseParameterName(ENV.name, 'monitoring', 'current'))?.value).toBe('3.1.0');
  });

  it('launches web-1 and installs the recorded release on it once its prerequisites ran; the database can be created', () => {
    // Prepare
    const account = seed({ empty: true, initialRelease: '3.1.0' });

    // Act
    const host = launchManaged(account);
    runEach(account, host, prerequisiteSteps());
    const installed = runEach(account, host, [install('3.1.0')]);
    const created = call(account, 'rds', 'CreateDBInstance', createRequest({ DBInstanceIdentifier: 'canonical-db' })).DBInstance;

    // Assess
    expect(host.name).toBe('web-1');
    expect(installed.Status).toBe('Success');
    expect(account.hostHealthyAt(host, Date.now())).toBe(true);
    expect(created.DBInstanceStatus).toBe('creating');
  });
});

describe('the record of launched instances', () => {
  it('lists what an execution launched, with state, service, release and whether it was retired on purpose', () => {
    // Prepare
    const account = seed();
    const [kept, retired] = launch(account, { MaxCount: 2 });
    elapse(BOOT_SECONDS);
    call(account, 'ec2', 'CreateTags', { Resources: [retired!.id], Tags: [{ Key: 'fleetflow:retired-by', Value: 'replace-9' }] });
    call(account, 'ec2', 'StopInstances', { InstanceIds: [retired!.id] });
    elapse(STOPPING_SECONDS);

    // Act
    const records = launchedInstances(account, 'allocate-1');

    // Assess
    expect(records.map((r) => [r.name, r.state, r.inService, r.release, r.retiredOnPurpose])).toEqual([
      [kept!.name, 'running', false, '', false],
      [retired!.name, 'stopped', false, '', true],
    ]);
    expect(launchedInstances(account, 'another-execution')).toEqual([]);
  });
});

describe('provisioning faults as --fault specs', () => {
  const hosts = new Set(['web-1', 'web-2', 'mid-1']);
  const parse = (spec: string) => parseFaults([spec], hosts, new Set(), undefined, faultScope(ENV));

  it('accepts a host a launch will create (the tier\'s prefix, any number) and a tier\'s launch zone', () => {
    // Act
    const faults = parseFaults(['boot-fail:web-9', 'ssm-unmanaged:mid-4', 'prerequisite-fail:web-1', 'launch-fail:web@us-east-1c', 'launch-fail:middle'], hosts, new Set(), undefined, faultScope(ENV));

    // Assess
    expect(faults.bootFail).toEqual(new Set(['web-9']));
    expect(faults.ssmUnmanaged).toEqual(new Set(['mid-4']));
    expect(faults.prerequisiteFail).toEqual(new Set(['web-1']));
    expect(faults.launchFail).toEqual([{ tier: 'web', availabilityZone: 'us-east-1c' }, { tier: 'middle' }]);
  });

  it.each([
    ['launch-fail:nope', 'no host tier is named "nope"'],
    ['launch-fail:middle@us-east-1c', 'tier "middle" launches in no subnet of us-east-1c'],
    ['launch-fail:web@moon', 'AZ an Availability Zone'],
    ['boot-fail:db-1', 'no simulated host is named "db-1"'],
    ['ssm-unmanaged:web-0', 'no simulated host is named "web-0"'],
    ['missing-target-group:monitoring', 'tier "monitoring" has no target groups'],
  ])('refuses %s', (spec, message) => {
    // Act
    const act = () => parse(spec);

    // Assess
    expect(act).toThrow(InvalidFaultError);
    expect(act).toThrow(message);
  });
});
