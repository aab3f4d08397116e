/**
 * End-to-end regressions for unsafe paths an independent review reproduced: each once
 * reported SUCCEEDED while the environment was not safe.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { simulateDeploy, simulateExecutions } from '../../lib/simulator/simulate';
import { canonical, expectSafeEnd, versions } from './helpers';

const clustered = loadEnvironmentFile(fileURLToPath(new URL('../fixtures/clustered.json', import.meta.url)));

describe('tiers no target group checks', () => {
  it('fails a monitoring release whose host comes up unhealthy, and rolls it back, instead of reporting success', async () => {
    const report = await simulateDeploy({ environment: canonical, input: { release: '1.1.0', component: 'monitoring' }, faults: ['unhealthy:mon-1'] });

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('HostUnhealthyError');
    expect(report.cause).toContain('mon-1');
    expect(report.minInService.monitoring).toBeGreaterThanOrEqual(1);
    expect(versions(report, 'monitoring')).toEqual({ 'mon-1': '1.0.0', 'mon-2': '1.0.0' });
    expect(report.recordedRelease).toBeNull();
    expectSafeEnd(report);
  });

  it('never lets a clustered middle tier drop below its minimum when a node comes up unhealthy', async () => {
    const report = await simulateDeploy({ environment: clustered, input: { release: '2.0.0' }, hostsPerTier: 4, faults: ['unhealthy:mid-1'] });

    expect(report.error).toBe('HostUnhealthyError');
    expect(report.minInService.middle).toBeGreaterThanOrEqual(report.minHealthyRequired.middle!);
    for (const h of report.hosts) expect(h.inService, h.name).toBe(true);
  });
});

describe('validation', () => {
  it('does not record a release whose alarm fires while it waits for approval', async () => {
    const report = await simulateDeploy({
      environment: canonical,
      input: { release: '1.1.0', requireApproval: true },
      faults: ['approval:approve', 'alarm:canonical-availability@900'],
    });

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('ValidationFailedError');
    expect(report.cause).toContain('when checked after the approval');
    expect(report.recordedRelease).toBeNull();
    expect(report.rolledBack).toBe(true);
    expectSafeEnd(report);
  });
});

describe('batch rollback', () => {
  it('puts a host that never finished draining straight back, without draining it again', async () => {
    const { reports, childEvents } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      faults: ['drain-stuck:web-2'],
      // The web group's delay raised past the drain timeout once the release is planned: web-2 never leaves draining in time.
      prepare: (account) =>
        account.schedule(account.now() + 60_000, () => {
          for (const group of account.groupsOf('web')) group.deregistrationDelaySeconds = 900;
        }),
      executions: [{ input: { release: '1.1.0', onValidationFailure: 'halt' } }],
    });
    // The batch and its rollback run in a child execution (a rollout segment).
    const entered = childEvents[0]!.flat().filter((e) => e.type === 'StateEntered').map((e) => e.state!.name);

    expect(reports[0]!.error).toBe('DrainTimeoutError');
    expect(entered).not.toContain('Take Batch Out For Rollback');
    expect(entered).toContain('Return Batch After Rollback');
    expectSafeEnd(reports[0]!);
  });
});
