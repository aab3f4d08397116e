/**
 * A surge tier and its floor (batch.minHealthyPercent), on environments/surge.json with 3 hosts a
 * tier (floor 2 of 3):
 * - already below the floor before anything changes: refused by Plan Release before the lock
 *   (every batch's take-out would refuse it, after launching new hosts and migrating the database);
 * - exactly at the floor at the start, then a host lost: the forward take-out refuses, and the
 *   rollback gives back the surge's new host, leaving the tier its old hosts, instead of refusing
 *   on the floor and failing with both releases serving (RollbackFailedError).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEnvironmentFile } from '../../../lambdas/domain/environment/parse';
import { simulateExecutions } from '../../../lib/simulator/simulate';
import { host } from '../helpers';

const surge = loadEnvironmentFile(fileURLToPath(new URL('../../../environments/surge.json', import.meta.url)));

async function release(faults: string[]) {
  const input = { release: '1.1.0' };
  const { reports, events, account } = await simulateExecutions({ environment: surge, input, faults, hostsPerTier: 3, executions: [{ input }] });
  return { report: reports[0]!, entered: events[0]!.filter((e) => e.type === 'StateEntered').map((e) => e.state!.name), account };
}

describe('a surge tier below its floor before the release', () => {
  it('is refused by Plan Release before the lock, naming the count, the floor, the hosts and the way out; nothing changed', async () => {
    const { report, entered, account } = await release(['down:web-2', 'down:web-3']);

    expect(report.status).toBe('FAILED');
    expect(report.error).toBe('InsufficientCapacityError');
    expect(report.cause).toMatch(/^tier web: 1 of 3 host\(s\) healthy in surge-web, below the floor of 2 \(batch\.minHealthyPercent 50\) /);
    expect(report.cause).toContain('not serving: web-2 (unhealthy), web-3 (unhealthy);');
    expect(report.cause).toContain(`fleetflow start replace --env surge --input '{"targets":"unhealthy","tier":"web"}'`);
    expect(report.cause).toMatch(/; nothing was changed$/);
    expect(entered).not.toContain('Acquire Lock');
    expect(report.rolledBack).toBe(false);
    // Nothing launched, stopped or migrated: only the seeded hosts, all running, the schema as it was.
    expect([...account.hosts.values()].every((h) => h.state === 'running' && /^(mid|web|mon)-[123]$/.test(h.name))).toBe(true);
    expect([...account.databases.values()].map((db) => db.schemaRelease)).toEqual(['1.0.0']);
  });
});

describe('a surge tier exactly at its floor at the start, then a host lost', () => {
  it('rolls back: the new web host leaves once the old hosts hold what they hold, every tier back on 1.0.0', async () => {
    // web-3 down from the start (2 of 3 serving = the floor); web-2 stops at 60 s, during the middle tier's batches.
    const { report, account } = await release(['down:web-3', 'stop:web-2@60']);

    expect(report.error).toBe('InsufficientCapacityError');
    expect(report.cause).toContain('tier web: taking out web-1');
    expect(report.rolledBack).toBe(true);
    expect(host(report, 'web-1').inService && host(report, 'web-1').version === '1.0.0').toBe(true);
    for (const name of ['mid-1', 'mid-2', 'mid-3']) expect(host(report, name).inService && host(report, name).version === '1.0.0', name).toBe(true);
    // The surge's new hosts (mid-4..6, web-4, and web-5 launched ahead for the next batch) are all gone.
    expect([...report.compute!.terminated].sort()).toEqual(['mid-4', 'mid-5', 'mid-6', 'web-4', 'web-5']);
    expect([...account.hosts.values()].filter((h) => h.state === 'running' && h.tier === 'web').map((h) => h.name).sort()).toEqual(['web-1', 'web-3']);
    expect(report.compute?.orphans).toEqual([]);
    // Never below what the old hosts held: web-1 served throughout.
    expect(report.minInService.web).toBe(1);
  });
});

describe('a surge tier that loses an old host during the rollback', () => {
  it('still gives back the new web host: the take-out counts the old hosts restored, read then, not those serving when the rollback was planned', async () => {
    // The second new web host's install fails (rollback at 17:28); web-3, serving when the rollback was
    // planned, is terminated at 18:00, while web-1 is restored and before web-4 leaves (19:13).
    const { report, account } = await release(['patch-fail:web-5', 'terminate:web-3@1080']);

    expect(report.error).toBe('PatchFailedError');
    expect(report.rolledBack).toBe(true);
    for (const name of ['web-1', 'web-2']) expect(host(report, name).inService && host(report, name).version === '1.0.0', name).toBe(true);
    // No new host left serving 1.1.0 beside them: the web tier runs its old hosts only.
    expect([...account.hosts.values()].filter((h) => h.state === 'running' && h.tier === 'web').map((h) => h.name).sort()).toEqual(['web-1', 'web-2']);
    expect(report.compute?.orphans).toEqual([]);
    // web-1 was back in service before web-4 left: never fewer than the two old hosts left.
    expect(report.minInService.web).toBe(2);
  });
});
