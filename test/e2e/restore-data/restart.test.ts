/**
 * restore-data stopped and started again (review item 2), end to end on the simulated account:
 * stopped mid-repoint (restart:700: mid-1 moved at about 00:10:44, mid-2's reconfigure sent),
 * the run started again resumes onto the first run's instance (no second restore, mid-1 not
 * repointed again, nothing it wrote lost) and reports no orphan and no extra instance-hours;
 * stopped while restoring (restart:300: nothing pointed at the instance yet), the run started
 * again restores afresh and reports the first run's instance as the orphan it is.
 */
import { describe, expect, it } from 'vitest';
import { DATABASE_SENT_TAG, DATABASE_TAG } from '../../../lambdas/domain/contract/tags';
import { databaseParameterName } from '../../../lambdas/domain/contract/records';
import { databaseAtEndpoint } from '../../../lib/simulator/account';
import { simulateExecutions } from '../../../lib/simulator/simulate';
import { canonical } from '../helpers';

const RESTORE_TIERS = ['middle', 'web'];
const CONNECTION = '/canonical/database/endpoint';

async function restarted(stopAt: number) {
  const lines: string[] = [];
  let databasesBefore: string[] = [];
  const result = await simulateExecutions({
    environment: canonical,
    input: { source: 'latest' },
    workflow: 'restore-data',
    faults: [`restart:${stopAt}`],
    executions: [{ input: { source: 'latest' } }],
    onProgress: (line) => lines.push(line),
    prepare: (account) => {
      databasesBefore = [...account.databases.keys()];
    },
  });
  const again = lines.findIndex((l, i) => i > 0 && l.endsWith('execution started'));
  return { ...result, first: result.reports[0]!, second: result.reports[1]!, created: [...result.account.databases.keys()].filter((d) => !databasesBefore.includes(d)), secondLines: lines.slice(again) };
}

describe('restore-data stopped mid-repoint and started again', () => {
  it('resumes onto the first run\'s instance: one restore, mid-1 left on it, every host on it, recorded; no orphan, no extra instance-hours', async () => {
    const { first, second, account, created, secondLines } = await restarted(700);
    expect(first.status).toBe('ABORTED');
    expect(second.status, `${second.error}: ${second.cause}`).toBe('SUCCEEDED');

    // One restored instance, the first run's: restored once, never again.
    expect(created).toHaveLength(1);
    const [restored] = created as [string];
    expect(account.calls.get('rds:RestoreDBInstanceToPointInTime')).toBe(1);
    expect(account.databases.get(restored)!.tags?.['fleetflow:created-by']).toBe(first.executionName);
    expect(account.parameters.get(databaseParameterName('canonical'))?.value).toBe(restored);
    expect(databaseAtEndpoint(account, account.parameters.get(CONNECTION)!.value)?.identifier).toBe(restored);

    // Said before anything: resumed, not restored; the writes lost counted from the first run's recovery point.
    const resuming = secondLines.find((l) => l.includes('database: resuming'));
    // The recovery point is the first restore's, as RDS restored it.
    const point = account.databases.get(restored)!.restoredFrom!.split('@')[1]!;
    expect(second.recoveryPointTime).toBe(point);
    expect(resuming).toContain(`resuming ${first.executionName}'s restore into ${restored}, as of ${point.replace('.000Z', 'Z')}`);
    // From the first run's recovery point (5 min before it started) to the second's plan: 5 min + 700 s + the gap, not 5 min.
    expect(resuming).toMatch(/\(loses 1[78] min of writes and any until the repoint\); on it or moving: mid-1, mid-2$/);
    expect(secondLines.some((l) => l.includes('database: restoring'))).toBe(false);
    // mid-1 moved in the first run and serves from it: the second leaves it alone; mid-2 (unconfirmed) is reconfigured.
    expect(secondLines.some((l) => l.includes('reconfiguring mid-1'))).toBe(false);
    expect(secondLines.some((l) => l.includes('reconfiguring mid-2'))).toBe(true);

    for (const h of second.hosts.filter((x) => RESTORE_TIERS.includes(x.tier))) {
      expect(second.hostsOnDatabase?.[h.name], h.name).toBe(restored);
      expect(h.inService, `${h.name} in service`).toBe(true);
    }
    for (const h of [...account.hosts.values()].filter((x) => RESTORE_TIERS.includes(x.tier))) {
      expect(h.tags.get(DATABASE_TAG), `${h.name} record`).toBe(restored);
      expect(h.tags.has(DATABASE_SENT_TAG)).toBe(false);
    }
    for (const tier of RESTORE_TIERS) expect(second.minInService[tier]).toBeGreaterThanOrEqual(second.minHealthyRequired[tier]!);
    expect(second.compute).toMatchObject({ launched: [], orphans: [], extraInstanceHours: 0 });
  });

  it('stopped while restoring (nothing pointed at it): the run started again restores afresh and reports the first instance as an orphan', async () => {
    const { first, second, created } = await restarted(300);
    expect(second.status, `${second.error}: ${second.cause}`).toBe('SUCCEEDED');
    expect(created).toHaveLength(2);
    const left = created.find((d) => d !== second.newDatabase?.identifier)!;
    expect(second.newDatabase?.identifier).not.toBe(left);
    expect(second.compute?.orphans).toEqual([left]);
    expect(second.compute?.extraInstanceHours).toBe(0);
    expect(first.status).toBe('ABORTED');
  });
});
