/**
 * Rehearsal on a copy of one's own fleet (issue 16, part 6): `capture` from a mocked account,
 * then a release simulated on the captured fleet (what `simulate deploy --fleet` runs). The
 * account the team runs is not the simulator's generated one: hosts named by the team, a tag
 * of its own, target groups with their own health checks and deregistration delays. The
 * run must meet exactly that fleet, and the workflow's own planning must read those delays.
 *
 * One simulation: the canonical stack's template comes from the template cache.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadEnvironmentFile } from '../../lambdas/domain/environment/parse';
import { captureFleet } from '../../lib/capture/capture';
import { simulateExecutions } from '../../lib/simulator/simulate';
import { CAPTURED_AT, HOSTS, mockedAccount, TARGET_GROUPS } from './capture-account';

const canonical = loadEnvironmentFile(fileURLToPath(new URL('../../environments/canonical.json', import.meta.url)));

/** The tiers a Plan Release task's output planned, by name: what the workflow read of the account. */
function plannedTraffic(events: ReadonlyArray<{ type: string; state?: { name: string; output?: unknown } }>): Record<string, { deregistrationDelaySeconds?: number }> {
  const planned = events.find((e) => e.type === 'StateExited' && e.state?.name === 'Plan Release')?.state?.output as
    | { plan?: { tiers?: Array<{ spec?: { name: string; traffic?: { deregistrationDelaySeconds?: number } } }> } }
    | undefined;
  return Object.fromEntries((planned?.plan?.tiers ?? []).map((t) => [t.spec!.name, t.spec!.traffic ?? {}]));
}

describe('a release rehearsed on a captured fleet', () => {
  it('meets the captured hosts, tags, target groups and deregistration delays', async () => {
    // Prepare: the team's account, one delay changed since the last capture.
    const account = mockedAccount();
    account.delays.set('canonical-web', 30);
    const fleet = await captureFleet({ environment: canonical, clients: account.clients, now: () => CAPTURED_AT });
    const input = { release: '1.1.0' };

    // Act
    const { reports, events, account: simulated } = await simulateExecutions({ environment: canonical, input, workflow: 'deploy', fleet, executions: [{ input }] });

    // Assess: the release ran on the team's hosts, by their IDs and names, and released the application tiers.
    const [report] = reports;
    expect(report!.status).toBe('SUCCEEDED');
    // The run starts at the capture's instant: the captured times are the simulation's.
    expect(report!.executionName).toBe('sim-1-2026-12-07T10-00-00-000Z');
    expect(new Date(simulated.hosts.get(HOSTS.web![0]![0])!.launchedAt).toISOString()).toBe('2026-11-20T08:00:00.000Z');
    expect(report!.hosts.filter((h) => h.tier !== 'database').map((h) => [h.tier, h.id, h.name, h.version])).toEqual(
      Object.entries(HOSTS).flatMap(([tier, hosts]) => hosts.map(([id, name]) => [tier, id, name, tier === 'monitoring' ? '1.0.0' : '1.1.0'])),
    );
    // Every captured tag is still there (the team's own included); the release tag records the new release.
    const storefrontB = simulated.hosts.get(HOSTS.web![1]![0])!;
    expect(Object.fromEntries(storefrontB.tags)).toMatchObject({ ...fleet.tiers[1]!.hosts[1]!.tags, 'fleetflow:release': '1.1.0', 'cost-centre': 'shop-42' });
    // The target groups are the captured ones: names, ports, health checks, delays; each host registered again.
    expect([...simulated.targetGroups.values()].map((g) => [g.name, g.port, g.intervalSeconds, g.healthyThreshold, g.unhealthyThreshold, g.deregistrationDelaySeconds])).toEqual([
      ['canonical-middle', ...TARGET_GROUPS.middle!.slice(1)],
      ['canonical-web', 80, 15, 2, 4, 30],
    ]);
    for (const group of simulated.targetGroups.values()) expect([...group.targets.values()].every((t) => t.deregisteredAt === undefined)).toBe(true);
    // Plan Release read the delays from the account (DescribeTargetGroupAttributes): the captured ones, not ELB's default 300.
    const traffic = plannedTraffic(events[0]!);
    expect(traffic.web?.deregistrationDelaySeconds).toBe(30);
    expect(traffic.middle?.deregistrationDelaySeconds).toBe(120);
  });
});
