/**
 * The compute workflows end to end, on the simulated account: allocate a fresh environment,
 * scale out, replace a host (and every unhealthy one, and everything in disaster recovery),
 * scale in (the oldest hosts, zone-balanced, drained first), and what a failure leaves behind
 * (nothing this execution launched, still running).
 */
import { describe, expect, it } from 'vitest';
import { LOCK_TABLE_NAME } from '../../../lib/simulator/fleet';
import { simulateExecutions, type SimulationReport } from '../../../lib/simulator/simulate';
import { RETIRED_BY_TAG, RETIRED_REASON_TAG } from '../../../lambdas/domain/contract/tags';
import type { EnvironmentDefinition } from '../../../lambdas/domain/environment/model';
import { canonical, host } from '../helpers';

const run = async (workflow: 'allocate' | 'scale-out' | 'replace', input: unknown, faults: string[] = [], empty = workflow === 'allocate') => {
  const result = await simulateExecutions({ environment: canonical, input, workflow, empty, faults, executions: [{ input }] });
  return { ...result, report: result.reports[0]! };
};

const runWithProgress = async (workflow: 'replace', input: unknown) => {
  const lines: string[] = [];
  const result = await simulateExecutions({ environment: canonical, input, workflow, faults: [], executions: [{ input }], onProgress: (line) => lines.push(line) });
  return { ...result, report: result.reports[0]!, progress: lines.join('\n') };
};

const hostsOf = (report: SimulationReport, tier: string) => report.hosts.filter((h) => h.tier === tier);

