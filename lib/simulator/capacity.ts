/**
 * Records, at every instant the simulated account is observed or changed, how many
 * hosts of each tier are in service, and keeps the lowest count seen.
 */
import type { SimulatedAccount } from './account';

export class CapacityRecorder {
  readonly minInService = new Map<string, number>();
  /** Virtual time at which each tier's minimum was first reached. */
  readonly minAt = new Map<string, number>();
  samples = 0;

  constructor(private readonly account: SimulatedAccount) {
    for (const host of account.hosts.values()) this.minInService.set(host.tier, Number.POSITIVE_INFINITY);
    account.onObserve((at) => this.sample(at));
  }

  sample(at: number): void {
    this.samples += 1;
    const counts = new Map<string, number>();
    for (const host of this.account.hosts.values()) {
      counts.set(host.tier, (counts.get(host.tier) ?? 0) + (this.account.inService(host, at) ? 1 : 0));
    }
    for (const [tier, count] of counts) {
      if (count < (this.minInService.get(tier) ?? Number.POSITIVE_INFINITY)) {
        this.minInService.set(tier, count);
        this.minAt.set(tier, at);
      }
    }
  }
}
