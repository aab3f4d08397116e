/**
 * Shared expectations of the end-to-end tests: what every simulated run, successful or
 * not, must leave behind.
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { EnvironmentDefinition } from '../../lib/environment/model';
import { loadEnvironmentFile } from '../../lib/environment/parse';
import type { SimulationReport } from '../../lib/simulator/simulate';

export const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));

export function host(report: SimulationReport, name: string) {
  const found = report.hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no host ${name} in report`);
  return found;
}

export function versions(report: SimulationReport, tier?: string): Record<string, string> {
  return Object.fromEntries(report.hosts.filter((h) => !tier || h.tier === tier).map((h) => [h.name, h.version]));
}

/** Every host in service, none half-installed, the record equal to the truth, capacity kept. */
export function expectSafeEnd(report: SimulationReport) {
  for (const h of report.hosts) {
    expect(h.inService, `${h.name} in service`).toBe(true);
    expect(h.halfInstalled, `${h.name} half-installed`).toBe(false);
    expect(h.recordedVersion, `${h.name} recorded release matches installed`).toBe(h.version);
  }
  for (const [tier, required] of Object.entries(report.minHealthyRequired)) {
    expect(report.minInService[tier], `${tier} capacity`).toBeGreaterThanOrEqual(required);
  }
  expect(report.minInService.monitoring, 'monitoring never fully down').toBeGreaterThanOrEqual(1);
  expect(report.dbAvailableThroughout).toBe(true);
}

/** The canonical environment with another batch policy on its host tiers. */
export function withBatchPolicy(policy: { maxUnavailable: number | string; minHealthyPercent: number }): EnvironmentDefinition {
  return {
    ...canonical,
    tiers: canonical.tiers.map((t) => (t.role === 'data' ? t : { ...t, batch: policy as (typeof t)['batch'] })),
  };
}
