/**
 * A release plan as a person reads it: each tier's hosts and releases, the batches in order
 * with what each takes out of traffic and what stays, the database step, the validation, and
 * the expected duration, transitions and cost. Bounded at any fleet size: a tier's batches
 * beyond the first few and the last are summarised in one line, and host lists are collapsed.
 */
import type { DeployPlan, HostRef } from '../../lambdas/domain/contract/payloads';
import type { DeployPlanReport } from './plan-deploy';
import type { TierStep, WorkflowPlanReport } from './plan-workflow';
import type { ScaleInSummary } from './scale-in-plan';
import type { ProtectionReads } from './protection-reads';
import { listHosts } from '../simulator/progress';

const BATCHES_SHOWN = 3;
/** A scale-in's chosen hosts named with their zone and launch time; the rest counted. */
const CHOSEN_SHOWN = 3;
const ZONES_SHOWN = 6;

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
  const h = estimate.history;
  lines.push(
    `  history: the release execution could need ${h.worstParentEvents.toLocaleString('en-US')} and its fullest rollout execution ${h.worstChildEvents.toLocaleString('en-US')} ` +
      `of the ${h.budget.toLocaleString('en-US')} events one execution is planned with`,
  );
  if (estimate.protectionReads) lines.push(protectionLine(estimate.protectionReads));
  if (estimate.undeclared.length > 0) lines.push(`  not declared, so assumed: ${estimate.undeclared.join('; ')}`);
  return `${lines.join('\n')}\n`;
}

/** Any other workflow's plan (plan-workflow.ts): its tiers' steps, the database and recovery point, the checks, the estimate. */
export function formatWorkflowPlan(report: WorkflowPlanReport, now = new Date()): string {
  const { estimate } = report;
  const lines = [`Plan: ${report.workflow} of ${report.environment}: ${report.summary}`];
  if (report.leftovers > 0) lines.push(`  first: terminate ${report.leftovers} host(s) a stopped run launched and never set up`);
  if (report.recovery) {
    // Hosts that still serve write to the old database until they are repointed; with none (allocate restoring for the hosts it launches), nothing is written meanwhile.
    const after = report.steps.some((s) => s.action === 'repoint') ? ', and any until the repoint' : '; no host serves until the new ones do, on the restored data';
    lines.push(`  recovery point: ${report.recovery.recoveryPointTime} (${report.recovery.source}); loses ${lossSpan(report.recovery.dataLossSeconds)} of writes before now${after}`);
  }
  if (report.scaleIn) lines.push(...scaleInLines(report.scaleIn));
  // One clause a line: a database step names instances and parameters of up to 63 and 2,048 characters.
  if (report.database) lines.push(...report.database.split('; ').map((clause, i) => (i === 0 ? `  database: ${clause}` : `    ${clause}`)));
  for (const step of report.steps) lines.push(...stepLines(step));
  for (const n of report.network) {
    lines.push(`  ${n.tier}: network checked: ${n.listeners} listener(s), ${n.securityGroups} security group(s), ${n.certificates} certificate(s), ${n.records} DNS record(s)`);
  }
  if (report.validation) lines.push(`  validation: bake ${report.validation.bakeSeconds} s watching ${report.validation.alarms} alarm(s) and prefix(es); on failure: repoint back`);
  for (const part of report.parts ?? []) lines.push(`  part: ${part.workflow} ${JSON.stringify(part.input)}, about ${duration(part.expectedSeconds)}, ${part.stateTransitions} transitions`);
  const ends = new Date(now.getTime() + estimate.expectedSeconds * 1000);
  lines.push(
    `  expected: ${duration(estimate.expectedSeconds)} (ends about ${ends.toISOString().slice(11, 16)} UTC if started now), ` +
      `${estimate.stateTransitions.toLocaleString('en-US')} state transitions (about $${estimate.costUsd.toFixed(4)}), ${estimate.childExecutions} child execution(s)`,
  );
  lines.push(
    estimate.childExecutions === 0
      ? '  history: no child execution; the run polls in its own execution, one check per watched minute'
      : `  history: the fullest child execution could need ${estimate.history.worstChildEvents.toLocaleString('en-US')} of the ${estimate.history.budget.toLocaleString('en-US')} events one execution is planned with`,
  );
  if (estimate.protectionReads) lines.push(protectionLine(estimate.protectionReads));
  // One assumption a line: there is one per kind of phase, whatever the fleet's size.
  if (estimate.undeclared.length > 0) lines.push('  not declared, so assumed:', ...estimate.undeclared.map((u) => `    ${u}`));
  return `${lines.join('\n')}\n`;
}

