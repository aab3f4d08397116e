/**
 * When to look again at a long operation. Every check is three state transitions (Wait,
 * Task, Choice), so the schedule aims to look first at the earliest moment the operation
 * can be done, and then not much later than it is:
 * - when the operation's usual duration is known (the previous batch of the tier took
 *   it, or the environment declares it), the first look is then, and later looks follow
 *   in small steps (5% of the time spent), because the answer is close;
 * - when nothing is known, the pause grows with the time already spent (20% of it), so an
 *   operation of T seconds costs about log(T)/log(1.2) looks and ends at most 20% late;
 * - past one and a half times the expectation, the same back-off as when nothing is known.
 * Never past the deadline: the look after it reports the timeout.
 */
import type { PollingBounds } from './polling';

/**
 * How often a bake reads the alarms. CloudWatch evaluates standard-resolution metric
 * alarms once a minute (their period is at least 60 s), so reading more often sees nothing new.
 */
export const BAKE_CHECK_SECONDS = 60;

/**
 * How long Check Database waits out a transient status (backing-up, modifying, ...)
 * before the release fails with DatabaseUnavailableError.
 */
export const DATABASE_WAIT_SECONDS = 30 * 60;

/** Share of the elapsed time the next pause adds, with and without an expectation. */
const STEP_NEAR_EXPECTATION = 0.05;
const STEP_UNKNOWN = 0.2;
/** Up to this multiple of the expected duration, looks come in small steps. */
const NEAR_EXPECTATION_WINDOW = 1.5;

export function nextWaitSeconds(args: {
  readonly elapsedMs: number;
  readonly untilDeadlineMs: number;
  readonly bounds: PollingBounds;
  /** How long the operation usually takes, when known. */
  readonly expectedSeconds?: number;
}): number {
  const { bounds, expectedSeconds } = args;
  const elapsed = args.elapsedMs / 1000;
  let seconds: number;
  const expected = expectedSeconds !== undefined && expectedSeconds > 0 ? expectedSeconds : undefined;
  if (expected !== undefined && elapsed < expected) {
    seconds = Math.ceil(expected - elapsed);
  } else {
    // Close to the expectation, the answer is near: small steps; well past it, back off.
    const share = expected !== undefined && elapsed < expected * NEAR_EXPECTATION_WINDOW ? STEP_NEAR_EXPECTATION : STEP_UNKNOWN;
    seconds = Math.min(bounds.maxSeconds, Math.max(bounds.minSeconds, Math.ceil(elapsed * share)));
  }
  const untilDeadline = Math.ceil(args.untilDeadlineMs / 1000);
  return Math.max(1, Math.min(seconds, Math.max(untilDeadline, 1)));
}

/**
 * The most looks a phase can take before its deadline under this schedule: what the
 * history budget of a batch is planned with.
 */
export function maxChecksWithin(timeoutSeconds: number, bounds: PollingBounds): number {
  // The worst expectation is one the operation overruns: try a spread of them.
  const expectations = [undefined, ...[0.1, 0.25, 0.5, 0.75, 1].map((share) => Math.max(1, Math.round(timeoutSeconds * share)))];
  return Math.max(...expectations.map((expectedSeconds) => checksUntilDeadline(timeoutSeconds, bounds, expectedSeconds)));
}

function checksUntilDeadline(timeoutSeconds: number, bounds: PollingBounds, expectedSeconds?: number): number {
  const timeoutMs = timeoutSeconds * 1000;
  let elapsedMs = 0;
  let checks = 0;
  while (elapsedMs < timeoutMs) {
    elapsedMs += nextWaitSeconds({ elapsedMs, untilDeadlineMs: timeoutMs - elapsedMs, bounds, expectedSeconds }) * 1000;
    checks += 1;
  }
  return checks;
}
