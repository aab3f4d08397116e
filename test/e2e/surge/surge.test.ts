/**
 * Surge releases (batch.strategy "surge", environments/surge.json): capacity never drops
 * below the whole tier, the old hosts are stopped until the release is validated, and a
 * rollback starts them again and removes the new ones.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RETIRED_BY_TAG } from '../../../lambdas/domain/contract/tags';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { simulateExecutions } from '../../../lib/simulator/simulate';
import { host } from '../helpers';

const surge = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/surge.json', import.meta.url)));

async function release(faults: string[] = []) {
  const input = { release: '1.1.0' };
  const { reports, account } = await simulateExecutions({ environment: surge, input, faults, executions: [{ input }] });
  return { report: reports[0]!, account };
}

describe('a surge release', () => {
  it('keeps every tier at its full count throughout, then terminates the old hosts once validated', async () => {
    const { report, account } = await release();

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(report.minInService).toEqual({ middle: 2, web: 2, monitoring: 2 });
    expect(report.recordedRelease).toBe('1.1.0');
    expect(report.compute?.launched).toEqual(['mid-3', 'mid-4', 'web-3', 'web-4']);
    for (const name of report.compute!.launched) {
      expect(host(report, name).inService, name).toBe(true);
      expect(host(report, name).version, name).toBe('1.1.0');
    }
    // The old hosts: out of service, kept stopped during the release, terminated after it.
    expect([...report.compute!.terminated].sort()).toEqual(['mid-1', 'mid-2', 'web-1', 'web-2']);
    for (const name of ['mid-1', 'web-2']) expect([...account.hosts.values()].find((h) => h.name === name)!.tags.get(RETIRED_BY_TAG)).toBe(report.executionName);
    expect(report.compute?.orphans).toEqual([]);
    // The surge's cost: new and old hosts ran side by side for a while.
    expect(report.compute!.extraInstanceHours).toBeGreaterThan(0);
  });

  it('rolled back after a failed validation: the stopped hosts run again, in service, and the new ones are gone', async () => {
    // Inside the bake (00:15:34 to 00:20:34 of the pipelined surge on environments/surge.json).
    const { report } = await release(['alarm:surge-availability@1100']);

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('ValidationFailedError');
    expect(report.rolledBack).toBe(true);
    expect(report.minInService).toEqual({ middle: 2, web: 2, monitoring: 2 });
    for (const name of ['mid-1', 'mid-2', 'web-1', 'web-2']) {
      expect(host(report, name).inService, name).toBe(true);
      expect(host(report, name).version, name).toBe('1.0.0');
    }
    expect([...report.compute!.terminated].sort()).toEqual(['mid-3', 'mid-4', 'web-3', 'web-4']);
    expect(report.compute?.orphans).toEqual([]);
  });

  it('a new host that never gets healthy: its batch\'s new hosts terminated, the release rolled back, nothing below the full count', async () => {
    const { report } = await release(['unhealthy:web-4']);

    expect(report.error).toBe('HostUnhealthyError');
    expect(report.rolledBack).toBe(true);
    expect(report.minInService).toEqual({ middle: 2, web: 2, monitoring: 2 });
    expect(host(report, 'web-1').inService && host(report, 'web-2').inService).toBe(true);
    expect(report.compute?.orphans).toEqual([]);
  });

  it('no capacity to surge the web tier: LaunchFailedError, rolled back, the middle tier\'s old hosts back', async () => {
    const { report } = await release(['launch-fail:web']);

    expect(report.error).toBe('LaunchFailedError');
    expect(report.rolledBack).toBe(true);
    expect(host(report, 'mid-1').version).toBe('1.0.0');
    expect(host(report, 'mid-1').inService && host(report, 'mid-2').inService).toBe(true);
    expect(report.compute?.orphans).toEqual([]);
  });
});

describe('a surge release over an old host EC2 would refuse to stop', () => {
  it('is refused by Plan Release before the lock: nothing launched, drained or stopped, the database not migrated', async () => {
    const { report, account } = await release(['protected:web-1@stop']);

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('InvalidInputError');
    expect(report.cause).toMatch(/^tier web: web-1 \(i-[0-9a-f]+\) has stop protection \(DisableApiStop\): .*; nothing was changed$/);
    expect(report.rolledBack).toBe(false);
    // Only the hosts environments/surge.json seeds: none launched.
    expect([...account.hosts.values()].map((h) => h.name).sort()).toEqual(['mid-1', 'mid-2', 'mon-1', 'mon-2', 'web-1', 'web-2']);
    expect([...account.hosts.values()].every((h) => h.state === 'running'), 'every host still running').toBe(true);
    for (const name of ['mid-1', 'mid-2', 'web-1', 'web-2']) expect(host(report, name).inService && host(report, name).version === '1.0.0', name).toBe(true);
    expect([...account.databases.values()].map((db) => db.schemaRelease)).toEqual(['1.0.0']);
    // Only the snapshots seeded before the start: no pre-migration snapshot was taken.
    expect([...account.snapshots.values()].filter((snap) => snap.createdAt >= account.startedAt)).toEqual([]);
  });
});

describe('a surge release stopped midway, started again', () => {
  it('ignores the host the stopped run launched and never released, and completes at full capacity', async () => {
    const input = { release: '1.1.0' };
    const { reports } = await simulateExecutions({
      environment: surge,
      input,
      executions: [
        { input, name: 'stopped', stopAfterSeconds: 300 },
        { input, name: 'resumed', startAfterSeconds: 400 },
      ],
    });
    const [, resumed] = reports;

    expect(resumed!.status, `${resumed!.error}: ${resumed!.cause}`).toBe('SUCCEEDED');
    expect(resumed!.recordedRelease).toBe('1.1.0');
    expect(resumed!.compute?.orphans).toEqual([]);
  });

  it('stopped after a batch\'s old host was stopped: the run started again terminates it at its end, with its own and the stopped run\'s never-served new host, and no host that serves', async () => {
    const input = { release: '1.1.0' };

    // restart:500: mid-1 was stopped at 00:06:47 (its batch done, mid-3 serving), mid-2's batch was installing on mid-4.
    const { reports, account } = await simulateExecutions({ environment: surge, input, faults: ['restart:500'], executions: [{ input, name: 'stopped' }] });
    const [stopped, again] = reports;

    expect(stopped!.status).toBe('ABORTED');
    // The premise: the stopped execution had stopped mid-1 (the batch's last phase, ended before the stop).
    expect(stopped!.timeline.phases.find((p) => p.phase === 'stop' && p.hostNames === 'mid-1')?.end).toBeLessThan(500);
    expect(again!.status, `${again!.error}: ${again!.cause}`).toBe('SUCCEEDED');
    expect(again!.recordedRelease).toBe('1.1.0');
    const mid1 = [...account.hosts.values()].find((h) => h.name === 'mid-1')!;
    expect(mid1.tags.get(RETIRED_BY_TAG), 'stopped by the first execution').toBe('stopped');
    expect(['shutting-down', 'terminated']).toContain(mid1.state);
    // Nothing the surges stopped is left stopped, and every host terminated was out of service: each tier serves in full on 1.1.0.
    expect(again!.compute?.stopped).toEqual([]);
    expect([...again!.compute!.terminated].sort()).toEqual(['mid-1', 'mid-2', 'mid-4', 'web-1', 'web-2']);
    for (const tier of ['middle', 'web']) {
      expect(again!.hosts.filter((h) => h.tier === tier && h.inService && h.version === '1.1.0'), tier).toHaveLength(2);
    }
    for (const name of again!.compute!.terminated) expect(host(again!, name).inService, name).toBe(false);
    // mid-4, the new host the stopped execution was installing on, never served: terminated too (tagged why), no orphan left.
    const mid4 = [...account.hosts.values()].find((h) => h.name === 'mid-4')!;
    expect(mid4.tags.get(RETIRED_BY_TAG)).toBe(again!.executionName);
    expect(['shutting-down', 'terminated']).toContain(mid4.state);
    expect(again!.compute?.orphans).toEqual([]);
  });

  it('stopped after a batch\'s old host was taken out and before it stopped: the run started again retires it with its first batch, launching nothing for it, and the tier ends at its count', async () => {
    const input = { release: '1.1.0' };

    // restart:400: mid-3 (1.1.0) serves since 00:06:35 and mid-1 is out of traffic, not yet stopped.
    const { reports, account } = await simulateExecutions({ environment: surge, input, faults: ['restart:400'], executions: [{ input, name: 'stopped' }] });
    const [stopped, again] = reports;

    expect(stopped!.status).toBe('ABORTED');
    expect(again!.status, `${again!.error}: ${again!.cause}`).toBe('SUCCEEDED');
    // The premise: mid-1 left traffic in the stopped run and was never stopped there.
    expect(stopped!.timeline.phases.some((p) => p.phase === 'stop' && p.hostNames === 'mid-1')).toBe(false);
    // One new middle host in the run started again (for mid-2), none for mid-1: mid-3 replaced it.
    const launchedAgain = [...account.hosts.values()].filter((h) => h.tier === 'middle' && h.tags.get('fleetflow:launched-by') === again!.executionName);
    expect(launchedAgain).toHaveLength(1);
    const mid1 = [...account.hosts.values()].find((h) => h.name === 'mid-1')!;
    expect(mid1.tags.get(RETIRED_BY_TAG), 'stopped by the run started again, with its first batch').toBe(again!.executionName);
    expect(['shutting-down', 'terminated']).toContain(mid1.state);
    // Each tier at its count on 1.1.0, never below it, nothing left stopped, no orphan.
    for (const tier of ['middle', 'web']) {
      expect(again!.hosts.filter((h) => h.tier === tier && h.inService).map((h) => h.version), tier).toEqual(['1.1.0', '1.1.0']);
    }
    expect(again!.minInService).toEqual({ middle: 2, web: 2, monitoring: 2 });
    expect(again!.compute?.stopped).toEqual([]);
    expect(again!.compute?.orphans).toEqual([]);
  });

  it('and fails before that batch stopped mid-1: the rollback puts mid-1 back into service with mid-2, the stopped run\'s new hosts gone', async () => {
    const input = { release: '1.1.0' };

    // mid-5, the run started again's one new middle host, fails its install.
    const { reports } = await simulateExecutions({ environment: surge, input, faults: ['restart:400', 'patch-fail:mid-5'], executions: [{ input, name: 'stopped' }] });
    const again = reports.at(-1)!;

    expect(again.error, again.cause).toBe('PatchFailedError');
    expect(again.rolledBack).toBe(true);
    expect(again.hosts.filter((h) => h.tier === 'middle' && h.inService).map((h) => [h.name, h.version])).toEqual([
      ['mid-1', '1.0.0'],
      ['mid-2', '1.0.0'],
    ]);
    expect(again.minInService.middle).toBe(2);
    expect(again.compute?.stopped).toEqual([]);
    expect(again.compute?.orphans).toEqual([]);
  });

  it('the run started again that fails its validation rolls back the stopped run\'s surge too: its old host started again, its new ones gone', async () => {
    const input = { release: '1.1.0' };

    // The alarm fires in the second execution's bake (00:23:20) and holds while any middle host runs 1.1.0.
    const { reports, account } = await simulateExecutions({
      environment: surge,
      input,
      faults: ['restart:500', 'alarm:surge-middle-latency@1400'],
      executions: [{ input, name: 'stopped' }],
    });
    const again = reports.at(-1)!;

    // Rolled back in full (not RollbackFailedError): mid-3 on 1.1.0, the stopped run's, would have held the alarm.
    expect(again.error, again.cause).toBe('ValidationFailedError');
    expect(again.rolledBack).toBe(true);
    expect(again.hosts.filter((h) => h.tier === 'middle' && h.inService).map((h) => [h.name, h.version])).toEqual([
      ['mid-1', '1.0.0'],
      ['mid-2', '1.0.0'],
    ]);
    // Never below the tier's count, nothing left stopped, and the stopped run's new hosts (mid-3 served, mid-4 never did) gone.
    expect(again.minInService.middle).toBe(2);
    expect(again.compute?.stopped).toEqual([]);
    expect(again.compute?.orphans).toEqual([]);
    for (const name of ['mid-3', 'mid-4']) expect(['shutting-down', 'terminated'], name).toContain([...account.hosts.values()].find((h) => h.name === name)!.state);
  });
});

describe('a surge release started again never retires a serving host without a serving replacement', () => {
  it('the stopped run\'s old host terminated by hand before the restart: the old host still in traffic is surged, not taken as replaced, and the tier ends at its count', async () => {
    const input = { release: '1.1.0' };

    // restart:500 stopped the run with mid-1 stopped (mid-3, its batch's new host, serving); mid-1 is terminated at 520, before the restart at 560.
    const { reports, account } = await simulateExecutions({ environment: surge, input, faults: ['restart:500', 'terminate:mid-1@520'], executions: [{ input, name: 'stopped' }] });
    const again = reports.at(-1)!;

    // Counting mid-1 gone made mid-3 a "spare" replacement for mid-2: refused ("no host that can be patched") or retired mid-2 for nothing.
    expect(again.status, `${again.error}: ${again.cause}`).toBe('SUCCEEDED');
    const launchedAgain = [...account.hosts.values()].filter((h) => h.tier === 'middle' && h.tags.get('fleetflow:launched-by') === again.executionName);
    expect(launchedAgain, 'one new host for mid-2').toHaveLength(1);
    expect(again.hosts.filter((h) => h.tier === 'middle' && h.inService).map((h) => [h.name, h.version])).toEqual([
      ['mid-3', '1.1.0'],
      [launchedAgain[0]!.name, '1.1.0'],
    ]);
    expect(again.minInService.middle).toBe(2);
    expect(again.compute?.orphans).toEqual([]);
  });

  it('a monitoring release after the stopped run leaves the application\'s stopped old host alone: only an application release ends it', async () => {
    const input = { release: '1.1.0' };
    const { reports, account } = await simulateExecutions({
      environment: surge,
      input,
      executions: [
        // Stopped at 500: mid-1 stopped (00:06:47), mid-3 serving.
        { input, name: 'stopped', stopAfterSeconds: 500 },
        { input: { release: '2.0.0', component: 'monitoring' }, name: 'monitoring', startAfterSeconds: 600 },
      ],
    });
    const [, monitoring] = reports;

    expect(monitoring!.status, `${monitoring!.error}: ${monitoring!.cause}`).toBe('SUCCEEDED');
    // Its Terminate Surged Hosts looked at the monitoring tier only: mid-1 is still stopped, as the stopped run left it.
    const mid1 = [...account.hosts.values()].find((h) => h.name === 'mid-1')!;
    expect(mid1.state).toBe('stopped');
    expect(mid1.tags.get(RETIRED_BY_TAG)).toBe('stopped');
  });

  it('a surge restarted during its rollback retires the stopped run\'s new host its rollback took out, launching nothing for it: the tier ends at its count', async () => {
    // patch-fail:mid-4 fails batch 2; the rollback started mid-1 again and took mid-3 out of traffic when restart:640 stopped it.
    const input = { release: '1.1.0' };
    const { reports } = await simulateExecutions({ environment: surge, input, faults: ['patch-fail:mid-4', 'restart:640'], executions: [{ input, name: 'stopped' }] });
    const again = reports.at(-1)!;

    expect(again.status, `${again.error}: ${again.cause}`).toBe('SUCCEEDED');
    expect(again.hosts.filter((h) => h.tier === 'middle' && h.inService).map((h) => h.version)).toEqual(['1.1.0', '1.1.0']);
    expect(again.compute?.terminated).toContain('mid-3');
    expect(again.compute?.orphans).toEqual([]);
  });
});

describe('a fault a surge release cannot fire', () => {
  it('is refused before anything runs when it is known up front: an install fault on an old host, a task of another workflow', async () => {
    const refused = (faults: string[]) => simulateExecutions({ environment: surge, input: { release: '1.1.0' }, faults, executions: [{ input: { release: '1.1.0' } }] });
    await expect(refused(['patch-fail:web-2'])).rejects.toThrow(/tier "web" is released by surge, which installs the new release only on new hosts it launches, never on web-2: .* e\.g\. patch-fail:web-3$/);
    // Plan Allocate is a task of the stack, but not of the release or the rollout it starts.
    await expect(refused(['error:Plan Allocate'])).rejects.toThrow(/no Lambda task state is named "Plan Allocate" in the workflow this run starts/);
  });

  it('is reported not applied, with why, when only the run can tell: a state never entered, a time after the end', async () => {
    // Launch Next Surge Hosts is in the rollout's definition; with two batches a tier, the first launches both batches' hosts.
    const { report } = await release(['error:Launch Next Surge Hosts', 'stop:mid-1@99999', 'unhealthy:web-4']);

    expect(report.status, `${report.error}: ${report.cause}`).toBe('FAILED');
    expect(report.faultOutcomes).toEqual([
      { fault: 'error:Launch Next Surge Hosts', applied: false, reason: '"Launch Next Surge Hosts" never ran in this run' },
      { fault: 'stop:mid-1@99999', applied: false, reason: 'the run had ended before 99999 s' },
      // The new host fails its health checks on the new release: this one did fire.
      { fault: 'unhealthy:web-4', applied: true },
    ]);
  });
});
