/**
 * The closing summary of a simulated run, for a person at a terminal. It stays short at any
 * fleet size: past MAX_HOST_ROWS hosts, hosts that look alike (tier, release, record, service)
 * share one row; and the outcome comes last, where the eye is when the run ends.
 */
import type { HostReport, SimulationReport } from '../simulator/simulate';
import { formatElapsed, listHosts } from '../simulator/progress';

/** Hosts listed one per row up to this many; more are grouped. */
export const MAX_HOST_ROWS = 20;

export function formatHumanSummary(report: SimulationReport): string {
  const lines: string[] = [''];
  const what = report.workflow === 'deploy' ? `Release ${report.release ?? '?'}` : `${report.workflow[0]!.toUpperCase()}${report.workflow.slice(1)}`;
  const rows = [['host', 'tier', 'release', 'recorded', 'in service']];
  for (const group of hostGroups(report.hosts)) {
    const [h] = group;
    const name = group.length === 1 ? h!.name : listHosts(group.map((g) => g.name));
    rows.push([name, h!.tier, h!.version, h!.recordedVersion, `${h!.inService ? 'yes' : 'NO'}${h!.halfInstalled ? '  HALF-INSTALLED' : ''}`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) lines.push(`  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}`);
  lines.push('');
  for (const [tier, min] of Object.entries(report.minInService)) {
    const required = report.minHealthyRequired[tier];
    lines.push(`  ${tier}: at least ${min} in service throughout${required === undefined ? '' : ` (required ${required})`}`);
  }
  // The bound is of the whole workflow: against a run that stopped early, the ratio would mean nothing.
  const ratio =
    report.lowerBoundSeconds > 0 && report.status === 'SUCCEEDED'
      ? ` (${(report.makespanSeconds / report.lowerBoundSeconds).toFixed(3)} x lower bound ${formatElapsed(report.lowerBoundSeconds * 1000)})`
      : '';
  lines.push(`  virtual time ${formatElapsed(report.makespanSeconds * 1000)}${ratio}, ${report.stateTransitions} state transitions, simulated in ${(report.realTimeMs / 1000).toFixed(1)} s`);
  if (report.compute) {
    const list = (names: readonly string[]) => (names.length ? listHosts(names) : 'none');
    lines.push(`  launched ${list(report.compute.launched)}; terminated ${list(report.compute.terminated)}; stopped ${list(report.compute.stopped)}`);
    lines.push(`  orphans: ${list(report.compute.orphans)}`);
    // Replace launches one host per target it found: none launched in a run that succeeded is none found (Plan Replacement's nothingToDo).
    if (report.workflow === 'replace' && report.status === 'SUCCEEDED' && report.compute.launched.length === 0) lines.push('  no unhealthy host: nothing replaced');
  }
  if (report.replaceDatabase) {
    const r = report.replaceDatabase;
    lines.push(`  database: ${r.newDatabase?.identifier ?? '?'} ${r.blueServes ? 'still served by the blue instance' : 'served by the green instance'} (${r.deploymentStatus ?? 'no deployment'}); endpoint ${r.endpointUnchanged ? 'unchanged' : 'CHANGED'}; hosts repointed: ${r.hostsRepointed.length}`);
    // Without a switchover the blue kept taking writes: none paused, none at stake (the report's beforeSwitchover is null).
    lines.push(
      r.writes.beforeSwitchover === null
        ? '  writes: no switchover happened, so none were paused and none were at stake'
        : `  writes: ${r.writes.beforeSwitchover} before the switchover, ${r.writes.lost} lost; writes paused ${r.downtimeSeconds} s`,
    );
  }
  // The old instance is the blue only once the green took its name; before, the blue is simply the database.
  if (report.oldDatabase && report.workflow === 'replace-database' && report.replaceDatabase?.blueServes === false) {
    const old = report.oldDatabase;
    lines.push(`  old instance: ${old.identifier}${'kept' in old && old.kept ? ', kept' : ''}${old.unchanged ? ', unchanged' : ''}`);
  }
  if (report.throttledCalls > 0) lines.push(`  ${report.throttledCalls} throttled AWS calls were retried`);
  // A fault that never took effect tested nothing: said, so a success is not read as surviving it.
  for (const outcome of report.faultOutcomes ?? []) if (!outcome.applied) lines.push(`  fault ${outcome.fault} not applied: ${outcome.reason ?? 'it never took effect'}`);
  lines.push('');
  lines.push(`${what} on ${report.environment}: ${report.status}`);
  if (report.error) lines.push(`  ${report.error}: ${report.cause ?? ''}`);
  lines.push('');
  return lines.join('\n');
}

/** One host per group up to MAX_HOST_ROWS hosts; beyond, hosts with the same tier, releases and service state together, in first-seen order. */
function hostGroups(hosts: readonly HostReport[]): HostReport[][] {
  if (hosts.length <= MAX_HOST_ROWS) return hosts.map((h) => [h]);
  const groups = new Map<string, HostReport[]>();
  for (const h of hosts) {
    const key = JSON.stringify([h.tier, h.version, h.recordedVersion, h.inService, h.halfInstalled]);
    const group = groups.get(key);
    if (group) group.push(h);
    else groups.set(key, [h]);
  }
  return [...groups.values()];
}
