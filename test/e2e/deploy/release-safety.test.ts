/**
 * End-to-end: what makes a release a safe unit. Database first (snapshot, migration),
 * validation after (bake, approval), the whole release rolled back when it fails, one
 * release per environment at a time, and no secret value anywhere in the history.
 */
import { describe, expect, it } from 'vitest';
import { simulateDeploy, simulateExecutions } from '../../../lib/simulator/simulate';
import { LOCK_TABLE_NAME } from '../../../lib/simulator/fleet';
import { canonical, expectSafeEnd, host, versions } from '../helpers';

const release = (input: Record<string, unknown> = {}) => ({ release: '1.1.0', ...input });

describe('a release of the canonical environment', () => {
  it('snapshots and migrates the database, rolls middle and web, bakes and records the release', async () => {
    const report = await simulateDeploy({ environment: canonical, input: release() });

    expect(report.status).toBe('SUCCEEDED');
    expect(report.snapshot).toMatch(/^fleetflow-canonical-1-1-0-/);
    expect(host(report, 'db-1').version).toBe('1.1.0');
    expect(report.validation).toEqual({ status: 'PASSED' });
    expect(report.recordedRelease).toBe('1.1.0');
    expect(report.rolledBack).toBe(false);
    expect(report.notifications).toEqual(['Started', 'Succeeded']);
    // Per batch (middle 2, web 2): out of traffic, installed, returned; beside the two notifications.
    expect(report.events).toEqual({ 'FleetFlow Release Started': 1, 'FleetFlow Batch Progress': 12, 'FleetFlow Release Succeeded': 1 });
    expect(versions(report, 'monitoring')).toEqual({ 'mon-1': '1.0.0', 'mon-2': '1.0.0' });
    expect(report.minInService.monitoring).toBe(2);
    expectSafeEnd(report);
  });

  it('rolls the whole release back when an alarm fires during the bake, and records nothing', async () => {
    // The rollout ends about 535 s in; the bake lasts 300 s.
    const report = await simulateDeploy({ environment: canonical, input: release(), faults: ['alarm:canonical-availability@700'] });

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('ValidationFailedError');
    expect(report.validation.status).toBe('FAILED');
    expect(report.validation.reason).toContain('canonical-availability');
    expect(report.rolledBack).toBe(true);
    expect(versions(report, 'web')).toEqual({ 'web-1': '1.0.0', 'web-2': '1.0.0' });
    expect(versions(report, 'middle')).toEqual({ 'mid-1': '1.0.0', 'mid-2': '1.0.0' });
    expect(report.recordedRelease).toBeNull();
    expect(report.notifications).toEqual(['Started', 'Rolling Back', 'Failed']);
    // The four batches forward and the four reverts, three phases each.
    expect(report.events['FleetFlow Batch Progress']).toBe(24);
    expectSafeEnd(report);
  });

  it('halts on a failed validation when the execution asks for it, leaving hosts in traffic on the new release', async () => {
    const report = await simulateDeploy({
      environment: canonical,
      input: release({ onValidationFailure: 'halt' }),
      faults: ['alarm:canonical-availability@700'],
    });

    expect(report.error).toBe('ValidationFailedError');
    expect(report.rolledBack).toBe(false);
    expect(versions(report, 'web')).toEqual({ 'web-1': '1.1.0', 'web-2': '1.1.0' });
    expect(report.recordedRelease).toBeNull();
    expectSafeEnd(report);
  });

  it('fails a failed migration before any host is touched, naming the snapshot', async () => {
    const report = await simulateDeploy({ environment: canonical, input: release(), faults: ['migration-fail'] });

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('MigrationFailedError');
    expect(report.snapshot).not.toBeNull();
    expect(report.cause).toContain(report.snapshot!);
    for (const h of report.hosts) expect(h.version).toBe('1.0.0');
    expect(report.minInService).toMatchObject({ middle: 2, web: 2, monitoring: 2 });
    expectSafeEnd(report);
  });

  it('refuses to start while monitoring is broken, changing nothing', async () => {
    const report = await simulateDeploy({
      environment: canonical,
      input: release(),
      prepare: (account) => {
        account.alarms.get('canonical-availability')!.baseState = 'INSUFFICIENT_DATA';
      },
    });

    expect(report.error).toBe('PreflightFailedError');
    expect(report.cause).toContain('INSUFFICIENT_DATA');
    expect(report.snapshot).toBeNull();
    for (const h of report.hosts) expect(h.version).toBe('1.0.0');
  });

  it('refuses to start while an alarm is already firing', async () => {
    const report = await simulateDeploy({
      environment: canonical,
      input: release(),
      prepare: (account) => {
        account.alarms.get('canonical-web-5xx')!.baseState = 'ALARM';
      },
    });

    expect(report.error).toBe('PreflightFailedError');
    expect(report.cause).toContain('canonical-web-5xx');
    expect(report.snapshot).toBeNull();
  });

  it('waits for approval and records the release once a person approves', async () => {
    const report = await simulateDeploy({ environment: canonical, input: release({ requireApproval: true }), faults: ['approval:approve'] });

    expect(report.status).toBe('SUCCEEDED');
    expect(report.notifications).toEqual(['Started', 'Approval Needed', 'Succeeded']);
    expect(report.recordedRelease).toBe('1.1.0');
  });

  it.each([
    ['approval:reject', 'ApprovalRejectedError'],
    ['approval:timeout', 'ApprovalTimeoutError'],
  ])('rolls back when %s', async (fault, error) => {
    const report = await simulateDeploy({ environment: canonical, input: release({ requireApproval: true }), faults: [fault] });

    expect(report.error).toBe(error);
    expect(report.validation.status).toBe('FAILED');
    expect(report.rolledBack).toBe(true);
    expect(report.recordedRelease).toBeNull();
    for (const h of report.hosts.filter((h) => h.tier !== 'database')) expect(h.version).toBe('1.0.0');
    expectSafeEnd(report);
  });

  it('rolls back every host that moved when a later batch fails', async () => {
    const report = await simulateDeploy({ environment: canonical, input: release(), faults: ['patch-fail:web-2'] });

    expect(report.error).toBe('PatchFailedError');
    expect(report.rolledBack).toBe(true);
    for (const h of report.hosts.filter((h) => h.tier !== 'database')) expect(h.version).toBe('1.0.0');
    // Expand-only: the migrated schema stays, and old code runs against it.
    expect(host(report, 'db-1').version).toBe('1.1.0');
    expectSafeEnd(report);
  });

  it('reverts the release without waiting on capacity when a batch rollback left its host out of service', async () => {
    // web-2's install fails and its batch rollback fails too: web-2 is back in its target
    // group, half-installed and unhealthy, and web-1 is the web tier's one host in service.
    const failedRollback = [1, 2, 3].map((n) => `error:Take Batch Out For Rollback@${n}`);
    const report = await simulateDeploy({ environment: canonical, input: release(), faults: ['patch-fail:web-2', ...failedRollback] });

    // The revert puts web-2 back first, then web-1 can go: the release is rolled back, and says so.
    expect(report.error).toBe('RollbackFailedError');
    expect(report.rolledBack).toBe(true);
    expect(report.cause).toContain('the release was rolled back');
    expect(versions(report, 'web')).toEqual({ 'web-1': '1.0.0', 'web-2': '1.0.0' });
    expectSafeEnd(report);
  });
});

