/**
 * The closing summary of a simulated run, for a person at a terminal.
 */
import type { SimulationReport } from '../simulator/simulate';
import { formatElapsed } from '../simulator/progress';

export function formatHumanSummary(report: SimulationReport): string {
  const lines: string[] = [''];
  const what = report.workflow === 'deploy' ? `Release ${report.release ?? '?'}` : `${report.workflow[0]!.toUpperCase()}${report.workflow.slice(1)}`;
  lines.push(`${what} on ${report.environment}: ${report.status}`);
  if (report.error) lines.push(`  ${report.error}: ${report.cause ?? ''}`);
  lines.push('');
  const rows = [['host', 'tier', 'release', 'recorded', 'in service']];
  for (const h of report.hosts) {
    rows.push([h.name, h.tier, h.version, h.recordedVersion, `${h.inService ? 'yes' : 'NO'}${h.halfInstalled ? '  HALF-INSTALLED' : ''}`]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) lines.push(`  ${row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}`);
  lines.push('');
  for (const [tier, min] of Object.entries(report.minInService)) {
    const required = report.minHealthyRequired[tier];
    lines.push(`  ${tier}: at least ${min} in service throughout${required === undefined ? '' : ` (required ${required})`}`);
  }
  const ratio = report.lowerBoundSeconds > 0 ? ` (${(report.makespanSeconds / report.lowerBoundSeconds).toFixed(3)} x lower bound ${formatElapsed(report.lowerBoundSeconds * 1000)})` : '';
  lines.push(`  virtual time ${formatElapsed(report.makespanSeconds * 1000)}${ratio}, ${report.stateTransitions} state transitions, simulated in ${(report.realTimeMs / 1000).toFixed(1)} s`);
  if (report.compute) {
    const list = (names: readonly string[]) => (names.length ? names.join(', ') : 'none');
    lines.push(`  launched ${list(report.compute.launched)}; terminated ${list(report.compute.terminated)}; stopped ${list(report.compute.stopped)}`);
    lines.push(`  orphans: ${list(report.compute.orphans)}`);
  }
  if (report.throttledCalls > 0) lines.push(`  ${report.throttledCalls} throttled AWS calls were retried`);
  lines.push('');
  return lines.join('\n');
}
