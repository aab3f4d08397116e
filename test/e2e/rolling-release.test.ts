/**
 * End-to-end: the rolling part of a release. The synthesized state machine runs locally
 * with the real handlers against the simulated account; every run is checked for what
 * a release must leave behind.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../lib/environment/parse';
import { simulateDeploy, simulateExecutions, type SimulationReport } from '../../lib/simulator/simulate';
import { canonical, expectSafeEnd, host, versions, withBatchPolicy } from './helpers';

const clustered = loadEnvironmentFile(fileURLToPath(new URL('../fixtures/clustered.json', import.meta.url)));

function deploy(faults: string[] = [], input: Record<string, unknown> = {}) {
  return simulateDeploy({ environment: canonical, input: { release: '1.1.0', ...input }, faults });
}

describe('rolling release of the canonical environment', () => {
  it('releases every web and middle host and keeps the minimum in service', async () => {
    const report = await deploy();

    expect(report.status).toBe('SUCCEEDED');
    expect(versions(report, 'web')).toEqual({ 'web-1': '1.1.0', 'web-2': '1.1.0' });
    expect(versions(report, 'middle')).toEqual({ 'mid-1': '1.1.0', 'mid-2': '1.1.0' });
    expect(report.minHealthyRequired).toEqual({ middle: 1, web: 1 });
    expect(report.minInService).toMatchObject({ middle: 1, web: 1 });
    expectSafeEnd(report);
    expect(report.makespanSeconds).toBeGreaterThanOrEqual(report.lowerBoundSeconds);
  });

  it('halts with PatchFailedError, the failed batch rolled back and earlier batches kept, under the halt policy', async () => {
    const report = await deploy(['patch-fail:web-2'], { onValidationFailure: 'halt' });

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('PatchFailedError');
    expect(report.cause).toContain('web-2');
    expect(report.rolledBack).toBe(false);
    expect(host(report, 'web-2').version).toBe('1.0.0');
    expect(host(report, 'web-1').version).toBe('1.1.0');
    expect(host(report, 'mid-2').version).toBe('1.1.0');
    expectSafeEnd(report);
  });

  it('does not start a later batch after a batch fails', async () => {
    const { reports, childEvents } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      faults: ['patch-fail:mid-1'],
      executions: [{ input: { release: '1.1.0', onValidationFailure: 'halt' } }],
    });
    const report = reports[0]!;
    // Batches run in child executions (rollout segments): every child of the release is searched.
    const batchesTakenOut = childEvents[0]!
      .flat()
      .filter((e) => e.type === 'StateEntered' && e.state?.name === 'Take Batch Out')
      .map((e) => (e.state!.input as { batch: { hosts: Array<{ name: string }> } }).batch.hosts.map((h) => h.name).join());

    expect(report.error).toBe('PatchFailedError');
    expect(batchesTakenOut).toEqual(['mid-1']);
    expect(versions(report, 'middle')).toEqual({ 'mid-1': '1.0.0', 'mid-2': '1.0.0' });
    expect(report.minInService).toMatchObject({ middle: 1, web: 2 });
    expectSafeEnd(report);
  });

  it('reinstalls the previous release when a patched host never becomes healthy', async () => {
    const report = await deploy(['unhealthy:mid-1']);

    expect(report.error).toBe('HostUnhealthyError');
    expect(report.cause).toContain('mid-1');
    expect(versions(report, 'middle')).toEqual({ 'mid-1': '1.0.0', 'mid-2': '1.0.0' });
    expectSafeEnd(report);
  });

  it('puts a host that does not finish draining back into traffic with DrainTimeoutError', async () => {
    const report = await deploy(['drain-stuck:web-1']);

    expect(report.error).toBe('DrainTimeoutError');
    expect(report.cause).toContain('web-1');
    expect(host(report, 'web-1').version).toBe('1.0.0');
    expectSafeEnd(report);
  });

  it('rolls back the batch whose tier alarm fires and fails with AlarmFiredError', async () => {
    const report = await deploy(['alarm:canonical-web-5xx@450']);

    expect(report.error).toBe('AlarmFiredError');
    expect(report.cause).toContain('canonical-web-5xx');
    expect(host(report, 'web-1').version).toBe('1.0.0');
    expectSafeEnd(report);
  });

  it.each(['ec2', 'elbv2', 'ssm', 'cloudwatch'])('rides out a burst of %s throttling', async (service) => {
    const report = await deploy([`throttle:${service}`]);

    expect(report.status).toBe('SUCCEEDED');
    expect(report.throttledCalls).toBe(8);
    expectSafeEnd(report);
  });

  it('refuses bad input before any AWS call', async () => {
    const report = await simulateDeploy({ environment: canonical, input: { release: 'not a release!' } });

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('InvalidInputError');
    expect(report.cause).toContain('"not a release!"');
    expect(report.apiCalls).toBe(0);
    expect(report.snapshot).toBeNull();
    for (const h of report.hosts) expect(h.version).toBe('1.0.0');
  });

  it('is a no-op for hosts already on the release', async () => {
    const report = await deploy([], { release: '1.0.0' });

    expect(report.status).toBe('SUCCEEDED');
    // The output counts the hosts already on the release: all four, and no segment was started.
    expect(report.output).toMatchObject({ batches: 0, alreadyReleased: 4 });
    expect(report.childExecutions).toBe(0);
    for (const h of report.hosts) expect(h.version, h.name).toBe('1.0.0');
    expect(report.minInService).toMatchObject({ middle: 2, web: 2 });
  });

  it('keeps state transitions per batch independent of the number of hosts', async () => {
    const halves = withBatchPolicy({ maxUnavailable: '50%', minHealthyPercent: 50 });
    const small = await simulateDeploy({ environment: halves, input: { release: '1.1.0' }, hostsPerTier: 4 });
    const large = await simulateDeploy({ environment: halves, input: { release: '1.1.0' }, hostsPerTier: 40 });
    const batches = (r: SimulationReport) => (r.output as { batches: number }).batches;

    // 50% min healthy: 4 hosts -> batches of 2, 40 hosts -> batches of 20; two batches per tier either way.
    expect(batches(small)).toBe(4);
    expect(batches(large)).toBe(4);
    expect(large.stateTransitions).toBeLessThanOrEqual(small.stateTransitions * 1.1);
    expect(large.minInService).toMatchObject({ middle: 20, web: 20 });
    expectSafeEnd(large);
  });
});

describe('rolling release of a clustered middle tier', () => {
  it('drains and undrains middle nodes by command and keeps 75% of them in service', async () => {
    const report = await simulateDeploy({ environment: clustered, input: { release: '2.0.0' }, hostsPerTier: 8 });

    expect(report.status).toBe('SUCCEEDED');
    expect(report.minHealthyRequired).toEqual({ middle: 6, web: 4 });
    expect(report.minInService.middle).toBe(6);
    expect(report.minInService.web).toBe(6);
    for (const h of report.hosts) expect(h.version).toBe('2.0.0');
    for (const h of report.hosts) expect(h.inService).toBe(true);
  });
});
