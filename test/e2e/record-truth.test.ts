/**
 * The record of what runs where stays true when SSM is throttled just as the first batch
 * installs (the install goes through, reading its result does not): for five minutes, which
 * the read-only poll rides out, and past the install's deadline, which fails the release.
 * Every promise of the fault campaign holds either way.
 */
import { describe, expect, it } from 'vitest';
import { checkInvariants, watch, type Watch } from '../../lib/simulator/campaign';
import { simulateExecutions } from '../../lib/simulator/simulate';
import { canonical } from './helpers';

describe('the record of what runs where', () => {
  it.each([
    // Five minutes: inside the install's 900 s deadline, so Check Install looks again and the release goes on.
    ['inside the install deadline', 'throttle:ssm@200+300', 'SUCCEEDED'],
    // Past the install's deadline: Check Install gives up, and the release is rolled back.
    ['past the install deadline', 'throttle:ssm@200+1000', 'FAILED'],
  ])('stays true, and the cause with it, when SSM is throttled right after an install, %s', async (_, fault, status) => {
    // Prepare
    const faults = [fault];
    const watched: Watch = { initialInService: new Map(), halfInstalledInTraffic: [] };

    // Act
    const { reports, account } = await simulateExecutions({
      environment: canonical,
      input: { release: '1.1.0' },
      faults,
      executions: [{ input: { release: '1.1.0' } }],
      prepare: (a) => watch(a, watched),
    });
    const report = reports[0]!;

    // Assess: whatever the outcome, every host is whole, in traffic, and recorded as what it runs.
    expect(report.status).toBe(status);
    expect(checkInvariants(report, account, faults, watched)).toEqual([]);
    for (const h of report.hosts) expect(h.recordedVersion, h.name).toBe(h.version);
    // mid-1 got the new release before SSM was throttled; no cause may claim it runs 1.0.0 again.
    if (report.status === 'FAILED' && report.hosts.find((h) => h.name === 'mid-1')!.version === '1.1.0') expect(report.cause).not.toContain('runs its previous release again');
  });
});
