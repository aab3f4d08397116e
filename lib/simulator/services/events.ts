/**
 * EventBridge in the simulated account: PutEvents, with its request limits and its per-entry
 * refusals, recording each accepted event in the account (`account.events`).
 *
 * - "Entries ... Array Members: Minimum number of 1 item. Maximum number of 10 items." (EventBridge
 *   API Reference, PutEvents): more, or none, refuses the whole call (ValidationException).
 * - "The total entry size must be less than 256KB", an entry counted as Time (14 bytes, if given),
 *   Source, DetailType, Detail and each Resources string in UTF-8 (EventBridge User Guide,
 *   "Calculating Amazon EventBridge PutEvents event entry size"): the request's entries together.
 * - "By default, if an individual entry within a request fails, EventBridge continues processing
 *   the rest of the entries in the request ... unsuccessful result entries include ErrorCode and
 *   ErrorMessage" (User Guide, "Sending events with PutEvents"): an entry without Source,
 *   DetailType or Detail is `InvalidArgument`, one whose Detail is not a JSON object `MalformedDetail`
 *   (PutEventsResultEntry's error codes), and the call succeeds with FailedEntryCount.
 * Throttling comes from the account's meter like every service's (`--fault throttle:events`).
 */
import { type Operation } from './common';
import { validation } from '../aws-errors';

export const MAX_ENTRIES = 10;
export const MAX_REQUEST_ENTRY_BYTES = 256 * 1024;

interface Entry {
  Time?: unknown;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  EventBusName?: string;
}

const utf8 = (s: unknown) => (typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : 0);

function entrySize(e: Entry): number {
  return (e.Time !== undefined ? 14 : 0) + utf8(e.Source) + utf8(e.DetailType) + utf8(e.Detail) + (e.Resources ?? []).reduce((n, r) => n + utf8(r), 0);
}

/** Why EventBridge refuses this entry, or undefined when it takes it. */
function refusal(e: Entry): { ErrorCode: string; ErrorMessage: string } | undefined {
  if (!e.Source || !e.DetailType || e.Detail === undefined) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
  try {
    const detail: unknown = JSON.parse(e.Detail);
    if (detail === null || typeof detail !== 'object' || Array.isArray(detail)) throw new TypeError('not an object');
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

export const events: Record<string, Operation> = {
  PutEvents(account, input) {
    const entries: Entry[] = input.Entries ?? [];
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw validation(`1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES} (received ${entries.length})`);
    }
    const total = entries.reduce((n, e) => n + entrySize(e), 0);
    if (total >= MAX_REQUEST_ENTRY_BYTES) throw validation(`Total size of the entries in the request is over the limit (${total} bytes; less than ${MAX_REQUEST_ENTRY_BYTES} allowed)`);
    let failed = 0;
    const results = entries.map((e) => {
      const refused = refusal(e);
      if (refused) {
        failed += 1;
        return refused;
      }
      const id = `sim-event-${account.events.length + 1}`;
      const event = { at: account.now(), id, bus: e.EventBusName ?? 'default', source: e.Source!, detailType: e.DetailType!, detail: JSON.parse(e.Detail!) as Record<string, unknown> };
      account.events.push(event);
      account.onEvent?.(event);
      return { EventId: id };
    });
    return { FailedEntryCount: failed, Entries: results };
  },
};
