/**
 * Shared expectations of the end-to-end tests: what every simulated run, successful or
 * not, must leave behind.
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import type { SimulatedAccount } from '../../lib/simulator/account';
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

/** What the load balancer showed for a host when its install was sent, and how long after its deregistration. */
export interface InstallAfterDrain {
  readonly host: string;
  readonly stateAtInstall: string;
  readonly secondsAfterDeregistration: number;
}

/**
 * Watches a simulated account (use from `prepare`): for each install sent to a host of a
 * target-group tier after it was deregistered, the target's state then and the seconds since.
 */
export function watchDrains(account: SimulatedAccount): InstallAfterDrain[] {
  const seen: InstallAfterDrain[] = [];
  const deregisteredAt = new Map<string, number>();
  const deregister = account.deregisterTarget.bind(account);
  account.deregisterTarget = (group, id) => {
    const target = group.targets.get(id);
    if (target && target.deregisteredAt === undefined) deregisteredAt.set(id, account.now());
    deregister(group, id);
  };
  const send = account.sendCommand.bind(account);
  account.sendCommand = (document, ids, parameters, comment) => {
    if (account.documents.get(document) === 'install') {
      for (const id of ids) {
        const host = account.hosts.get(id);
        const group = host ? account.groupsOf(host.tier)[0] : undefined;
        const since = deregisteredAt.get(id);
        if (!host || !group || since === undefined) continue;
        seen.push({ host: host.name, stateAtInstall: account.targetState(group, id), secondsAfterDeregistration: (account.now() - since) / 1000 });
      }
    }
    return send(document, ids, parameters, comment);
  };
  return seen;
}
