/**
 * Records, at every instant the simulated account is observed or changed, how many
 * hosts of each tier are in service, and keeps the lowest count seen; and integrates the
 * instances running over time (what EC2 bills), for the extra instance-hours of a surge.
 */
import type { SimulatedAccount } from './account';

export class CapacityRecorder {
  readonly minInService = new Map<string, number>();
  /** Virtual time at which each tier's minimum was first reached. */
  readonly minAt = new Map<string, number>();
  samples = 0;
  /** Instances running when recording started, and instance-seconds of running since. */
  readonly runningAtStart: number;
  readonly startedAt: number;
  instanceSeconds = 0;
  private lastAt: number;
  private lastRunning: number;

  constructor(private readonly account: SimulatedAccount) {
    for (const host of account.hosts.values()) this.minInService.set(host.tier, Number.POSITIVE_INFINITY);
    this.startedAt = account.now();
    this.lastAt = this.startedAt;
    this.runningAtStart = this.running();
    this.lastRunning = this.runningAtStart;
    account.onObserve((at) => this.sample(at));
  }

  /** Instance-hours beyond keeping the instances of the start running until `end`. */
  extraInstanceHours(end: number): number {
    const total = this.instanceSeconds + this.lastRunning * Math.max(0, (end - this.lastAt) / 1000);
    return Math.max(0, total - this.runningAtStart * ((end - this.startedAt) / 1000)) / 3600;
  }

  private running(): number {
    return [...this.account.hosts.values()].filter((h) => h.state === 'running' || h.state === 'stopping' || h.state === 'shutting-down').length;
  }

  sample(at: number): void {
    this.samples += 1;
    if (at > this.lastAt) {
      this.instanceSeconds += this.lastRunning * ((at - this.lastAt) / 1000);
      this.lastAt = at;
    }
    this.lastRunning = this.running();
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