describe('allocate', () => {
  it('builds the canonical environment on an empty account: every tier in service on the recorded release, the database available, nothing orphaned', async () => {
    const { report, account, events, childEvents } = await run('allocate', {});

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    // Created with the environment's master password secret ("fleetflow-secret"): no RDS-managed secret (so
    // replace-database can replace it), and the password in no history, output or notification.
    expect([...account.databases.values()][0]!.definition?.managedMasterPassword).toBeUndefined();
    const password = account.secrets.get('fleetflow/canonical/database-master')!.value;
    expect(JSON.stringify(events) + JSON.stringify(childEvents) + JSON.stringify(account.notifications) + JSON.stringify(report)).not.toContain(password);
    for (const tier of ['web', 'middle', 'monitoring']) {
      const hosts = hostsOf(report, tier);
      expect(hosts, tier).toHaveLength(2);
      for (const h of hosts) {
        expect(h.inService, `${h.name} in service`).toBe(true);
        expect(h.version, `${h.name} runs the recorded release`).toBe('1.0.0');
        expect(h.recordedVersion, `${h.name} records it`).toBe('1.0.0');
      }
    }
    expect([...account.databases.values()].map((d) => account.databaseStatus(d))).toEqual(['available']);
    // The hosts launched while the database was created, and none served before it did.
    const serves = [...account.databases.values()][0]!.servesFrom!;
    for (const h of [...account.hosts.values()]) {
      expect(h.launchedAt, `${h.name} launched while the database was created`).toBeLessThan(serves);
      expect(h.healthTimeline.find((t) => t.healthy)?.at, `${h.name} served only once the database did`).toBeGreaterThanOrEqual(serves);
    }
    expect(report.compute?.launched).toHaveLength(6);
    expect(report.compute?.orphans).toEqual([]);
    // Spread evenly over the tier's two subnets (Availability Zones).
    const zones = [...account.hosts.values()].filter((h) => h.tier === 'web').map((h) => h.availabilityZone).sort();
    expect(zones).toEqual(['us-east-1a', 'us-east-1b']);
    expect(report.notifications).toEqual(['Started', 'Succeeded']);
    expect(account.table(LOCK_TABLE_NAME).size, 'lock released').toBe(0);
  });

  it('with no capacity for the web tier in any zone: LaunchFailedError, and every host it launched terminated', async () => {
    const { report, account } = await run('allocate', {}, ['launch-fail:web']);

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('LaunchFailedError');
    expect(report.cause).toMatch(/no capacity .* us-east-1a.*us-east-1b/);
    // The database it was creating meanwhile was waited for, not left unobserved: available, and kept.
    expect([...account.databases.values()].map((d) => account.databaseStatus(d))).toEqual(['available']);
    expect(report.compute?.orphans).toEqual([]);
    expect(report.compute?.launched.length).toBeGreaterThan(0);
    expect([...report.compute!.terminated].sort()).toEqual([...report.compute!.launched].sort());
    for (const name of report.compute!.launched) expect(host(report, name).inService, name).toBe(false);
    expect(report.notifications).toEqual(['Started', 'Failed']);
    expect(account.table(LOCK_TABLE_NAME).size, 'lock released').toBe(0);
  });

  it('when the database fails while the hosts launch: DatabaseCreateFailedError, the instance kept, and every host launched meanwhile terminated', async () => {
    const { report, account } = await run('allocate', {}, ['db-status:storage-full@270+314']);

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('DatabaseCreateFailedError');
    expect(account.databases.size, 'the instance is kept').toBe(1);
    expect(report.compute?.launched).toHaveLength(6);
    expect([...report.compute!.terminated].sort()).toEqual([...report.compute!.launched].sort());
    expect(report.compute?.orphans).toEqual([]);
    expect(account.table(LOCK_TABLE_NAME).size, 'lock released').toBe(0);
  });

  it('with no capacity in one zone: launches the web tier in the other', async () => {
    const { report, account } = await run('allocate', { tiers: { web: 2 } }, ['launch-fail:web@us-east-1a']);

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    const zones = [...account.hosts.values()].filter((h) => h.tier === 'web').map((h) => h.availabilityZone);
    expect(zones).toEqual(['us-east-1b', 'us-east-1b']);
  });

  for (const [fault, error] of [
    ['boot-fail:web-2', 'LaunchFailedError'],
    ['ssm-unmanaged:mid-1', 'InstanceNotManagedError'],
    ['prerequisite-fail:mon-2', 'PrerequisiteFailedError'],
  ] as const) {
    it(`${fault}: fails ${error}, leaving nothing it launched running`, async () => {
      const { report } = await run('allocate', {}, [fault]);

      expect(report.status).toBe('FAILED');
      expect(report.error).toBe(error);
      expect(report.compute?.orphans).toEqual([]);
      expect([...report.compute!.terminated].sort()).toEqual([...report.compute!.launched].sort());
    });
  }

  it('missing-target-group: refused before anything is launched or locked', async () => {
    const { report } = await run('allocate', {}, ['missing-target-group:web']);

    expect(report.error).toBe('DependencyCheckFailedError');
    expect(report.cause).toContain('canonical-web');
    expect(report.compute?.launched).toEqual([]);
    expect(report.notifications).toEqual(['Failed']);
  });

  // The network checks (lambdas/compute/network-checks.ts) run in Plan Allocation: before the lock and any launch.
  for (const [fault, named] of [
    ['sg-blocked:web', /security group sg-0a1b2c3d4e5f60003 \(the hosts'\) allows no inbound tcp 80 from load balancer app\/canonical-web\/\d+'s security group sg-\w+/],
    ['listener-missing:web', /no listener forwards to target group canonical-web \(load balancer app\/canonical-web\/\d+; listeners: none\)/],
    ['certificate-expiring:web', /listener HTTPS:443 \(arn:aws:elasticloadbalancing:[^)]+\): certificate arn:aws:acm:us-east-1:\d+:certificate\/[0-9a-f-]+ expires [^,]+, in 0 day\(s\), within the 30/],
    ['certificate-pending:web', /certificate arn:aws:acm:us-east-1:\d+:certificate\/[0-9a-f-]+ is PENDING_VALIDATION, not ISSUED/],
    ['record-missing:web', /record shop\.example\.com \(A or AAAA\) not found in hosted zone Z0123456789CANONICAL/],
  ] as const) {
    it(`${fault}: DependencyCheckFailedError naming what is wrong, 0 instances launched, the lock never taken`, async () => {
      const { report, account } = await run('allocate', {}, [fault]);

      expect(report.status).toBe('FAILED');
      expect(report.error).toBe('DependencyCheckFailedError');
      expect(report.cause).toMatch(named);
      expect(report.compute?.launched).toEqual([]);
      expect(account.hosts.size).toBe(0);
      expect(report.notifications).toEqual(['Failed']);
      expect(account.table(LOCK_TABLE_NAME).size).toBe(0);
    });
  }

  it('launches only what a partly lost environment is missing', async () => {
    const { report } = await run('allocate', { tiers: { web: 3 } }, [], false);

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(report.compute?.launched).toEqual(['web-3']);
    expect(hostsOf(report, 'web').every((h) => h.inService)).toBe(true);
  });
});

