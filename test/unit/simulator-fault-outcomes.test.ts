/**
 * A fault that cannot fire is refused before the run or said after it, never silently accepted
 * (issue: `patch-fail:web-2` on a surge release, which installs only on new hosts, ended
 * SUCCEEDED and the campaign counted it as a pass). Unit tests of the parser, the keys the
 * account records, the outcome report and the campaign's draws; no simulation runs here.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { formatHumanSummary } from '../../lib/cli/summary';
import { drawFaults, summarize, targetsOf, type CampaignRun } from '../../lib/simulator/campaign';
import { faultKey, faultOutcomes, InvalidFaultError, nearestNames, parseFaults, surgeOldHosts } from '../../lib/simulator/faults';
import { faultScope } from '../../lib/simulator/fleet';
import type { SimulationReport } from '../../lib/simulator/simulate';
import { call, refusal, seedWithFaults } from './simulated-calls';

const surge = loadEnvironmentFile(fileURLToPath(new URL('../../environments/surge.json', import.meta.url)));
const surgeHosts = ['mid-1', 'mid-2', 'web-1', 'web-2', 'mon-1', 'mon-2'];
const tierOf = (name: string) => ({ mid: 'middle', web: 'web', mon: 'monitoring' })[name.split('-')[0] as 'mid' | 'web' | 'mon'];

/** The fault scope of surge.json's release, as simulate.ts builds it: middle and web are surge tiers. */
function surgeRelease() {
  const scope = faultScope(surge);
  const old = surgeOldHosts(surgeHosts.map((name) => ({ name, tier: tierOf(name) })), new Map([['middle', 'mid'], ['web', 'web']]));
  return (specs: string[]) => parseFaults(specs, new Set(surgeHosts), new Set(), undefined, { ...scope, surgeOldHosts: old });
}

describe('a fault that cannot fire is refused before the run', () => {
  const parse = surgeRelease();

  it.each([
    ['patch-fail:web-2', 'patch-fail:web-3'],
    ['unhealthy:mid-1', 'unhealthy:mid-3'],
    ['ssm-status:web-1@TimedOut', 'ssm-status:web-3@TimedOut'],
  ])('%s on a surge tier\'s old host, naming the new host to aim at (%s)', (spec, instead) => {
    const err = refusal(() => parse([spec]));
    expect(err).toBeInstanceOf(InvalidFaultError);
    expect(err.message).toContain('released by surge, which installs the new release only on new hosts it launches');
    expect(err.message).toContain(`e.g. ${instead}`);
    // The suggestion itself is accepted: a new host as it will be launched.
    expect(() => parse([instead])).not.toThrow();
  });

  it('accepts what does fire on an old surge host, and install faults on a rolling tier', () => {
    // A surge drains its old hosts, and monitoring (no surge) installs in place.
    expect(parse(['drain-stuck:web-2', 'down:mid-1', 'patch-fail:mon-1']).patchFail).toEqual(new Set(['mon-1']));
    // The same fault outside a surge release (no surgeOldHosts: restore-data, canonical) is the host's own.
    expect(parseFaults(['patch-fail:web-2'], new Set(surgeHosts), new Set(), undefined, faultScope(surge)).patchFail).toEqual(new Set(['web-2']));
  });

  it('numbers the first new host after the highest the prefix used, as a launch does', () => {
    const old = surgeOldHosts([{ name: 'web-1', tier: 'web' }, { name: 'web-7', tier: 'web' }, { name: 'mid-2', tier: 'middle' }], new Map([['web', 'web']]));
    expect([...old]).toEqual([['web-1', { tier: 'web', firstNewHost: 'web-8' }], ['web-7', { tier: 'web', firstNewHost: 'web-8' }]]);
  });

  it('refuses error:STATE the workflow run has no task of, naming the states it could have meant', () => {
    const tasks = new Set(['Launch Surge Hosts', 'Launch More Surge Hosts', 'Check Surge Hosts', 'Plan Release', 'Check Install']);
    const err = refusal(() => parseFaults(['error:Launch Next Surge Hostz'], new Set(), new Set(), tasks));
    expect(err.message).toMatch(/^--fault error:Launch Next Surge Hostz: no Lambda task state is named "Launch Next Surge Hostz" in the workflow this run starts; did you mean "Launch More Surge Hosts" or "Launch Surge Hosts"\?/);
    expect(refusal(() => parseFaults(['error:check install'], new Set(), new Set(), tasks)).message).toContain('did you mean "Check Install"?');
    expect(nearestNames('Plan Allocate', tasks)).toEqual([]);
  });
});

