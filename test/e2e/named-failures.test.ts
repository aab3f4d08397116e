/**
 * End-to-end: every failure named, and a lock that cannot jam (issue 7, classes 3 and 5).
 *
 * Class 3: a one-off exception in a task (`--fault error:STATE[@N]`, the Nth invocation of
 * that task's handler throws a TypeError), an exception that retries do not clear, and a
 * throttling window longer than the retry budget each end in success after a retry or in a
 * FleetFlow error naming the original error and the batch's hosts (the state that failed is
 * in the execution history), with every host in traffic. A release whose bake passed is never left unrecorded without saying so.
 *
 * Class 5: a lock item FleetFlow could not have written is taken over when this execution is
 * the one release of the environment running, and otherwise fails LockCorruptError, changing
 * nothing, naming the item to delete. Before, every later execution failed with States.Runtime.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failedStates } from '../../lib/simulator/campaign';
import { LOCK_TABLE_NAME } from '../../lib/simulator/fleet';
import { simulateDeploy, simulateExecutions, type SimulationReport } from '../../lib/simulator/simulate';
import { isFleetFlowError } from '../../statemachines/constructs/failures';
import { canonical, expectSafeEnd, versions } from './helpers';

const release = { release: '1.1.0' };
const HOSTS = { 'mid-1': '1.0.0', 'mid-2': '1.0.0', 'web-1': '1.0.0', 'web-2': '1.0.0' };
const RELEASED = { 'mid-1': '1.1.0', 'mid-2': '1.1.0', 'web-1': '1.1.0', 'web-2': '1.1.0' };
/** The three invocations Step Functions makes of an idempotent task before it gives up (the first and two retries). */
const always = (state: string) => [1, 2, 3].map((n) => `error:${state}@${n}`);

function applicationVersions(report: SimulationReport) {
  return { ...versions(report, 'middle'), ...versions(report, 'web') };
}

/** What every run must end with: a FleetFlow name when it fails, every host in traffic, none half-installed. */
function expectNamedAndSafe(report: SimulationReport) {
  if (report.status !== 'SUCCEEDED') expect(isFleetFlowError(report.error), `${report.error} is not a FleetFlow error`).toBe(true);
  expectSafeEnd(report);
}