describe('scale out', () => {
  it('adds hosts on the tier\'s release, in service, without the tier ever dropping', async () => {
    const { report } = await run('scale-out', { tier: 'web', add: 2 });

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(report.compute?.launched).toEqual(['web-3', 'web-4']);
    for (const h of hostsOf(report, 'web')) {
      expect(h.inService, h.name).toBe(true);
      expect(h.version, h.name).toBe('1.0.0');
    }
    expect(report.minInService.web).toBe(2);
  });

  it('sg-blocked:web: refused before anything is launched; the tier keeps its hosts', async () => {
    const { report, account } = await run('scale-out', { tier: 'web', add: 2 }, ['sg-blocked:web']);

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('DependencyCheckFailedError');
    expect(report.cause).toContain("security group sg-0a1b2c3d4e5f60003 (the hosts')");
    expect(report.compute?.launched).toEqual([]);
    expect([...account.hosts.values()].filter((h) => h.tier === 'web')).toHaveLength(2);
  });

  for (const [fault, named] of [
    ['certificate-expiring:web', /certificate arn:aws:acm:\S+ expires/],
    ['record-missing:web', /record shop\.example\.com \(A or AAAA\) not found in hosted zone/],
  ] as const) {
    it(`${fault}: refused before anything is launched; the tier keeps its hosts`, async () => {
      const { report, account } = await run('scale-out', { tier: 'web', add: 2 }, [fault]);

      expect(report.status).toBe('FAILED');
      expect(report.error).toBe('DependencyCheckFailedError');
      expect(report.cause).toMatch(named);
      expect(report.compute?.launched).toEqual([]);
      expect([...account.hosts.values()].filter((h) => h.tier === 'web')).toHaveLength(2);
    });
  }
});

