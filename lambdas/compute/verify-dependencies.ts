/**
 * Verify Dependencies: before any new host goes into service, what its tier depends on is
 * as the definition says: the tier's target groups still exist, route to the expected port,
 * and are in the VPC the new hosts run in (a target in another VPC can never be registered).
 * The health check path itself is probed on each host after its prerequisites
 * (the setup's last step). The listeners and security groups in front of the tier are
 * checked earlier, by the planners, before anything is launched (network-checks.ts).
 */
import { DependencyCheckFailedError } from '../domain/contract/errors';
import { findInstances, tagFilters } from '../shared/instances';
import { describeHosts } from '../shared/polling';
import { launchedTags } from './launching';
import { describeTargetGroups } from '../shared/provision-plan';
import type { ProvisionTaskInput } from '../domain/contract/payloads';

export const handler = async (event: ProvisionTaskInput): Promise<{ verified: number }> => verifyDependencies(event);

export async function verifyDependencies(event: ProvisionTaskInput): Promise<{ verified: number }> {
  const { tier } = event;
  if (tier.targetGroupNames.length === 0) return { verified: 0 };
  const groups = await describeTargetGroups({
    name: tier.spec.name,
    traffic: { kind: 'target-group', targetGroups: [...tier.targetGroupNames], ...(tier.port !== undefined ? { port: tier.port } : {}) },
  } as Parameters<typeof describeTargetGroups>[0]);
  const hosts = await findInstances(tagFilters(launchedTags(event.execution, tier)));
  for (const group of groups) {
    const elsewhere = hosts.filter((h) => h.vpcId && group.VpcId && h.vpcId !== group.VpcId);
    if (elsewhere.length > 0) {
      throw new DependencyCheckFailedError(
        `tier ${tier.spec.name}: target group ${group.TargetGroupName} is in ${group.VpcId}, but ${describeHosts(elsewhere)} run in ${elsewhere[0]!.vpcId}: ` +
          'they could never be registered; the launch template or subnets do not match the load balancer',
      );
    }
  }
  return { verified: groups.length };
}
