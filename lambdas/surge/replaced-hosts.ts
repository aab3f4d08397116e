/**
 * A surge release started again after one stopped between taking a batch's old hosts out of
 * traffic and stopping them: those old hosts still run, out of traffic, and the new hosts that
 * replaced them serve this release. Surged again, each would get a second replacement and the
 * tier would end above its declared count (3 middle hosts of 2). Plan Release (lambdas/deploy/
 * plan-release.ts) asks this module which of them are already replaced: those are only retired
 * with the tier's first batch (taken out, drained, stopped, terminated by Terminate Surged Hosts
 * once the release is validated), no host is launched for them, and the tier is counted without
 * them.
 *
 * Decided by counting, over the earlier executions of the environment (never this one): the new
 * hosts their surges launched that serve this release, against the old hosts their surges took out
 * of traffic (still running) or stopped (still there). A surge batch puts its new hosts in service
 * before any of its old hosts leaves, so while every such new host still serves there are at least
 * as many as old hosts taken out; any more replace old hosts still in traffic (stopped after a batch's
 * new hosts went into service, before its old hosts left: restart:700 of a 20-host tier). Fewer (a new host was terminated or left traffic since) and which
 * old host lost its replacement cannot be told: nothing is taken as replaced, the old hosts are
 * surged again, and the plan names them.
 */
import { INSTALL_SENT_TAGS, LAUNCH_SCOPE_TAG, LAUNCHED_BY_TAG, OUT_OF_TRAFFIC_TAG, RELEASE_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG, SURGE_REASON } from '../domain/contract/tags';
import type { HostRef } from '../domain/contract/payloads';
import { findInstances, tagFilters, type InstanceFacts } from '../shared/instances';

/** The launch scope of a surge batch's new hosts begins so (surge-hosts.ts `surgeScope`). */
const SURGE_SCOPE = 'surge#';

export interface ReplacedOldHosts {
  /** Old hosts whose replacement serves already: retired without a new launch. */
  readonly replaced: HostRef[];
  /** Old hosts an earlier surge took out whose replacement cannot be told: surged again (the tier may end above its count). */
  readonly unsure: HostRef[];
}

export interface TierState {
  readonly hostTags: Record<string, string>;
  /** The tier's running hosts as Plan Release found them, in plan order. */
  readonly hosts: readonly HostRef[];
  /** Those not in traffic now (tier-hosts.ts `resolveTraffic`). */
  readonly outOfTraffic: ReadonlySet<string>;
}

export async function replacedOldHosts(tier: TierState, release: string, execution: string): Promise<ReplacedOldHosts> {
  const live = await findInstances(tagFilters(tier.hostTags, ['pending', 'running', 'stopping', 'stopped']));
  return judgeReplaced(live, tier, release, execution);
}

/**
 * The counting rule, on the tier's instances as DescribeInstances lists them (pure: unit-tested).
 *
 * Every old host an earlier surge took out of traffic is replaced when its serving new hosts are at
 * least as many as the old hosts it took out or stopped. More of them than that (it was stopped after a
 * batch's new hosts went into service and before its old hosts left) replace as many old hosts still in
 * traffic, the first in plan order (the ones that batch held: the same order, the hosts before it gone).
 */
export function judgeReplaced(live: readonly InstanceFacts[], tier: Omit<TierState, 'hostTags'>, release: string, execution: string): ReplacedOldHosts {
  const byEarlier = (by: string | undefined) => by !== undefined && by !== '' && by !== execution;
  const retired = (h: InstanceFacts) => h.tags.has(RETIRED_BY_TAG);
  const running = (h: InstanceFacts) => h.state === 'pending' || h.state === 'running';
  const facts = new Map(live.map((h) => [h.id, h]));
  // Old: running, not retired, on another release with no install sent (a surge installs nothing on its old hosts).
  const old = (ref: HostRef) => {
    const h = facts.get(ref.id);
    return h !== undefined && running(h) && !retired(h) && h.tags.get(RELEASE_TAG) !== release && !INSTALL_SENT_TAGS.some((key) => h.tags.has(key));
  };
  const takenOut = tier.hosts.filter((h) => old(h) && tier.outOfTraffic.has(h.id) && byEarlier(facts.get(h.id)?.tags.get(OUT_OF_TRAFFIC_TAG)));
  // New hosts an earlier surge launched that serve this release now.
  const serving = tier.hosts.filter((ref) => {
    const h = facts.get(ref.id);
    return (
      h !== undefined &&
      running(h) &&
      !retired(h) &&
      !tier.outOfTraffic.has(h.id) &&
      byEarlier(h.tags.get(LAUNCHED_BY_TAG)) &&
      h.tags.get(LAUNCH_SCOPE_TAG)?.startsWith(SURGE_SCOPE) === true &&
      h.tags.get(RELEASE_TAG) === release
    );
  });
  // No earlier surge of this release serves: nothing was replaced, and nothing is in doubt (the hosts are released as any left out).
  if (serving.length === 0) return { replaced: [], unsure: [] };
  // Old hosts an earlier surge stopped, not yet terminated: each of them used up one replacement too.
  const stopped = live.filter((h) => !running(h) && h.tags.get(RETIRED_REASON_TAG) === SURGE_REASON && byEarlier(h.tags.get(RETIRED_BY_TAG)) && h.tags.get(RELEASE_TAG) !== release);
  const spare = serving.length - stopped.length - takenOut.length;
  if (spare < 0) return { replaced: [], unsure: takenOut };
  const stillIn = tier.hosts.filter((h) => old(h) && !tier.outOfTraffic.has(h.id)).slice(0, spare);
  return { replaced: [...takenOut, ...stillIn], unsure: [] };
}
