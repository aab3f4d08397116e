/**
 * How hosts a compute workflow retires (replace, scale-in) leave traffic: the same traffic plan
 * a release drains with (lambdas/shared/tier-hosts.ts `resolveTraffic`), read from the target
 * groups the planner has already described, without resolveTraffic's refusal of hosts that are
 * not registered (a replaced host may be stopped or unhealthy, which is why it is replaced).
 *
 * - `ports`: the service ports the tier's host-side drain check (`drain.check`) watches. Without
 *   them Take Batch Out sends no check, and every retired host waits out the deregistration
 *   delay even when its connections closed long before.
 * - `deregistrationDelaySeconds`: "even though target deregistration is complete, the status of
 *   the target will be displayed as draining until the deregistration delay elapses" (ALB user
 *   guide, deregistration delay). Without the check, the drain ends then, so that is where its
 *   first look belongs; unknown, the check watched from the start for two minutes and then
 *   looked by 20% steps, and saw a 300 s drain only at 323 s.
 *
 * The drain timeout must cover the delay, as for a release (assertDrainCovers): otherwise the
 * retire would time out after the replacements launched. Refused here, before the lock.
 */
import type { TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { TrafficPlan } from '../domain/contract/payloads';
import type { HostTierDefinition } from '../domain/environment/model';
import { assertDrainCovers } from '../shared/tier-hosts';

export async function retireTraffic(tier: HostTierDefinition, groups: readonly TargetGroup[]): Promise<TrafficPlan> {
  if (tier.traffic.kind !== 'target-group') return tier.traffic;
  let deregistrationDelaySeconds = 0;
  const ports = new Set<number>();
  for (const group of groups) {
    deregistrationDelaySeconds = Math.max(deregistrationDelaySeconds, await assertDrainCovers(tier, group.TargetGroupName ?? group.TargetGroupArn!, group.TargetGroupArn!));
    if (group.Port !== undefined) ports.add(group.Port);
  }
  return { kind: 'target-group', targetGroupArns: groups.map((g) => g.TargetGroupArn!), deregistrationDelaySeconds, ports: [...ports].sort((a, b) => a - b) };
}
