/**
 * The per-batch progress events (lambdas/shared/batch-events.ts) as the batch tasks put them:
 * once per phase, as the task's last call, bounded whatever the batch's size, and best effort:
 * EventBridge refusing or throttling never changes what the task returns.
 */
import { CreateTagsCommand, DeleteTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, type TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListCommandInvocationsCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BATCH_EVENT_DETAIL_TYPE, BATCH_EVENT_SOURCE, EVENT_BUS_ENV, type BatchProgressDetail } from '../../../lambdas/domain/contract/batch-events';
import { checkHealthy } from '../../../lambdas/rollout/check-healthy';
import { checkInstall } from '../../../lambdas/rollout/check-install';
import { takeOutOfTraffic } from '../../../lambdas/rollout/take-out-of-traffic';
import { entrySize, MAX_NAMED_HOSTS } from '../../../lambdas/shared/batch-events';
import { batchInput, NOW, phaseAt, webHost, webTier } from '../fixtures';

const elbMock = mockClient(ElasticLoadBalancingV2Client);
const ec2Mock = mockClient(EC2Client);
const ssmMock = mockClient(SSMClient);
const eventsMock = mockClient(EventBridgeClient);
/** The order of the calls that change something, and the put: the event must come last. */
let calls: string[] = [];

const healthy = (id: string): TargetHealthDescription => ({ Target: { Id: id, Port: 80 }, TargetHealth: { State: 'healthy' } });

function putDetails(): BatchProgressDetail[] {
  return eventsMock.commandCalls(PutEventsCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail!) as BatchProgressDetail));
}

beforeEach(() => {
  for (const mock of [elbMock, ec2Mock, ssmMock, eventsMock]) mock.reset();
  calls = [];
  process.env[EVENT_BUS_ENV] = 'default';
  ec2Mock.on(CreateTagsCommand).callsFake(() => (calls.push('CreateTags'), {}));
  ec2Mock.on(DeleteTagsCommand).resolves({});
  elbMock.on(DeregisterTargetsCommand).callsFake(() => (calls.push('DeregisterTargets'), {}));
  eventsMock.on(PutEventsCommand).callsFake(() => (calls.push('PutEvents'), { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }));
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  delete process.env[EVENT_BUS_ENV];
  vi.useRealTimers();
});

describe('Take Batch Out', () => {
  it('puts one out-of-traffic event after the hosts are deregistered, with the in-service count the capacity check read', async () => {
    // Prepare: 6 healthy hosts, a batch of 2, a floor of 3.
    const hosts = [webHost(1), webHost(2)];
    elbMock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [1, 2, 3, 4, 5, 6].map((n) => healthy(webHost(n).id)) });

    // Act
    await takeOutOfTraffic(batchInput({ hosts, tier: webTier({ minHealthy: 3 }) }));

    // Assess
    expect(calls.at(-1)).toBe('PutEvents');
    expect(calls.indexOf('DeregisterTargets')).toBeLessThan(calls.indexOf('PutEvents'));
    expect(eventsMock).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entry = eventsMock.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({ EventBusName: 'default', Source: BATCH_EVENT_SOURCE, DetailType: BATCH_EVENT_DETAIL_TYPE });
    expect(putDetails()[0]).toMatchObject({
      environment: 'canonical', execution: 'deploy-2-0-0', tier: 'web', batch: 1, batchCount: 2, rollback: false,
      phase: 'out-of-traffic', hostsMoved: { count: 2, names: ['web-1', 'web-2'] }, inService: 4, floor: 3,
      key: 'deploy-2-0-0/web/forward/1/out-of-traffic',
    });
  });

  it('returns the same phase when EventBridge throttles the put, or refuses the entry', async () => {
    // Prepare
    elbMock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [1, 2, 3, 4].map((n) => healthy(webHost(n).id)) });
    const input = batchInput({ tier: webTier({ minHealthy: 1 }) });
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const expected = await takeOutOfTraffic(input);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });

    // Act
    eventsMock.on(PutEventsCommand).rejects(throttled);
    const whenThrottled = await takeOutOfTraffic(input);
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'no' }] });
    const whenRefused = await takeOutOfTraffic(input);

    // Assess
    expect(whenThrottled).toEqual(expected);
    expect(whenRefused).toEqual(expected);
  });

  it('names at most a few hosts of a 1,500-host batch, in an entry far under the 256 KB limit', async () => {
    // Prepare: a tier without target group, so nothing is counted.
    const hosts = Array.from({ length: 1500 }, (_, i) => webHost(i + 1));

    // Act
    await takeOutOfTraffic(batchInput({ hosts, tier: webTier({ traffic: { kind: 'none' } }) }));

    // Assess
    const entry = eventsMock.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(putDetails()[0]!.hostsMoved).toEqual({ count: 1500, names: hosts.slice(0, MAX_NAMED_HOSTS).map((h) => h.name) });
    expect(putDetails()[0]!.inService).toBeNull();
    expect(entrySize(entry)).toBeLessThan(1024);
  });

  it('puts nothing when the function names no bus', async () => {
    // Prepare
    delete process.env[EVENT_BUS_ENV];

    // Act
    await takeOutOfTraffic(batchInput({ tier: webTier({ traffic: { kind: 'none' } }) }));

    // Assess
    expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
  });
});

describe('Check Health', () => {
  it('puts returned once, on the look that finds the batch healthy, with the tier in service; reverted in a rollback', async () => {
    // Prepare: the batch's two hosts and two more, all healthy; then one not yet.
    elbMock.on(DescribeTargetHealthCommand).callsFake((input: { Targets?: { Id: string }[] }) => {
      const all = [1, 2, 3, 4].map((n) => healthy(webHost(n).id));
      return { TargetHealthDescriptions: input.Targets ? all.filter((d) => input.Targets!.some((t) => t.Id === d.Target!.Id)) : all };
    });

    // Act
    const forward = await checkHealthy(batchInput({ phase: phaseAt(10, 60) }));
    const back = await checkHealthy(batchInput({ phase: phaseAt(10, 60), rollback: true }));

    // Assess
    expect(forward.done && back.done).toBe(true);
    expect(putDetails().map((d) => [d.phase, d.inService, d.rollback])).toEqual([['returned', 4, false], ['reverted', 4, true]]);
  });

  it('puts nothing while the batch is not yet healthy', async () => {
    // Prepare
    elbMock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ Target: { Id: webHost(1).id }, TargetHealth: { State: 'initial' } }, healthy(webHost(2).id)] });

    // Act
    const phase = await checkHealthy(batchInput({ phase: phaseAt(10, 60) }));

    // Assess
    expect(phase.done).toBe(false);
    expect(eventsMock).not.toHaveReceivedCommand(PutEventsCommand);
  });
});

describe('Check Install', () => {
  it('puts installed, after the release record, when every host succeeded', async () => {
    // Prepare
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [1, 2].map((n) => ({ InstanceId: webHost(n).id, Status: 'Success' as const })) });

    // Act
    const phase = await checkInstall(batchInput({ phase: phaseAt(10, 60, ['cmd-1']) }));

    // Assess
    expect(phase.done).toBe(true);
    expect(calls).toEqual(['CreateTags', 'PutEvents']);
    expect(putDetails()[0]).toMatchObject({ phase: 'installed', inService: null, hostsMoved: { count: 2 } });
  });
});
