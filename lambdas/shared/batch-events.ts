/**
 * Per-batch progress events: one EventBridge event each time a batch of hosts leaves traffic,
 * is installed, and is back in service (or back after a rollback), put by the Lambda task that
 * ends that phase, so the workflow gains no state and no transition.
 *
 * Best effort, like the workflows' notifications: an event that cannot be put (throttled,
 * refused, no permission, no bus configured) is logged and the task goes on; it never fails
 * or retries the release. Each event is put as the task's last call, after every call that
 * can fail it, so a task retried by Step Functions puts its event again only when the first
 * invocation failed after putting it. EventBridge itself gives each PutEvents entry a new ID
 * ("After you call PutEvents, EventBridge assigns each event a unique ID", EventBridge User
 * Guide, "Sending events with PutEvents") and retries delivery to targets ("By default,
 * EventBridge retries sending the event for 24 hours and up to 185 times", "How EventBridge
 * retries delivering events"), so a consumer may see one phase twice: `detail.key` is the same
 * for both and names the phase of the batch once.
 */
import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { BatchTaskInput } from '../domain/contract/payloads';
import { BATCH_EVENT_DETAIL_TYPE, BATCH_EVENT_SOURCE, EVENT_BUS_ENV, type BatchPhase, type BatchProgressDetail } from '../domain/contract/batch-events';
import { events } from './aws/events';
import { logger } from './logger';

/** "Entries: ... Array Members: Minimum number of 1 item. Maximum number of 10 items." (EventBridge API Reference, PutEvents). */
export const MAX_ENTRIES_PER_PUT = 10;
/** "The total entry size must be less than 256KB" (EventBridge User Guide, "Calculating PutEvents event entry size"). */
export const MAX_ENTRY_BYTES = 256 * 1024;
/** Hosts named in one event; the count says the rest, so an event never grows with the fleet. */
export const MAX_NAMED_HOSTS = 5;


export function batchProgressDetail(event: BatchTaskInput, phase: BatchPhase, inService: number | null): BatchProgressDetail {
  const { tier, batch } = event;
  const batchNumber = batch.index + 1;
  return {
    environment: tier.environment,
    execution: event.execution,
    release: event.release,
    tier: tier.name,
    batch: batchNumber,
    batchCount: batch.count,
    rollback: event.rollback,
    phase,
    hostsMoved: { count: batch.hosts.length, names: batch.hosts.slice(0, MAX_NAMED_HOSTS).map((h) => h.name) },
    inService,
    floor: tier.minHealthy,
    key: [event.execution, tier.name, event.rollback ? 'rollback' : 'forward', batchNumber, phase].join('/'),
  };
}

/** An entry's size as EventBridge counts it: Time 14 bytes if given, then Source, DetailType, Detail and Resources in UTF-8. */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (entry.Time ? 14 : 0) + bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail) + (entry.Resources ?? []).reduce((n, r) => n + bytes(r), 0);
}

/** Whether this function puts batch events (its environment names a bus): a count only they use is read only then. */
export function batchEventsEnabled(): boolean {
  return Boolean(process.env[EVENT_BUS_ENV]);
}

/** What the put did: for the log and the tests; the task's result never depends on it. */
export type PutOutcome = 'put' | 'no-bus' | 'too-large' | 'failed';

/**
 * Puts one batch progress event on the environment's bus, best effort: whatever happens, it
 * resolves (never rejects), and says what happened.
 */
export async function putBatchProgress(event: BatchTaskInput, phase: BatchPhase, inService: number | null): Promise<PutOutcome> {
  const bus = process.env[EVENT_BUS_ENV];
  if (!bus) return 'no-bus';
  const detail = batchProgressDetail(event, phase, inService);
  const entry: PutEventsRequestEntry = { EventBusName: bus, Source: BATCH_EVENT_SOURCE, DetailType: BATCH_EVENT_DETAIL_TYPE, Detail: JSON.stringify(detail) };
  // Bounded by construction (a few names, counts); checked anyway: EventBridge would refuse the call.
  if (entrySize(entry) >= MAX_ENTRY_BYTES) {
    logger.warn('batch event not put: larger than an EventBridge entry may be', { key: detail.key, bytes: entrySize(entry) });
    return 'too-large';
  }
  try {
    const result = await events.send(new PutEventsCommand({ Entries: [entry] }));
    // A call that succeeds may still refuse an entry: "A response Entries array can include both successful and unsuccessful entries".
    const refused = result.Entries?.find((e) => e.ErrorCode);
    if ((result.FailedEntryCount ?? 0) > 0 || refused) {
      logger.warn('batch event refused by EventBridge; the batch goes on', { key: detail.key, errorCode: refused?.ErrorCode, errorMessage: refused?.ErrorMessage });
      return 'failed';
    }
    return 'put';
  } catch (err) {
    logger.warn('batch event not put; the batch goes on', { key: detail.key, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    return 'failed';
  }
}
