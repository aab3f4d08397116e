/**
 * Plan Rollback: after a failed release, every host that moved to the new release goes
 * back to the release it had, through the same rolling machinery and capacity rules.
 * Which hosts moved is read from the record on the hosts (the fleetflow:release tag),
 * not assumed; tiers roll back in reverse order (web before middle). Within a tier, hosts
 * that are not serving now (out of traffic, unhealthy, or with an install sent and never
 * confirmed) go first: taking them out costs no capacity, and putting them back restores
 * the capacity the later batches' Check Capacity needs. In plan order, a revert could wait
 * for capacity only it would restore.
 */
import { paginateDescribeInstances, type Filter } from '@aws-sdk/client-ec2';
import { ec2 } from '../shared/aws/ec2';
import { INSTALL_SENT_TAGS, OUT_OF_TRAFFIC_TAG, PREVIOUS_RELEASE_TAG, RELEASE_TAG, LAUNCHED_BY_TAG, LAUNCH_SCOPE_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG, SURGE_REASON } from '../domain/contract/tags';
import { partition } from '../domain/environment/batch-policy';
import { PlanExceedsQuotaError } from '../domain/contract/errors';
import { loadPlan, storePlan } from '../shared/plan-store';
import { findInstances, tagFilters, type InstanceFacts } from '../shared/instances';
import { healthyTargets } from '../shared/target-health';
import type { DeployPlan, HostRef, PlannedTier, StoredPlan } from '../domain/contract/payloads';

/**
 * EC2 refuses a DescribeInstances call whose filters hold more than 200 values in all
 * (FilterLimitExceeded: "The maximum number of filter values specified on a single call is
 * 200"; API reference: "too many filters or too many filter values"). The limit counts every
 * filter of the call, so the state filter's value leaves room for 199 instance IDs.
 */
export const MAX_FILTER_VALUES_PER_DESCRIBE = 200;
/** Recently terminated instances are still listed: only running hosts can be reverted. */
const RUNNING: Filter = { Name: 'instance-state-name', Values: ['running'] };
export const MAX_IDS_PER_DESCRIBE = MAX_FILTER_VALUES_PER_DESCRIBE - (RUNNING.Values?.length ?? 0);

export const handler = async (event: { plan: StoredPlan; execution: string }): Promise<StoredPlan> => {
  const revert = await planRollback(await loadPlan(event.plan), event.execution);
  try {
    return await storePlan(revert, event.execution, 'revert');
  } catch (err) {
    // The plan store speaks for a release plan ("nothing was changed"); for a revert that is
    // false: the failed release moved hosts, and they still run it.
    if (!(err instanceof PlanExceedsQuotaError)) throw err;
    const [fits] = err.message.split('; nothing was changed');
    throw new PlanExceedsQuotaError(
      `the revert plan does not fit: ${fits}; nothing was reverted: the hosts that moved to ${revert.release} still run it`,
      { cause: err },
    );
  }
};

export async function planRollback(plan: DeployPlan, execution?: string): Promise<DeployPlan> {
  const planned = plan.tiers.flatMap((t) => t.batches.flat());
  const recorded = await recordedReleases(planned.map((h) => h.id));
  const tiers: PlannedTier[] = [];
  const plannedIds = new Set(planned.map((h) => h.id));
  for (const tier of [...plan.tiers].reverse()) {
    if (tier.spec.surge) {
      if (execution) tiers.push(...(await surgeRevert(tier, execution, plan)));
      continue;
    }
    const moved: HostRef[] = tier.batches
      .flat()
      .filter((h) => recorded.releases.get(h.id) === plan.release || recorded.installSent.has(h.id))
      .map((h) => ({ id: h.id, name: h.name, previous: plan.release, target: h.previous }));
    // A release started again after one that stopped midway skipped the hosts the first one
    // had already moved: they moved in this release too, and go back to the release they
    // came from (their previous-release record, else the release recorded before this one).
    if (tier.spec.hostTags) {
      for (const h of await hostsOnRelease(tier.spec.hostTags, plan.release)) {
        const target = h.previous ?? plan.recordedRelease;
        if (plannedIds.has(h.id) || !target || target === plan.release) continue;
        if (h.outOfTraffic) recorded.outOfTraffic.add(h.id);
        moved.push({ id: h.id, name: h.name, previous: plan.release, target });
      }
    }
    if (moved.length === 0) continue;
    const notServing = await notServingNow(tier.spec, moved, recorded);
    moved.sort((a, b) => Number(notServing.has(b.id)) - Number(notServing.has(a.id)));
    // The revert returns hosts to a known release: no waves, batches of the tier's rollback
    // size (plans made before it existed: the rollout's batch size), never more than the
    // hosts the tier's minimum leaves free.
    const { rollbackBatchSize, batchSize, hostCount, minHealthy } = tier.spec;
    const batches = partition(moved, Math.max(1, Math.min(rollbackBatchSize ?? batchSize, hostCount - minHealthy)));
    tiers.push({ spec: tier.spec, batchCount: batches.length, batches });
  }
  return {
    ...plan,
    tiers,
    hostCount: tiers.reduce((n, t) => n + t.batches.flat().length, 0),
    batchCount: tiers.reduce((n, t) => n + t.batchCount, 0),
    alreadyReleased: [],
  };
}

