/**
 * `fleetflow plan` counts the planner's protection reads (lambdas/compute/retire-guards.ts) in its
 * estimate and says so, and the progress lines say what the planner is doing while it reads:
 * before, a 2,000-host terminating scale-in printed "expected: 32 s" for a run of about 230 s
 * with no line for 3 min. A plan of a scale-in (simulated, 200 hosts a tier) by the workflow's own
 * planner; the difference a policy makes is the reads alone, at the guard's pace.
 */
import { describe, expect, it } from 'vitest';
import type { EnvironmentDefinition } from '../../../lambdas/domain/environment/model';
import { ATTRIBUTE_PACE, readSeconds } from '../../../lambdas/compute/retire-guards';
import { formatWorkflowPlan } from '../../../lib/plan/format-plan';
import { planWorkflow, type WorkflowPlanReport } from '../../../lib/plan/plan-workflow';
import { describeEvent } from '../../../lib/simulator/progress';
import { canonical } from '../../e2e/helpers';

const withWebRetire = (retire: 'stop' | 'terminate'): EnvironmentDefinition =>
  ({ ...canonical, tiers: canonical.tiers.map((t) => (t.name === 'web' ? { ...t, retire } : t)) }) as EnvironmentDefinition;

async function planScaleIn(retire: 'stop' | 'terminate'): Promise<WorkflowPlanReport> {
  const planned = await planWorkflow({ workflow: 'scale-in', environment: withWebRetire(retire), input: { tier: 'web', remove: 100 }, simulated: { hostsPerTier: 200 } });
  if (planned.workflow === 'deploy') throw new Error('planned a deploy');
  return planned.report;
}

describe("the planner's protection reads in the plan and the progress", () => {
  it('counts them in the estimate, one call a host for a stop and two for a terminate, and prints them', async () => {
    const stop = await planScaleIn('stop');
    const terminate = await planScaleIn('terminate');

    expect(stop.estimate.protectionReads).toEqual({ hosts: 100, calls: 100, seconds: readSeconds(100), atMost: false });
    expect(terminate.estimate.protectionReads).toEqual({ hosts: 100, calls: 200, seconds: readSeconds(200), atMost: false });
    // Everything else of the two runs is alike: only the reads differ (150 more at 20 a second).
    expect(terminate.estimate.expectedSeconds - stop.estimate.expectedSeconds).toBe(Math.round(readSeconds(200) - readSeconds(100)));
    expect(readSeconds(200) - readSeconds(100)).toBe(100 / ATTRIBUTE_PACE.perSecond);
    expect(formatWorkflowPlan(terminate)).toContain("  first, in the plan: reading 100 hosts' protection (200 DescribeInstanceAttribute calls, ~8 s at EC2's request rate; counted in expected)");
  });

  it('says what a retiring planner does when it starts, and what it read when it ends', () => {
    const started = describeEvent({ type: 'StateEntered', timestamp: 1000, state: { name: 'Plan Scale In', type: 'Task', input: { tier: 'web', remove: 2000 } } }, 0);
    const plan = { workflow: 'scale-in', launchCount: 0, tiers: [], retire: { hostCount: 2000, first: false, tiers: [{ spec: { name: 'web', retire: 'terminate', hostCount: 2000 } }] } };
    const ended = describeEvent({ type: 'StateExited', timestamp: 200_000, state: { name: 'Plan Scale In', type: 'Task', input: {}, output: { plan } } }, 0);

    // Whole, within the line's limit: the rate is the point of it.
    expect(started).toBe(
      "[00:00:01] planning: choosing 2000 host(s) to remove, then reading their protection, a DescribeInstanceAttribute call a host and attribute at EC2's request rate (50 at once, then 1,200 a minute)",
    );
    expect(ended).toBe(`[00:03:20] planned scale-in: remove 2000 host(s); protection of 2,000 host(s) read first (4,000 calls, ~${Math.ceil(readSeconds(4000))} s at EC2's request rate)`);
  });
});
