/**
 * What a unit test of handlers against the simulated account sets around each test: the clock
 * at NOW (Date only) and the AWS variables the handlers' SDK clients and the plan store read,
 * restored afterwards.
 */
import { afterEach, beforeEach, vi } from 'vitest';
import { PLAN_TABLE_NAME } from '../../lib/simulator/fleet';
import { NOW } from './fixtures';

export const SIMULATED_AWS_ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'ASIASIMULATED', AWS_SECRET_ACCESS_KEY: 'simulated', PLAN_TABLE: PLAN_TABLE_NAME };

/** Registers the before-each and after-each hooks; call it at the top of a test file, before seeding an account. */
export function useSimulatedAwsEnvironment(): void {
  let saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    saved = Object.fromEntries(Object.keys(SIMULATED_AWS_ENV).map((k) => [k, process.env[k]]));
    Object.assign(process.env, SIMULATED_AWS_ENV);
  });
  afterEach(() => {
    vi.useRealTimers();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}
