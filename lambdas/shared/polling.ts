/**
 * The bounds of a Wait state's pause between two checks of a long operation once the check
 * has stopped watching (poll-schedule.ts): the pause grows with the time already spent
 * (20% of it), so an operation that overruns every expectation costs a few dozen state
 * transitions, not one per few seconds.
 */
export interface PollingBounds {
  readonly minSeconds: number;
  readonly maxSeconds: number;
}

/** How many hosts, alarms or outcomes an error message names before it only counts the rest. */
export const MAX_NAMED = 5;

/**
 * The first hosts by Name tag and instance ID, then how many more: `web-1 (i-0…),
 * web-2 (i-0…) and 1,998 more`. A message never lists a whole batch: it becomes the
 * failure's cause, which the state carries (see lambdas/domain/contract/errors.ts).
 */
export function describeHosts(hosts: readonly { id: string; name: string }[], max = MAX_NAMED): string {
  return describeList(
    hosts.map((h) => (h.name && h.name !== h.id ? `${h.name} (${h.id})` : h.id)),
    { max },
  );
}

/** The first `max` items joined by `separator`, then ` and N more` for the rest. */
export function describeList(items: readonly string[], options: { max?: number; separator?: string } = {}): string {
  const { max = MAX_NAMED, separator = ', ' } = options;
  const named = items.slice(0, max).join(separator);
  const rest = items.length - Math.min(items.length, max);
  return rest > 0 ? `${named} and ${formatCount(rest)} more` : named;
}

/** 1995 → "1,995", independent of the runtime's locale data. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
