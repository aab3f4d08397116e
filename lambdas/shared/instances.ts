/**
 * EC2 instances as the compute workflows see them: found by tags (DescribeInstances,
 * paginated, 1,000 per page), with where they run and what state they are in.
 */
import { CreateTagsCommand, paginateDescribeInstances, TerminateInstancesCommand, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { ec2 } from './aws/ec2';
import { RETIRED_AT_TAG, RETIRED_BY_TAG, RETIRED_REASON_TAG } from '../domain/contract/tags';

export interface InstanceFacts {
  readonly id: string;
  /** The Name tag, or the ID when there is none. */
  readonly name: string;
  readonly state: string;
  readonly availabilityZone?: string;
  readonly subnetId?: string;
  readonly vpcId?: string;
  /** LaunchTime, epoch milliseconds (scale-in removes the oldest first). */
  readonly launchedAt?: number;
  readonly tags: ReadonlyMap<string, string>;
}

/** DescribeInstances filters: every tag must match; `states` limits the instance states. */
export function tagFilters(tags: Record<string, string>, states?: readonly string[]): Filter[] {
  return [
    ...Object.entries(tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
    ...(states ? [{ Name: 'instance-state-name', Values: [...states] }] : []),
  ];
}

export async function findInstances(filters: Filter[]): Promise<InstanceFacts[]> {
  const found: InstanceFacts[] = [];
  // MaxResults 5-1000 (DescribeInstances API reference); filters carry at most 200 values in all.
  for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 1000 }, { Filters: filters })) {
    for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
      if (instance.InstanceId) found.push(facts(instance));
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }) || a.id.localeCompare(b.id));
}

function facts(instance: Instance): InstanceFacts {
  const tags = new Map((instance.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
  return {
    id: instance.InstanceId!,
    name: tags.get('Name') || instance.InstanceId!,
    state: instance.State?.Name ?? 'unknown',
    availabilityZone: instance.Placement?.AvailabilityZone,
    subnetId: instance.SubnetId,
    vpcId: instance.VpcId,
    ...(instance.LaunchTime ? { launchedAt: new Date(instance.LaunchTime).getTime() } : {}),
    tags,
  };
}

/** Instances that are gone or going: they will never serve again. */
export const ENDED_STATES: ReadonlySet<string> = new Set(['shutting-down', 'terminated']);

/** Filter values per DescribeInstances call: 200 in all (EC2 FilterLimitExceeded). */
const MAX_IDS_PER_FILTER = 200;

/** The given instances, found by ID in chunks that fit the filter limit (unknown IDs are simply absent). */
export async function findInstancesById(ids: readonly string[]): Promise<InstanceFacts[]> {
  const found: InstanceFacts[] = [];
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_FILTER) found.push(...(await findInstances([{ Name: 'instance-id', Values: ids.slice(i, i + MAX_IDS_PER_FILTER) }])));
  return found;
}

/** Instance IDs per CreateTags / TerminateInstances call that FleetFlow sends (EC2 allows up to 1,000 per CreateTags). */
const RETIRE_IDS_PER_CALL = 100;

/**
 * Tags instances as retired by `execution` for `reason`, then terminates them, in chunks:
 * the tags go first, so a retry that finds them knows the instances were FleetFlow's to
 * terminate even if TerminateInstances' answer was lost.
 */
export async function tagRetiredAndTerminate(ids: readonly string[], retired: { execution: string; at: Date; reason: string }): Promise<void> {
  for (let i = 0; i < ids.length; i += RETIRE_IDS_PER_CALL) {
    const chunk = ids.slice(i, i + RETIRE_IDS_PER_CALL);
    await ec2.send(
      new CreateTagsCommand({
        Resources: chunk,
        Tags: [
          { Key: RETIRED_BY_TAG, Value: retired.execution },
          { Key: RETIRED_AT_TAG, Value: retired.at.toISOString() },
          { Key: RETIRED_REASON_TAG, Value: retired.reason },
        ],
      }),
    );
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: chunk }));
  }
}
