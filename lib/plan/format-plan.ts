/**
 * A release plan as a person reads it: each tier's hosts and releases, the batches in order
 * with what each takes out of traffic and what stays, the database step, the validation, and
 * the expected duration, transitions and cost. Bounded at any fleet size: a tier's batches
 * beyond the first few and the last are summarised in one line, and host lists are collapsed.
 */
import type { DeployPlan, HostRef } from '../../lambdas/domain/contract/payloads';
import type { DeployPlanReport } from './plan-deploy';
import { listHosts } from '../simulator/progress';

const BATCHES_SHOWN = 3;

export function formatPlan(report: DeployPlanReport, now = new Date()): string {
  const { plan, estimate } = report;
  const lines = [`Plan: release ${plan.release} of ${plan.environment} (${plan.component}), recorded now: ${plan.recordedRelease ?? 'none'}`];
  if (plan.upToDate) return `${[...lines, '  up to date: every host runs it and it is recorded; a deploy would change nothing'].join('\n')}\n`;
  if (plan.alreadyReleased.length > 0) lines.push(`  already on ${plan.release}, left alone: ${listHosts(plan.alreadyReleased)}`);
  if (plan.database) {
    lines.push(`  database: snapshot ${plan.database.snapshotId} of ${plan.database.instanceIdentifier}, then the migration (${plan.database.migration.document}) on ${plan.database.runner.name}`);
  }
  for (const tier of plan.tiers) lines.push(...tierLines(tier, report.releasesByTier[tier.spec.name] ?? {}));
  const v = plan.validation;
  lines.push(
    `  validation: bake ${v.bakeSeconds} s watching ${v.alarms.length} alarm(s)${v.alarmPrefixes.length > 0 ? ` and ${v.alarmPrefixes.length} prefix(es)` : ''}; ` +
      `approval ${v.approval.required ? `required (within ${v.approval.timeoutSeconds} s)` : 'not required'}; on failure: ${v.onFailure}`,
  );
  const ends = new Date(now.getTime() + estimate.expectedSeconds * 1000);
  lines.push(
    `  expected: ${duration(estimate.expectedSeconds)} (ends about ${ends.toISOString().slice(11, 16)} UTC if started now), ` +
      `${estimate.stateTransitions.toLocaleString('en-US')} state transitions (about $${estimate.costUsd.toFixed(4)}), ${estimate.segments} rollout execution(s)`,
  );
  if (estimate.undeclared.length > 0) lines.push(`  not declared, so assumed: ${estimate.undeclared.join('; ')}`);
  return `${lines.join('\n')}\n`;
}

function tierLines(tier: DeployPlan['tiers'][number], releases: Record<string, number>): string[] {
  const { spec, batches } = tier;
  const now = Object.entries(releases).map(([release, n]) => `${n} on ${release}`).join(', ');
  const lines = [`  ${spec.name}: ${spec.hostCount} host(s) (${now || 'none to release'}); ${batches.length} batch(es) of at most ${spec.batchSize}, at least ${spec.minHealthy} in service`];
  const shown = batches.length <= BATCHES_SHOWN + 1 ? batches.map((_, i) => i) : [...Array.from({ length: BATCHES_SHOWN }, (_, i) => i), batches.length - 1];
  shown.forEach((index, k) => {
    if (k === BATCHES_SHOWN && index !== BATCHES_SHOWN) lines.push(`    … ${index - BATCHES_SHOWN} more batch(es) alike`);
    const batch = batches[index]!;
    lines.push(`    batch ${index + 1}/${batches.length}: ${listHosts(batch.map((h: HostRef) => h.name))} out of traffic, ${spec.hostCount - batch.length} of ${spec.hostCount} stay in service`);
  });
  return lines;
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
}
