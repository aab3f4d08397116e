/**
 * The scale-in's part of the fault campaign (campaign.ts): its input, what it watches while
 * the run goes on, and the promises it checks (the seeded hosts' launch times differ and are not
 * in name order, fleet.ts, so "oldest first" is tested, not a tie-break):
 * - capacity never below the floor: the tier's `minHealthyPercent` of the hosts it had, rounded up;
 * - never below the declared `count`, in service throughout and running at the end;
 * - no host stopped or terminated by FleetFlow while still registered in a target group or with
 *   connections open (draining), or, on a clustered tier, undrained;
 * - on success, exactly `remove` hosts retired: first those down from the start (`down:HOST`, failing
 *   their health checks), then the oldest of each zone, the zones levelled from the fullest down (so
 *   zones within one host of each other stay so);
 * - a cause that says nothing was changed retired nothing.
 * The floors are computed here from the environment, not read from the plan: a planner that
 * set them wrong would otherwise pass its own check.
 */
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { isHostTier } from '../../lambdas/domain/environment/model';
import { RETIRED_BY_TAG } from '../../lambdas/domain/contract/tags';
import type { SimHost, SimulatedAccount } from './account';
import type { SimulationReport } from './simulate';

/** Hosts per tier a scale-in campaign seeds: room to remove 1-2 above canonical's count of 2 and 50% floor, and a refusal at 3. */
export const SCALE_IN_HOSTS_PER_TIER = 5;
/** Hosts a drawn scale-in removes, at most. */
const MAX_DRAWN_REMOVE = 3;

type Fail = (invariant: string, detail: string) => void;

/** What the run looked like as it happened: hosts FleetFlow stopped or terminated while they still served or drained. */
export interface ScaleInWatch {
  /** Per tier, the hosts it had (running) when the run began, with where and when each was launched. */
  readonly before: Map<string, Array<{ id: string; name: string; zone: string; launchedAt: number }>>;
  readonly retiredServing: string[];
}

/** Of the drawn scale-ins, the share that asks for MAX_DRAWN_REMOVE hosts: refused by the plan on canonical's tiers (floor 3 of 5). */
const REFUSED_SHARE = 0.15;

/** A tier of the environment's hosts, and how many to remove: mostly 1 or 2, sometimes 3 (which breaks canonical's floor and is refused). */
export function drawScaleInInput(r: () => number, tiers: readonly string[]): { tier: string; remove: number } {
  const tier = tiers[Math.floor(r() * tiers.length)]!;
  return { tier, remove: r() < REFUSED_SHARE ? MAX_DRAWN_REMOVE : 1 + Math.floor(r() * (MAX_DRAWN_REMOVE - 1)) };
}

/** Before the run: the hosts each tier has, and from then on any host FleetFlow retires while it serves or drains. */
export function prepareScaleIn(account: SimulatedAccount, environment: EnvironmentDefinition, watched: ScaleInWatch): void {
  const clustered = new Set(environment.tiers.filter(isHostTier).filter((t) => t.traffic.kind === 'drain-command').map((t) => t.name));
  const hosts = [...account.hosts.values()].filter((h) => h.tier !== '');
  for (const host of hosts) {
    const list = watched.before.get(host.tier) ?? [];
    list.push({ id: host.id, name: host.name, zone: host.availabilityZone, launchedAt: host.launchedAt });
    watched.before.set(host.tier, list);
  }
  const last = new Map(hosts.map((h) => [h.id, h.state as string]));
  account.onHostChanged((host) => {
    const was = last.get(host.id);
    last.set(host.id, host.state);
    const leaving = (was === 'running' || was === 'pending') && host.state !== was && host.state !== 'running';
    // Only what FleetFlow retired (it tags first): a fault's stop or terminate carries no tag.
    if (!leaving || !host.tags.has(RETIRED_BY_TAG)) return;
    const why = servingWhy(account, host, clustered.has(host.tier));
    if (why && !watched.retiredServing.some((x) => x.startsWith(`${host.name} `))) watched.retiredServing.push(`${host.name} (${why})`);
  });
}

/** Why the host still served or drained when it was asked to stop, or undefined. */
function servingWhy(account: SimulatedAccount, host: SimHost, clustered: boolean): string | undefined {
  const now = account.now();
  for (const group of account.groupsOf(host.tier)) {
    const target = group.targets.get(host.id);
    if (target && target.deregisteredAt === undefined) return `registered in ${group.name}`;
    if (target && (host.connectionsCloseAt === undefined || host.connectionsCloseAt > now)) return `draining from ${group.name}`;
  }
  if (clustered && !host.drained) return 'undrained';
  return undefined;
}

