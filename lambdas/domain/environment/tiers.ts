/**
 * What the Lambdas ask of a tier, without the zod model: model.ts builds its schemas when it is
 * loaded, so importing any value from it puts zod and the whole schema (445 KiB) into a bundle.
 * model.ts re-exports these, so synth-time code keeps importing them from the model.
 */
import type { Component, HostTierDefinition, TierDefinition } from './model';

/**
 * How much longer than a target group's deregistration delay a drain may take: ELB shows the
 * target `draining` until the delay has elapsed, and the drain is read by polling after that.
 */
export const DRAIN_MARGIN_SECONDS = 30;

/** Monitoring tiers form the monitoring component; everything else is the application. */
export function componentOf(tier: TierDefinition): Component {
  return tier.role === 'monitoring' ? 'monitoring' : 'application';
}

export function isHostTier(tier: TierDefinition): tier is HostTierDefinition {
  return tier.role !== 'data';
}