describe('every failure named', () => {
  it('retries a one-off TypeError in Check Install (idempotent) and completes the release', async () => {
    const report = await simulateDeploy({ environment: canonical, input: release, faults: ['error:Check Install@1'] });

    expect(report.status).toBe('SUCCEEDED');
    expect(applicationVersions(report)).toEqual(RELEASED);
    expect(report.recordedRelease).toBe('1.1.0');
    expectNamedAndSafe(report);
  });

  it('names a TypeError in Check Install that retries do not clear: the error, the tier and the batch, the state in the history, then rolls the release back', async () => {
    const { reports, events, childEvents } = await simulateExecutions({ environment: canonical, input: undefined, faults: always('Check Install'), executions: [{ input: release }] });
    const [report] = reports as [SimulationReport];

    // Before: the execution failed with TypeError itself, naming no host.
    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('UnexpectedTaskError');
    expect(report.cause).toContain('a state failed unexpectedly with TypeError on tier middle (mid-1 (i-');
    expect(report.cause).toContain("the failed state and the original cause are in the history of the tier's rollout execution");
    expect(failedStates(events[0]!, childEvents[0])).toContainEqual({ state: 'Check Install', error: 'TypeError' });
    expect(report.cause).toContain('the release was rolled back');
    expect(report.rolledBack).toBe(true);
    expect(applicationVersions(report)).toEqual(HOSTS);
    expect(report.recordedRelease).toBeNull();
    expectNamedAndSafe(report);
  });

  it('retries a one-off TypeError in Record Release (idempotent): the release is recorded', async () => {
    const report = await simulateDeploy({ environment: canonical, input: release, faults: ['error:Record Release@1'] });

    expect(report.status).toBe('SUCCEEDED');
    expect(report.recordedRelease).toBe('1.1.0');
    expectNamedAndSafe(report);
  });

  it('fails ReleaseNotRecordedError when Record Release keeps failing after a passed bake, saying truly where the environment is', async () => {
    const { reports, account } = await simulateExecutions({ environment: canonical, input: undefined, faults: always('Record Release'), executions: [{ input: release }] });
    const [report] = reports as [SimulationReport];

    // Before: TypeError, with nothing recorded, nothing rolled back and nothing said.
    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('ReleaseNotRecordedError');
    expect(report.cause).toContain('release 1.1.0 of canonical is on every host of its tiers and nothing failed but its record');
    expect(report.cause).toContain('Record Release failed with TypeError after retries');
    expect(report.cause).toContain('/fleetflow/canonical/application/current may still name the release before it');
    expect(report.cause).toContain('Every host is in traffic and none was rolled back; start the release again to record it');
    // And that is the truth: every host runs the release, in traffic; the record is unchanged; nothing was rolled back.
    expect(report.validation).toEqual({ status: 'PASSED' });
    expect(report.rolledBack).toBe(false);
    expect(applicationVersions(report)).toEqual(RELEASED);
    expect(report.recordedRelease).toBeNull();
    expect(report.notifications).toEqual(['Started', 'Failed']);
    expect(account.tables.get(LOCK_TABLE_NAME)!.size).toBe(0);
    expectNamedAndSafe(report);
  });

  it('records that release when it is started again, without moving a host', async () => {
    // Invocations 1-3 of Record Release fail (the first execution); the second execution's is the 4th.
    const { reports } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      faults: always('Record Release'),
      executions: [
        { input: release, name: 'first' },
        { input: release, name: 'again', startAfterSeconds: 1500 },
      ],
    });
    const [first, again] = reports as [SimulationReport, SimulationReport];

    expect(first.error).toBe('ReleaseNotRecordedError');
    expect(again.status).toBe('SUCCEEDED');
    expect(again.recordedRelease).toBe('1.1.0');
    expect(again.childExecutions, 'no host needed to move').toBe(0);
    expect(applicationVersions(again)).toEqual(RELEASED);
    expectNamedAndSafe(again);
  });

  it('retries a one-off TypeError in Plan Rollback (idempotent): the failed release is still rolled back, with its own error', async () => {
    const report = await simulateDeploy({ environment: canonical, input: release, faults: ['patch-fail:web-2', 'error:Plan Rollback@1'] });

    // Before: TypeError, with the hosts that had moved left on the new release.
    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('PatchFailedError');
    expect(report.rolledBack).toBe(true);
    expect(applicationVersions(report)).toEqual(HOSTS);
    expectNamedAndSafe(report);
  });

  describe('a throttling window longer than the retry budget', () => {
    // Full jitter draws each retry's pause at random: fixed here so that the run is the same every time.
    beforeEach(() => {
      vi.spyOn(Math, 'random').mockReturnValue(0.5);
    });
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it.each([
      // SSM throttled for 150 s from just after mid-1's install was sent, then ELB for 100 s while mid-1
      // should become healthy: both inside their phase's deadline, so the polls look again and the release goes on.
      ['ssm', 'throttle:ssm@200+150'],
      ['elbv2', 'throttle:elbv2@250+100'],
    ])('on %s mid-batch, shorter than the phase deadline, is ridden out by the read-only polls and the release succeeds', async (_, fault) => {
      const report = await simulateDeploy({ environment: canonical, input: release, faults: [fault] });

      expect(report.status).toBe('SUCCEEDED');
      // At least two looks throttled through all of the SDK's three attempts: the window outlasts one look's retries.
      // (A throttled watch pauses for the rest of its minute, so a 100 s window throttles two looks, not more.)
      expect(report.throttledCalls).toBeGreaterThanOrEqual(6);
      expect(applicationVersions(report)).toEqual(RELEASED);
      expectNamedAndSafe(report);
    });

    it.each([
      // SSM throttled for 1,000 s from just after mid-1's install was sent, past the install's 900 s timeout:
      // Check Install gives up at its deadline and exhausts its retries.
      ['ssm', 'throttle:ssm@200+1000', 'Check Install', 'ThrottlingException'],
      // Elastic Load Balancing throttled for 400 s while mid-1 should become healthy, past the 300 s health timeout.
      ['elbv2', 'throttle:elbv2@250+400', 'Check Health', 'Throttling'],
    ])('on %s mid-batch past the phase deadline ends in UnexpectedTaskError naming the throttling error and the batch, the state in the history, rolled back, every host in traffic', async (_, fault, state, error) => {
      const { reports, events, childEvents } = await simulateExecutions({ environment: canonical, input: undefined, faults: [fault], executions: [{ input: release }] });
      const [report] = reports as [SimulationReport];
      const cause = `a state failed unexpectedly with ${error} on tier middle (mid-1 (i-`;
      expect(failedStates(events[0]!, childEvents[0])).toContainEqual({ state, error });

      // Before: the raw ThrottlingException / Throttling, naming no host.
      expect(report.status).toBe('FAILED');
      expect(report.error).toBe('UnexpectedTaskError');
      expect(report.cause).toContain(cause);
      expect(report.throttledCalls).toBeGreaterThan(6);
      expect(report.rolledBack).toBe(true);
      expect(applicationVersions(report)).toEqual(HOSTS);
      expectNamedAndSafe(report);
    });

    it('on EC2 while the release is planned ends in UnexpectedTaskError naming RequestLimitExceeded, nothing changed', async () => {
      const report = await simulateDeploy({ environment: canonical, input: release, faults: ['throttle:ec2@0+600'] });

      expect(report.status).toBe('FAILED');
      expect(report.error).toBe('UnexpectedTaskError');
      expect(report.cause).toBe('a state failed unexpectedly with RequestLimitExceeded; nothing was changed; the failed state and the original cause are in the execution history');
      expect(report.childExecutions).toBe(0);
      expect(applicationVersions(report)).toEqual(HOSTS);
      expectNamedAndSafe(report);
    });
  });
});

