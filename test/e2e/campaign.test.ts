/**
 * The seeded fault campaign: the same seed draws the same faults, the invariant checker
 * catches what it must (the scale-in's too: oldest first, zone-balanced, never retired while
 * serving), and a short campaign against the real workflow keeps every
 * invariant (the long one runs in `npm run bench` and `fleetflow simulate campaign`).
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { campaignHostsPerTier, checkComputeInvariants, checkDataInvariants, checkResumeInvariants, checkTruthInvariants, drawFaults, failedStates, replayCommand, runCampaign, scaleInViolations, type FailedState } from '../../lib/simulator/campaign';
import { LAUNCHED_BY_TAG, RETIRED_BY_TAG } from '../../lambdas/domain/contract/tags';
import { prepareScaleIn, type ScaleInWatch } from '../../lib/simulator/scale-in-campaign';
import { stopInstances } from '../../lib/simulator/services/ec2';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { noFaults } from '../../lib/simulator/faults';
import { LOCK_TABLE_NAME, seedAccount } from '../../lib/simulator/fleet';
import type { SimulationReport } from '../../lib/simulator/simulate';
import { checkInvariants } from '../../lib/simulator/campaign';
import { canonical } from './helpers';

const surge = loadEnvironmentFile(fileURLToPath(new URL('../../environments/surge.json', import.meta.url)));
const targets = { hosts: ['mid-1', 'mid-2', 'web-1', 'web-2'], alarms: ['canonical-availability'], launchTiers: [], newHosts: [], workflow: 'deploy' as const, surge: false };

describe('the fault campaign', () => {
  it('draws a drained-by-hand fault only on hosts of drain-command tiers, and an unlock throttle', () => {
    const clustered = { ...targets, drainCommandHosts: ['mid-1', 'mid-2'] };
    const drawn = Array.from({ length: 200 }, (_, i) => drawFaults(7, i, clustered)).flat();
    expect(drawn.filter((f) => f.startsWith('drained:')).length).toBeGreaterThan(0);
    expect(drawn.filter((f) => f.startsWith('drained:')).every((f) => ['drained:mid-1', 'drained:mid-2'].includes(f))).toBe(true);
    expect(drawn.some((f) => /^unlock-throttle:\d+$/.test(f))).toBe(true);
    expect(Array.from({ length: 200 }, (_, i) => drawFaults(7, i, targets)).flat().some((f) => f.startsWith('drained:'))).toBe(false);
  });

  it('seeds enough hosts per tier for every batch policy to release', () => {
    const clustered = loadEnvironmentFile(fileURLToPath(new URL('../fixtures/clustered.json', import.meta.url)));
    expect(campaignHostsPerTier(canonical)).toBe(2);
    expect(campaignHostsPerTier(clustered)).toBe(4);
    // A scale-in needs hosts above canonical's count (2) and floor to remove.
    expect(campaignHostsPerTier(canonical, 'scale-in')).toBe(5);
    expect(campaignHostsPerTier(clustered, 'scale-in')).toBe(5);
  });

  it('draws the same faults for the same seed and run, and others for another seed', () => {
    const first = Array.from({ length: 20 }, (_, i) => drawFaults(7, i, targets));
    expect(Array.from({ length: 20 }, (_, i) => drawFaults(7, i, targets))).toEqual(first);
    expect(Array.from({ length: 20 }, (_, i) => drawFaults(8, i, targets))).not.toEqual(first);
    expect(first.flat().length).toBeGreaterThan(10);
  });

  describe('checks each invariant', () => {
    const account = seedAccount(canonical, noFaults());
    const watched = () => ({ initialInService: new Map([['middle', 2], ['web', 2], ['monitoring', 2]]), halfInstalledInTraffic: [] as string[] });
    const host = (name: string, tier: string, over: Partial<SimulationReport['hosts'][number]> = {}) => ({
      name, id: `i-${name}`, tier, version: '1.0.0', recordedVersion: '1.0.0', halfInstalled: false, inService: true, ...over,
    });
    const clean = (): SimulationReport =>
      ({
        status: 'FAILED', error: 'PatchFailedError', cause: 'tier web: install failed on web-1', release: '1.1.0', rolledBack: false, recordedRelease: null,
        minInService: { middle: 1, web: 1, monitoring: 2 }, minHealthyRequired: { middle: 1, web: 1 },
        hosts: [host('mid-1', 'middle'), host('mid-2', 'middle'), host('web-1', 'web'), host('web-2', 'web')],
      }) as unknown as SimulationReport;
    const invariants = (report: SimulationReport, faults: string[] = [], w = watched()) => checkInvariants(report, account, faults, w).map((v) => v.invariant);

    it('passes a failure that left everything whole', () => {
      expect(invariants(clean())).toEqual([]);
    });
    it('a tier below its floor', () => {
      expect(invariants({ ...clean(), minInService: { middle: 0, web: 1, monitoring: 2 } })).toEqual(['capacity floor']);
    });
    it('but not below a floor the tier did not have at the start, nor for hosts a fault took away', () => {
      const w = watched();
      w.initialInService.set('middle', 1);
      expect(invariants({ ...clean(), minInService: { middle: 0, web: 1, monitoring: 2 } }, ['terminate:mid-2@10'], w)).toEqual([]);
    });
    it('monitoring fully down', () => {
      expect(invariants({ ...clean(), minInService: { middle: 1, web: 1, monitoring: 0 } })).toEqual(['monitoring never fully down']);
    });
    it('a raw runtime error name', () => {
      expect(invariants({ ...clean(), error: 'TypeError' })).toEqual(['named failure']);
    });
    it("a cause that is a Lambda error's JSON, or carries its stack trace, instead of its sentence", () => {
      const document = JSON.stringify({ errorType: 'PatchFailedError', errorMessage: 'tier web: install failed on web-1', trace: ['PatchFailedError: x', '    at checkInstall (/var/task/index.mjs:1:2)'] });
      expect(invariants({ ...clean(), cause: document })).toEqual(['cause is a sentence']);
      expect(invariants({ ...clean(), cause: `tier web: install failed (${document}) (the release was rolled back)` })).toEqual(['cause is a sentence']);
    });
    it('a host out of traffic, half-installed, or recorded wrongly at the end', () => {
      const report = { ...clean(), hosts: [host('mid-1', 'middle', { inService: false }), host('web-1', 'web', { halfInstalled: true, version: '1.1.0' })] };
      expect(invariants(report)).toEqual(['back in traffic', 'no half-installed host', 'record is the truth']);
    });
    it('a rollback cause while a host still runs the new release', () => {
      const report = { ...clean(), rolledBack: true, hosts: [host('web-1', 'web', { version: '1.1.0', recordedVersion: '1.1.0' })] };
      expect(invariants(report)).toEqual(['rollback is true']);
    });
    it('a release recorded although it failed', () => {
      expect(invariants({ ...clean(), recordedRelease: '1.1.0' })).toEqual(['record on success']);
    });
    it('a lock still held after a success, but not after a failure whose cause says so', () => {
      const locked = seedAccount(canonical, noFaults());
      locked.tables.get(LOCK_TABLE_NAME)!.set('canonical', { environment: { S: 'canonical' }, holder: { S: 'arn:aws:states:::execution:fleetflow-canonical-deploy:sim-1' } });
      const succeeded = { ...clean(), status: 'SUCCEEDED', error: undefined, cause: undefined, recordedRelease: '1.1.0', hosts: [] } as unknown as SimulationReport;
      expect(checkInvariants(succeeded, locked, [], watched()).map((v) => v.invariant)).toEqual(['lock released']);
      const saysSo = { ...succeeded, status: 'FAILED', error: 'LockNotReleasedError', cause: 'every step of this execution succeeded, but the lock of environment canonical could not be released: ...' } as unknown as SimulationReport;
      expect(checkInvariants(saysSo, locked, [], watched()).map((v) => v.invariant)).toEqual([]);
    });
    const truth = (report: SimulationReport, faults: string[] = []) => checkTruthInvariants(report, account, faults, new Set(['middle', 'web'])).map((v) => v.invariant);
    it('a failure that leaves a host out of service without naming it as out of traffic', () => {
      const leftOut = { ...clean(), error: 'RepointFailedError', hosts: [host('mid-1', 'middle', { inService: false }), host('web-1', 'web')] };
      expect(truth({ ...leftOut, cause: 'pointing the hosts back failed; hosts may use either database' })).toEqual(['cause names hosts left out']);
      expect(truth({ ...leftOut, cause: 'reconfigure failed on mid-1 (i-mid-1); hosts may use either database' })).toEqual(['cause names hosts left out']);
      expect(truth({ ...leftOut, cause: 'on tier middle, mid-1 (i-mid-1) could not be put back in service and may be out of traffic' })).toEqual([]);
      // A host a fault took out (down, drained by hand) is not the run's to name.
      expect(truth({ ...leftOut, cause: 'pointing the hosts back failed' }, ['drained:mid-1'])).toEqual([]);
    });
    it('a revert that fails for capacity while a host it was to put back is out of service', () => {
      const report = {
        ...clean(),
        error: 'RollbackFailedError',
        cause: 'rolling the release back failed (tier web: taking out web-1 (i-web-1) would leave 0 healthy host(s) in canonical-web, below the minimum of 1 in service (waited 300s); the batch was not taken out of traffic) after the release failed (install failed on web-2 (i-web-2))',
        hosts: [host('web-1', 'web'), host('web-2', 'web', { inService: false })],
      };
      expect(truth(report)).toEqual(['revert never waits on capacity it could restore']);
    });
  });

  it('keeps every invariant over a short seeded campaign against the real workflow', async () => {
    const report = await runCampaign({ environment: canonical, runs: 6, seed: 1 });

    expect(report.runs).toBe(6);
    expect(Object.values(report.byOutcome).reduce((n, v) => n + v, 0)).toBe(6);
    expect(report.violations, JSON.stringify(report.violations, null, 1)).toEqual([]);
    // Every run that did not succeed has its replay, violation or not.
    const failed = Object.entries(report.byOutcome).filter(([outcome]) => outcome !== 'SUCCEEDED').reduce((n, [, count]) => n + count, 0);
    expect(failed).toBeGreaterThan(0);
    expect(report.failedRuns).toHaveLength(failed);
    for (const run of report.failedRuns) {
      expect(run.outcome).not.toBe('SUCCEEDED');
      expect(run.replay).toMatch(/^npx fleetflow simulate deploy .*--json$/);
    }
  });

  // Short seeded campaigns of the compute workflows and of a surge release (the long ones: `fleetflow simulate campaign --workflow ...`).
  it.each([
    ['allocate', canonical, 'allocate'],
    ['replace', canonical, 'replace'],
    ['scale-out', canonical, 'scale-out'],
    ['a surge release', surge, 'deploy'],
  ] as const)('keeps every invariant of %s over a short seeded campaign, drawing compute faults', async (_label, environment, workflow) => {
    const report = await runCampaign({ environment, runs: 5, seed: 3, workflow });

    expect(report.runs).toBe(5);
    expect(report.violations, JSON.stringify(report.violations, null, 1)).toEqual([]);
    expect(Object.keys(report.byFaultKind).some((kind) => ['launch-fail', 'boot-fail', 'ssm-unmanaged', 'prerequisite-fail', 'missing-target-group'].includes(kind))).toBe(true);
  });

  it('keeps every invariant of scale-in over a short seeded campaign', async () => {
    const report = await runCampaign({ environment: canonical, runs: 4, seed: 3, workflow: 'scale-in' });

    expect(report.runs).toBe(4);
    expect(report.violations, JSON.stringify(report.violations, null, 1)).toEqual([]);
    expect(report.byOutcome.SUCCEEDED).toBeGreaterThan(0);
    for (const run of report.failedRuns) expect(run.replay).toMatch(/^npx fleetflow simulate scale-in --hosts 5 --tier \S+ --remove \d .*--json$/);
  });

  it.each([
    ['restore-data', 5, 2],
    ['recover', 3, 3],
  ] as const)('keeps every invariant of %s over a short seeded campaign, drawing data faults', async (workflow, runs, seed) => {
    const report = await runCampaign({ environment: canonical, runs, seed, workflow });

    expect(report.runs).toBe(runs);
    expect(report.violations, JSON.stringify(report.violations, null, 1)).toEqual([]);
    expect(Object.keys(report.byFaultKind).some((kind) => ['restore-fail', 'restored-db-invalid', 'reconfigure-fail', 'no-snapshot'].includes(kind))).toBe(true);
  });
});

describe('a replay command', () => {
  it('is read by a shell as the faults the run had, spaces and quotes included', () => {
    const faults = ['error:Plan Rollback@1', "error:It's Odd@2", 'patch-fail:web-2', 'alarm:canonical-middle-latency@716'];
    const replay = replayCommand(faults, 'application', 'deploy', undefined, '/tmp/my envs/prod.json');
    const words = execFileSync('bash', ['-c', `set -- ${replay}; printf '%s\\n' "$@"`], { encoding: 'utf8' }).trimEnd().split('\n');

    expect(words.slice(0, 3)).toEqual(['npx', 'fleetflow', 'simulate']);
    expect(words[words.indexOf('--env') + 1]).toBe('/tmp/my envs/prod.json');
    expect(words.flatMap((w, i) => (words[i - 1] === '--fault' ? [w] : []))).toEqual(faults);
  });

  it('of a scale-in names the tier, the count removed and the hosts the campaign seeds', () => {
    expect(replayCommand(['drain-stuck:web-1'], 'application', 'scale-in', { tier: 'web', remove: 2 }, undefined, 5)).toBe(
      'npx fleetflow simulate scale-in --hosts 5 --tier web --remove 2 --fault drain-stuck:web-1 --json',
    );
  });

  it('of a scale-out names the tier and the count the run asked for', () => {
    expect(replayCommand(['launch-fail:web'], 'application', 'scale-out', { tier: 'web', add: 2 })).toBe(
      'npx fleetflow simulate scale-out --tier web --add 2 --fault launch-fail:web --json',
    );
  });
});

describe('the restore invariants', () => {
  const watched = { initialInService: new Map([['web', 2]]), halfInstalledInTraffic: [] };
  /** A restore-data report over the two web hosts, each on the database named. */
  const restoreReport = (status: string, onDatabase: [string, string], inService: [boolean, boolean], oldUnchanged: boolean) =>
    ({
      status,
      ...(status === 'SUCCEEDED' ? {} : { error: 'ReconfigureFailedError', cause: 'reconfigure failed' }),
      executionName: 'run',
      workflow: 'restore-data',
      hosts: [{ name: 'web-1', tier: 'web', inService: inService[0] }, { name: 'web-2', tier: 'web', inService: inService[1] }],
      minInService: { web: 1 },
      minHealthyRequired: { web: 1 },
      newDatabase: { identifier: 'canonical-db-snap-1' },
      oldDatabase: { identifier: 'canonical-db', unchanged: oldUnchanged },
      hostsOnDatabase: { 'web-1': onDatabase[0], 'web-2': onDatabase[1] },
    }) as unknown as SimulationReport;

  it('flag a changed old database, a host left on the new database after a failure, one out of traffic, and a lock still held', () => {
    const account = seedAccount(canonical, noFaults());
    account.table(LOCK_TABLE_NAME).set('canonical', { environment: { S: 'canonical' }, holder: { S: 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-restore-data:run' } });
    const report = restoreReport('FAILED', ['canonical-db-snap-1', 'canonical-db'], [true, false], false);

    const found = checkDataInvariants(report, account, [], watched).map((v) => v.invariant);

    expect(found.sort()).toEqual(['back in traffic', 'every host back on the old database', 'lock released', 'old database unchanged']);
  });

  it('accept a recovery host left out of traffic only when it is marked so and the cause names it', () => {
    const account = seedAccount(canonical, noFaults());
    const web1 = [...account.hosts.values()].find((h) => h.name === 'web-1')!;
    const recovery = (cause: string) =>
      ({
        ...restoreReport('FAILED', ['canonical-db-snap-1', 'canonical-db-snap-1'], [false, true], true),
        workflow: 'recover',
        cause,
        oldDatabase: null,
        compute: { launched: ['web-1', 'web-2'], terminated: [], stopped: [], orphans: ['web-1'], extraInstanceHours: 0 },
      }) as unknown as SimulationReport;
    const orphanFlagged = (report: SimulationReport) => checkDataInvariants(report, account, [], watched).some((v) => v.invariant === 'no orphan');

    expect(orphanFlagged(recovery(`reconfigure failed on ${web1.id}; a failed batch may be out of traffic`))).toBe(true);
    web1.tags.set('fleetflow:out-of-traffic', 'run');
    expect(orphanFlagged(recovery('reconfigure failed on web-2; a failed batch may be out of traffic'))).toBe(true);
    expect(orphanFlagged(recovery(`reconfigure failed on ${web1.id}; a failed batch may be out of traffic`))).toBe(false);
  });

  it('hold for a successful restore with every host on the new database and the floor kept', () => {
    const report = restoreReport('SUCCEEDED', ['canonical-db-snap-1', 'canonical-db-snap-1'], [true, true], true);

    expect(checkDataInvariants(report, seedAccount(canonical, noFaults()), [], watched)).toEqual([]);
  });

  it('hold the hosts to the new database when every step succeeded but the lock could not be released, and to the old one otherwise', () => {
    const account = seedAccount(canonical, noFaults());
    account.table(LOCK_TABLE_NAME).set('canonical', { environment: { S: 'canonical' }, holder: { S: 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-restore-data:run' } });
    const lockHeld = (onDatabase: [string, string]) =>
      ({
        ...restoreReport('FAILED', onDatabase, [true, true], true),
        error: 'LockNotReleasedError',
        cause: 'every step of this execution succeeded, but the lock of environment canonical could not be released: DeleteItem failed after its retries',
      }) as unknown as SimulationReport;
    const found = (report: SimulationReport) => checkDataInvariants(report, account, [], watched).map((v) => v.invariant);

    expect(found(lockHeld(['canonical-db-snap-1', 'canonical-db-snap-1']))).toEqual([]);
    expect(found(lockHeld(['canonical-db', 'canonical-db']))).toEqual(['every host on the new database']);
  });
});

describe('the compute invariants', () => {
  it('flag an orphan, a lock still held, a replacement below the count before, and a launched host out of service after success', async () => {
    const account = seedAccount(canonical, noFaults());
    const report = {
      status: 'SUCCEEDED', executionName: 'run', workflow: 'replace',
      hosts: [{ name: 'web-3', tier: 'web', version: '1.0.0', recordedVersion: '1.0.0', inService: false }, { name: 'web-1', tier: 'web', version: '1.0.0', recordedVersion: '1.0.0', inService: true }],
      minInService: { web: 1 },
      compute: { launched: ['web-3'], terminated: [], stopped: [], orphans: ['web-3'], extraInstanceHours: 0 },
    } as unknown as SimulationReport;
    account.table(LOCK_TABLE_NAME).set('canonical', { environment: { S: 'canonical' }, holder: { S: 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-replace:run' } });

    const found = checkComputeInvariants(report, account, [], { initialInService: new Map([['web', 2]]), halfInstalledInTraffic: [] }, { targets: ['web-1'] }).map((v) => v.invariant);

    expect(found.sort()).toEqual(['capacity kept', 'launched in service', 'lock released', 'no orphan', 'replaced out of service']);
  });

  it('flag a scale-out that ends with other than the count before plus what it added (plus what a really stopped run left serving)', () => {
    const account = seedAccount(canonical, noFaults());
    // Hosts web-3.. are new: the first `fromStopped` of them launched by the stopped execution, the rest by the one started again.
    const report = (n: number, restart?: { applied: boolean; fromStopped: number }) => {
      const hosts = Array.from({ length: n }, (_, i) => ({ name: `web-${i + 1}`, id: `i-sim-web-${i + 1}`, tier: 'web', version: '1.0.0', recordedVersion: '1.0.0', inService: true }));
      for (const [i, h] of hosts.slice(2).entries()) {
        account.hosts.set(h.id, { ...account.requireHost([...account.hosts.keys()][0]!), id: h.id, name: h.name, tags: new Map([[LAUNCHED_BY_TAG, i < (restart?.fromStopped ?? 0) ? 'run' : 'run-again']]) });
      }
      return {
        status: 'SUCCEEDED', executionName: restart?.applied ? 'run-again' : 'run', workflow: 'scale-out', hosts, minInService: { web: 2 },
        compute: { launched: hosts.slice(2).map((h) => h.name), terminated: [], stopped: [], orphans: [], extraInstanceHours: 0 },
        ...(restart ? { restart: { stopAfterSeconds: 300, applied: restart.applied, ...(restart.applied ? { stoppedExecution: 'run' } : {}) } } : {}),
      } as unknown as SimulationReport;
    };
    const check = (r: SimulationReport, faults: string[] = []) =>
      checkComputeInvariants(r, account, faults, { initialInService: new Map([['web', 2]]), halfInstalledInTraffic: [] }, { tier: 'web', add: 2 }).map((v) => v.invariant);

    expect(check(report(4))).toEqual([]);
    expect(check(report(3))).toEqual(['scaled out']);
    expect(check(report(6))).toEqual(['scaled out']);
    // A restart that came after the run had ended changes nothing: still exactly `add`.
    expect(check(report(4, { applied: false, fromStopped: 0 }), ['restart:300'])).toEqual([]);
    expect(check(report(6, { applied: false, fromStopped: 0 }), ['restart:300'])).toEqual(['scaled out']);
    // Really stopped after its two hosts entered service: they stay, and the run started again adds two more.
    expect(check(report(6, { applied: true, fromStopped: 2 }), ['restart:300'])).toEqual([]);
    // Stopped before its hosts served: they were terminated, so only the second run's two count.
    expect(check(report(4, { applied: true, fromStopped: 0 }), ['restart:300'])).toEqual([]);
    // Six serving, but none of the stopped run's: the second run added four, twice what was asked.
    expect(check(report(6, { applied: true, fromStopped: 0 }), ['restart:300'])).toEqual(['scaled out']);
  });

  it('take a host left out of service for no orphan only when the run failed with the refusal naming it, and it has its release and no marker', () => {
    const account = seedAccount(canonical, noFaults());
    const template = account.requireHost([...account.hosts.keys()][0]!);
    // web-3 and web-4: launched by a stopped scale-out, set up (a release), in no group; web-5 was taken out by a release.
    for (const [n, extra] of [[3, {}], [4, {}], [5, { 'fleetflow:out-of-traffic': 'deploy-1' }]] as const) {
      account.hosts.set(`i-sim-web-${n}`, { ...template, id: `i-sim-web-${n}`, name: `web-${n}`, tags: new Map([[LAUNCHED_BY_TAG, 'run'], ['fleetflow:release', '1.0.0'], ...Object.entries(extra)]) });
    }
    const refusal = (ids: string) =>
      `tier web: 1 host, ${ids}, has release 1.0.0 but is registered in none of the tier's target groups and FleetFlow did not take it out of traffic ` +
      '(no fleetflow:out-of-traffic tag): a FleetFlow run stopped before putting it into service, or it was deregistered by hand; ' +
      'register it back with `aws elbv2 register-targets` if it should serve, or terminate it if a stopped run left it; nothing was changed';
    const check = (orphans: string[], cause: string, status = 'FAILED') =>
      checkComputeInvariants(
        {
          status, error: 'InventoryError', cause, executionName: 'run-again', workflow: 'scale-out', hosts: [], minInService: { web: 2 }, notifications: [],
          compute: { launched: [], terminated: [], stopped: [], orphans, extraInstanceHours: 0 },
        } as unknown as SimulationReport,
        account, [], { initialInService: new Map([['web', 2]]), halfInstalledInTraffic: [] }, { tier: 'web', add: 1 },
      ).filter((v) => v.invariant === 'no orphan').map((v) => v.detail);

    expect(check(['web-3'], refusal('i-sim-web-3'))).toEqual([]);
    // Not named (i-sim-web-3 is not i-sim-web-30), another cause, or a host a release took out: still orphans.
    expect(check(['web-3', 'web-4'], refusal('i-sim-web-3'))).toEqual(['launched and left out of service: web-4']);
    expect(check(['web-3'], refusal('i-sim-web-30'))).toEqual(['launched and left out of service: web-3']);
    expect(check(['web-3'], 'tier web: target group canonical-web does not exist')).toEqual(['launched and left out of service: web-3']);
    expect(check(['web-5'], refusal('i-sim-web-5'))).toEqual(['launched and left out of service: web-5']);
    // The plural form of the same refusal, naming both.
    const both = refusal('i-sim-web-3, i-sim-web-4').replace("the tier's target groups and FleetFlow did not take it", "their tiers' target groups and FleetFlow did not take them");
    expect(check(['web-3', 'web-4'], both)).toEqual([]);
  });
});

describe('the invariants of a run stopped and started again, and of RDS throttling', () => {
  const allocateReport = (over: Partial<SimulationReport> = {}): SimulationReport =>
    ({
      status: 'SUCCEEDED', executionName: 'run-again', workflow: 'allocate', notifications: ['Started', 'Succeeded'],
      hosts: ['web', 'middle', 'monitoring'].flatMap((tier) =>
        [1, 2].map((n) => ({ name: `${tier}-${n}`, id: `i-${tier}-${n}`, tier, version: '1.0.0', recordedVersion: '1.0.0', inService: true, halfInstalled: false })),
      ).concat([{ name: 'db-1', id: 'canonical-db', tier: 'database', version: '1.0.0', recordedVersion: '1.0.0', inService: true, halfInstalled: false }]),
      ...over,
    }) as unknown as SimulationReport;
  const resume = (report: SimulationReport, faults: string[] = [], account = seedAccount(canonical, noFaults()), first?: SimulationReport, failed: FailedState[] = []) =>
    checkResumeInvariants(first ? [first, report] : [report], account, canonical, faults, failed).map((v) => v.invariant);

  it('pass an allocate that brought every tier into service', () => {
    expect(resume(allocateReport())).toEqual([]);
  });

  it('flag an allocate that succeeded with a tier short of its count or a host that never got its release', () => {
    const report = allocateReport();
    const hosts = report.hosts.map((h) => (h.name === 'web-1' ? { ...h, version: '', recordedVersion: '', inService: false } : h));

    expect(resume({ ...report, hosts })).toEqual(['allocated in service']);
  });

  it('flag a host the stopped execution launched and left running out of service', () => {
    const account = seedAccount(canonical, noFaults());
    const web1 = [...account.hosts.values()].find((h) => h.name === 'web-1')!;
    web1.tags.set('fleetflow:launched-by', 'run');
    const report = allocateReport({ hosts: allocateReport().hosts.map((h) => (h.name === 'web-1' ? { ...h, id: web1.id, inService: false } : h)) });

    const stopped = { ...report, executionName: 'run', status: 'ABORTED' } as SimulationReport;
    expect(resume({ ...report, status: 'FAILED', error: 'LaunchFailedError', cause: 'no capacity' }, ['restart:560'], account, stopped)).toEqual(['no leftover']);
    // Started again but refused before the lock (nothing was changed): what the stopped run left is the next run's to finish.
    expect(resume({ ...report, status: 'FAILED', error: 'InvalidInputError', cause: 'nothing was changed', notifications: ['Failed'] }, ['restart:560'], account, stopped)).toEqual([]);
  });

  it('flag an RDS poll that failed the run for throttling, only when RDS was throttled', () => {
    const failed = allocateReport({ status: 'FAILED', error: 'UnexpectedTaskError', cause: 'a state failed unexpectedly with Throttling before any host was repointed' });
    // Which state failed is in the history (the cause names the error and the scope).
    const history = failedStates([
      { type: 'StateFailed', timestamp: 0, state: { name: 'Check Restored Database', type: 'Task', input: {} }, Error: 'Throttling' },
      { type: 'StateFailed', timestamp: 1, state: { name: 'Run Restore', type: 'Parallel', input: {} }, Error: 'UnexpectedTaskError' },
    ]);

    expect(resume({ ...failed, workflow: 'restore-data' }, ['throttle:rds@590+150'], undefined, undefined, history)).toEqual(['throttled polls ride it out']);
    expect(resume({ ...failed, workflow: 'restore-data' }, ['throttle:elbv2@590+150'], undefined, undefined, history)).toEqual([]);
    // Another state failing for throttling is not a poll's failure.
    expect(resume({ ...failed, workflow: 'restore-data' }, ['throttle:rds@590+150'], undefined, undefined, failedStates([{ type: 'StateFailed', timestamp: 0, state: { name: 'Restore Database', type: 'Task', input: {} }, Error: 'Throttling' }]))).toEqual([]);
  });
});

describe("the scale-in campaign's checks", () => {
  const input = { tier: 'web', remove: 1 };
  const setUp = () => {
    const account = seedAccount(canonical, noFaults(), { hostsPerTier: 5 });
    const watched: ScaleInWatch = { before: new Map(), retiredServing: [] };
    prepareScaleIn(account, canonical, watched);
    return { account, watched };
  };
  const report = (over: Partial<SimulationReport> = {}): SimulationReport =>
    ({ status: 'SUCCEEDED', executionName: 'shrink', minInService: { web: 4 }, minHealthyRequired: { web: 3 }, hosts: [], ...over }) as unknown as SimulationReport;
  const retire = (account: ReturnType<typeof setUp>['account'], name: string) => {
    const h = [...account.hosts.values()].find((x) => x.name === name)!;
    h.tags.set(RETIRED_BY_TAG, 'shrink');
    return h;
  };
  const check = (r: SimulationReport, { account, watched }: ReturnType<typeof setUp>, faults: string[] = []) =>
    scaleInViolations(r, account, canonical, faults, { initialInService: new Map([['web', 5]]), halfInstalledInTraffic: [] }, watched, input).map((v) => v.invariant);

  it('passes the oldest host of the fuller zone, retired once out of traffic', () => {
    const setup = setUp();
    const web1 = retire(setup.account, 'web-1');
    for (const group of setup.account.groupsOf('web')) group.targets.delete(web1.id);
    stopInstances(setup.account, [web1.id]);

    expect(check(report(), setup)).toEqual([]);
  });

  it('catches a host stopped while still registered, a younger host chosen, and the floor broken', () => {
    const setup = setUp();
    // web-5 is zone a's youngest, and still in its target group when stopped.
    stopInstances(setup.account, [retire(setup.account, 'web-5').id]);

    expect(check(report({ minInService: { web: 2 } }), setup)).toEqual(['capacity floor', 'retired only once drained', 'oldest first']);
  });
});
