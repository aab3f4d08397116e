/**
 * Records, at every instant the simulated account is observed or changed, how many
 * hosts of each tier are in service, and keeps the lowest count seen; and integrates the
 * instances running over time (what EC2 bills), for the extra instance-hours of a surge.
 *
 * The counts are kept up to date incrementally: a host is looked at again only when the
 * account says something about it changed (`hostChanged`: its state, health, drain or
 * target registrations) or when the time it could change by itself has come
 * (`serviceChangesAt`: a health check threshold, the end of a deregistration delay). A
 * 1,000-host release is observed at every API call; looking at every host each time was most
 * of a simulation's time.
 */
import type { SimHost, SimulatedAccount } from './account';

/** EC2 bills an instance in these states (running, and until it has stopped or terminated). */
const BILLED_STATES = new Set(['running', 'stopping', 'shutting-down']);

interface HostView {
  inService: boolean;
  running: boolean;
  /** The instant from which `inService` must be computed again though nothing happened to the host. */
  until: number;
}

export class CapacityRecorder {
  readonly minInService = new Map<string, number>();
  /** Virtual time at which each tier's minimum was first reached. */
  readonly minAt = new Map<string, number>();
  samples = 0;
  /**
   * Per tier, [virtual ms, hosts in service] at the start and at every sample where the count
   * changed: change points only, so it grows with what happens to hosts (about two points per
   * host taken out and put back), not with how often the account is observed. The timeline
   * (timeline.ts) bounds what it reports.
   */
  readonly inServiceChanges = new Map<string, Array<[number, number]>>();
  /** Instances running when recording started. */
  readonly runningAtStart: number;
  readonly startedAt: number;
  /**
   * [virtual ms, instances running from then on], at the start and at every sample where the
   * count changed: what EC2 bills, integrated up to whichever end a report asks for. A running
   * total would also count samples after that end: a report built after the virtual clock was
   * uninstalled (data-report.ts settles the account) observed it at the wall clock's time,
   * months after the simulated epoch, and a restarted restore-data reported 48,298 extra hours.
   */
  private readonly runningChanges: Array<[number, number]> = [];
  private readonly views = new Map<string, HostView>();
  private readonly inServiceByTier = new Map<string, number>();
  private running = 0;
  /** Hosts changed since the last sample. */
  private readonly changed = new Set<SimHost>();
  /** Hosts whose `inService` will change by time alone (finite `until`). */
  private readonly timed = new Set<SimHost>();

  /** With `verify`: every sample at which the kept counts differed from counting every host. */
  readonly mismatches: string[] = [];

  /**
   * @param verify After every sample, also count every host the slow way and record any
   *   difference in `mismatches` (the tests' check that no change escapes `hostChanged`).
   */
  constructor(
    private readonly account: SimulatedAccount,
    private readonly verify = false,
  ) {
    for (const host of account.hosts.values()) this.minInService.set(host.tier, Number.POSITIVE_INFINITY);
    this.startedAt = account.now();
    for (const host of account.hosts.values()) this.look(host, this.startedAt);
    for (const [tier, count] of this.inServiceByTier) this.inServiceChanges.set(tier, [[this.startedAt, count]]);
    // The start is an instant of the run too: a run refused before any call still reports what was in service.
    for (const tier of this.minInService.keys()) {
      this.minInService.set(tier, this.inServiceByTier.get(tier) ?? 0);
      this.minAt.set(tier, this.startedAt);
    }
    this.runningAtStart = this.running;
    this.runningChanges.push([this.startedAt, this.running]);
    account.onHostChanged((host) => this.changed.add(host));
    account.onObserve((at) => this.sample(at));
  }

  /**
   * Instance-hours beyond keeping the instances of the start running until `end`: EC2
   * instances only (account.hosts); a DB instance is no host and is not counted here.
   */
  extraInstanceHours(end: number): number {
    let total = 0;
    for (let i = 0; i < this.runningChanges.length; i += 1) {
      const [from, running] = this.runningChanges[i]!;
      const to = Math.min(end, this.runningChanges[i + 1]?.[0] ?? end);
      if (to > from) total += running * ((to - from) / 1000);
    }
    return Math.max(0, total - this.runningAtStart * (Math.max(0, end - this.startedAt) / 1000)) / 3600;
  }

  sample(at: number): void {
    this.samples += 1;
    for (const host of this.changed) this.look(host, at);
    this.changed.clear();
    for (const host of this.timed) if (this.views.get(host.id)!.until <= at) this.look(host, at);
    this.recordRunning(at);
    if (this.verify) this.check(at);
    for (const [tier, count] of this.inServiceByTier) {
      this.recordChange(tier, count, at);
      if (count < (this.minInService.get(tier) ?? Number.POSITIVE_INFINITY)) {
        this.minInService.set(tier, count);
        this.minAt.set(tier, at);
      }
    }
  }

  /** A change point when the count of running instances moved (several samples at one instant: the last wins). */
  private recordRunning(at: number): void {
    const last = this.runningChanges.at(-1)!;
    if (last[1] === this.running) return;
    // Samples come in time order; one from before the last change point counts from it.
    if (last[0] >= at) last[1] = this.running;
    else this.runningChanges.push([at, this.running]);
  }

  /** A change point when the tier's count moved since its last one (several samples at one instant: the last count wins). */
  private recordChange(tier: string, count: number, at: number): void {
    const series = this.inServiceChanges.get(tier) ?? [];
    this.inServiceChanges.set(tier, series);
    const last = series.at(-1);
    if (last?.[1] === count) return;
    if (last?.[0] === at) {
      last[1] = count;
      // Back to the count before this instant: the instant's change cancelled out.
      if (series.at(-2)?.[1] === count) series.pop();
      return;
    }
    series.push([at, count]);
  }

  /** Computes whether the host serves at `at` and until when that holds, and moves the counts. */
  private look(host: SimHost, at: number): void {
    const before = this.views.get(host.id);
    const view: HostView = { inService: this.account.inService(host, at), running: BILLED_STATES.has(host.state), until: this.account.serviceChangesAt(host, at) };
    this.views.set(host.id, view);
    const moved = Number(view.inService) - Number(before?.inService ?? false);
    this.inServiceByTier.set(host.tier, (this.inServiceByTier.get(host.tier) ?? 0) + moved);
    this.running += Number(view.running) - Number(before?.running ?? false);
    if (Number.isFinite(view.until)) this.timed.add(host);
    else this.timed.delete(host);
  }

  /** The counts as sampling every host gives them. */
  private check(at: number): void {
    const counts = new Map<string, number>();
    for (const host of this.account.hosts.values()) counts.set(host.tier, (counts.get(host.tier) ?? 0) + (this.account.inService(host, at) ? 1 : 0));
    const running = [...this.account.hosts.values()].filter((h) => BILLED_STATES.has(h.state)).length;
    for (const [tier, count] of counts) {
      if ((this.inServiceByTier.get(tier) ?? 0) !== count) this.mismatches.push(`${tier} in service at ${new Date(at).toISOString()}: ${this.inServiceByTier.get(tier)} kept, ${count} counted`);
    }
    if (running !== this.running) this.mismatches.push(`running instances at ${new Date(at).toISOString()}: ${this.running} kept, ${running} counted`);
  }
}
