/**
 * The simulator keeps each tier's count of hosts in service incrementally (capacity.ts):
 * a host is looked at again only when the account reports a change to it or when its
 * state changes by time alone. These runs cover every way a host enters or leaves service
 * (deregistration and the delay, installs, failed installs and rollback, drain commands,
 * launches, stops, host loss, reconfigures) with `verifyCapacity`, which also counts every
 * host at every observation and fails the simulation on any difference.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { simulateExecutions, type SimulateOptions } from '../../lib/simulator/simulate';

const environment = (file: string) => loadEnvironmentFile(fileURLToPath(new URL(file, import.meta.url)));
const canonical = environment('../../environments/canonical.json');
const surge = environment('../../environments/surge.json');
const clustered = environment('../fixtures/clustered.json');

async function run(options: Omit<SimulateOptions, 'verifyCapacity'>) {
  const { reports } = await simulateExecutions({ ...options, verifyCapacity: true, executions: [{ input: options.input }] });
  return reports[0]!;
}

describe('the fewest in service', () => {
  it('of a run refused before it calls AWS is what served at its start, not infinity', async () => {
    // Scale-in below the declared count is refused by its plan, at the start's instant.
    const report = await run({ environment: canonical, workflow: 'scale-in', input: { tier: 'web', remove: 1 } });

    expect(report.status).toBe('FAILED');
    expect(report.makespanSeconds).toBe(0);
    expect(report.minInService).toEqual({ middle: 2, web: 2, monitoring: 2 });
  });
});

describe('capacity kept incrementally equals counting every host', () => {
  it('through a release whose batch fails, is rolled back and validated again', async () => {
    const report = await run({ environment: canonical, input: { release: '1.1.0' }, faults: ['patch-fail:web-2', 'drain-stuck:web-1'] });

    expect(report.status).toBe('FAILED');
    expect(report.rolledBack).toBe(true);
    expect(report.minInService.web).toBeGreaterThanOrEqual(report.minHealthyRequired.web!);
  });

  it('through a release of a clustered tier drained by command', async () => {
    const report = await run({ environment: clustered, input: { release: '1.1.0' }, hostsPerTier: 4 });

    expect(report.status).toBe('SUCCEEDED');
    expect(report.minInService.middle).toBeGreaterThanOrEqual(report.minHealthyRequired.middle!);
  });

  it('through a surge release that launches hosts and stops the old ones', async () => {
    const report = await run({ environment: surge, input: { release: '1.1.0' } });

    expect(report.status).toBe('SUCCEEDED');
    expect(report.compute?.launched.length).toBeGreaterThan(0);
  });

  it('through a replacement while a host is terminated under it', async () => {
    const report = await run({ environment: canonical, workflow: 'replace', input: { targets: ['web-1'] }, faults: ['terminate:mid-2@60'] });

    expect(report.compute?.launched).toHaveLength(1);
  });

  it('through a data restore that reconfigures every host', async () => {
    const report = await run({ environment: canonical, workflow: 'restore-data', input: { source: 'latest' } });

    expect(report.status).toBe('SUCCEEDED');
    expect(report.minInService.web).toBeGreaterThanOrEqual(report.minHealthyRequired.web!);
  });
});
