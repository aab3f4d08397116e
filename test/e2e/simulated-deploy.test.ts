/**
 * End-to-end: the synthesized state machine runs locally with the real handlers against
 * the simulated account. Every run is checked for the invariants a release must keep.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../lib/environment/parse';
import { simulateDeploy, type SimulationReport } from '../../lib/simulator/simulate';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));
const clustered = loadEnvironmentFile(fileURLToPath(new URL('../fixtures/clustered.json', import.meta.url)));

function deploy(faults: string[] = [], release = '1.1.0') {
  return simulateDeploy({ environment: canonical, input: { release }, faults });
}

const host = (report: SimulationReport, name: string) => {
  const found = report.hosts.find((h) => h.name === name);
  if (!found) throw new Error(`no host ${name} in report`);
  return found;
};

/** What every run, successful or not, must leave behind. */
function expectSafeEnd(report: SimulationReport) {
  for (const h of report.hosts) {
    expect(h.inService, `${h.name} in service`).toBe(true);
    expect(h.halfInstalled, `${h.name} half-installed`).toBe(false);
    expect(h.recordedVersion, `${h.name} recorded release matches installed`).toBe(h.version);
  }
  for (const [tier, required] of Object.entries(report.minHealthyRequired)) {
    expect(report.minInService[tier], `${tier} capacity`).toBeGreaterThanOrEqual(required);
  }
}

describe('simulated rolling release of the canonical environment', () => {
  it('releases every web and middle host and keeps the minimum in service', async () => {
    const report = await deploy();

    expect(report.status).toBe('SUCCEEDED');
    for (const name of ['web-1', 'web-2', 'mid-1', 'mid-2']) expect(host(report, name).version).toBe('1.1.0');
    expect(host(report, 'db-1').version).toBe('1.0.0');
    expect(report.minHealthyRequired).toEqual({ middle: 1, web: 1 });
    expect(report.minInService).toEqual({ middle: 1, web: 1 });
    expectSafeEnd(report);
    expect(report.makespanSeconds).toBeGreaterThanOrEqual(report.lowerBoundSeconds);
    expect(report.lowerBoundSeconds).toBeGreaterThan(0);
  });

  it('rolls back the batch and fails with PatchFailedError when a host cannot be patched', async () => {
    const report = await deploy(['patch-fail:web-2']);

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('PatchFailedError');
    expect(report.cause).toContain('web-2');
    expect(host(report, 'web-2').version).toBe('1.0.0');
    // Batches before the failure keep the new release.
    expect(host(report, 'web-1').version).toBe('1.1.0');
    expect(host(report, 'mid-2').version).toBe('1.1.0');
    expectSafeEnd(report);
  });

  it('does not touch later batches after a failure', async () => {
    const report = await deploy(['patch-fail:web-1']);

    expect(report.error).toBe('PatchFailedError');
    expect(host(report, 'web-1').version).toBe('1.0.0');
    expect(host(report, 'web-2').version).toBe('1.0.0');
    expectSafeEnd(report);
  });

  it('reinstalls the previous release when a patched host never becomes healthy', async () => {
    const report = await deploy(['unhealthy:mid-1']);

    expect(report.error).toBe('HostUnhealthyError');
    expect(report.cause).toContain('mid-1');
    for (const name of ['mid-1', 'mid-2', 'web-1', 'web-2']) expect(host(report, name).version).toBe('1.0.0');
    expectSafeEnd(report);
  });

  it('puts a host that does not finish draining back into traffic with DrainTimeoutError', async () => {
    const report = await deploy(['drain-stuck:web-1']);

    expect(report.error).toBe('DrainTimeoutError');
    expect(report.cause).toContain('web-1');
    expect(host(report, 'web-1').version).toBe('1.0.0');
    expectSafeEnd(report);
  });

  it('rolls back the batch whose alarm fires and fails with AlarmFiredError', async () => {
    const report = await deploy(['alarm:canonical-web-5xx@230']);

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
    const report = await deploy([], 'not a release!');

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('InvalidInputError');
    expect(report.cause).toContain('"not a release!"');
    expect(report.apiCalls).toBe(0);
    for (const h of report.hosts) expect(h.version).toBe('1.0.0');
  });

  it('is a no-op for hosts already on the release', async () => {
    const report = await deploy([], '1.0.0');

    expect(report.status).toBe('SUCCEEDED');
    expect(report.output).toMatchObject({ batches: 0, alreadyReleased: ['mid-1', 'mid-2', 'web-1', 'web-2'] });
    expect(report.minInService).toEqual({ middle: 2, web: 2 });
  });

  it('keeps state transitions per batch independent of the number of hosts', async () => {
    const halves = {
      ...canonical,
      tiers: canonical.tiers.map((t) => (t.role === 'data' ? t : { ...t, batch: { maxUnavailable: '50%', minHealthyPercent: 50 } })),
    };
    const small = await simulateDeploy({ environment: halves, input: { release: '1.1.0' }, hostsPerTier: 4 });
    const large = await simulateDeploy({ environment: halves, input: { release: '1.1.0' }, hostsPerTier: 40 });
    const batches = (r: SimulationReport) => (r.output as { batches: number }).batches;

    // 50% min healthy: 4 hosts -> batches of 2, 40 hosts -> batches of 20; two batches per tier either way.
    expect(batches(small)).toBe(4);
    expect(batches(large)).toBe(4);
    expect(large.stateTransitions).toBeLessThanOrEqual(small.stateTransitions * 1.1);
    expect(large.minInService).toEqual({ middle: 20, web: 20 });
    expectSafeEnd(large);
  });
});

describe('simulated rolling release of a clustered middle tier', () => {
  it('drains and undrains middle nodes by command and keeps 75% of them in service', async () => {
    const report = await simulateDeploy({ environment: clustered, input: { release: '2.0.0' }, hostsPerTier: 8 });

    expect(report.status).toBe('SUCCEEDED');
    expect(report.minHealthyRequired).toEqual({ middle: 6, web: 4 });
    expect(report.minInService.middle).toBe(6);
    expect(report.minInService.web).toBe(6);
    for (const h of report.hosts) expect(h.version).toBe('2.0.0');
    expectSafeEnd(report);
  });
});
