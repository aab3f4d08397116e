/**
 * The lower bound's protection reads (lib/simulator/compute-bound.ts) come from the plan: the
 * hosts in the guarded tiers' batches, counted by the guard's own protectionReads
 * (lambdas/compute/retire-guards.ts), each host as it was when the plan read it; never from the
 * calls the code made (a throttled call, a restarted run's earlier plan).
 */
import { describe, expect, it } from 'vitest';
import { batchKey } from '../../lambdas/shared/plan-store';
import type { SimulatedAccount } from '../../lib/simulator/account';
import { plannedProtectionReads, protectionReadSeconds } from '../../lib/simulator/compute-bound';
import { PLAN_TABLE_NAME } from '../../lib/simulator/fleet';
import { seedWithFaults } from './simulated-calls';

/** Stores `ids` as the plan's batches of `keyPrefix`, two hosts a batch, as plan-store.ts writes them. */
function storeBatches(account: SimulatedAccount, keyPrefix: string, ids: string[]): number {
  const table = account.tables.get(PLAN_TABLE_NAME) ?? new Map();
  account.tables.set(PLAN_TABLE_NAME, table);
  let index = 0;
  for (let i = 0; i < ids.length; i += 2, index += 1) table.set(batchKey(keyPrefix, index), { hosts: { S: JSON.stringify(ids.slice(i, i + 2).map((id) => ({ id }))) } });
  return index;
}

describe('the protection reads a plan made, for the lower bound', () => {
  it('counts the planned hosts × the policy, a stop skipping a host that had stopped before the plan, not the calls made', () => {
    // Prepare: web's 4 hosts in 2 batches; web-2 stopped 10 s before the plan, web-3 only after it
    const account = seedWithFaults([], { hostsPerTier: 4 });
    const web = [...account.hosts.values()].filter((h) => h.tier === 'web');
    const batchCount = storeBatches(account, 'plan#web', web.map((h) => h.id));
    const plannedAt = 100_000;
    web[1]!.leftRunningAt = plannedAt - 10_000;
    web[2]!.leftRunningAt = plannedAt + 10_000;
    // The calls the code made count for nothing: a throttled one, an earlier plan's.
    account.calls.set('ec2:DescribeInstanceAttribute', 5000);

    // Act
    const stop = plannedProtectionReads(account, [{ keyPrefix: 'plan#web', batchCount, policy: 'stop' }], plannedAt);
    const terminate = plannedProtectionReads(account, [{ keyPrefix: 'plan#web', batchCount, policy: 'terminate' }], plannedAt);

    // Assess
    expect(batchCount).toBe(2);
    expect(stop).toBe(3);
    expect(terminate).toBe(8);
  });

  it("is AWS's floor: 100 reads at once, then 20 a second", () => {
    expect(protectionReadSeconds(100)).toBe(0);
    expect(protectionReadSeconds(2000)).toBe(95);
  });
});
