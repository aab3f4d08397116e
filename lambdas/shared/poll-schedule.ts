/**
 * When to look again at a long operation. A look that finds the operation still running is
 * a loop of three state transitions (Wait, Task, Choice); a check that keeps looking inside
 * its own invocation (lambdas/shared/phase.ts `watchPhase`, every second or two for up to
 * WATCH_SECONDS) sees the end within about a second of it, for the price of that Lambda time.
 * So the schedule pauses through the quiet part of an operation in a Wait state, and watches
 * the part where the end can come:
 * - with an expectation (the previous batch of the tier took it, or the environment declares
 *   it), the Wait lasts until shortly before it (20% of it, at least 5 s and at most a minute,
 *   since the next host may be faster), then the check watches, up to two minutes past it
 *   (the next host may be slower): at most three minutes of watching, whatever the duration;
 * - without one, the check watches from the start for UNKNOWN_WATCH_SECONDS;
 * - past that, the pause grows with the time already spent (20% of it), so an operation that
 *   overruns every guess costs about log(T)/log(1.2) looks, not one a minute.
 * A pause of 0 means "watch now": the Choice goes straight to the check, without a Wait.
 * Never past the deadline: the look at it reports the timeout.
 */
import type { PollingBounds } from './polling';

/**
 * How often a bake reads the alarms. Each look reads the alarms' history since the last one
 * (lambdas/deploy/check-bake.ts, DescribeAlarmHistory), so an alarm that fired and cleared between
 * looks is seen all the same: the pace decides only how soon a firing alarm fails the bake, at most
 * this long after it fired (it was 60 s, with looks that missed an alarm back to OK by the next one),
 * for 3 state transitions a look (a 300 s bake: 2 looks, 7 transitions; it was 5 looks, 17).
 */
export const BAKE_CHECK_SECONDS = 150;

/**
 * How long Check Database waits out a transient status (backing-up, modifying, ...)
 * before the release fails with DatabaseUnavailableError.
 */
export const DATABASE_WAIT_SECONDS = 30 * 60;

/**
 * The longest a check keeps looking within one invocation: its own budget, at most two thirds
 * of the function's 100 s timeout (lib/constructs/fleetflow-function.ts FUNCTION_TIMEOUT;
 * test/infra/lambda-timeouts.test.ts holds every handler's budget to it).
 */
export const WATCH_SECONDS = 60;
/** How far ahead of the expectation the watch starts: a share of it, at least a few seconds, at most one watch. */
const WATCH_LEAD_SHARE = 0.2;
const WATCH_LEAD_MIN_SECONDS = 5;
/** With an expectation, the watch goes on this long past it (a slower host than the last batch's), then backs off. */
const WATCH_PAST_EXPECTATION_SECONDS = 2 * 60;
/** Without an expectation, the check watches from the start for this long. */
export const UNKNOWN_WATCH_SECONDS = 2 * WATCH_SECONDS;
/**
 * A Wait shorter than this is not worth its state transition ($0.000025, Step Functions
 * Standard) against the Lambda time it saves (256 MB: about 7.5 s for that price): watch instead.
 */
const SHORTEST_WORTHWHILE_WAIT_SECONDS = 3;
/** Share of the elapsed time the next pause adds once past the watch. */
const STEP_PAST_WATCH = 0.2;

/** From when to when (seconds from the start) the checks watch the operation. */
export function watchWindow(expectedSeconds?: number): { from: number; until: number } {
  const expected = expectedSeconds !== undefined && expectedSeconds > 0 ? expectedSeconds : undefined;
  if (expected === undefined) return { from: 0, until: UNKNOWN_WATCH_SECONDS };
  const lead = Math.min(WATCH_SECONDS, Math.max(WATCH_LEAD_MIN_SECONDS, expected * WATCH_LEAD_SHARE));
  return { from: Math.max(0, expected - lead), until: expected + WATCH_PAST_EXPECTATION_SECONDS };
}

/** Seconds until the next look: 0 to watch now, else the Wait state's pause. */
export function nextWaitSeconds(args: {
  readonly elapsedMs: number;
  readonly untilDeadlineMs: number;
  readonly bounds: PollingBounds;
  /** How long the operation usually takes, when known. */
  readonly expectedSeconds?: number;
}): number {
  const { bounds } = args;
  const elapsed = args.elapsedMs / 1000;
  const window = watchWindow(args.expectedSeconds);
  let seconds: number;
  if (elapsed < window.from) {
    seconds = Math.ceil(window.from - elapsed);
    if (seconds < SHORTEST_WORTHWHILE_WAIT_SECONDS) seconds = 0;
  } else if (elapsed < window.until) {
    seconds = 0;
  } else {
    seconds = Math.min(bounds.maxSeconds, Math.max(bounds.minSeconds, Math.ceil(elapsed * STEP_PAST_WATCH)));
  }
  if (seconds === 0) return 0;
  const untilDeadline = Math.ceil(args.untilDeadlineMs / 1000);
  return Math.max(1, Math.min(seconds, Math.max(untilDeadline, 1)));
}

/**
 * The most looks (check invocations) a phase can take before its deadline under this
 * schedule: what the history budget of a batch is planned with. A check that watches covers
 * WATCH_SECONDS (a throttled one pauses for the rest of it: phase.ts `throttledLook`).
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
    const pause = nextWaitSeconds({ elapsedMs, untilDeadlineMs: timeoutMs - elapsedMs, bounds, expectedSeconds });
    // A pause, then one look; or a watch of WATCH_SECONDS.
    elapsedMs += (pause > 0 ? pause : WATCH_SECONDS) * 1000;
    checks += 1;
  }
  return checks;
}
