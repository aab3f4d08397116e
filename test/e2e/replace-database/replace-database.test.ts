/**
 * replace-database end to end in the simulator (its real definition and handlers against the
 * simulated account), the two runs issue 18 asks for: a switchover that completes, and one
 * that times out. Everything asserted is read from the account (replace-database-report.ts),
 * not from what the workflow says. The faults before the switchover are covered at task level
 * (test/unit/replace-database/) and by a short seeded campaign here (the long one:
 * `fleetflow simulate campaign --workflow replace-database --runs 200 --seed 3`).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { checkReplaceDatabaseInvariants, runCampaign, type Watch } from '../../../lib/simulator/campaign';
import { noFaults } from '../../../lib/simulator/faults';
import { LOCK_TABLE_NAME, seedAccount } from '../../../lib/simulator/fleet';
import type { SimulationReport } from '../../../lib/simulator/simulate';
import { simulateExecutions } from '../../../lib/simulator/simulate';

/** canonical as it is: its database created in "fleetflow-secret" mode (the refusal of an "rds-managed" one: test/unit/replace-database/). */
const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url)));

async function run(faults: string[] = []) {
  const { reports, account } = await simulateExecutions({ environment: canonical, workflow: 'replace-database', input: {}, faults, executions: [{ input: {} }] });
  return { ...reports[0]!, lockHeld: account.table(LOCK_TABLE_NAME).has(canonical.name) };
}

describe('simulate replace-database', () => {
  it('switches over: the old instance unchanged and kept as canonical-db-old1, no host repointed, the endpoint unchanged, every write on the new instance, downtime = the modelled switchover', async () => {
    const report = await run();

    expect(report.status, report.cause).toBe('SUCCEEDED');
    expect(report.oldDatabase).toMatchObject({ identifier: 'canonical-db-old1', formerIdentifier: 'canonical-db', unchanged: true, kept: true });
    expect(report.oldDatabase?.tags['fleetflow:kept']).toBe('true');
    const replaced = report.replaceDatabase!;
    expect(replaced.deploymentStatus).toBe('SWITCHOVER_COMPLETED');
    expect(replaced.blueServes).toBe(false);
    expect(replaced.newDatabase?.identifier).toBe('canonical-db');
    expect(replaced.hostsRepointed).toEqual([]);
    expect(replaced.endpointUnchanged).toBe(true);
    expect(replaced.writes.beforeSwitchover).toBeGreaterThan(0);
    expect(replaced.writes.onServingInstance).toBeGreaterThanOrEqual(replaced.writes.beforeSwitchover!);
    expect(replaced.writes.lost).toBe(0);
    expect(replaced.downtimeSeconds).toBe(replaced.modelledSwitchoverSeconds);
    expect(report.notifications).toEqual(['Started', 'Succeeded']);
    expect(report.lockHeld).toBe(false);
    expect(report.dbAvailableThroughout).toBe(true);
  });

  it('switchover-timeout: FAILED with SwitchoverFailedError, the blue still serves, unrenamed, nothing lost, the lock released', async () => {
    const report = await run(['switchover-timeout']);

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('SwitchoverFailedError');
    expect(report.cause).toMatch(/canonical-db still serves/);
    const replaced = report.replaceDatabase!;
    expect(replaced.deploymentStatus).toBe('SWITCHOVER_FAILED');
    expect(replaced.blueServes).toBe(true);
    expect(report.oldDatabase).toMatchObject({ identifier: 'canonical-db', unchanged: true });
    expect(replaced.writes.lost).toBe(0);
    expect(replaced.hostsRepointed).toEqual([]);
    expect(report.notifications).toEqual(['Started', 'Failed']);
    expect(report.lockHeld).toBe(false);
  });
});

