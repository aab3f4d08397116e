/**
 * EventBridge in the simulated account (lib/simulator/services/events.ts): PutEvents refuses
 * what EventBridge refuses (more than 10 entries, 256 KB of entries), refuses malformed entries
 * one by one while taking the others, and records what it takes; the handlers' own client
 * reaches it through the simulator's middleware.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BATCH_EVENT_DETAIL_TYPE, BATCH_EVENT_SOURCE, EVENT_BUS_ENV } from '../../lambdas/domain/contract/batch-events';
import { events } from '../../lambdas/shared/aws/events';
import { putBatchProgress } from '../../lambdas/shared/batch-events';
import { attachSimulator } from '../../lib/simulator/intercept';
import { useSimulatedAwsEnvironment } from '../../lib/simulator/simulate';
import { callIntegration, IntegrationError } from '../../lib/simulator/integrations';
import { call, refusal, seedWithFaults } from './simulated-calls';
import { batchInput, NOW } from './fixtures';

const entry = (detail: string = '{"a":1}') => ({ Source: 'fleetflow.batch', DetailType: 'FleetFlow Batch Progress', Detail: detail, EventBusName: 'default' });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('PutEvents in the simulated account', () => {
  it('refuses a call of 11 entries, or none, with ValidationException, recording nothing', () => {
    // Prepare
    const account = seedWithFaults();

    // Act
    const eleven = refusal(() => call(account, 'events', 'PutEvents', { Entries: Array.from({ length: 11 }, () => entry()) }));
    const none = refusal(() => call(account, 'events', 'PutEvents', { Entries: [] }));

    // Assess
    expect([eleven.name, none.name]).toEqual(['ValidationException', 'ValidationException']);
    expect(eleven.message).toContain('received 11');
    expect(account.events).toEqual([]);
    // Ten is the most a call may put.
    expect(call(account, 'events', 'PutEvents', { Entries: Array.from({ length: 10 }, () => entry()) }).FailedEntryCount).toBe(0);
  });

  it('refuses entries that reach 256 KB together, counting Source, DetailType and Detail in UTF-8', () => {
    // Prepare: two entries of about 128 KB, the second with multi-byte characters.
    const account = seedWithFaults();
    const half = 128 * 1024;
    const big = entry(JSON.stringify({ pad: 'x'.repeat(half - 40) }));
    const wide = entry(JSON.stringify({ pad: 'é'.repeat(half / 2) }));

    // Act
    const error = refusal(() => call(account, 'events', 'PutEvents', { Entries: [big, wide] }));

    // Assess
    expect(error.name).toBe('ValidationException');
    expect(call(account, 'events', 'PutEvents', { Entries: [big] }).FailedEntryCount).toBe(0);
  });

  it('refuses a malformed entry, and one without a detail type, one by one, and takes the rest in order', () => {
    // Prepare
    const account = seedWithFaults();

    // Act
    const result = call(account, 'events', 'PutEvents', { Entries: [entry(), entry('not json'), { ...entry(), DetailType: undefined }, entry('[1]')] });

    // Assess
    expect(result.FailedEntryCount).toBe(3);
    expect(result.Entries.map((e: { ErrorCode?: string; EventId?: string }) => e.ErrorCode ?? 'ok')).toEqual(['ok', 'MalformedDetail', 'InvalidArgument', 'MalformedDetail']);
    expect(account.events).toHaveLength(1);
    expect(account.events[0]).toMatchObject({ bus: 'default', source: 'fleetflow.batch', detail: { a: 1 }, at: NOW });
  });

  it("records a batch task's event put through the handlers' own EventBridge client", async () => {
    // Prepare
    const account = seedWithFaults();
    const restore = useSimulatedAwsEnvironment();
    const detach = attachSimulator({ events: events as never }, account);
    try {
      // Act
      const outcome = await putBatchProgress(batchInput(), 'installed', null);

      // Assess
      expect(process.env[EVENT_BUS_ENV]).toBe('default');
      expect(outcome).toBe('put');
      expect(account.events).toHaveLength(1);
      expect(account.events[0]).toMatchObject({ source: BATCH_EVENT_SOURCE, detailType: BATCH_EVENT_DETAIL_TYPE, detail: { phase: 'installed', tier: 'web' } });
      expect(account.calls.get('events:PutEvents')).toBe(1);
    } finally {
      detach();
      restore();
    }
  });
});

describe("Step Functions' events:putEvents integration on the simulated bus", () => {
  const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-deploy:run-1';
  const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:fleetflow-canonical-deploy';
  const notify = (detail: unknown = { environment: 'canonical', event: 'Started' }) => ({ Source: 'fleetflow', DetailType: 'FleetFlow Release Started', Detail: detail });
  const put = (account: ReturnType<typeof seedWithFaults>, entries: unknown) =>
    callIntegration('arn:aws:states:::events:putEvents', { Entries: entries }, { account, executionArn: EXECUTION, stateMachineArn: MACHINE });
  const failure = async (act: () => Promise<unknown>) => {
    try {
      await act();
    } catch (err) {
      return err as Error;
    }
    throw new Error('the integration did not fail');
  };

  it('puts an object Detail as its JSON text, with the execution and state machine ARNs in Resources, and records the notification', async () => {
    const account = seedWithFaults();

    const result = (await put(account, [notify()])) as { FailedEntryCount: number; Entries: Array<{ EventId?: string }> };

    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries[0]!.EventId).toBe(account.events[0]!.id);
    expect(account.events[0]).toMatchObject({ source: 'fleetflow', detailType: 'FleetFlow Release Started', detail: { event: 'Started' } });
    expect(account.notifications.map((n) => n.detail.event)).toEqual(['Started']);
  });

  it('fails EventBridge.FailedEntry when an entry is refused (no DetailType; a Detail that is no JSON object), after the others reached the bus', async () => {
    const account = seedWithFaults();

    const error = await failure(() => put(account, [notify(), { Source: 'fleetflow', Detail: {} }, { ...notify(), Detail: '[1,2]' }]));

    expect(error).toBeInstanceOf(IntegrationError);
    expect(error.name).toBe('EventBridge.FailedEntry');
    expect(error.message).toBe('2 of 3 entries failed: entry 1: InvalidArgument (Parameters Source, DetailType and Detail are required.); entry 2: MalformedDetail (Detail is malformed.)');
    // EventBridge went on past the failed entries: the good one is on the bus, and only it.
    expect(account.events).toHaveLength(1);
    expect(account.notifications).toHaveLength(1);
  });

  it('refuses the whole call (EventBridge.ValidationException) with no entry or more than 10, putting nothing', async () => {
    const account = seedWithFaults();

    const none = await failure(() => put(account, []));
    const eleven = await failure(() => put(account, Array.from({ length: 11 }, () => notify())));

    expect([none.name, eleven.name]).toEqual(['EventBridge.ValidationException', 'EventBridge.ValidationException']);
    expect(account.events).toEqual([]);
    await expect(put(account, Array.from({ length: 10 }, () => notify()))).resolves.toMatchObject({ FailedEntryCount: 0 });
  });

  it('counts the ARNs it appends in the 256 KB: a Detail that fits alone is refused once they are added', async () => {
    const account = seedWithFaults();
    // Just under 256 KB with Source and DetailType, before the two ARNs (about 150 bytes) are added.
    const fixed = Buffer.byteLength('fleetflow') + Buffer.byteLength('FleetFlow Release Started') + Buffer.byteLength('{"pad":""}');
    const detail = { pad: 'x'.repeat(256 * 1024 - fixed - 50) };

    const error = await failure(() => put(account, [notify(detail)]));
    const alone = call(account, 'events', 'PutEvents', { Entries: [{ Source: 'fleetflow', DetailType: 'FleetFlow Release Started', Detail: JSON.stringify(detail) }] });

    expect(error.name).toBe('EventBridge.ValidationException');
    expect(alone.FailedEntryCount).toBe(0);
  });

  it('is throttled by --fault throttle:events like any call: EventBridge.ThrottlingException, which the notify task retries', async () => {
    // throttle:events lets 2 calls through, then throttles a burst of 8.
    const account = seedWithFaults(['throttle:events']);

    await put(account, [notify()]);
    await put(account, [notify()]);
    const third = await failure(() => put(account, [notify()]));

    expect(third.name).toBe('EventBridge.ThrottlingException');
    expect(account.events).toHaveLength(2);
    expect(account.throttledCalls).toBe(1);
  });
});
