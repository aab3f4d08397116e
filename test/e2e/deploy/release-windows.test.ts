/**
 * End-to-end: a release started by an EventBridge Scheduler release window, with the
 * exact input the stack's schedule sends.
 */
import { describe, expect, it } from 'vitest';
import { releaseWindowInput } from '../../../lambdas/domain/release-windows';
import { queueRelease } from '../../../lib/simulator/fleet';
import { simulateDeploy, simulateExecutions } from '../../../lib/simulator/simulate';
import { canonical, expectSafeEnd, versions } from '../helpers';

const tuesday = canonical.releaseWindows.find((w) => w.name === 'tuesday-0300')!;

describe('a release window', () => {
  it('releases what the pipeline queued for it', async () => {
    const report = await simulateDeploy({
      environment: canonical,
      input: releaseWindowInput(tuesday),
      prepare: (account) => queueRelease(account, 'canonical', 'application', '1.4.0'),
    });

    expect(report.status).toBe('SUCCEEDED');
    expect(report.release).toBe('1.4.0');
    expect(versions(report, 'web')).toEqual({ 'web-1': '1.4.0', 'web-2': '1.4.0' });
    expect(report.recordedRelease).toBe('1.4.0');
    expectSafeEnd(report);
  });

  it('names the queued release in its notifications, although its input only says "next"', async () => {
    const { account } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      executions: [{ input: releaseWindowInput(tuesday) }],
      prepare: (a) => queueRelease(a, 'canonical', 'application', '1.4.0'),
    });
    const byEvent = Object.fromEntries(account.notifications.map((n) => [n.detail.event, n.detail]));

    expect(byEvent.Started).toMatchObject({ release: '1.4.0', input: { releaseFrom: 'next' } });
    expect(byEvent.Succeeded).toMatchObject({ release: '1.4.0' });
  });

  it('refuses to start when nothing is queued, changing nothing', async () => {
    const report = await simulateDeploy({ environment: canonical, input: releaseWindowInput(tuesday) });

    expect(report.error).toBe('InvalidInputError');
    expect(report.cause).toContain('/fleetflow/canonical/application/next');
    expect(report.snapshot).toBeNull();
    for (const h of report.hosts) expect(h.version).toBe('1.0.0');
  });

  it('does nothing when the queued release already runs everywhere', async () => {
    const { reports, events, childEvents } = await simulateExecutions({
      environment: canonical,
      input: undefined,
      executions: [
        { input: { release: '1.1.0' }, name: 'manual' },
        { input: releaseWindowInput(tuesday), name: 'window', startAfterSeconds: 3600 },
      ],
      prepare: (account) => queueRelease(account, 'canonical', 'application', '1.1.0'),
    });
    const window = reports[1]!;
    const windowStates = new Set(events[1]!.filter((e) => e.type === 'StateEntered').map((e) => e.state!.name));

    expect(window.status).toBe('SUCCEEDED');
    expect(window.snapshot).toBeNull();
    // Batches run in rollout segments (child executions): the window started none.
    expect(childEvents[0]!.length).toBeGreaterThan(0);
    expect(childEvents[1]).toEqual([]);
    expect(window.childExecutions).toBe(0);
    expect(windowStates.has('Roll Tiers')).toBe(false);
    expect(windowStates.has('Create Snapshot')).toBe(false);
    expect(window.recordedRelease).toBe('1.1.0');
  });
});
