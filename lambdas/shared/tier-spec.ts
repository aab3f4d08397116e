/**
 * What every plan knows of a host tier from its definition, in the shape the batch tasks read
 * (TierPlan): the release's plan and the compute plans add the counts they decide.
 */
import type { EnvironmentDefinition, HostTierDefinition } from '../domain/environment/model';
import type { TierPlan, TrafficPlan } from '../domain/contract/payloads';

export type TierCounts = Pick<TierPlan, 'hostCount' | 'minHealthy' | 'batchSize'> & Partial<Pick<TierPlan, 'rollbackBatchSize'>>;

export function tierSpec(
  environment: EnvironmentDefinition,
  tier: HostTierDefinition,
  resolved: { traffic: TrafficPlan; healthyAfterSeconds: number },
  counts: TierCounts,
): TierPlan {
  return {
    environment: environment.name,
    name: tier.name,
    role: tier.role,
    hostTags: tier.hosts.tags,
    traffic: resolved.traffic,
    install: tier.install,
    drainTimeoutSeconds: tier.drain.timeoutSeconds,
    ...(tier.drain.check && resolved.traffic.kind === 'target-group' ? { drainCheck: tier.drain.check } : {}),
    healthTimeoutSeconds: tier.health.timeoutSeconds,
    ...(tier.health.command ? { healthCommand: tier.health.command } : {}),
    healthyAfterSeconds: resolved.healthyAfterSeconds,
    alarms: tier.alarms,
    ...counts,
    polling: environment.polling,
  };
}