describe('a lock that cannot jam', () => {
  const ours = 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-deploy';
  const seeded = (item: Record<string, unknown>) => ({ environment: { S: 'canonical' }, ...item }) as Record<string, Record<string, string>>;

  it.each([
    ['no holder', {}, 'Take Over Malformed Lock'],
    ['a holder that is a number', { holder: { N: '42' } }, 'Take Over Malformed Lock'],
    ['a holder that is a list', { holder: { L: [] } }, 'Take Over Malformed Lock'],
    ['a holder that is not an ARN', { holder: { S: 'bob' } }, 'Take Over Lock'],
    ['a holder that is an empty string', { holder: { S: '' } }, 'Take Over Lock'],
    ["another environment's release", { holder: { S: 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-staging-deploy:x' } }, 'Take Over Lock'],
    ["this environment's rollout workflow", { holder: { S: 'arn:aws:states:us-east-1:123456789012:execution:fleetflow-canonical-rollout:x' } }, 'Take Over Lock'],
  ])('takes over a lock item with %s when no other release runs, and releases', async (_, item, takeover) => {
    const { reports, events, account } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      executions: [{ input: release }],
      prepare: (a) => void a.tables.get(LOCK_TABLE_NAME)!.set('canonical', seeded(item)),
    });
    const [report] = reports as [SimulationReport];
    const entered = new Set(events[0]!.filter((e) => e.type === 'StateEntered').map((e) => e.state!.name));

    // Before: States.Runtime at Describe Lock Holder (or a raw Sfn error), for this execution and every later one.
    expect(report.status).toBe('SUCCEEDED');
    expect(entered.has('List Running Releases')).toBe(true);
    expect(entered.has(takeover)).toBe(true);
    expect(entered.has('Describe Lock Holder')).toBe(false);
    expect(report.recordedRelease).toBe('1.1.0');
    expect(account.tables.get(LOCK_TABLE_NAME)!.size).toBe(0);
    expectNamedAndSafe(report);
  });

  it('fails LockCorruptError, changing nothing, when another release of the environment is running, and names the item to delete', async () => {
    const item = seeded({ holder: { N: '42' } });
    const { reports, childEvents, account } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      executions: [{ input: release }],
      prepare: (a) => {
        a.tables.get(LOCK_TABLE_NAME)!.set('canonical', structuredClone(item));
        // A release whose lock item someone overwrote: still running.
        a.executions.set(`${ours}:overwritten`, 'RUNNING');
      },
    });
    const [report] = reports as [SimulationReport];

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('LockCorruptError');
    expect(report.cause).toContain('the lock of environment canonical is an item FleetFlow did not write');
    expect(report.cause).toContain('nothing was changed');
    expect(report.cause).toContain(`delete the item with key environment = canonical from the DynamoDB table ${LOCK_TABLE_NAME}`);
    // Nothing changed: no host, no lock, no notification, no rollout.
    expect(account.tables.get(LOCK_TABLE_NAME)!.get('canonical')).toEqual(item);
    expect(childEvents[0]).toEqual([]);
    expect(report.notifications).toEqual([]);
    expect(applicationVersions(report)).toEqual(HOSTS);
    expectNamedAndSafe(report);
  });

  it('lets neither of two releases racing for a malformed lock take it over, and both say so', async () => {
    const { reports, account } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      executions: [
        { input: release, name: 'one' },
        { input: release, name: 'two' },
      ],
      prepare: (a) => void a.tables.get(LOCK_TABLE_NAME)!.set('canonical', seeded({})),
    });

    expect(reports.map((r) => r.error)).toEqual(['LockCorruptError', 'LockCorruptError']);
    expect(account.tables.get(LOCK_TABLE_NAME)!.get('canonical')).toEqual(seeded({}));
    for (const report of reports) expect(applicationVersions(report)).toEqual(HOSTS);
  });

  it('still takes over the lock of a stopped release, and still refuses a running holder (EnvironmentLockedError)', async () => {
    const { reports } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      executions: [
        { input: release, name: 'stale' },
        { input: release, name: 'running' },
      ],
      prepare: (a) => {
        a.tables.get(LOCK_TABLE_NAME)!.set('canonical', seeded({ holder: { S: `${ours}:crashed` } }));
        a.executions.set(`${ours}:crashed`, 'ABORTED');
      },
    });
    const [first, second] = reports as [SimulationReport, SimulationReport];

    // Both plan at once; one takes the stale lock over and runs, the other finds it held by a running release.
    expect([first.status, second.status].sort()).toEqual(['FAILED', 'SUCCEEDED']);
    expect([first.error, second.error].filter(Boolean)).toEqual(['EnvironmentLockedError']);
  });
});
