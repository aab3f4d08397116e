/**
 * A pipelined surge (environments/surge.json: batch.maxSurge 2 on tiers of 2 hosts patched 1 at
 * a time, so two batches fit): the second batch's new host launches while the first batch's is
 * still being set up and installed, yet never more than maxSurge new hosts exist beyond the tier.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { checkSurgeLimit, watch, type Watch } from '../../../lib/simulator/campaign';
import { simulateExecutions } from '../../../lib/simulator/simulate';

const surge = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/surge.json', import.meta.url)));

describe('a pipelined surge release', () => {
  it("launches the next batch's new hosts before the current batch's old ones stop, within maxSurge", async () => {
    // Prepare
    const input = { release: '1.1.0' };
    const watched: Watch = { initialInService: new Map(), halfInstalledInTraffic: [] };

    // Act
    const { reports, account, childEvents } = await simulateExecutions({ environment: surge, input, executions: [{ input }], prepare: (a) => watch(a, watched, surge) });
    const report = reports[0]!;

    // Assess
    expect(report.status, `${report.error}: ${report.cause}`).toBe('SUCCEEDED');
    const hosts = [...account.hosts.values()];
    const at = (name: string) => hosts.find((h) => h.name === name)!;
    for (const [tier, prefix] of [['middle', 'mid'], ['web', 'web']] as const) {
      // Overlap: batch 2's new host ran before either old host had stopped (batch 1's stops only after its new host serves).
      const oldStopped = Math.min(at(`${prefix}-1`).leftRunningAt!, at(`${prefix}-2`).leftRunningAt!);
      expect(at(`${prefix}-4`).launchedAt, tier).toBeLessThan(oldStopped);
      // Two new hosts beyond the tier at once, which is the tier's maxSurge, and never more.
      expect(watched.surged?.get(tier), tier).toEqual({ limit: 2, most: 2, rolledBack: false });
    }
    expect(checkSurgeLimit(watched)).toEqual([]);
    expect(report.compute?.orphans).toEqual([]);
    expect(report.minInService).toEqual({ middle: 2, web: 2, monitoring: 2 });
    // Transitions per batch (issue 17), counted from each tier's child: the states a batch enters, from the step to it (Load
    // Batch, then Load Next Surge Batch) to its loop's Choice (More Surge Batches?).
    for (const child of childEvents[0]!) {
      const entered = child.filter((e) => e.type === 'StateEntered').map((e) => e.state!.name);
      const starts = entered.flatMap((name, i) => (name === 'Load Batch' || name === 'Load Next Surge Batch' ? [i] : []));
      expect(starts).toHaveLength(2);
      const [first, last] = [entered.slice(starts[0], starts[1]), entered.slice(starts[1], entered.lastIndexOf('More Surge Batches?') + 1)];
      // The first batch waits for its hosts to boot, launches the next batch's with its own (nothing of the tier is stopping:
      // no Launch Next Surge Hosts after its setup), and goes on while its old hosts stop.
      expect(first.length).toBeLessThanOrEqual(25);
      expect(first).not.toContain('Launch Next Surge Hosts');
      expect(first).not.toContain('Surge Check Retired');
      // The last batch's hosts were readied and set up in its first look; it waits for its old hosts to stop (the next tier launches at once).
      expect(last.length).toBeLessThanOrEqual(25);
      // (Launch Surge Hosts goes straight to its Wait, which for hosts launched a batch before is a pause of 0.)
      const lastWaits = child.filter((e) => e.type === 'StateEntered' && e.state!.name === 'Wait For Surge Hosts').slice(-1);
      expect(lastWaits.map((e) => (e.state!.input as { surgeSetUp: { waitSeconds: number } }).surgeSetUp.waitSeconds)).toEqual([0]);
      expect(last).toContain('Surge Check Retired');
      // Both tiers are behind target groups: the take-out counts the rest of the tier itself, and no Pass swaps the batch.
      for (const batch of [first, last]) expect(batch.filter((name) => name === 'Surge Check Retire Capacity' || name.endsWith('Old Batch'))).toEqual([]);
    }
  });

  it('the invariant fails a run whose surged hosts exceeded maxSurge', () => {
    const watched: Watch = { initialInService: new Map(), halfInstalledInTraffic: [], surged: new Map([['web', { limit: 2, most: 3, rolledBack: false }]]) };

    expect(checkSurgeLimit(watched)).toEqual([{ invariant: 'surge within maxSurge', detail: 'tier web: 3 surged hosts at once, maxSurge 2' }]);
  });
});
