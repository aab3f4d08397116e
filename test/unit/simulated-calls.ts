/**
 * Seeding the canonical simulated account, calling its services directly, as the SDK middleware would, and
 * reading what a refused call threw: shared by the simulator's limit tests.
 */
import { fileURLToPath } from 'node:url';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import type { SimulatedAccount } from '../../lib/simulator/account';
import { noFaults, parseFaults } from '../../lib/simulator/faults';
import { seedAccount, type FleetOptions } from '../../lib/simulator/fleet';
import { callService } from '../../lib/simulator/services/index';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));

/** The canonical environment's simulated account, with the faults given (as `--fault` spells them). */
export function seedWithFaults(faults: readonly string[] = [], options: FleetOptions = {}): SimulatedAccount {
  const account = seedAccount(canonical, noFaults(), options);
  account.useFaults(parseFaults(faults, new Set([...account.hosts.values()].map((h) => h.name)), new Set(account.alarms.keys())));
  return account;
}

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