describe('replace', () => {
  it('replaces web-1 without downtime: the replacement in service first, then web-1 out and stopped, tagged why', async () => {
    const { report, account } = await run('replace', { targets: ['web-1'] });

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(report.compute?.launched).toEqual(['web-3']);
    expect(host(report, 'web-3').inService).toBe(true);
    expect(host(report, 'web-3').version).toBe('1.0.0');
    expect(host(report, 'web-1').inService).toBe(false);
    expect(report.compute?.stopped).toEqual(['web-1']);
    expect(report.compute?.orphans).toEqual([]);
    // Never below the two web hosts it had before.
    expect(report.minInService.web).toBe(2);
    const old = [...account.hosts.values()].find((h) => h.name === 'web-1')!;
    expect(old.tags.get(RETIRED_BY_TAG)).toBe(report.executionName);
    expect(old.tags.get(RETIRED_REASON_TAG)).toBe('replaced');
    // In the same Availability Zone as the host it replaces.
    expect([...account.hosts.values()].find((h) => h.name === 'web-3')!.availabilityZone).toBe(old.availabilityZone);
    // Each phase seen within about a second of its end, web-1's drain by its host-side check (issue 17: within 1.02 of
    // the bound). Sent no check, web-1 waited out the 300 s delay and was seen at 323 s: 550 s against 527.
    expect(report.makespanSeconds / report.lowerBoundSeconds).toBeLessThanOrEqual(1.02);
    expect(report.makespanSeconds).toBeLessThan(300);
  });

  it('"unhealthy" replaces exactly the hosts the target group reports unhealthy', async () => {
    const { report } = await run('replace', { targets: 'unhealthy', tier: 'web' }, ['down:web-2']);

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(report.compute?.launched).toEqual(['web-3']);
    expect(report.compute?.stopped).toEqual(['web-2']);
    expect(host(report, 'web-1').inService).toBe(true);
    expect(host(report, 'web-3').inService).toBe(true);
  });

  it('"unhealthy" with every host well ends SUCCEEDED at its plan: the lock never taken, no Started notification', async () => {
    const { report, events, progress } = await runWithProgress('replace', { targets: 'unhealthy' });

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(report.compute?.launched).toEqual([]);
    // No lock item written (nothing to keep another run from), and nothing claims a replacement started.
    expect(events[0]!.filter((e) => e.type === 'StateEntered').map((e) => e.state!.name)).not.toContain('Acquire Lock');
    expect(report.timeline.steps.map((s) => s.name)).toEqual(['plan']);
    expect(report.notifications).toEqual(['Succeeded']);
    expect(progress).toContain('planned replace: no unhealthy host: nothing replaced; the lock is not taken');
  });

  it('"unhealthy" replaces a stopped host, which no drain check reaches: it waits out the delay, and the bound counts it', async () => {
    const { report } = await run('replace', { targets: 'unhealthy', tier: 'web' }, ['stop:web-2@0']);

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(report.compute?.stopped).toEqual(['web-2']);
    // Its check is undeliverable (SSM's agent is not running), so only ELB's 300 s delay ends its drain: the bound
    // counts that, not the running hosts' connection close (it was 235 s, against a run of 533 s).
    expect(report.lowerBoundSeconds).toBeGreaterThan(300);
    expect(report.makespanSeconds / report.lowerBoundSeconds).toBeLessThanOrEqual(1.02);
  });

  it('a replacement that fails its prerequisites is terminated; the host it was to replace stays in service', async () => {
    const { report } = await run('replace', { targets: ['web-1'] }, ['prerequisite-fail:web-3']);

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('PrerequisiteFailedError');
    expect(report.compute?.terminated).toEqual(['web-3']);
    expect(report.compute?.orphans).toEqual([]);
    expect(host(report, 'web-1').inService).toBe(true);
    expect(report.minInService.web).toBe(2);
  });

  it('disaster recovery: retires the named hosts first, then brings up their replacements', async () => {
    const { report } = await run('replace', { targets: ['web-1', 'web-2'], mode: 'disaster-recovery' });

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(report.compute?.launched).toEqual(['web-3', 'web-4']);
    expect([...report.compute!.stopped].sort()).toEqual(['web-1', 'web-2']);
    expect(host(report, 'web-3').inService && host(report, 'web-4').inService).toBe(true);
    // Downtime accepted: the tier went to zero meanwhile.
    expect(report.minInService.web).toBe(0);
  });

  it('refuses the environment\'s database as a target: replace only replaces EC2 hosts', async () => {
    const { report } = await run('replace', { targets: ['canonical-db'] });

    expect(report.error).toBe('InvalidInputError');
    expect(report.cause).toContain("is the environment's database");
    expect(report.compute?.launched).toEqual([]);
  });

  it('refuses an unknown host before anything changes', async () => {
    const { report } = await run('replace', { targets: ['web-9'] });

    expect(report.error).toBe('InventoryError');
    expect(report.cause).toContain('"web-9"');
    expect(report.compute?.launched).toEqual([]);
  });
});

describe('one lock per environment', () => {
  it('a replacement started while a release runs is refused, EnvironmentLockedError, and changes nothing', async () => {
    const { reports } = await simulateExecutions({
      environment: canonical,
      input: { release: '1.1.0' },
      executions: [
        { input: { release: '1.1.0' }, name: 'release' },
        { input: { targets: ['web-1'] }, name: 'replacement', workflow: 'replace', startAfterSeconds: 60 },
      ],
    });
    const [release, replacement] = reports;

    expect(release!.status, `${release!.error}: ${release!.cause}`).toBe('SUCCEEDED');
    expect(replacement!.status).toBe('FAILED');
    expect(replacement!.error).toBe('EnvironmentLockedError');
    expect(replacement!.cause).toContain('fleetflow-canonical-deploy:release');
    expect(replacement!.compute?.launched ?? []).toEqual([]);
  });
});