describe('monitoring', () => {
  it('is released by the same machinery, never fully down, and leaves the application alone', async () => {
    const report = await simulateDeploy({ environment: canonical, input: release({ component: 'monitoring' }) });

    expect(report.status).toBe('SUCCEEDED');
    expect(versions(report, 'monitoring')).toEqual({ 'mon-1': '1.1.0', 'mon-2': '1.1.0' });
    expect(versions(report, 'web')).toEqual({ 'web-1': '1.0.0', 'web-2': '1.0.0' });
    expect(report.snapshot).toBeNull();
    expect(report.minHealthyRequired).toEqual({ monitoring: 1 });
    expect(report.minInService.monitoring).toBe(1);
    expect(report.recordedRelease).toBe('1.1.0');
    expectSafeEnd(report);
  });

  it('puts no secret value in execution input, output, payloads or history', async () => {
    const { events, childEvents, account, reports } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      executions: [{ input: release({ component: 'monitoring' }) }, { input: release(), startAfterSeconds: 3600 }],
    });

    expect(reports.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    // Every execution's history is scanned: the parents' and each child's (the installs run in the children).
    expect(childEvents.map((children) => children.length)).toEqual(reports.map((r) => r.childExecutions));
    expect(childEvents.every((children) => children.length > 0)).toBe(true);
    // The secrets exist and the documents resolved them on the hosts (a dangling reference fails the install).
    expect(account.secretValues.size).toBeGreaterThanOrEqual(2);
    const history = JSON.stringify(events) + JSON.stringify(childEvents) + JSON.stringify(account.notifications) + JSON.stringify(reports);
    expect(history).toContain('/canonical/monitoring/collector-api-key');
    for (const secret of account.secretValues) expect(history).not.toContain(secret);
  });
});