/**
 * The planner's protection reads (lambdas/compute/retire-guards.ts), which come first and take
 * their time at EC2's request rate while the run shows nothing else: counted in `expected`.
 */
export function protectionLine(reads: ProtectionReads): string {
  return (
    `  first, in the plan: reading ${reads.atMost ? 'at most ' : ''}${reads.hosts.toLocaleString('en-US')} hosts' protection ` +
    `(${reads.calls.toLocaleString('en-US')} DescribeInstanceAttribute calls, ~${duration(Math.ceil(reads.seconds))} at EC2's request rate; counted in expected)`
  );
}

/** The hosts a scale-in chose and why, a few by name with their zone and launch (one a line): bounded at any count. */
function scaleInLines(s: ScaleInSummary): string[] {
  const shown = s.chosen
    .slice(0, CHOSEN_SHOWN)
    .map((h) => {
      const launched = `launched ${h.launchedAt ? h.launchedAt.replace('T', ' ').slice(0, 16) : 'at an unknown time'}`;
      return `    ${h.name}: ${h.zone || 'no zone'}, ${h.outOfTraffic ? 'already out of traffic' : h.failing ? `failing its health checks (${h.failing}), ${launched}` : launched}`;
    });
  const zones = Object.entries(s.zones)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([zone, n]) => `${zone || 'no zone'} ${n.before} → ${n.after}`);
  return [
    `  ${s.tier}: chosen in this order: out of traffic first, then failing their health checks, then the oldest of the zone with the most hosts left`,
    ...shown,
    ...(s.chosen.length > CHOSEN_SHOWN ? [`    … ${s.chosen.length - CHOSEN_SHOWN} more`] : []),
    `  ${s.tier}: hosts per zone: ${zones.slice(0, ZONES_SHOWN).join(', ')}${zones.length > ZONES_SHOWN ? `, … ${zones.length - ZONES_SHOWN} more zone(s)` : ''}`,
  ];
}

function stepLines(step: TierStep): string[] {
  if (step.action === 'launch') {
    const zones = Object.entries(step.perZone ?? {}).map(([zone, n]) => `${n} in ${zone}`).join(', ');
    return [
      `  ${step.tier}: launch ${step.hosts} host(s) on ${step.release} (${zones}), set up, install and put into service`,
      `    set up: ${(step.setup ?? []).join(', ') || 'nothing'}`,
    ];
  }
  const verb = step.action === 'retire' ? 'retire' : 'repoint';
  const lines = [`  ${step.tier}: ${verb} ${step.hosts} host(s) in ${step.batches.length} batch(es), at least ${step.minInService} in service`];
  const { batches } = step;
  const shown = batches.length <= BATCHES_SHOWN + 1 ? batches.map((_, i) => i) : [...Array.from({ length: BATCHES_SHOWN }, (_, i) => i), batches.length - 1];
  shown.forEach((index, k) => {
    if (k === BATCHES_SHOWN && index !== BATCHES_SHOWN) lines.push(`    … ${index - BATCHES_SHOWN} more batch(es) alike`);
    const batch = batches[index]!;
    const who = batch.hosts.length > 0 ? listHosts(batch.hosts) : 'its hosts once launched';
    const stay = batch.stayInService === null ? 'the tier may be out of service meanwhile' : `${batch.stayInService} stay in service`;
    lines.push(`    batch ${index + 1}/${batches.length}: ${who} out of traffic, ${stay}`);
  });
  return lines;
}

function lossSpan(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
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
