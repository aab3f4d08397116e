/**
 * Plan Repoint Back: after a failure once the connection parameter named the restored
 * instance, every host that may use it is pointed back: those whose record says they use it
 * or that a reconfigure for it was sent to, and those this execution left out of traffic
 * (whatever they use). Those out of traffic go first, all in one batch (they serve nothing, so
 * taking them together costs no capacity); then the rest, in batches of the tier's rollback
 * size, never below its minimum in service. Read-only but for the plan table.
 */
import { storeTiers } from '../shared/plan-store';
import { findInstances, tagFilters } from '../shared/instances';
import { OUT_OF_TRAFFIC_TAG, DATABASE_SENT_TAG, DATABASE_TAG } from '../domain/contract/tags';
import { partition } from '../domain/environment/batch-policy';
import type { HostRef, PlannedTier, StoredTier, RestorePlan } from '../domain/contract/payloads';

export interface PlanRepointBackInput {
  readonly execution: string;
  readonly plan: RestorePlan;
}

export const handler = async (event: PlanRepointBackInput): Promise<{ tiers: StoredTier[]; hostCount: number; release: string }> => planRepointBack(event);

export async function planRepointBack(event: PlanRepointBackInput): Promise<{ tiers: StoredTier[]; hostCount: number; release: string }> {
  const { plan, execution } = event;
  const moved = plan.target.identifier;
  const back = plan.current.identifier;
  const planned: PlannedTier[] = [];
  for (const tier of plan.tiers) {
    const hosts = await findInstances(tagFilters(tier.spec.hostTags ?? {}, ['running']));
    const leftOut = hosts.filter((h) => h.tags.get(OUT_OF_TRAFFIC_TAG) === execution);
    const onNew = hosts.filter((h) => !leftOut.includes(h) && (h.tags.get(DATABASE_TAG) === moved || h.tags.get(DATABASE_SENT_TAG) === moved));
    const ref = (h: (typeof hosts)[number]): HostRef => ({ id: h.id, name: h.name, previous: moved });
    if (leftOut.length + onNew.length === 0) continue;
    const size = Math.max(1, Math.min(tier.spec.rollbackBatchSize ?? tier.spec.batchSize, tier.spec.hostCount - tier.spec.minHealthy));
    // Hosts already out of traffic cost no capacity: they go back together, in the first batch, so
    // that a point back that fails leaves none of them behind in a batch it never reached.
    const batches = [...(leftOut.length > 0 ? [leftOut.map(ref)] : []), ...partition(onNew.map(ref), size)];
    planned.push({
      mode: 'repoint-back',
      spec: { ...tier.spec, batchSize: Math.max(size, leftOut.length), reconfigure: { command: tier.spec.reconfigure!.command, database: back } },
      batchCount: batches.length,
      batches,
    });
  }
  const tiers = await storeTiers(plan.environment, execution, 'repoint-back', planned);
  return { tiers, hostCount: planned.reduce((n, t) => n + t.batches.flat().length, 0), release: back };
}
