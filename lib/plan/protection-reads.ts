/**
 * The retire guards' protection reads (lambdas/compute/retire-guards.ts) as the plan's estimates
 * count them: the planner reads them before it returns, at EC2's request rate, while the run
 * shows nothing else. Shared by the release's and the compute workflows' estimates.
 */
import { ATTRIBUTE_PACE, protectionAttributes, readSeconds } from '../../lambdas/compute/retire-guards';

/** What the planner reads of the hosts it retires: hosts, DescribeInstanceAttribute calls, seconds at EC2's request rate. */
export interface ProtectionReads {
  readonly hosts: number;
  readonly calls: number;
  readonly seconds: number;
  readonly atMost: boolean;
}

/**
 * The protection reads the planner made for the tiers it retires (`policy` as the guard checked
 * them: a surge's old hosts are terminated in the end, so both attributes): every host ×
 * the policy's attributes, at the guard's pace (50 at once, then 20 a second). A stop reads no host
 * already stopped; the plan names its hosts, not their state, so for a stop (replace may retire a
 * stopped host; scale-in chooses only pending and running ones) the count is the most it reads.
 */
export function protectionReadsOf(tiers: ReadonlyArray<{ hosts: number; policy: 'stop' | 'terminate'; mayBeStopped?: boolean }>): ProtectionReads | undefined {
  const hosts = tiers.reduce((n, t) => n + t.hosts, 0);
  const calls = tiers.reduce((n, t) => n + t.hosts * protectionAttributes(t.policy).length, 0);
  if (calls === 0) return undefined;
  return { hosts, calls, seconds: readSeconds(calls, ATTRIBUTE_PACE), atMost: tiers.some((t) => t.policy === 'stop' && t.hosts > 0 && t.mayBeStopped === true) };
}
