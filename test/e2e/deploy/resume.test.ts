/**
 * A release that was stopped midway (StopExecution) is started again and continues from
 * where the fleet is: the host it left out of traffic (half-installed) goes first and
 * comes back on the release, hosts already released are skipped, and no tier goes
 * below its floor at any instant of either execution.
 */
import { describe, expect, it } from 'vitest';
import { OUT_OF_TRAFFIC_TAG } from '../../../lambdas/domain/contract/tags';
import { simulateExecutions } from '../../../lib/simulator/simulate';
import { canonical, expectSafeEnd, host } from '../helpers';

/** Mid-install of the first middle-tier batch: after the snapshot (120 s) and migration (45 s). */
const STOP_AFTER_SECONDS = 200;
const RESTART_AFTER_SECONDS = 400;

describe('a stopped release, started again', () => {
  it('puts the host it left out of traffic back first and completes with every floor held', async () => {
    // Act
    const { reports, account } = await simulateExecutions({
      environment: canonical,
      input: { release: '1.1.0' },
      executions: [
        { input: { release: '1.1.0' }, name: 'stopped', stopAfterSeconds: STOP_AFTER_SECONDS },
        { input: { release: '1.1.0' }, name: 'resumed', startAfterSeconds: RESTART_AFTER_SECONDS },
      ],
    });
    const [stopped, resumed] = reports;

    // Assess: the first execution ended ABORTED with mid-1 out of traffic and marked.
    expect(stopped!.status).toBe('ABORTED');
    expect(account.executions.get(`arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-deploy:stopped`)).toBe('ABORTED');

    // The second took the stale lock over, finished the release and recorded it.
    expect(resumed!.status, `${resumed!.error}: ${resumed!.cause}`).toBe('SUCCEEDED');
    expect(resumed!.recordedRelease).toBe('1.1.0');
    for (const name of ['mid-1', 'mid-2', 'web-1', 'web-2']) {
      expect(host(resumed!, name).version, name).toBe('1.1.0');
    }
    expectSafeEnd(resumed!);
    // The capacity recorder spans both executions and the gap between them.
    expect(resumed!.minInService.middle).toBeGreaterThanOrEqual(1);
    expect(resumed!.minInService.web).toBeGreaterThanOrEqual(1);
    for (const h of account.hosts.values()) expect(h.tags.has(OUT_OF_TRAFFIC_TAG), `${h.name} marker`).toBe(false);
    // The lock is free afterwards.
    expect(account.tables.get('fleetflow-lock-table')?.size ?? 0).toBe(0);
  });

  it('rolls back, after a failed validation, the hosts the stopped execution had already moved too', async () => {
    // Act: stopped after mid-1 was released; the release started again fails its bake.
    const { reports } = await simulateExecutions({
      environment: canonical,
      input: { release: '1.1.0' },
      faults: ['alarm:canonical-availability@1100'],
      executions: [
        { input: { release: '1.1.0' }, name: 'stopped', stopAfterSeconds: 400 },
        { input: { release: '1.1.0' }, name: 'resumed', startAfterSeconds: 500 },
      ],
    });
    const resumed = reports[1]!;

    // Assess: every application host, mid-1 included, runs 1.0.0 again and is in service.
    expect(resumed.status).toBe('FAILED');
    expect(resumed.error).toBe('ValidationFailedError');
    expect(resumed.rolledBack).toBe(true);
    for (const name of ['mid-1', 'mid-2', 'web-1', 'web-2']) {
      expect(host(resumed, name).version, name).toBe('1.0.0');
      expect(host(resumed, name).inService, name).toBe(true);
    }
    expectSafeEnd(resumed);
  });
});
