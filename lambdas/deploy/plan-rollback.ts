/**
 * Plan Rollback: after a failed release, every host that moved to the new release goes
 * back to the release it had, through the same rolling machinery and capacity rules.
 * Which hosts moved is read from the record on the hosts (the fleetflow:release tag),
 * not assumed; tiers roll back in reverse order (web before middle).
 */
import { paginateDescribeInstances } from '@aws-sdk/client-ec2';
import { ec2 } from '../shared/aws/ec2';
import { RELEASE_TAG } from '../shared/release-tag';
import { partition } from '../../lib/environment/batch-policy';
import { loadPlan, storePlan } from '../shared/plan-store';
import type { DeployPlan, HostRef, PlannedTier, StoredPlan } from './types';

/** Instance IDs per DescribeInstances filter; kept well under the request size limit. */
const MAX_IDS_PER_DESCRIBE = 200;

export const handler = async (event: { plan: StoredPlan; execution: string }): Promise<StoredPlan> =>
  storePlan(await planRollback(await loadPlan(event.plan)), event.execution, 'revert');

export async function planRollback(plan: DeployPlan): Promise<DeployPlan> {
  const planned = plan.tiers.flatMap((t) => t.batches.flat());
  const recorded = await recordedReleases(planned.map((h) => h.id));
  const tiers: PlannedTier[] = [];
  for (const tier of [...plan.tiers].reverse()) {
    const moved: HostRef[] = tier.batches
      .flat()
      .filter((h) => recorded.get(h.id) === plan.release)
      .map((h) => ({ id: h.id, name: h.name, previous: plan.release, target: h.previous }));
    if (moved.length === 0) continue;
    const batches = partition(moved, tier.spec.batchSize);
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

async function recordedReleases(ids: readonly string[]): Promise<Map<string, string>> {
  const releases = new Map<string, string>();
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_DESCRIBE) {
    // A filter, not InstanceIds: a host terminated since the plan is skipped instead of failing the call.
    const pages = paginateDescribeInstances(
      { client: ec2, pageSize: 1000 },
      {
        Filters: [
          { Name: 'instance-id', Values: ids.slice(i, i + MAX_IDS_PER_DESCRIBE) },
          // Recently terminated instances are still listed: only running hosts can be reverted.
          { Name: 'instance-state-name', Values: ['running'] },
        ],
      },
    );
    const instances = [];
    for await (const page of pages) instances.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
    for (const instance of instances) {
      const release = instance.Tags?.find((t) => t.Key === RELEASE_TAG)?.Value;
      if (instance.InstanceId && release) releases.set(instance.InstanceId, release);
    }
  }
  return releases;
}