describe('allocate after losing every instance', () => {
  it('restores the database from its newest snapshot when asked, with the definition\'s settings, and builds every tier', async () => {
    const input = { database: 'latest-snapshot' };
    const { reports, account } = await simulateExecutions({ environment: canonical, input, workflow: 'allocate', empty: true, keepSnapshots: true, executions: [{ input }] });
    const report = reports[0]!;

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    const db = account.databases.get('canonical-db')!;
    const newest = [...account.snapshots.values()].filter((s) => s.instance === 'canonical-db').sort((a, b) => b.createdAt - a.createdAt)[0]!;
    expect(db.restoredFrom).toBe(newest.id);
    // Passed explicitly, not RDS's restore defaults (default subnet group and security group, Single-AZ).
    expect(db.definition).toMatchObject({ subnetGroup: 'canonical-db', securityGroups: ['sg-0a1b2c3d4e5f60001'], multiAz: true, instanceClass: 'db.m6g.large' });
    expect(report.compute?.orphans).toEqual([]);
    expect(hostsOf(report, 'web').every((h) => h.inService)).toBe(true);
  });

  it('refuses "latest-snapshot" when no snapshot is left, before anything changes', async () => {
    const input = { database: 'latest-snapshot' };
    const { reports } = await simulateExecutions({ environment: canonical, input, workflow: 'allocate', empty: true, executions: [{ input }] });

    expect(reports[0]!.error).toBe('InvalidInputError');
    expect(reports[0]!.cause).toContain('no available snapshot of canonical-db');
    expect(reports[0]!.compute?.launched).toEqual([]);
  });
});

