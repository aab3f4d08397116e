/**
 * A check that watches (lambdas/shared/phase.ts `watchPhase`): inside one invocation it looks
 * every second or two while the end is near, on the simulator's virtual clock (its sleeps are
 * timers the clock jumps over), within its own budget and within Lambda's timeout, which still
 * stops a check that would overrun it.
 */
import { describe, expect, it } from 'vitest';
import type { PhaseState } from '../../../lambdas/domain/contract/payloads';
import { completePhase, continuePhase, startPhase, TIME_BUDGET_MS, watchIntervalMs, watchPhase } from '../../../lambdas/shared/phase';
import { LAMBDA_TIMEOUT_ERROR, runWithTimeout } from '../../../lib/simulator/lambda-runtime';
import { runOnVirtualClock } from '../../../lib/simulator/virtual-clock';

const POLLING = { minSeconds: 2, maxSeconds: 30 };
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
/** FleetFlow's function timeout (lib/constructs/fleetflow-function.ts FUNCTION_TIMEOUT). */
const FUNCTION_TIMEOUT_SECONDS = 100;

/** An operation that ends `endsAfterMs` after T0, and the looks the check took at it. */
function operation(endsAfterMs: number, error?: () => Error) {
  const looks: number[] = [];
  const look = async (event: { phase?: PhaseState }): Promise<PhaseState> => {
    looks.push(Date.now() - T0);
    if (error && looks.length === 2) throw error();
    return Date.now() >= T0 + endsAfterMs ? completePhase(event.phase!) : continuePhase(event.phase!, POLLING);
  };
  return { looks, check: watchPhase(look, () => POLLING) };
}

/** One invocation of `check` as Lambda runs it, starting at T0 + `atMs` on a virtual clock. */
async function invoke(check: ReturnType<typeof watchPhase<{ phase?: PhaseState }, PhaseState>>, phase: PhaseState, atMs = 0) {
  return runOnVirtualClock(T0 + atMs, () =>
    runWithTimeout((context) => check({ phase }, context), { functionName: 'Check', requestId: 'r-1', timeoutSeconds: FUNCTION_TIMEOUT_SECONDS }),
  );
}

const unknownPhase = (overrides: Partial<PhaseState> = {}): PhaseState => ({ startedAt: T0, deadline: T0 + 900_000, done: false, waitSeconds: 0, ...overrides });

describe('a check that watches', () => {
  it('sees the end within a second of it, in one invocation, while the virtual clock runs', async () => {
    // Prepare: the operation ends 37.4 s in; nothing was expected, so the check watches from the start
    const { looks, check } = operation(37_400);

    // Act
    const phase = await invoke(check, unknownPhase());

    // Assess: a look a second, the last one 0.6 s after the end
    expect(phase).toMatchObject({ done: true, tookSeconds: 38 });
    expect(looks).toHaveLength(39);
    expect(looks.at(-1)).toBe(38_000);
  });

  it('stops at its own budget and asks for no Wait, so the Choice runs it again at once', async () => {
    // Prepare
    const { looks, check } = operation(Number.POSITIVE_INFINITY);

    // Act
    const phase = await invoke(check, unknownPhase());

    // Assess: one look a second up to the 60 s budget, then a pause of 0
    expect(phase).toMatchObject({ done: false, waitSeconds: 0 });
    expect(looks.at(-1)).toBeLessThanOrEqual(TIME_BUDGET_MS);
    expect(looks.length).toBeGreaterThanOrEqual(TIME_BUDGET_MS / 1000);
  });

  it('returns at once when the schedule wants a Wait: the quiet part of an operation is no Lambda time', async () => {
    // Prepare: 100 s expected; the watch starts 20 s before it
    const { looks, check } = operation(Number.POSITIVE_INFINITY);

    // Act
    const phase = await invoke(check, unknownPhase({ expectedSeconds: 100 }), 10_000);

    // Assess
    expect(looks).toEqual([10_000]);
    expect(phase.waitSeconds).toBe(70);
  });

  it('looks every second at a batch of 1,000 hosts (20 commands: one ListCommands call a look)', async () => {
    // Prepare: 20 commands of 50 hosts
    const commandIds = Array.from({ length: 20 }, (_, i) => `cmd-${i}`);
    const { looks, check } = operation(Number.POSITIVE_INFINITY);

    // Act
    await invoke(check, unknownPhase({ commandIds }));

    // Assess: one call a look, well under 5 calls a second
    expect(watchIntervalMs(unknownPhase({ commandIds }))).toBe(1_000);
    expect(looks.slice(0, 3)).toEqual([0, 1_000, 2_000]);
  });

  it('looks less often when one look needs many ListCommands pages (50 commands each)', async () => {
    // Prepare: 300 commands and 300 health commands: 6 + 6 pages a look
    const commandIds = Array.from({ length: 300 }, (_, i) => `cmd-${i}`);
    const healthCommandIds = Array.from({ length: 300 }, (_, i) => `health-${i}`);
    const { looks, check } = operation(Number.POSITIVE_INFINITY);

    // Act
    await invoke(check, unknownPhase({ commandIds, healthCommandIds }));

    // Assess: 12 calls a look at 5 calls a second: a look every 2.4 s
    expect(watchIntervalMs(unknownPhase({ commandIds, healthCommandIds }))).toBe(2_400);
    expect(looks.slice(0, 3)).toEqual([0, 2_400, 4_800]);
  });

  it('after a throttled look, pauses for the rest of its budget at least: a watch stays one check of the history budget', async () => {
    // Prepare
    const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const { looks, check } = operation(Number.POSITIVE_INFINITY, throttled);

    // Act
    const phase = await invoke(check, unknownPhase());

    // Assess: throttled at the second look (1 s in): not done, one throttled look, a pause to the end of the minute
    expect(looks).toEqual([0, 1_000]);
    expect(phase).toMatchObject({ done: false, throttledLooks: 1 });
    expect(phase.waitSeconds).toBeGreaterThanOrEqual(59);
  });

  it('looks once when called without Lambda context (only Lambda says how long it may run), and asks for a Wait, not for a loop', async () => {
    const { looks, check } = operation(Number.POSITIVE_INFINITY);

    const phase = await runOnVirtualClock(T0, () => check({ phase: unknownPhase() }));

    expect(looks).toEqual([0]);
    expect(phase).toMatchObject({ done: false, waitSeconds: 1 });
  });

  it('is still stopped by Lambda at the function timeout when a watch would overrun it', async () => {
    // Prepare: a context claiming 200 s left, in a function that times out at 50 s
    const { check } = operation(Number.POSITIVE_INFINITY);
    const lying = { getRemainingTimeInMillis: () => 200_000 };

    // Act
    const act = runOnVirtualClock(T0, () => runWithTimeout(() => check({ phase: unknownPhase() }, lying), { functionName: 'Check', requestId: 'r-2', timeoutSeconds: 50 }));

    // Assess
    await expect(act).rejects.toMatchObject({ name: LAMBDA_TIMEOUT_ERROR });
  });

  it('keeps its budget well inside the function timeout, with the phase it starts watching at once', () => {
    expect(TIME_BUDGET_MS * 1.5).toBeLessThanOrEqual(FUNCTION_TIMEOUT_SECONDS * 1000);
    expect(startPhase(300, POLLING).waitSeconds).toBe(0);
  });
});
