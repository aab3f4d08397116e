/**
 * `fleetflow plan`: the release a deploy would run, worked out by the workflow's own
 * planning code (Plan Release, lambdas/deploy/plan-release.ts) against a real account with
 * the standard credentials, or against the simulated one, without starting anything. It
 * refuses exactly what the workflow would refuse, with the same message, because it is the
 * same code. Read-only: every SDK call it makes goes through a guard that refuses anything
 * but a read (Describe, Get, List, BatchGet, Query, Scan), so a plan can never change the account.
 */
import type { DeployPlan } from '../../lambdas/domain/contract/payloads';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { withPlanContext } from './plan-context';
import { estimateRelease, hasSurgeTier, type ReleaseEstimate } from './release-estimate';

export { guardReadOnly, PlanWouldWriteError } from './plan-context';

export interface DeployPlanReport {
  readonly plan: DeployPlan;
  readonly estimate: ReleaseEstimate;
  /** Hosts per tier by the release they run now. */
  readonly releasesByTier: Record<string, Record<string, number>>;
}

export interface PlanDeployOptions {
  readonly environment: EnvironmentDefinition;
  /** The execution input a deploy would get ({ release, component, ... }). */
  readonly input: unknown;
  /** Plan against the simulated account seeded with this many hosts per tier instead of AWS. */
  readonly simulatedHostsPerTier?: number;
}

export async function planDeploy(options: PlanDeployOptions): Promise<DeployPlanReport> {
  const { planRelease } = await import('../../lambdas/deploy/plan-release');
  const { assertReleasePlanFits } = await import('../../lambdas/shared/plan-store');
  // Plan Release's handler stores the plan, refusing one that cannot fit Step Functions' quotas: the same refusals here.
  const release = async () => {
    const plan = await planRelease({ environment: options.environment, input: options.input, execution: 'fleetflow-plan' });
    assertReleasePlanFits(plan);
    return plan;
  };
  const simulated = options.simulatedHostsPerTier === undefined ? undefined : { hostsPerTier: options.simulatedHostsPerTier };
  const plan = await withPlanContext(options.environment, simulated, release);
  const releasesByTier: Record<string, Record<string, number>> = {};
  for (const tier of plan.tiers) {
    const counts: Record<string, number> = {};
    for (const host of tier.batches.flat()) counts[host.previous || 'none'] = (counts[host.previous || 'none'] ?? 0) + 1;
    releasesByTier[tier.spec.name] = counts;
  }
  return { plan, estimate: estimateRelease(plan, hasSurgeTier(options.environment)), releasesByTier };
}
