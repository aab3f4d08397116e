/**
 * What the Lambdas ask of a tier, without the zod model: model.ts builds its schemas when it is
 * loaded, so importing any value from it puts zod and the whole schema (445 KiB) into a bundle.
 * model.ts re-exports these, so synth-time code keeps importing them from the model. (Written
 * over the tiers' `role` alone, so that this module imports nothing from the model.)
 */

/** The components a release moves: monitoring tiers form the monitoring component; everything else is the application. */
export type Component = 'application' | 'monitoring';

/**
 * How much longer than a target group's deregistration delay a drain may take: ELB shows the
 * target `draining` until the delay has elapsed, and the drain is read by polling after that.
 */
export const DRAIN_MARGIN_SECONDS = 30;

/** Monitoring tiers form the monitoring component; everything else is the application. */
export function componentOf(tier: { readonly role: string }): Component {
  return tier.role === 'monitoring' ? 'monitoring' : 'application';
}

/** Whether a tier is a host tier (web, middle, monitoring): every tier but the data tier. */
export function isHostTier<T extends { readonly role: string }>(tier: T): tier is Exclude<T, { role: 'data' }> {
  return tier.role !== 'data';
}