export function checkScaleInInvariants(
  report: SimulationReport,
  account: SimulatedAccount,
  environment: EnvironmentDefinition,
  faults: readonly string[],
  initialInService: ReadonlyMap<string, number>,
  watched: ScaleInWatch,
  input: { tier: string; remove: number },
  fail: Fail,
): void {
  const tier = environment.tiers.filter(isHostTier).find((t) => t.name === input.tier);
  if (!tier) return fail('scale-in input', `no host tier ${input.tier}`);
  const before = watched.before.get(tier.name) ?? [];
  // Hosts the faults themselves take away (or leave unhealthy) are not FleetFlow's to keep.
  const taken = new Set(faults.filter((f) => /^(stop|terminate|down):/.test(f)).map((f) => f.slice(f.indexOf(':') + 1).split('@')[0]!));
  const lost = before.filter((h) => taken.has(h.name)).length;
  const floor = Math.ceil((before.length * tier.batch.minHealthyPercent) / 100);
  const had = initialInService.get(tier.name) ?? 0;
  const seen = report.minInService[tier.name] ?? 0;
  if (seen < Math.min(floor, had) - lost) fail('capacity floor', `tier ${tier.name}: ${seen} in service at the lowest, floor ${floor} of ${before.length} hosts`);
  if (tier.count !== undefined && seen < Math.min(tier.count, had) - lost) fail('count minimum', `tier ${tier.name}: ${seen} in service at the lowest, count ${tier.count}`);

  const hosts = [...account.hosts.values()].filter((h) => h.tier === tier.name);
  const running = hosts.filter((h) => (h.state === 'running' || h.state === 'pending') && !h.tags.has(RETIRED_BY_TAG));
  if (tier.count !== undefined && running.length < Math.min(tier.count, before.length) - lost) {
    fail('count minimum', `tier ${tier.name}: ${running.length} host(s) left running, count ${tier.count}`);
  }
  if (watched.retiredServing.length > 0) fail('retired only once drained', watched.retiredServing.join(', '));

  const retired = hosts.filter((h) => h.tags.get(RETIRED_BY_TAG) === report.executionName);
  if (/nothing was changed/.test(report.cause ?? '') && retired.length > 0) {
    fail('nothing changed is true', `the cause says nothing was changed, but ${retired.map((h) => h.name).join(', ')} were retired`);
  }
  if (report.status !== 'SUCCEEDED' || faults.some((f) => /^(stop|terminate):/.test(f))) return;
  // A run really stopped and started again: `remove` is relative (docs/workflows/scale-in.md), so the
  // execution started again retires exactly `remove`, and the stopped one had retired at most that many.
  // Which hosts it chose is not checked: it takes first the hosts the stopped one had taken out of traffic.
  if (report.restart?.applied) {
    if (retired.length !== input.remove) fail('removed as asked', `tier ${tier.name}: ${retired.length} host(s) retired by the execution started again, ${input.remove} asked for`);
    const first = hosts.filter((h) => h.tags.get(RETIRED_BY_TAG) === report.restart!.stoppedExecution);
    if (first.length > input.remove) fail('removed as asked', `tier ${tier.name}: the stopped execution retired ${first.length}, ${input.remove} asked for`);
    return;
  }
  // One execution (no restart, or one the run had ended before): chosen from the hosts it began with, exactly `remove`.
  // Hosts down from the start fail their health checks: the planner takes them first, oldest first, and
  // levels the zones among the others (lambdas/compute/scale-in-choice.ts).
  const down = new Set(faults.filter((f) => f.startsWith('down:')).map((f) => f.slice('down:'.length)));
  const failing = before.filter((h) => down.has(h.name)).sort((a, b) => a.launchedAt - b.launchedAt).slice(0, input.remove);
  const retiredIds = new Set(retired.map((h) => h.id));
  const kept = failing.filter((h) => !retiredIds.has(h.id));
  if (kept.length > 0) fail('failing first', `tier ${tier.name}: ${kept.map((h) => h.name).join(', ')} down from the start, kept while healthy hosts were removed`);
  const rest = new Set([...retiredIds].filter((id) => !failing.some((h) => h.id === id)));
  checkChoice(before.filter((h) => !failing.includes(h)), rest, input.remove - failing.length, tier.name, fail);
}

/** `remove` hosts retired: in each zone its oldest, and the zones' counts what levelling the fullest first leaves. */
function checkChoice(before: ScaleInWatch['before'] extends Map<string, infer V> ? V : never, retired: ReadonlySet<string>, remove: number, tier: string, fail: Fail): void {
  if (retired.size !== remove) return fail('removed as asked', `tier ${tier}: ${retired.size} host(s) retired, ${remove} asked for`);
  const zones = new Map<string, typeof before>();
  for (const host of before) zones.set(host.zone, [...(zones.get(host.zone) ?? []), host]);
  for (const [zone, list] of zones) {
    const k = list.filter((h) => retired.has(h.id)).length;
    const oldest = [...list].sort((a, b) => a.launchedAt - b.launchedAt).slice(0, k);
    const notOldest = oldest.filter((h) => !retired.has(h.id));
    if (notOldest.length > 0) fail('oldest first', `tier ${tier}, zone ${zone}: ${notOldest.map((h) => h.name).join(', ')} older than a host removed instead`);
  }
  // Levelling: each removal from a zone with the most hosts left.
  const counts = [...zones.values()].map((list) => list.length);
  for (let i = 0; i < remove; i += 1) counts[counts.indexOf(Math.max(...counts))]! -= 1;
  const left = [...zones.values()].map((list) => list.filter((h) => !retired.has(h.id)).length);
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b).join(',');
  if (sorted(left) !== sorted(counts)) fail('zone-balanced', `tier ${tier}: zones left with ${left.join(', ')} host(s), levelling gives ${counts.join(', ')}`);
}