describe('simulate replace-database, a major version upgrade', () => {
  it('PostgreSQL 16.4 → 17.2 with the prerequisites set (rds.logical_replication = 1 on the blue, a postgres17 group): SUCCEEDED by logical replication, the green on the new group, no write lost', async () => {
    const { reports, account } = await simulateExecutions({
      environment: canonical,
      workflow: 'replace-database',
      input: {},
      executions: [{ input: { engineVersion: '17.2', parameterGroup: 'canonical-postgres17' } }],
      // What a person sets up first (the plan refuses without): logical replication on, rebooted; a group of the new family.
      prepare: (a) => {
        a.compute.dbParameterGroupSettings.set('canonical-postgres16', { parameters: { 'rds.logical_replication': '1' } });
        a.compute.dbParameterGroupSettings.set('canonical-postgres17', { family: 'postgres17', parameters: { 'rds.logical_replication': '1' } });
      },
    });
    const report = reports[0]!;

    expect(report.status, report.cause).toBe('SUCCEEDED');
    const deployment = [...account.compute.blueGreenDeployments.values()][0]!;
    expect(deployment.replication).toBe('logical');
    expect(report.replaceDatabase?.newDatabase).toMatchObject({ identifier: 'canonical-db', engineVersion: '17.2' });
    expect(deployment.green.definition?.parameterGroup).toBe('canonical-postgres17');
    expect(report.oldDatabase).toMatchObject({ identifier: 'canonical-db-old1', unchanged: true, kept: true });
    expect(report.replaceDatabase?.writes.lost).toBe(0);
    expect(report.replaceDatabase?.hostsRepointed).toEqual([]);
  });
});

describe('the replace-database campaign', () => {
  it('keeps every invariant over a short seeded campaign, drawing its faults', async () => {
    const report = await runCampaign({ environment: canonical, runs: 4, seed: 3, workflow: 'replace-database' });

    expect(report.runs).toBe(4);
    expect(report.violations, JSON.stringify(report.violations, null, 1)).toEqual([]);
    expect(Object.keys(report.byFaultKind).some((kind) => ['switchover-timeout', 'green-check-fail', 'lag-never-settles'].includes(kind))).toBe(true);
  });

  const watched: Watch = { initialInService: new Map(), halfInstalledInTraffic: [], endpointNotBlue: [] };
  const report = (status: 'SUCCEEDED' | 'FAILED', change: { lost?: number; kept?: boolean; repointed?: string[]; blueServes?: boolean; deploymentStatus?: string }) =>
    ({
      status,
      ...(status === 'FAILED' ? { error: 'SwitchoverFailedError', cause: 'the switchover failed' } : {}),
      executionName: 'run',
      workflow: 'replace-database',
      oldDatabase: { identifier: 'canonical-db-old1', formerIdentifier: 'canonical-db', unchanged: true, status: 'available', tags: {}, kept: change.kept ?? true },
      replaceDatabase: {
        newDatabase: null,
        blueServes: change.blueServes ?? false,
        deploymentStatus: change.deploymentStatus ?? 'SWITCHOVER_COMPLETED',
        hostsRepointed: change.repointed ?? [],
        endpointUnchanged: true,
        writes: { beforeSwitchover: 100, onServingInstance: 100 - (change.lost ?? 0), lost: change.lost ?? 0 },
        downtimeSeconds: 45,
        modelledSwitchoverSeconds: 45,
      },
    }) as unknown as SimulationReport;

  it('holds for a switchover that kept everything', () => {
    expect(checkReplaceDatabaseInvariants(report('SUCCEEDED', {}), seedAccount(canonical, noFaults()), watched)).toEqual([]);
  });

  it('flags lost writes, an old instance not kept, a repointed host, and a failed switchover after which the blue does not serve', () => {
    const account = seedAccount(canonical, noFaults());
    const found = (r: SimulationReport) => checkReplaceDatabaseInvariants(r, account, watched).map((v) => v.invariant);
    expect(found(report('SUCCEEDED', { lost: 3 }))).toEqual(['nothing lost']);
    expect(found(report('SUCCEEDED', { kept: false }))).toEqual(['old instance kept']);
    expect(found(report('SUCCEEDED', { repointed: ['web-1'] }))).toEqual(['no host repointed']);
    expect(found(report('FAILED', { deploymentStatus: 'SWITCHOVER_FAILED', blueServes: false }))).toEqual(['blue serves until switchover']);
    expect(found(report('FAILED', { deploymentStatus: 'SWITCHOVER_FAILED', blueServes: true }))).toEqual([]);
  });
});
