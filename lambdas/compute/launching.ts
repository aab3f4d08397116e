/**
 * Launch Hosts: RunInstances from the tier's launch template until the tier has every
 * host the plan asked for, in launch groups of at most LAUNCH_GROUP_SIZE hosts per subnet.
 *
 * Safe to retry and to redrive, never launching a duplicate:
 * - before launching, the instances this execution already launched are found by their
 *   tags (`fleetflow:launched-by` = the execution, `fleetflow:launch-group`), and a group
 *   that has instances is not launched again;
 * - each request carries a ClientToken derived from the execution, the tier, the group and
 *   the attempt (subnet and instance type), so a request whose answer was lost (a timeout,
 *   tags not yet visible: DescribeInstances is eventually consistent) returns the same
 *   reservation when sent again. EC2 "Ensuring idempotency": same token and parameters,
 *   same result; a token at most 64 ASCII characters.
 *
 * A group is all-or-nothing (MinCount = MaxCount). Without capacity in a subnet
 * (InsufficientInstanceCapacity) it tries the tier's other instance types there, then the
 * other subnets; when none has capacity it fails LaunchFailedError, and the workflow
 * terminates what this execution launched.
 */
import { createHash } from 'node:crypto';
import { RunInstancesCommand, type _InstanceType, type Tag } from '@aws-sdk/client-ec2';
import { ec2 } from '../shared/aws/ec2';
import { LAUNCH_GROUP_TAG, LAUNCH_SCOPE_TAG, LAUNCHED_BY_TAG } from '../domain/contract/tags';
import { LaunchFailedError } from '../domain/contract/errors';
import { findInstances, tagFilters } from '../shared/instances';
import type { LaunchProgress, ProvisionTaskInput, ProvisionTier } from '../domain/contract/payloads';

/** Hosts one RunInstances request launches at most. */
export const LAUNCH_GROUP_SIZE = 50;
/**
 * Past this, the task returns and is called again: well inside the function's timeout
 * (FUNCTION_TIMEOUT, 100 s, lib/constructs/fleetflow-function.ts), so the group it is
 * launching when the budget runs out still finishes, SDK retries included.
 */
export const TIME_BUDGET_MS = 60_000;
/** EC2 errors that mean "not here, not now": try another instance type or subnet. */
const NO_CAPACITY = new Set(['InsufficientInstanceCapacity', 'InsufficientCapacity', 'Unsupported', 'InsufficientHostCapacity']);

export interface LaunchGroup {
  readonly key: string;
  readonly subnetIndex: number;
  readonly count: number;
}

/** The tier's launch requests: per subnet, groups of at most LAUNCH_GROUP_SIZE. Deterministic, so a retry makes the same ones. */
export function launchGroups(perSubnet: readonly number[]): LaunchGroup[] {
  return perSubnet.flatMap((count, subnetIndex) =>
    Array.from({ length: Math.ceil(count / LAUNCH_GROUP_SIZE) }, (_, g) => ({
      key: `${subnetIndex}-${g}`,
      subnetIndex,
      count: Math.min(LAUNCH_GROUP_SIZE, count - g * LAUNCH_GROUP_SIZE),
    })),
  );
}

/** The tags that find what this execution launched for this tier. */
export function launchedTags(execution: string, tier: ProvisionTier, scope?: string): Record<string, string> {
  return { ...(tier.spec.hostTags ?? {}), [LAUNCHED_BY_TAG]: execution, ...(scope ? { [LAUNCH_SCOPE_TAG]: scope } : {}) };
}

export async function launchHosts(event: ProvisionTaskInput): Promise<LaunchProgress> {
  const { tier, execution } = event;
  const started = Date.now();
  const groups = launchGroups(tier.perSubnet);
  const requested = groups.reduce((n, g) => n + g.count, 0);
  const existing = await findInstances(tagFilters(launchedTags(execution, tier, event.scope)));
  const launchedGroups = new Set(existing.map((i) => i.tags.get(LAUNCH_GROUP_TAG)));
  let launched = existing.length;
  for (const group of groups) {
    if (launchedGroups.has(group.key)) continue;
    if (Date.now() - started > TIME_BUDGET_MS) return { done: false, waitSeconds: 1, launched, requested };
    launched += await launchGroup(event, group);
  }
  return { done: true, waitSeconds: 0, launched, requested };
}

/** One group, trying each subnet and instance type in turn until EC2 has the capacity. */
async function launchGroup(event: ProvisionTaskInput, group: LaunchGroup): Promise<number> {
  const { tier, execution } = event;
  const tags: Tag[] = Object.entries({ ...event.tags, ...launchedTags(execution, tier, event.scope), [LAUNCH_GROUP_TAG]: group.key }).map(([Key, Value]) => ({ Key, Value }));
  const refusals: string[] = [];
  for (const attempt of attempts(tier, group.subnetIndex)) {
    const subnet = tier.launch.subnets[attempt.subnetIndex]!;
    try {
      const { Instances = [] } = await ec2.send(
        new RunInstancesCommand({
          LaunchTemplate: { ...('name' in tier.launch.template ? { LaunchTemplateName: tier.launch.template.name } : { LaunchTemplateId: tier.launch.template.id }), Version: tier.launch.version },
          MinCount: group.count,
          MaxCount: group.count,
          SubnetId: subnet.id,
          ...(attempt.instanceType ? { InstanceType: attempt.instanceType as _InstanceType } : {}),
          ClientToken: clientToken(execution, tier.spec.name, event.scope ? `${event.scope}/${group.key}` : group.key, attempt),
          TagSpecifications: [{ ResourceType: 'instance', Tags: tags }],
        }),
      );
      return Instances.length;
    } catch (err) {
      const name = (err as Error).name;
      if (NO_CAPACITY.has(name)) {
        refusals.push(`${subnet.availabilityZone}${attempt.instanceType ? ` (${attempt.instanceType})` : ''}: ${name}`);
        continue;
      }
      // Throttling and service errors: the task is retried, and the same token returns what this call may have launched.
      if (name === 'RequestLimitExceeded' || name === 'InternalError' || name === 'ServiceUnavailable' || name === 'Unavailable') throw err;
      throw new LaunchFailedError(`tier ${tier.spec.name}: EC2 refused to launch ${group.count} host(s) in ${subnet.id}: ${name}: ${(err as Error).message}`, { cause: err });
    }
  }
  throw new LaunchFailedError(
    `tier ${tier.spec.name}: no capacity for ${group.count} host(s) in any subnet or instance type of the tier (${refusals.slice(0, 6).join('; ')})`,
  );
}

interface Attempt {
  readonly subnetIndex: number;
  readonly instanceType?: string;
}

/** The group's own subnet first, with the template's type then each override; then the other subnets the same way. */
function attempts(tier: ProvisionTier, first: number): Attempt[] {
  const n = tier.launch.subnets.length;
  const types = [undefined, ...tier.launch.instanceTypes];
  return Array.from({ length: n }, (_, k) => (first + k) % n).flatMap((subnetIndex) => types.map((instanceType) => ({ subnetIndex, instanceType })));
}

/** Same execution, tier, group and attempt: the same token (64 hex characters, EC2's maximum length). */
export function clientToken(execution: string, tier: string, group: string, attempt: Attempt): string {
  return createHash('sha256').update([execution, tier, group, attempt.subnetIndex, attempt.instanceType ?? ''].join('\u0000')).digest('hex');
}