describe('one release per environment at a time', () => {
  it('fails a second execution at once with EnvironmentLockedError naming the holder, and frees the lock after', async () => {
    const { reports, events, childEvents, account } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      executions: [
        { input: release(), name: 'first' },
        { input: release({ release: '1.2.0' }), name: 'second', startAfterSeconds: 60 },
      ],
    });
    const [first, second] = reports;

    expect(first!.status).toBe('SUCCEEDED');
    expect(second!.status).toBe('FAILED');
    expect(second!.error).toBe('EnvironmentLockedError');
    expect(second!.cause).toContain(':first');
    expect(second!.makespanSeconds).toBe(0);
    // The second execution changed nothing. Planning (read-only) comes before the lock now;
    // past it, it never notified, checked, migrated or started a rollout segment.
    const secondStates = new Set(events[1]!.filter((e) => e.type === 'StateEntered').map((e) => e.state!.name));
    expect(secondStates.has('Plan Release')).toBe(true);
    expect(secondStates.has('Acquire Lock')).toBe(true);
    for (const state of ['Run Release', 'Notify Started', 'Preflight', 'Create Snapshot', 'Roll Tiers', 'Record Release']) {
      expect(secondStates.has(state), state).toBe(false);
    }
    expect(childEvents[1]).toEqual([]);
    expect(second!.childExecutions).toBe(0);
    expect(second!.notifications).toEqual([]);
    expect(versions(first!, 'web')).toEqual({ 'web-1': '1.1.0', 'web-2': '1.1.0' });
    expect(account.tables.get(LOCK_TABLE_NAME)!.size).toBe(0);
  });

  it('names the lock, not the fleet, when a second execution plans while a batch of the first is out of traffic', async () => {
    // Planning runs before the lock: 200 s in, mid-1 is out of its target group, installing.
    const { reports, childEvents, account } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      executions: [
        { input: release(), name: 'first' },
        { input: release({ release: '1.2.0' }), name: 'second', startAfterSeconds: 200 },
      ],
    });
    const [first, second] = reports;

    expect(first!.status).toBe('SUCCEEDED');
    expect(second!.error).toBe('EnvironmentLockedError');
    expect(second!.cause).toContain(':first');
    expect(childEvents[1]).toEqual([]);
    expect(versions(first!, 'middle')).toEqual({ 'mid-1': '1.1.0', 'mid-2': '1.1.0' });
    expectSafeEnd(first!);
    expect(account.tables.get(LOCK_TABLE_NAME)!.size).toBe(0);
  });

  it('lets the next release through once the first has ended', async () => {
    const { reports, account } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      executions: [
        { input: release(), name: 'first' },
        { input: release({ release: '1.2.0' }), name: 'second', startAfterSeconds: 1200 },
      ],
    });

    expect(reports.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(versions(reports[1]!, 'web')).toEqual({ 'web-1': '1.2.0', 'web-2': '1.2.0' });
    expect(reports[1]!.recordedRelease).toBe('1.2.0');
    expect(account.tables.get(LOCK_TABLE_NAME)!.size).toBe(0);
  });

  it('frees the lock when the release fails', async () => {
    const { reports, account } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      faults: ['migration-fail'],
      executions: [{ input: release() }],
    });

    expect(reports[0]!.error).toBe('MigrationFailedError');
    expect(account.tables.get(LOCK_TABLE_NAME)!.size).toBe(0);
  });

  it('never ends SUCCEEDED holding the lock: an unlock throttled past its retries fails the release, saying so', async () => {
    // DynamoDB throttles the first 30 DeleteItem calls on the lock table: more than Unlock's retries.
    // The release asked for is the one recorded: the run only takes the lock, records and unlocks.
    const { reports, account } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      faults: ['unlock-throttle:30'],
      executions: [{ input: release({ release: '1.0.0' }) }],
    });

    const report = reports[0]!;
    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('LockNotReleasedError');
    expect(report.cause).toContain('every step of this execution succeeded, but the lock of environment canonical could not be released');
    // True: the lock item still names this execution.
    expect([...account.tables.get(LOCK_TABLE_NAME)!.values()].map((item) => item.holder?.S)).toEqual([expect.stringContaining(report.executionName)]);
  });

  it('releases the lock once throttling clears within its retries', async () => {
    const { reports, account } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      faults: ['unlock-throttle:10'],
      executions: [{ input: release({ release: '1.0.0' }) }],
    });

    expect(reports[0]!.status).toBe('SUCCEEDED');
    expect(account.tables.get(LOCK_TABLE_NAME)!.size).toBe(0);
  });

  it.each([
    ['an aborted execution', 'ABORTED' as const],
    ['an execution that no longer exists', undefined],
  ])('takes over a lock held by %s', async (_, status) => {
    const stale = 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-deploy:crashed';
    const { reports, account } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      executions: [{ input: release() }],
      prepare: (a) => {
        a.tables.get(LOCK_TABLE_NAME)!.set('canonical', { environment: { S: 'canonical' }, holder: { S: stale } });
        if (status) a.executions.set(stale, status);
      },
    });

    expect(reports[0]!.status).toBe('SUCCEEDED');
    expect(account.tables.get(LOCK_TABLE_NAME)!.size).toBe(0);
  });
});