describe('a compute run stopped after its hosts launched, then started again', () => {
  it('allocate: the run started again terminates the hosts the stopped one never set up, and brings every tier into service', async () => {
    // Act: the web and middle tiers, stopped at 60 s (the hosts launched and booting), started again 60 s later.
    const input = { tiers: { web: 2, middle: 2 }, database: 'none' };
    const { reports, account } = await simulateExecutions({ environment: canonical, input, workflow: 'allocate', empty: true, faults: ['restart:60'], executions: [{ input, name: 'stopped' }] });
    const [stopped, again] = reports;

    // Assess: the stopped run's four hosts are terminated, tagged why; the re-run's own four serve, on the release.
    expect(stopped!.status).toBe('ABORTED');
    expect(stopped!.compute?.launched).toHaveLength(4);
    expect(again!.status, `${again!.error}: ${again!.cause}`).toBe('SUCCEEDED');
    expect([...again!.compute!.terminated].sort()).toEqual([...stopped!.compute!.launched].sort());
    for (const name of stopped!.compute!.launched) {
      const h = [...account.hosts.values()].find((x) => x.name === name)!;
      expect(h.tags.get(RETIRED_BY_TAG), name).toBe('stopped-again');
    }
    for (const tier of ['web', 'middle']) {
      const serving = hostsOf(again!, tier).filter((h) => h.inService && h.version === '1.0.0' && h.recordedVersion === '1.0.0');
      expect(serving, tier).toHaveLength(2);
    }
    expect(again!.compute?.orphans).toEqual([]);
    expect(account.table(LOCK_TABLE_NAME).size, 'lock released').toBe(0);
  });

  it('scale-out: adds exactly the hosts asked for, the stopped run\'s never-set-up ones terminated; one clock, the stop said, the whole run reported', async () => {
    const input = { tier: 'web', add: 2 };
    const lines: string[] = [];

    const { reports, events } = await simulateExecutions({ environment: canonical, input, workflow: 'scale-out', faults: ['restart:60'], executions: [{ input, name: 'stopped' }], onProgress: (l) => lines.push(l) });
    const again = reports[1]!;

    expect(again.status, `${again.error}: ${again.cause}`).toBe('SUCCEEDED');
    expect([...again.compute!.terminated].sort()).toEqual([...reports[0]!.compute!.launched].sort());
    expect(hostsOf(again, 'web').filter((h) => h.inService && h.version === '1.0.0')).toHaveLength(4);
    // The stop and the new start are lines of their own, on the first start's clock (no second 00:00:00).
    expect(lines).toContain('[00:01:00] execution stopped (StopExecution, restart:60); starting it again with the same input at 00:02:00');
    expect(lines).toContain('[00:02:00] execution started again as stopped-again (same input)');
    expect(lines.filter((l) => l.startsWith('[00:00:00] execution started'))).toHaveLength(1);
    // The whole run: from the first start, stop and pause included, never under the first plan's bound.
    expect(again.restart).toEqual({ stopAfterSeconds: 60, applied: true, stoppedExecution: 'stopped', startedAgainAtSeconds: 120 });
    expect(again.makespanSeconds).toBe(120 + (events[1]!.at(-1)!.timestamp - events[1]![0]!.timestamp) / 1000);
    expect(again.lowerBoundSeconds).toBe(reports[0]!.lowerBoundSeconds);
    expect(again.makespanSeconds / again.lowerBoundSeconds).toBeGreaterThanOrEqual(1);
    // The stopped run's hosts were terminated before they served: not among what the whole run launched and kept.
    expect(again.compute!.launched.some((name) => reports[0]!.compute!.launched.includes(name))).toBe(false);
    // Its timeline (what --report draws) is the whole run's too: the stopped execution's steps from 0, the pause, then the second's.
    const steps = again.timeline.steps.map((s) => [s.name, s.start]);
    expect(steps.slice(0, 2)).toEqual([['plan', 0], ['lock', 0]]);
    expect(steps).toContainEqual(['stopped (StopExecution), started again as stopped-again', 60]);
    expect(steps.filter(([name]) => name === 'plan')).toEqual([['plan', 0], ['plan', 120]]);
  });

  it('scale-out stopped after its host got its release but before it was put into service: the run started again refuses, naming it, and changes nothing', async () => {
    const input = { tier: 'web', add: 1 };

    // restart:178: web-3's install is recorded (fleetflow:release) and Return To Traffic has not run yet. Registered
    // nowhere with no marker, it looks exactly like a serving host a person deregistered: it must not be terminated.
    const { reports, account } = await simulateExecutions({ environment: canonical, input, workflow: 'scale-out', faults: ['restart:178'], executions: [{ input, name: 'stopped' }] });
    const again = reports[1]!;

    expect(reports[0]!.compute!.launched).toEqual(['web-3']);
    expect(again.status).toBe('FAILED');
    // The launch gives no Name tag, so the host is named by its instance ID, as AWS lists it.
    const web3 = [...account.hosts.values()].find((h) => h.name === 'web-3')!;
    expect(again.cause).toMatch(new RegExp(`^tier web: 1 host, ${web3.id}, has release \\S+ but is registered in none of the tier's target groups .* nothing was changed$`));
    // Refused in its plan: nothing launched a second time, nothing terminated, web-3 still there for a person.
    expect(again.notifications).not.toContain('Started');
    expect(again.compute!.terminated).toEqual([]);
    const web = [...account.hosts.values()].filter((h) => h.tags.get('fleetflow:tier') === 'web');
    expect(web.map((h) => [h.name, h.state])).toEqual([['web-1', 'running'], ['web-2', 'running'], ['web-3', 'running']]);
  });
});

