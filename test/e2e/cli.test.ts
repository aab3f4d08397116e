/**
 * The CLI contract: exit status, a single JSON document on stdout with --json, and
 * usage errors that change nothing.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fleetflowInProcess } from './cli-in-process';

const CLI = fileURLToPath(new URL('../../bin/fleetflow.mjs', import.meta.url));

function fleetflow(...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Refusals run nothing: the same CLI in this process, without a second and more of start-up per case. */
const fleetflowHere = fleetflowInProcess;

describe('fleetflow simulate deploy', () => {
  it('prints exactly one JSON document on stdout and exits 0 on success', () => {
    const run = fleetflow('simulate', 'deploy', '--json');

    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ status: 'SUCCEEDED', release: '1.1.0' });
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining(['hosts', 'minInService', 'minHealthyRequired', 'makespanSeconds', 'lowerBoundSeconds', 'stateTransitions']),
    );
    expect(report.hosts.map((h: { name: string }) => h.name).sort()).toEqual(['db-1', 'mid-1', 'mid-2', 'mon-1', 'mon-2', 'web-1', 'web-2']);
    expect(report).toMatchObject({ validation: { status: 'PASSED' }, rolledBack: false, dbAvailableThroughout: true, recordedRelease: '1.1.0' });
    expect(report.snapshot).toMatch(/^fleetflow-canonical-1-1-0-/);
    expect(run.stderr).toContain('web batch 2/2');
  });

  it('exits 1 and names the error when the release fails', () => {
    const run = fleetflow('simulate', 'deploy', '--json', '--fault', 'patch-fail:web-2');

    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'FAILED', error: 'PatchFailedError' });
  });

  it('shows progress and a summary without --json', () => {
    const run = fleetflow('simulate', 'deploy');

    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/middle batch 1\/2: taking mid-1 out of traffic/);
    expect(run.stdout).toMatch(/Release 1\.1\.0 on canonical: SUCCEEDED/);
  });

  it.each([
    [['--fault', 'patch-fail:web-9'], 'no simulated host is named "web-9"'],
    [['--fault', 'explode:web-1'], 'unknown kind "explode"'],
    [['--hosts', '0'], '--hosts must be a whole number'],
    [['--env', '/nonexistent.json'], 'cannot read environment file'],
    [['--bogus'], "unknown option '--bogus' (see: fleetflow simulate deploy --help)"],
  ])('rejects %j with exit 2 and a clear message', async (args, message) => {
    const run = await fleetflowHere('simulate', 'deploy', ...args);

    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it("refuses --release '' in one line of at most 300 characters, exit 2 (issue 16: 4,788 characters of usage)", () => {
    // Through the launcher, as a person types it.
    const run = fleetflow('simulate', 'deploy', '--release', '');

    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.length).toBeLessThanOrEqual(300);
    expect(run.stderr).toMatch(/^fleetflow: --release: .* \(see: fleetflow simulate deploy --help\)\n$/);
  });

  it('prints its own help with --help and exits 0 through the launcher', () => {
    const run = fleetflow('simulate', 'deploy', '--help');

    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: fleetflow simulate deploy \[options\]\n/);
    expect(run.stderr).toBe('');
  });
});

describe('fleetflow simulate allocate | scale-out | replace', () => {
  it.each([
    [['scale-out', '--tier', 'web'], 'simulate scale-out needs --tier TIER and --add N'],
    [['replace', '--targets', 'web-1', '--add', '2'], "unknown option '--add'"],
    [['allocate', '--fault', 'launch-fail:nope'], '--fault launch-fail:nope: no host tier is named "nope" (host tiers: middle, web, monitoring)'],
    [['allocate', '--tiers', 'web=x'], '--tiers must be TIER=N,... such as web=2,middle=2 (received "web=x")'],
    [['scale-out', '--tier', 'web', '--add', '1', '--add', '2'], '--add is given more than once'],
    [['restore-data', '--source', '2020-01-01T00:00:00Z'], 'source: 2020-01-01T00:00:00Z is outside the restorable window of canonical-db'],
  ])('rejects simulate %j with exit 2 and a clear message, running nothing', async (args, message) => {
    const run = await fleetflowHere('simulate', ...args);

    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`fleetflow: ${message}`);
    expect(run.stderr).not.toContain('execution started');
    expect(run.stdout).toBe('');
  });

  it('replaces web-1: one new host launched and in service, web-1 stopped, nothing orphaned, web never below 2', () => {
    const run = fleetflow('simulate', 'replace', '--targets', 'web-1', '--json');

    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.compute).toMatchObject({ launched: ['web-3'], stopped: ['web-1'], orphans: [], terminated: [] });
    expect(report.minInService.web).toBe(2);
    expect(report.hosts.find((h: { name: string }) => h.name === 'web-3')).toMatchObject({ inService: true });
    expect(run.stderr).toContain('execution started');
  });
});