describe('a fault that never fired is reported not applied', () => {
  it('keys a fault as the account records it when it takes effect', () => {
    expect(faultKey('stop:web-2@300')).toBe('stop:web-2');
    expect(faultKey('ssm-status:web-3@Delayed')).toBe('ssm-status:web-3');
    expect(faultKey('error:Check Install')).toBe('error:Check Install@1');
    expect(faultKey('error:Check Install@2')).toBe('error:Check Install@2');
    expect(faultKey('error:Check Install@02')).toBe('error:Check Install@2');
    expect(faultKey('db-status:modifying@060+0300')).toBe('db-status:modifying@60+300');
    expect(faultKey('throttle:ssm@60+120')).toBe('throttle:ssm');
    expect(faultKey('alarm:surge-web-5xx@600')).toBe('alarm:surge-web-5xx');
    expect(faultKey('approval:reject')).toBe('approval');
    expect(faultKey('launch-fail:web@us-east-1a')).toBe('launch-fail:web@us-east-1a');
    expect(faultKey('migration-fail')).toBe('migration-fail');
  });

  it('records a throttle when a call is throttled, not when the fault is set', () => {
    const account = seedWithFaults(['throttle:ec2', 'patch-fail:web-2']);
    expect([...account.firedFaults.keys()]).toEqual([]);
    // Two calls answered, then the burst: the third is throttled (faults.ts THROTTLE_AFTER_CALLS).
    for (let i = 0; i < 2; i += 1) call(account, 'ec2', 'DescribeInstances', {});
    expect(account.firedFaults.has('throttle:ec2')).toBe(false);
    expect(refusal(() => call(account, 'ec2', 'DescribeInstances', {})).name).toBe('Throttling');
    expect([...account.firedFaults.keys()]).toEqual(['throttle:ec2']);
  });

  it('says which faults took effect, and why the others did not; standing faults hold once what they name exists', () => {
    const fired = new Set(['patch-fail:web-3', 'stop:web-1']);
    const outcomes = faultOutcomes(
      ['patch-fail:web-3', 'error:Launch Next Surge Hosts', 'stop:web-1@300', 'terminate:web-2@5000', 'down:web-9', 'down:web-1', 'lock:stale', 'restart:60'],
      (key) => fired.has(key),
      (name) => ['web-1', 'web-2', 'web-3'].includes(name),
    );
    expect(outcomes).toEqual([
      { fault: 'patch-fail:web-3', applied: true },
      { fault: 'error:Launch Next Surge Hosts', applied: false, reason: '"Launch Next Surge Hosts" never ran in this run' },
      { fault: 'stop:web-1@300', applied: true },
      { fault: 'terminate:web-2@5000', applied: false, reason: 'the run had ended before 5000 s' },
      { fault: 'down:web-9', applied: false, reason: 'no host named web-9 existed in the run' },
      { fault: 'down:web-1', applied: true },
      { fault: 'lock:stale', applied: true },
    ]);
  });

  it('prints a not-applied fault in the summary, before the outcome', () => {
    const report = {
      status: 'SUCCEEDED', workflow: 'deploy', release: '1.1.0', environment: 'surge', hosts: [], minInService: {}, minHealthyRequired: {},
      makespanSeconds: 60, lowerBoundSeconds: 60, stateTransitions: 10, realTimeMs: 100, throttledCalls: 0,
      faultOutcomes: [{ fault: 'error:Launch Next Surge Hosts', applied: false, reason: '"Launch Next Surge Hosts" never ran in this run' }, { fault: 'throttle:ssm', applied: true }],
    } as unknown as SimulationReport;
    const lines = formatHumanSummary(report).split('\n');
    const said = lines.indexOf('  fault error:Launch Next Surge Hosts not applied: "Launch Next Surge Hosts" never ran in this run');
    expect(said).toBeGreaterThan(0);
    expect(said).toBeLessThan(lines.indexOf('Release 1.1.0 on surge: SUCCEEDED'));
    expect(lines.filter((l) => l.includes('throttle:ssm'))).toEqual([]);
  });
});

describe('the campaign on a surge release', () => {
  it('aims install and new-release faults at the new hosts it launches, never at the old ones', () => {
    const targets = targetsOf(surge, 'application', 'deploy');
    expect(targets.installHosts).toEqual(['mid-3', 'mid-4', 'web-3', 'web-4']);
    const aimed = Array.from({ length: 300 }, (_, i) => drawFaults(7, i, targets)).flat().filter((f) => /^(patch-fail|unhealthy|ssm-status):/.test(f));
    expect(aimed.length).toBeGreaterThan(20);
    for (const fault of aimed) expect(fault).toMatch(/^[a-z-]+:(mid|web)-[34](@\w+)?$/);
    // Nor at a rolling batch's task, which a release of surge tiers alone never enters.
    const errors = Array.from({ length: 300 }, (_, i) => drawFaults(7, i, targets)).flat().filter((f) => f.startsWith('error:'));
    expect(errors.some((f) => /^error:(Launch Surge Hosts|Check Surge Hosts|Surge Install On New Hosts|Surge Retire Hosts)@/.test(f)), errors.join()).toBe(true);
    expect(errors.filter((f) => /^error:(Check Install|Install Release|Take Batch Out|Check Health)@/.test(f))).toEqual([]);
    // A rolling release of the same fleet installs on the hosts it has.
    expect(targetsOf(loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url))), 'application', 'deploy').installHosts).toEqual(['mid-1', 'mid-2', 'web-1', 'web-2']);
  });

  it('counts a drawn fault that never fired apart, with its run and replay, not as tested', () => {
    const run = (index: number, faults: string[], notApplied?: CampaignRun['notApplied']): CampaignRun => ({ index, seed: 7, faults, outcome: 'SUCCEEDED', violations: [], ...(notApplied ? { notApplied } : {}) });
    const report = summarize([run(0, ['patch-fail:web-3']), run(6, ['patch-fail:web-4', 'boot-fail:mid-3'], [{ fault: 'patch-fail:web-4', reason: 'web-4 was never sent the new release\'s install' }])], 7, 'application', 1);
    expect(report.byFaultKind).toEqual({ 'patch-fail': 2, 'boot-fail': 1 });
    expect(report.notAppliedByFaultKind).toEqual({ 'patch-fail': 1 });
    expect(report.notApplied).toEqual([
      { index: 6, seed: 7, fault: 'patch-fail:web-4', reason: 'web-4 was never sent the new release\'s install', replay: 'npx fleetflow simulate deploy --fault patch-fail:web-4 --fault boot-fail:mid-3 --json' },
    ]);
  });
});
