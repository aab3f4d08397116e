/**
 * replace-database end to end in the simulator (its real definition and handlers against the
 * simulated account), the two runs issue 18 asks for: a switchover that completes, and one
 * that times out. Everything asserted is read from the account (replace-database-report.ts),
 * not from what the workflow says. The faults before the switchover are covered at task level
 * (test/unit/replace-database/) and by the campaign.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { LOCK_TABLE_NAME } from '../../lib/simulator/fleet';
import { simulateExecutions } from '../../lib/simulator/simulate';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));

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
