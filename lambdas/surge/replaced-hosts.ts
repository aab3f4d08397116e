/**
 * A surge release started again after one stopped midway: a batch's new hosts may serve this release
 * while the old hosts they replace still run (taken out of traffic, or still in it: stopped after the
 * new hosts went into service, before the old ones left). Surged again, each old host would get a
 * second replacement and the tier would end above its declared count. Plan Release (lambdas/deploy/
 * plan-release.ts) asks this module which of them are already replaced: those are only retired with
 * the tier's first batch (taken out, drained, stopped, terminated by Terminate Surged Hosts once the
 * release is validated), no host is launched for them, and the tier is counted without them.
 *
 * Decided by evidence that lives as long as the new hosts do: each new host carries, from its launch,
 * its batch (launch scope `surge#<tier>#<index>`, launched-by the execution) and the IDs of the old
 * hosts that batch replaces (REPLACES_TAG). An old host is replaced only when its batch's new hosts
 * serve this release, as many of them as the batch has old hosts. Never by counting hosts that may
 * be gone: an earlier execution's stopped old hosts may be terminated (by hand, or by that release's
 * end) without changing what serves. When in doubt (a new host of the batch terminated or out of
 * traffic, no tag: a batch of more than 12 old hosts, or launched before the tag existed) the old
 * host is surged again: the tier may end above its count, and the plan names those taken out of
 * traffic. A serving host is never retired without a serving replacement.
 *
 * And the new hosts an earlier surge launched that no longer serve while every old host they replace
 * is back in traffic (a rollback stopped midway: it started the old hosts again and took the new
 * ones out): surplus, they are retired too, with no host launched for them (`surplus`).
 */
import { INSTALL_SENT_TAGS, LAUNCH_SCOPE_TAG, LAUNCHED_BY_TAG, OUT_OF_TRAFFIC_TAG, RELEASE_TAG, REPLACES_TAG, RETIRED_BY_TAG } from '../domain/contract/tags';
import type { HostRef } from '../domain/contract/payloads';
import { findInstances, tagFilters, type InstanceFacts } from '../shared/instances';

/** The launch scope of a surge batch's new hosts begins so (surge-hosts.ts `surgeScope`). */
const SURGE_SCOPE = 'surge#';

export interface ReplacedOldHosts {
  /** Old hosts whose replacement serves already: retired without a new launch. */
  readonly replaced: HostRef[];
  /** Old hosts an earlier surge took out whose replacement cannot be told: surged again (the tier may end above its count). */
  readonly unsure: HostRef[];
  /** New hosts of an earlier surge out of traffic whose old hosts all serve again (a rollback stopped midway): retired without a new launch. */
  readonly surplus: HostRef[];
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
 * The rule, on the tier's instances as DescribeInstances lists them (pure: unit-tested).
 *
 * The new hosts of earlier executions' surges that serve this release, grouped by batch (launched-by,
 * launch scope): a batch whose serving new hosts are at least as many as the old hosts its tag names
 * replaces those of them still running as old hosts, in traffic or out. An old host an earlier surge
 * took out of traffic that no batch proves replaced is unsure. A new host of an earlier surge out of
 * traffic whose tagged old hosts all run in traffic, none replaced, is surplus.
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
  // An earlier surge's new host, running and not retired, with the old hosts it replaces (undefined: no tag).
  const earlierNew = (ref: HostRef) => {
    const h = facts.get(ref.id);
    if (h === undefined || !running(h) || retired(h) || !byEarlier(h.tags.get(LAUNCHED_BY_TAG)) || h.tags.get(LAUNCH_SCOPE_TAG)?.startsWith(SURGE_SCOPE) !== true) return undefined;
    const replaces = h.tags.get(REPLACES_TAG)?.split(' ').filter((id) => id !== '');
    return { batch: `${h.tags.get(LAUNCHED_BY_TAG)}/${h.tags.get(LAUNCH_SCOPE_TAG)}`, replaces, serves: !tier.outOfTraffic.has(h.id) && h.tags.get(RELEASE_TAG) === release };
  };
  const batches = new Map<string, { serving: number; replaces: readonly string[] }>();
  const outOfService: { ref: HostRef; replaces: readonly string[] }[] = [];
  for (const ref of tier.hosts) {
    const n = earlierNew(ref);
    if (n?.replaces === undefined) continue;
    if (!n.serves) {
      if (tier.outOfTraffic.has(ref.id)) outOfService.push({ ref, replaces: n.replaces });
      continue;
    }
    const batch = batches.get(n.batch) ?? { serving: 0, replaces: n.replaces };
    batches.set(n.batch, { ...batch, serving: batch.serving + 1 });
  }
  const proven = new Set<string>();
  for (const batch of batches.values()) if (batch.serving >= batch.replaces.length) for (const id of batch.replaces) proven.add(id);
  const replaced = tier.hosts.filter((h) => old(h) && proven.has(h.id));
  const unsure = tier.hosts.filter((h) => old(h) && !proven.has(h.id) && tier.outOfTraffic.has(h.id) && byEarlier(facts.get(h.id)?.tags.get(OUT_OF_TRAFFIC_TAG)));
  const inTraffic = new Set(tier.hosts.filter((h) => old(h) && !proven.has(h.id) && !tier.outOfTraffic.has(h.id)).map((h) => h.id));
  const surplus = outOfService.filter((n) => n.replaces.length > 0 && n.replaces.every((id) => inTraffic.has(id))).map((n) => n.ref);
  return { replaced, unsure, surplus };
}
