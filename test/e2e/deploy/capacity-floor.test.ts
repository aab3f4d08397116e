/**
 * The floor holds for every tier kind, checked live before a batch leaves service: a
 * monitoring release with one monitoring host already down never takes the other one
 * down (monitoring is never fully down); it waits, then fails with
 * InsufficientCapacityError, having changed nothing.
 */
import { describe, expect, it } from 'vitest';
import { simulateDeploy } from '../../../lib/simulator/simulate';
import { readFileSync } from 'node:fs';
import { parseEnvironment } from '../../../lambdas/domain/environment/parse';
import { canonical, host, versions } from '../helpers';

const canonicalDefinition = JSON.parse(readFileSync(new URL('../../../environments/canonical.json', import.meta.url), 'utf8')) as { tiers: unknown[] };

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

describe('a middle tier of workers (queue consumers: traffic "none", judged by a health command)', () => {
  const workers = parseEnvironment({
    ...JSON.parse(JSON.stringify(canonicalDefinition)),
    tiers: (canonicalDefinition.tiers as Array<{ name: string }>).map((t) =>
      t.name === 'middle' ? { ...t, traffic: { kind: 'none' }, health: { ...(t as { health?: object }).health, command: { document: 'FleetFlow-CheckHealth' } } } : t,
    ),
  });

  it('is released in place, batch by batch, keeping its floor by the health command', async () => {
    const report = await simulateDeploy({ environment: workers, input: { release: '1.1.0' } });

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(versions(report, 'middle')).toEqual({ 'mid-1': '1.1.0', 'mid-2': '1.1.0' });
    expect(report.minInService.middle).toBeGreaterThanOrEqual(report.minHealthyRequired.middle!);
  });

  it('is rolled back like any tier when a worker fails its install', async () => {
    const report = await simulateDeploy({ environment: workers, input: { release: '1.1.0' }, faults: ['patch-fail:mid-2'] });

    expect(report.error).toBe('PatchFailedError');
    expect(versions(report, 'middle')).toEqual({ 'mid-1': '1.0.0', 'mid-2': '1.0.0' });
    expect(host(report, 'mid-1').inService).toBe(true);
  });
});
