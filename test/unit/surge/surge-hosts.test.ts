/**
 * A surge batch's new hosts: Launch Surge Hosts starts one operation (its phase the hosts'
 * readiness, never done), Check Surge Hosts runs every setup step in it (a step seen done sends the
 * next in the same look) and never launches, and Launch Next Surge Hosts launches the next batch's
 * hosts only once the previous batch's old hosts have stopped (the maxSurge invariant).
 */
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ListCommandInvocationsCommand, SendCommandCommand, SSMClient, type ListCommandInvocationsCommandInput } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PrerequisiteFailedError } from '../../../lambdas/domain/contract/errors';
import type { SetupStep, TierPlan } from '../../../lambdas/domain/contract/payloads';
import { launchSurgeHosts, prepareNext } from '../../../lambdas/surge/launch-surge-hosts';
import { setUpSurgeHosts, type SurgeSetUpPhase } from '../../../lambdas/surge/set-up-surge-hosts';
import { batchInput, NOW, phaseAt, webHost, webTier } from '../fixtures';

const ec2Mock = mockClient(EC2Client);
const ssmMock = mockClient(SSMClient);
const dynamoMock = mockClient(DynamoDBClient);

const PREREQUISITE: SetupStep = { purpose: 'prerequisite', document: 'FleetFlow-InstallWebServer', parameters: {}, timeoutSeconds: 600, expectedSeconds: 20 };
const PROBE: SetupStep = { purpose: 'probe', document: 'AWS-RunShellScript', parameters: { commands: ['curl -fsS http://localhost/health'] }, timeoutSeconds: 60, expectedSeconds: 5 };
const surgeTier = (pipeline: boolean): TierPlan =>
  webTier({
    surge: {
      launch: { template: { name: 'web' }, version: '1', subnets: [{ id: 'subnet-1', availabilityZone: 'us-east-1a' }], instanceTypes: [] },
      setup: [PREREQUISITE, PROBE],
      readyTimeoutSeconds: 600,
      maxSurge: 4,
      pipeline,
    },
  } as Partial<TierPlan>);
const newHosts = { index: 1, count: 3, hosts: [webHost(5), webHost(6)], label: 'web-5, web-6' };

beforeEach(() => {
  ec2Mock.reset();
  ssmMock.reset();
  dynamoMock.reset();
  process.env.PLAN_TABLE = 'plan';
  vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] });
  vi.setSystemTime(NOW);
  let sent = 0;
  ssmMock.on(SendCommandCommand).callsFake(() => ({ Command: { CommandId: `cmd-${++sent}` } }));
});

afterEach(() => {
  vi.useRealTimers();
});

function invocations(status: 'Success' | 'InProgress' | 'Failed'): void {
  ssmMock.on(ListCommandInvocationsCommand).callsFake((_: ListCommandInvocationsCommandInput) => ({
    CommandInvocations: newHosts.hosts.map((h) => ({ InstanceId: h.id, Status: status, StatusDetails: status })),
  }));
}

const setupPhase = (step: number): SurgeSetUpPhase => ({ ...phaseAt(25, 575, ['cmd-0']), stage: 'setup', step, batch: newHosts });

describe('setUpSurgeHosts', () => {
  it('sends the next step as soon as a look sees one done, and watches it from then (a step expected within a minute)', async () => {
    invocations('Success');

    const phase = await setUpSurgeHosts({ ...batchInput({ tier: surgeTier(true) }), phase: setupPhase(0) });

    expect(ssmMock).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    expect(ssmMock).toHaveReceivedCommandWith(SendCommandCommand, { DocumentName: PROBE.document, InstanceIds: newHosts.hosts.map((h) => h.id) });
    expect(phase).toMatchObject({ done: false, waitSeconds: 0, stage: 'setup', step: 1, commandIds: ['cmd-1'], batch: newHosts });
  });

  it('is done after the last step, carrying the new hosts as the batch to install', async () => {
    invocations('Success');

    const phase = await setUpSurgeHosts({ ...batchInput({ tier: surgeTier(true) }), phase: setupPhase(1) });

    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
    expect(phase).toMatchObject({ done: true, stage: 'setup', batch: newHosts });
  });

  it('keeps looking while a step runs, and fails naming the hosts when it failed, sending nothing more', async () => {
    invocations('InProgress');
    expect(await setUpSurgeHosts({ ...batchInput({ tier: surgeTier(true) }), phase: setupPhase(0) })).toMatchObject({ done: false, step: 0 });

    invocations('Failed');
    const failure = await setUpSurgeHosts({ ...batchInput({ tier: surgeTier(true) }), phase: setupPhase(0) }).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(PrerequisiteFailedError);
    expect((failure as Error).message).toContain('web-5');
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });
});