describe('scale-in', () => {
  it('restart:N after the run has ended stops nothing: one execution, one removal, and the progress says so', async () => {
    // A scale-in of one web host ends in about 25 s: at 120 s there is nothing left to stop.
    const input = { tier: 'web', remove: 1 };
    const lines: string[] = [];
    const { reports, account } = await simulateExecutions({ environment: canonical, input, workflow: 'scale-in', hostsPerTier: 4, faults: ['restart:120'], executions: [{ input, name: 'once' }], onProgress: (l) => lines.push(l) });

    expect(reports).toHaveLength(1);
    const [report] = reports as [SimulationReport];
    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(report.restart).toMatchObject({ stopAfterSeconds: 120, applied: false });
    // The report's fault outcomes say it too, with when the execution had ended.
    expect(report.faultOutcomes).toEqual([{ fault: 'restart:120', applied: false, reason: expect.stringMatching(/^the execution had ended at 00:00:\d\d, before 120 s$/) }]);
    expect(lines.at(-1)).toMatch(/^\[00:00:\d\d\] restart:120 not applied: the execution had ended \(SUCCEEDED\) at 00:00:\d\d$/);
    expect(lines.some((l) => /execution stopped|started again/.test(l))).toBe(false);
    // Exactly the one host asked for: no second execution removed another.
    expect([...account.hosts.values()].filter((h) => h.tags.has(RETIRED_BY_TAG)).map((h) => h.name)).toEqual(report.compute!.stopped);
    expect(report.compute!.stopped).toHaveLength(1);
    expect(report.makespanSeconds).toBeLessThan(120);
  });

  it('removes the oldest web hosts, zone-balanced, drained first, never below the floor, holding the lock a replacement then finds taken', async () => {
    const input = { tier: 'web', remove: 2 };
    const { reports, account } = await simulateExecutions({
      environment: canonical,
      input,
      workflow: 'scale-in',
      hostsPerTier: 5,
      executions: [
        { input, name: 'shrink' },
        // Started while the scale-in holds the lock: its hosts drain by the host-side check, so it ends within about 25 s.
        { input: { targets: ['web-2'] }, name: 'replacement', workflow: 'replace', startAfterSeconds: 5 },
      ],
    });
    const [scaleIn, replacement] = reports as [SimulationReport, SimulationReport];

    expect(scaleIn.status, `${scaleIn.error}: ${scaleIn.cause}`).toBe('SUCCEEDED');
    expect(scaleIn.output).toEqual({ environment: 'canonical', workflow: 'scale-in', removed: 2 });
    // Seeded launch times (fleet.ts): zone a holds web-1, web-3, web-5 (oldest first), zone b web-2, web-4.
    // Zone a is the fuller: web-1 leaves; then the zones are even and zone a's next (web-3) is older than zone b's oldest (web-2).
    expect(scaleIn.compute?.stopped).toEqual(['web-1', 'web-3']);
    for (const name of ['web-1', 'web-3']) {
      const h = [...account.hosts.values()].find((x) => x.name === name)!;
      expect(h.tags.get(RETIRED_BY_TAG)).toBe('shrink');
      expect(h.tags.get(RETIRED_REASON_TAG)).toBe('scale-in');
    }
    expect(scaleIn.hosts.filter((h) => h.tier === 'web' && h.inService).map((h) => h.name)).toEqual(['web-2', 'web-4', 'web-5']);
    // ceil(50% of 5) = 3: the two leave together, with three in service throughout.
    expect(scaleIn.minHealthyRequired).toEqual({ web: 3 });
    expect(scaleIn.minInService.web).toBe(3);
    expect(scaleIn.notifications).toEqual(['Started', 'Succeeded']);
    expect(replacement.error).toBe('EnvironmentLockedError');
    expect(account.table(LOCK_TABLE_NAME).size, 'lock released').toBe(0);
    // Drained by the host-side check, each phase seen within about a second of its end (issue 17: within 1.02 of the bound).
    expect(scaleIn.makespanSeconds / scaleIn.lowerBoundSeconds).toBeLessThanOrEqual(1.02);
  });

  it('without a host-side drain check, waits out the deregistration delay it read and sees its end within 2%', async () => {
    // The environment rolling-release.test.ts synthesizes too (the same JSON: one template in the cache).
    const environment = {
      ...canonical,
      tiers: canonical.tiers.map((t) => (t.role === 'data' || t.traffic.kind !== 'target-group' ? t : { ...t, drain: { timeoutSeconds: t.drain.timeoutSeconds } })),
    } as EnvironmentDefinition;
    const input = { tier: 'web', remove: 1 };
    const { reports } = await simulateExecutions({ environment, input, workflow: 'scale-in', hostsPerTier: 3, executions: [{ input }] });
    const report = reports[0]!;

    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    expect(report.compute?.stopped).toEqual(['web-1']);
    // The bound: ELB's 300 s delay, then the stop. A plan without the delay watched two minutes, then looked by 20% steps: 338 s against 315.
    expect(report.lowerBoundSeconds).toBeGreaterThanOrEqual(300);
    expect(report.makespanSeconds / report.lowerBoundSeconds).toBeLessThanOrEqual(1.02);
  });

});
