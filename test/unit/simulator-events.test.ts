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