describe('prepareNext (Launch Next Surge Hosts)', () => {
  const previousOld = [webHost(1), webHost(2)];
  const next = [webHost(3)];
  const input = (pipeline: boolean, index = 1, last = 2) => ({ ...batchInput({ tier: surgeTier(pipeline) }), batch: { index, count: 3, hosts: [webHost(3)] }, keyPrefix: 'web#', last });

  beforeEach(() => {
    // Batch 0's old hosts (stopped by the previous batch), batch 2's (the one to prepare), from the plan table.
    dynamoMock.on(GetItemCommand).callsFake((i: { Key: { pk: { S: string } } }) => ({ Item: { hosts: { S: JSON.stringify(i.Key.pk.S.endsWith('#0') ? previousOld : next) } } }));
    ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-new' }] });
  });

  function previousOldAre(state: string): void {
    // By ID (the instance-id filter): the previous batch's old hosts; by the launch's tags: nothing launched yet.
    ec2Mock.on(DescribeInstancesCommand).callsFake((i: { Filters?: Array<{ Name?: string }> }) => ({
      Reservations: i.Filters?.some((f) => f.Name === 'instance-id') ? [{ Instances: previousOld.map((h) => ({ InstanceId: h.id, State: { Name: state }, Tags: [{ Key: 'Name', Value: h.name }] })) }] : [],
    }));
  }

  it("launches the next batch's hosts once the previous batch's old hosts are stopped", async () => {
    previousOldAre('stopped');

    expect(await prepareNext(input(true), 0)).toBe(true);
    expect(ec2Mock).toHaveReceivedCommandTimes(RunInstancesCommand, 1);
  });

  it('launches nothing while they are still stopping (the surge would exceed maxSurge), nor unpipelined, nor past the segment', async () => {
    previousOldAre('stopping');

    expect(await prepareNext(input(true), 0)).toBe(false);
    previousOldAre('stopped');
    expect(await prepareNext(input(false), 0)).toBe(false);
    expect(await prepareNext(input(true, 2, 2), 0)).toBe(false);
    expect(ec2Mock).not.toHaveReceivedCommand(RunInstancesCommand);
  });
});

describe('launchSurgeHosts (Launch Surge Hosts, the start of the batch\'s operation)', () => {
  /** This batch's new hosts by the launch's tags (scope surge#web#0), launched `agoSeconds` before now; by ID, the batch's old hosts. */
  function launched(agoSeconds: number | undefined): void {
    ec2Mock.on(DescribeInstancesCommand).callsFake((i: { Filters?: Array<{ Name?: string; Values?: string[] }> }) => {
      if (i.Filters?.some((f) => f.Name === 'instance-id')) return { Reservations: [{ Instances: [{ InstanceId: webHost(1).id, SubnetId: 'subnet-1', State: { Name: 'running' } }] }] };
      const thisBatch = i.Filters?.some((f) => f.Name === 'tag:fleetflow:launch-scope' && f.Values?.includes('surge#web#0'));
      if (agoSeconds === undefined || !thisBatch) return { Reservations: [] };
      const tags = [{ Key: 'Name', Value: 'web-5' }, { Key: 'fleetflow:launch-group', Value: '0-0' }];
      return { Reservations: [{ Instances: [{ InstanceId: webHost(5).id, State: { Name: 'pending' }, LaunchTime: new Date(NOW - agoSeconds * 1000), Tags: tags }] }] };
    });
  }
  const input = { ...batchInput({ tier: surgeTier(false), hosts: [webHost(1)] }), keyPrefix: 'web#', last: 1 };

  it('launches, then asks for the first look at readiness when a host usually boots: the operation is not done', async () => {
    launched(undefined);
    ec2Mock.on(RunInstancesCommand).callsFake(() => {
      launched(0);
      return { Instances: [{ InstanceId: webHost(5).id }] };
    });

    const phase = await launchSurgeHosts(input);

    expect(ec2Mock).toHaveReceivedCommandTimes(RunInstancesCommand, 1);
    // The new host names, from its launch, the old host it replaces: a restart's evidence (replaced-hosts.ts), never a filter.
    const tags = ec2Mock.commandCalls(RunInstancesCommand)[0]!.args[0].input.TagSpecifications![0]!.Tags!;
    expect(tags).toContainEqual({ Key: 'fleetflow:replaces', Value: webHost(1).id });
    expect(phase).toMatchObject({ done: false, stage: 'ready', step: 0, startedAt: NOW, deadline: NOW + 600_000 });
    expect(phase.waitSeconds).toBeGreaterThanOrEqual(60);
    expect(ssmMock).not.toHaveReceivedCommand(SendCommandCommand);
  });

  it('looks at once at hosts a batch before launched, their ready timeout counted from their launch', async () => {
    launched(150);

    const phase = await launchSurgeHosts(input);

    expect(ec2Mock).not.toHaveReceivedCommand(RunInstancesCommand);
    expect(phase).toMatchObject({ done: false, stage: 'ready', waitSeconds: 0, startedAt: NOW - 150_000, deadline: NOW + 450_000 });
  });

  it("says so when it launched the next batch's hosts too (pipelined, nothing of the tier stopping), and the looks carry it to the end", async () => {
    launched(150);
    dynamoMock.on(GetItemCommand).resolves({ Item: { hosts: { S: JSON.stringify([webHost(3)]) } } });
    ec2Mock.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-next' }] });

    const phase = await launchSurgeHosts({ ...input, tier: surgeTier(true) });
    invocations('Success');
    const done = await setUpSurgeHosts({ ...batchInput({ tier: surgeTier(true) }), phase: { ...setupPhase(1), prepared: true } });

    expect(ec2Mock).toHaveReceivedCommandTimes(RunInstancesCommand, 1);
    expect(phase).toMatchObject({ stage: 'ready', prepared: true });
    expect(done).toMatchObject({ done: true, prepared: true });
    expect(await launchSurgeHosts(input)).not.toHaveProperty('prepared');
  });

  it('hands a launch still going on to Launch More Surge Hosts: Check Surge Hosts launches nothing and sends nothing', async () => {
    const launching: SurgeSetUpPhase = { ...phaseAt(5, 595), waitSeconds: 1, stage: 'launch', step: 0 };

    const phase = await setUpSurgeHosts({ ...batchInput({ tier: surgeTier(false) }), phase: launching });

    expect(phase).toEqual({ ...launching, done: false, waitSeconds: 1 });
    expect(ec2Mock.calls()).toEqual([]);
    expect(ssmMock.calls()).toEqual([]);
  });
});
