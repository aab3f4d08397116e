/**
 * Runs async work on a virtual clock. Timers and Date are faked; whenever the program
 * has nothing left to do but wait for a timer, the clock jumps to the next one. Wait
 * states, Retry backoff and SDK retry delays all become instantaneous in real time
 * while keeping their exact durations in virtual time.
 *
 * This is sound because everything inside a simulation is in-process promise work:
 * the SDK clients are answered by the simulator (no sockets) and their configuration
 * is resolved before the clock is installed.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { withSeededRandom } from './random';

const realSetImmediate = setImmediate;
const yieldToEventLoop = () => new Promise<void>((resolve) => realSetImmediate(resolve));

/** Consecutive idle turns with no timer pending before we call the run stalled. */
const STALL_LIMIT = 10_000;

export async function runOnVirtualClock<T>(
  startAt: number,
  work: () => Promise<T>,
  onTick: () => void = () => {},
  /** Idle turns before the run is called stalled; a plan, which imports modules as it goes, waits for them instead (Infinity). */
  stallTurns = STALL_LIMIT,
): Promise<T> {
  // Seeded too: what draws at random in a run (Step Functions' retry jitter, the SDK's backoff) replays exactly.
  return withSeededRandom(() => onClock(startAt, work, onTick, stallTurns));
}

async function onClock<T>(startAt: number, work: () => Promise<T>, onTick: () => void, stallTurns: number): Promise<T> {
  const clock = FakeTimers.install({
    now: startAt,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
  try {
    let settled = false;
    const promise = work().finally(() => {
      settled = true;
    });
    promise.catch(() => {}); // observed below; avoid an unhandled rejection while the loop runs
    let idle = 0;
    while (!settled) {
      await yieldToEventLoop();
      await yieldToEventLoop();
      if (settled) break;
      if (clock.countTimers() > 0) {
        clock.next();
        onTick();
        idle = 0;
      } else if (++idle > stallTurns) {
        throw new Error('simulation stalled: no timer pending and the execution has not finished');
      }
    }
    return await promise;
  } finally {
    clock.uninstall();
  }
}
