/**
 * How long a Wait state pauses between two checks of a long operation. Short polls at
 * first keep the makespan close to the unavoidable time; the pause then grows with the
 * time already spent (5% of it), so a long operation costs a few dozen state
 * transitions, not one per few seconds.
 */
export interface PollingBounds {
  readonly minSeconds: number;
  readonly maxSeconds: number;
}

export function nextPollSeconds(elapsedMs: number, bounds: PollingBounds, deadlineInMs = Number.POSITIVE_INFINITY): number {
  const proportional = Math.ceil((elapsedMs / 1000) * 0.05);
  const seconds = Math.min(bounds.maxSeconds, Math.max(bounds.minSeconds, proportional));
  // Never sleep far past the deadline: the check after it must report the timeout promptly.
  const untilDeadline = Math.ceil(deadlineInMs / 1000);
  return Math.max(1, Math.min(seconds, Math.max(untilDeadline, bounds.minSeconds)));
}

export function describeHosts(hosts: readonly { id: string; name: string }[]): string {
  return hosts.map((h) => (h.name && h.name !== h.id ? `${h.name} (${h.id})` : h.id)).join(', ');
}