/** The launch scope of a surge batch's new hosts begins so (lambdas/surge/surge-hosts.ts `surgeScope`). */
const SURGE_SCOPE = 'surge#';

/**
 * A surge tier moved no host in place: its batches' old hosts are stopped (retired by this
 * execution, reason "surge") and new hosts run the release. The revert starts the old ones
 * and puts them back in service first (mode "restore"), then takes the new ones out, drains
 * and terminates them (mode "retire"): capacity never drops below what the tier had.
 *
 * A release started again after one that stopped midway: what the stopped execution's surge
 * did moved in this release too (as a rolling tier's hosts it moved do, above). Its new hosts
 * that serve this release leave, and the old hosts it stopped that ran the release recorded
 * before this one are started again. An earlier execution counts only when it put a new host
 * on this release: a finished surge's hosts, or a stopped one's of another release, stay. Its old
 * hosts it took out of traffic and never stopped (it was stopped in between) still run the release
 * before: they go back into service with the stopped ones (restore mode starts only stopped hosts).
 */
async function surgeRevert(tier: PlannedTier, execution: string, plan: Pick<DeployPlan, 'release' | 'recordedRelease'>): Promise<PlannedTier[]> {
  const selector = tier.spec.hostTags ?? {};
  const { surge: _surge, ...spec } = tier.spec;
  const size = Math.max(1, rollbackBatchSizeOf(tier));
  const ref = (h: InstanceFacts): HostRef => ({ id: h.id, name: h.name, previous: h.tags.get(RELEASE_TAG) ?? '' });
  const live = await findInstances(tagFilters(selector, ['stopping', 'stopped', 'pending', 'running']));
  const running = (h: InstanceFacts) => h.state === 'pending' || h.state === 'running';
  const retiredBySurge = (h: InstanceFacts, by: (e: string) => boolean) => h.tags.get(RETIRED_REASON_TAG) === SURGE_REASON && by(h.tags.get(RETIRED_BY_TAG) ?? '');
  // This release's new hosts, or never set up (no release: a new host is registered only once its install is recorded).
  const onThisRelease = (h: InstanceFacts) => !h.tags.has(RELEASE_TAG) || h.tags.get(RELEASE_TAG) === plan.release;
  const surgeNew = (h: InstanceFacts) => running(h) && !h.tags.has(RETIRED_BY_TAG) && h.tags.get(LAUNCH_SCOPE_TAG)?.startsWith(SURGE_SCOPE) === true && onThisRelease(h);
  const earlier = new Set(live.filter(surgeNew).map((h) => h.tags.get(LAUNCHED_BY_TAG) ?? execution).filter((e) => e !== execution));
  // Its old hosts ran the release before this one (the recorded one, when one is).
  const before = (h: InstanceFacts) => h.tags.get(RELEASE_TAG) !== plan.release && (!plan.recordedRelease || h.tags.get(RELEASE_TAG) === plan.recordedRelease);
  // And the old hosts a surge took out of traffic and had not yet stopped (a stopped execution's, whose batch
  // this one took over: lambdas/surge/replaced-hosts.ts): still running, they only go back into service.
  const takenOut = (h: InstanceFacts) =>
    running(h) && !h.tags.has(RETIRED_BY_TAG) && before(h) && [execution, ...earlier].includes(h.tags.get(OUT_OF_TRAFFIC_TAG) ?? '');
  const old = live
    .filter((h) => retiredBySurge(h, (e) => e === execution) || (retiredBySurge(h, (e) => earlier.has(e)) && !running(h) && before(h)) || takenOut(h))
    .map(ref);
  const earlierAdded = (h: InstanceFacts) => earlier.has(h.tags.get(LAUNCHED_BY_TAG) ?? '') && surgeNew(h);
  const added = live.filter((h) => running(h) && (h.tags.get(LAUNCHED_BY_TAG) === execution || earlierAdded(h))).map(ref);
  const reverts: PlannedTier[] = [];
  if (old.length > 0) {
    const batches = partition(old, size);
    reverts.push({ spec, mode: 'restore', batchCount: batches.length, batches });
  }
  if (added.length > 0) {
    // The new hosts leave once the old hosts restored hold the tier again, measured at each take-out
    // (Check Capacity reads the target groups then), not frozen here. The minimum is the restored
    // hosts alone: each passed its health check (Check Restored Hosts Health) before any new host
    // leaves, and the take-out refuses should fewer than that still serve. Old hosts serving now are
    // not counted: one lost during the rollback (terminated, failed) is no longer the release's to
    // hold, and counting it would refuse the take-out for good, failing RollbackFailedError with both
    // releases serving. Taking a new host out only gives back what the surge added, so the tier is left
    // with the old hosts serving then (docs/workflows/surge.md). Never down to nothing where the
    // floor asks for any. Tiers no target group watches keep the floor as well (their take-out reads
    // the health command, not a target group).
    const restored = Math.min(spec.hostCount, old.length);
    const minHealthy = spec.traffic.kind === 'target-group' ? Math.max(restored, Math.min(spec.minHealthy, 1)) : Math.max(spec.minHealthy, restored);
    const batches = partition(added, size);
    reverts.push({
      spec: { ...spec, retire: 'terminate', minHealthy },
      mode: 'retire',
      reason: 'surge rolled back',
      batchCount: batches.length,
      batches,
    });
  }
  return reverts;
}

