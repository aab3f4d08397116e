/**
 * End-to-end: the rolling part of a release. The synthesized state machine runs locally
 * with the real handlers against the simulated account; every run is checked for what
 * a release must leave behind.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import type { EnvironmentDefinition } from '../../../lambdas/domain/environment/model';
import { simulateDeploy, simulateExecutions, type SimulationReport } from '../../../lib/simulator/simulate';
import type { SimulatedAccount } from '../../../lib/simulator/account';
import { canonical, expectSafeEnd, host, versions, watchDrains, withBatchPolicy, type InstallAfterDrain } from '../helpers';

const clustered = loadEnvironmentFile(fileURLToPath(new URL('../../fixtures/clustered.json', import.meta.url)));

function deploy(faults: string[] = [], input: Record<string, unknown> = {}, prepare?: (account: SimulatedAccount) => void) {
  return simulateDeploy({ environment: canonical, input: { release: '1.1.0', ...input }, faults, ...(prepare ? { prepare } : {}) });
}

/** ELB's default deregistration delay, which the canonical environment's target groups keep. */
const DELAY_SECONDS = 300;

describe('rolling release of the canonical environment', () => {
  it('releases every web and middle host and keeps the minimum in service', async () => {
    let drains: InstallAfterDrain[] = [];
    const report = await deploy([], {}, (account) => (drains = watchDrains(account)));

    expect(report.status).toBe('SUCCEEDED');
    // The host-side drain check let each batch go on while ELB still showed its targets draining.
    expect(drains.map((d) => d.host)).toEqual(['mid-1', 'mid-2', 'web-1', 'web-2']);
    for (const drain of drains) {
      expect(drain.stateAtInstall, drain.host).toBe('draining');
      expect(drain.secondsAfterDeregistration, drain.host).toBeLessThan(DELAY_SECONDS);
    }
    expect(versions(report, 'web')).toEqual({ 'web-1': '1.1.0', 'web-2': '1.1.0' });
    expect(versions(report, 'middle')).toEqual({ 'mid-1': '1.1.0', 'mid-2': '1.1.0' });
    expect(report.minHealthyRequired).toEqual({ middle: 1, web: 1 });
    expect(report.minInService).toMatchObject({ middle: 1, web: 1 });
    expectSafeEnd(report);
    expect(report.makespanSeconds).toBeGreaterThanOrEqual(report.lowerBoundSeconds);
    // Issue 17 asks at most 40 transitions a batch: 118 over its 4 batches (155 before the batch loop, the starts that
    // never report done, the alarm gate and the bake were cut down).
    expect((report.output as { batches: number }).batches).toBe(4);
    expect(report.stateTransitions).toBeLessThanOrEqual(118);
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

  it('waits out the deregistration delay for a host whose connections never close, then releases it', async () => {
    let drains: InstallAfterDrain[] = [];
    const report = await deploy(['drain-stuck:web-1'], {}, (account) => (drains = watchDrains(account)));

    expect(report.status).toBe('SUCCEEDED');
    expect(host(report, 'web-1').version).toBe('1.1.0');
    // Its drain check gave up; ELB completed the deregistration at the delay, and only then was it patched.
    const web1 = drains.find((d) => d.host === 'web-1')!;
    expect(web1.stateAtInstall).toBe('unused');
    expect(web1.secondsAfterDeregistration).toBeGreaterThanOrEqual(DELAY_SECONDS);
    expectSafeEnd(report);
  });

  it('puts the batch back into traffic with DrainTimeoutError when the delay is raised past the drain timeout after planning', async () => {
    // Someone raises the web target group's delay to 900 s once the release is planned (ModifyTargetGroupAttributes).
    const raiseDelay = (account: SimulatedAccount) =>
      account.schedule(account.now() + 60_000, () => {
        for (const group of account.groupsOf('web')) group.deregistrationDelaySeconds = 900;
      });
    const report = await deploy(['drain-stuck:web-1'], {}, raiseDelay);

    expect(report.error).toBe('DrainTimeoutError');
    expect(report.cause).toContain('web-1');
    expect(report.cause).toContain('still draining after 360s');
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
    // The one call is Step Functions' own: the failure notification on the environment's bus.
    expect(report.apiCalls).toBe(1);
    expect(report.notifications).toHaveLength(1);
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

/** The canonical environment with each target-group tier's drain changed by `drain`. */
function withDrain(drain: (current: { timeoutSeconds: number; check?: unknown }) => { timeoutSeconds: number; check?: unknown }): EnvironmentDefinition {
  return {
    ...canonical,
    tiers: canonical.tiers.map((t) => (t.role === 'data' || t.traffic.kind !== 'target-group' ? t : { ...t, drain: drain(t.drain) })),
  } as EnvironmentDefinition;
}

/**
 * The two other ways to a drain that holds on AWS, with target groups that keep ELB's default
 * delay: without a host-side drain check, every batch waits out the delay; with a drain timeout
 * that cannot cover it, the release is refused before the lock, naming both figures.
 */
describe('the drain with the default 300 s deregistration delay', () => {
  it('without a host-side drain check, patches no host before ELB has stopped showing it draining', async () => {
    let drains: InstallAfterDrain[] = [];
    const { reports } = await simulateExecutions({
      environment: withDrain(({ timeoutSeconds }) => ({ timeoutSeconds })),
      input: undefined,
      prepare: (account) => (drains = watchDrains(account)),
      executions: [{ input: { release: '1.1.0' } }],
    });
    const report = reports[0]!;

    expect(report.status).toBe('SUCCEEDED');
    expect(drains.map((d) => d.host)).toEqual(['mid-1', 'mid-2', 'web-1', 'web-2']);
    for (const drain of drains) {
      expect(drain.stateAtInstall, drain.host).toBe('unused');
      expect(drain.secondsAfterDeregistration, drain.host).toBeGreaterThanOrEqual(300);
    }
    // The lower bound counts the delay for every batch.
    expect(report.lowerBoundSeconds).toBeGreaterThanOrEqual(4 * 300);
    expectSafeEnd(report);
  });

  it('refuses, before the lock and before any host leaves traffic, a drain timeout that cannot cover the delay, naming both', async () => {
    let drains: InstallAfterDrain[] = [];
    const { reports, events, account } = await simulateExecutions({
      environment: withDrain(({ check }) => ({ timeoutSeconds: 180, ...(check ? { check: { ...(check as object), timeoutSeconds: 120 } } : {}) })),
      input: undefined,
      prepare: (a) => (drains = watchDrains(a)),
      executions: [{ input: { release: '1.1.0' } }],
    });
    const report = reports[0]!;
    const entered = events[0]!.filter((e) => e.type === 'StateEntered').map((e) => e.state!.name);

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('InvalidInputError');
    expect(report.cause).toContain('drain.timeoutSeconds 180 cannot cover the deregistration delay of target group canonical-middle, 300s');
    expect(entered).not.toContain('Acquire Lock');
    expect(drains).toEqual([]);
    expect([...account.targetGroups.values()].every((g) => [...g.targets.values()].every((t) => t.deregisteredAt === undefined))).toBe(true);
    expect(versions(report)).toMatchObject({ 'mid-1': '1.0.0', 'web-1': '1.0.0' });
  });
});
