/**
 * Which hosts a scale-in removes, and whether it may: pure functions (no SDK), so the planner
 * (plan-scale-in.ts), its tests and the campaign's checks reason about the same rule.
 *
 * - Balanced across Availability Zones: each host removed comes from the zone that has the
 *   most hosts left, so zones that were within one host of each other stay so, and uneven
 *   zones move towards even.
 * - Oldest first: within that zone, the host launched first (ties: the zone whose oldest host
 *   is older, then by zone name; within a zone, by name and ID, so the choice is reproducible).
 * - Hosts FleetFlow already took out of traffic (marked so by a run that stopped or failed after taking
 *   them out) go first, oldest first: they serve nothing, and a scale-in started again after a stop
 *   finishes what the stopped one began instead of leaving them out and taking others.
 * - Then hosts already failing their health checks (a target group reports them unhealthy or unused,
 *   or EC2 reports a status check impaired: plan-scale-in.ts reads it), oldest first: they serve
 *   nothing either, so removing one costs no capacity, where removing a healthy one would leave the
 *   failing one to count against the floor.
 * - Never below the tier's floors: what is left must hold the capacity floor (the tier's
 *   `minHealthyPercent` of the hosts it has now, rounded up, as every batch of a release keeps)
 *   and its declared `count`; and what is left *serving* (not out of traffic, not failing) must hold
 *   the larger of the two, as Check Retire Capacity will count it live, so a scale-in that would
 *   fail there after taking the lock is refused before it.
 */

export interface ScaleInCandidate {
  readonly id: string;
  readonly name: string;
  /** The host's Availability Zone ('' when EC2 did not say). */
  readonly zone: string;
  /** LaunchTime, epoch milliseconds. */
  readonly launchedAt: number;
  /** Marked out of traffic by FleetFlow (fleetflow:out-of-traffic). */
  readonly outOfTraffic?: boolean;
  /** Failing its health checks now (target group unhealthy or unused, or an EC2 status check impaired). */
  readonly failing?: boolean;
}

/** Why a host serves nothing, in the order a scale-in takes such hosts; undefined when it serves. */
export function notServing(host: ScaleInCandidate): 'out-of-traffic' | 'failing' | undefined {
  return host.outOfTraffic ? 'out-of-traffic' : host.failing ? 'failing' : undefined;
}

/** The oldest first; equal launch times by name (numerically: web-2 before web-10), then ID. */
function olderFirst(a: ScaleInCandidate, b: ScaleInCandidate): number {
  return a.launchedAt - b.launchedAt || a.name.localeCompare(b.name, 'en', { numeric: true }) || a.id.localeCompare(b.id);
}

/** `remove` hosts of `hosts`, in the order they are chosen. `remove` must not exceed the hosts given. */
export function chooseHostsToRemove<T extends ScaleInCandidate>(hosts: readonly T[], remove: number): T[] {
  if (!Number.isInteger(remove) || remove < 0 || remove > hosts.length) throw new RangeError(`cannot remove ${remove} of ${hosts.length} hosts`);
  // Hosts already out of traffic first, then hosts failing their health checks; the zones are levelled among the others.
  const chosen: T[] = [...hosts.filter((h) => h.outOfTraffic).sort(olderFirst), ...hosts.filter((h) => !h.outOfTraffic && h.failing).sort(olderFirst)].slice(0, remove);
  const zones = new Map<string, T[]>();
  for (const host of hosts) if (!chosen.includes(host)) zones.set(host.zone, [...(zones.get(host.zone) ?? []), host]);
  for (const list of zones.values()) list.sort(olderFirst);
  while (chosen.length < remove) {
    let pick: [string, T[]] | undefined;
    for (const entry of zones) {
      const [zone, left] = entry;
      if (left.length === 0) continue;
      if (!pick) {
        pick = entry;
        continue;
      }
      const [bestZone, best] = pick;
      const order = best.length - left.length || left[0]!.launchedAt - best[0]!.launchedAt || zone.localeCompare(bestZone);
      if (order < 0) pick = entry;
    }
    chosen.push(pick![1].shift()!);
  }
  return chosen;
}

export interface ScaleInFigures {
  readonly tier: string;
  /** Hosts the tier has now (running or starting, not retired, not a stopped run's leftover). */
  readonly hosts: number;
  readonly remove: number;
  readonly minHealthyPercent: number;
  /** The tier's declared `count`, when it declares one. */
  readonly count?: number;
  /**
   * The hosts that serve nothing now (out of traffic or failing their health checks), by name: they are
   * chosen first, and those not removed do not count as serving. None when absent.
   */
  readonly notServing?: readonly string[];
}

/** The capacity floor: `minHealthyPercent` of the hosts the tier has now, rounded up. */
export function capacityFloor(hosts: number, minHealthyPercent: number): number {
  return Math.ceil((hosts * minHealthyPercent) / 100);
}

/** What must stay in service throughout, and after: the larger of the capacity floor and the declared count. */
export function scaleInMinimum(figures: Pick<ScaleInFigures, 'hosts' | 'minHealthyPercent' | 'count'>): number {
  return Math.max(capacityFloor(figures.hosts, figures.minHealthyPercent), figures.count ?? 0);
}

/** Why `remove` may not be removed, naming the figures; undefined when it may. */
export function scaleInRefusal(f: ScaleInFigures): string | undefined {
  const left = f.hosts - f.remove;
  if (left < 0) return `remove: tier ${f.tier} has ${f.hosts} host(s); ${f.remove} cannot be removed`;
  const floor = capacityFloor(f.hosts, f.minHealthyPercent);
  if (left < floor) {
    return (
      `remove: removing ${f.remove} of tier ${f.tier}'s ${f.hosts} host(s) would leave ${left}, below its capacity floor of ${floor} ` +
      `(minHealthyPercent ${f.minHealthyPercent} of ${f.hosts}); at most ${Math.max(0, f.hosts - floor)} can be removed`
    );
  }
  if (f.count !== undefined && left < f.count) {
    return (
      `remove: removing ${f.remove} of tier ${f.tier}'s ${f.hosts} host(s) would leave ${left}, below its declared count of ${f.count}; ` +
      `at most ${Math.max(0, f.hosts - f.count)} can be removed (lower the tier's count first)`
    );
  }
  // The hosts serving nothing leave first, so what is left serving is the fewer of what is left and what serves
  // now; what is left already holds the minimum (above), so only a tier already short of it is refused here. Check
  // Retire Capacity would refuse it live too, after the lock: every batch needs the minimum serving besides it.
  const idle = f.notServing ?? [];
  const servingNow = f.hosts - idle.length;
  const minimum = Math.max(floor, f.count ?? 0);
  if (servingNow < minimum) {
    const names = idle.slice(0, 5).join(', ') + (idle.length > 5 ? ` and ${idle.length - 5} more` : '');
    return (
      `remove: only ${servingNow} of tier ${f.tier}'s ${f.hosts} host(s) serve now, below its minimum of ${minimum} in service ` +
      `(out of traffic or failing their health checks: ${names}); no host can leave until enough serve again (replace --targets unhealthy)`
    );
  }
  return undefined;
}