function rollbackBatchSizeOf(tier: PlannedTier): number {
  return tier.spec.rollbackBatchSize ?? tier.spec.batchSize;
}

/**
 * The moved hosts that serve no traffic now, whatever the reason: FleetFlow's out-of-traffic
 * mark (a batch rollback that could not put them back), an install sent and never confirmed
 * (likely half-installed), or, on a target-group tier, not healthy in every target group.
 */
async function notServingNow(spec: PlannedTier['spec'], moved: readonly HostRef[], recorded: HostRecords): Promise<Set<string>> {
  const out = new Set(moved.filter((h) => recorded.outOfTraffic.has(h.id) || recorded.installSent.has(h.id)).map((h) => h.id));
  if (spec.traffic.kind === 'target-group') {
    for (const arn of spec.traffic.targetGroupArns) {
      const healthy = await healthyTargets(arn);
      for (const h of moved) if (!healthy.has(h.id)) out.add(h.id);
    }
  }
  return out;
}

/** Running hosts of a tier (by its selector tags) whose release record says `release`. */
async function hostsOnRelease(selector: Record<string, string>, release: string): Promise<Array<{ id: string; name: string; previous?: string; outOfTraffic: boolean }>> {
  const filters: Filter[] = [
    ...Object.entries(selector).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
    { Name: `tag:${RELEASE_TAG}`, Values: [release] },
    RUNNING,
  ];
  const hosts: Array<{ id: string; name: string; previous?: string; outOfTraffic: boolean }> = [];
  for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 1000 }, { Filters: filters })) {
    for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      if (!instance.InstanceId) continue;
      const tag = (key: string) => instance.Tags?.find((t) => t.Key === key)?.Value;
      hosts.push({
        id: instance.InstanceId,
        name: tag('Name') ?? instance.InstanceId,
        ...(tag(PREVIOUS_RELEASE_TAG) ? { previous: tag(PREVIOUS_RELEASE_TAG) } : {}),
        outOfTraffic: tag(OUT_OF_TRAFFIC_TAG) !== undefined,
      });
    }
  }
  return hosts;
}

/**
 * What the hosts' records say: the release each is recorded on, and which carry an install
 * sent but never confirmed (whichever release it was, forward or back): those may run the
 * new release whatever their release record says, and count as moved.
 */
interface HostRecords {
  readonly releases: Map<string, string>;
  readonly installSent: Set<string>;
  /** Hosts carrying FleetFlow's out-of-traffic mark. */
  readonly outOfTraffic: Set<string>;
}

async function recordedReleases(ids: readonly string[]): Promise<HostRecords> {
  const releases = new Map<string, string>();
  const installSent = new Set<string>();
  const outOfTraffic = new Set<string>();
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_DESCRIBE) {
    // A filter, not InstanceIds: a host terminated since the plan is skipped instead of failing the call.
    const pages = paginateDescribeInstances(
      { client: ec2, pageSize: 1000 },
      { Filters: [{ Name: 'instance-id', Values: ids.slice(i, i + MAX_IDS_PER_DESCRIBE) }, RUNNING] },
    );
    const instances = [];
    for await (const page of pages) instances.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
    for (const instance of instances) {
      if (!instance.InstanceId) continue;
      if (instance.Tags?.some((t) => (INSTALL_SENT_TAGS as readonly string[]).includes(t.Key ?? ''))) installSent.add(instance.InstanceId);
      if (instance.Tags?.some((t) => t.Key === OUT_OF_TRAFFIC_TAG)) outOfTraffic.add(instance.InstanceId);
      const release = instance.Tags?.find((t) => t.Key === RELEASE_TAG)?.Value;
      if (release) releases.set(instance.InstanceId, release);
    }
  }
  return { releases, installSent, outOfTraffic };
}
