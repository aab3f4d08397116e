/**
 * The floor holds for every tier kind, checked live before a batch leaves service: a
 * monitoring release with one monitoring host already down never takes the other one
 * down (monitoring is never fully down); it waits, then fails with
 * InsufficientCapacityError, having changed nothing.
 */
import { describe, expect, it } from 'vitest';
import { simulateDeploy } from '../../../lib/simulator/simulate';
import { canonical, host } from '../helpers';

describe('the capacity floor of a tier no load balancer watches', () => {
  it('keeps the last healthy monitoring host up when the other is already down', async () => {
    const report = await simulateDeploy({ environment: canonical, input: { release: '1.1.0', component: 'monitoring' }, faults: ['down:mon-2'] });

    expect(report.minInService.monitoring).toBeGreaterThanOrEqual(1);
    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('InsufficientCapacityError');
    expect(report.cause).toContain('tier monitoring: taking out mon-1');
    expect(host(report, 'mon-1').version).toBe('1.0.0');
    expect(host(report, 'mon-1').inService).toBe(true);
    expect(report.recordedRelease).toBeNull();
  });
});
