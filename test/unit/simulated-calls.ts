/**
 * Calling the simulated account's services directly, as the SDK middleware would, and
 * reading what a refused call threw: shared by the simulator's limit tests.
 */
import type { SimulatedAccount } from '../../lib/simulator/account';
import { callService } from '../../lib/simulator/services';

// Requests arrive as the SDK's command input: any shape.
export const call = (account: SimulatedAccount, service: string, operation: string, input: Record<string, any>): any =>
  callService(account, service, operation, input, 'Throttling');

/** What a call throws, for asserting its name and message. */
export function refusal(act: () => unknown): Error {
  try {
    act();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the call was not refused');
}
