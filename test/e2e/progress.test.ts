/**
 * Progress lines say what happens (issue 16): a rollback's lines name the release they put
 * back and are labelled as the rollback; a milestone line appears only when its step did
 * something; new hosts by name; long host lists collapsed and no line over 200 characters at
 * 1,500 hosts per tier; the plan line gives the lower bound and the earliest end. And
 * `--json`'s timeline is there and bounded.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fleetflowInProcess } from './cli-in-process';
import { formatElapsed, MAX_LINE_CHARS } from '../../lib/simulator/progress';
import { MAX_CAPACITY_POINTS } from '../../lib/simulator/timeline';
import { SIMULATION_EPOCH } from '../../lib/simulator/simulate';
import { formatHumanSummary } from '../../lib/cli/summary';

const env = (name: string) => fileURLToPath(new URL(`../../environments/${name}.json`, import.meta.url));

/** --json: the progress lines (stderr) and the report (stdout). */
async function simulateJson(...args: string[]) {
  const run = await fleetflowInProcess('simulate', ...args, '--json');
  return { ...run, lines: run.stderr.split('\n').filter(Boolean), report: JSON.parse(run.stdout) };
}
type Run = Awaited<ReturnType<typeof simulateJson>>;

describe('progress of a release that fails and is rolled back (patch-fail:web-2)', () => {
  let run: Run;
  let rollbackAt: number;
  beforeAll(async () => {
    run = await simulateJson('deploy', '--fault', 'patch-fail:web-2');
    rollbackAt = run.lines.findIndex((l) => l.includes('ROLLING BACK the release after PatchFailedError'));
  }, 120_000);

  it('labels the revert batches as the rollback, each line naming the release it reinstalls', () => {
    expect(run.status).toBe(1);
    expect(rollbackAt).toBeGreaterThan(0);
    const after = run.lines.slice(rollbackAt + 1);
    expect(after.some((l) => /installing 1\.1\.0/.test(l)), 'no line after the rollback starts installs the failed release').toBe(false);
    expect(after).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\] web rollback 1\/1: reinstalling 1\.0\.0 on web-1$/),
        expect.stringMatching(/\] web rollback 1\/1: 1\.0\.0 reinstalled on web-1$/),
        expect.stringMatching(/\] middle rollback 2\/2: reinstalling 1\.0\.0 on mid-2$/),
      ]),
    );
    // The revert's batches are not numbered like the release's: "web batch 1/1" would read as a forward batch.
    expect(after.filter((l) => /\] \w+ batch \d+\/\d+:/.test(l))).toEqual([]);
  });

  it("labels the failed batch's own rollback and what it reinstalls", () => {
    expect(run.lines).toEqual(expect.arrayContaining([expect.stringMatching(/\] web batch 2\/2: rollback: reinstalling 1\.0\.0 on web-2$/), expect.stringMatching(/\] web batch 2\/2: rollback: web-2 healthy on 1\.0\.0$/)]));
  });

  it('gives the lower bound and the earliest end on the plan line', () => {
    const plan = run.lines.find((l) => l.includes('planned 1.1.0'));
    const bound = run.report.lowerBoundSeconds as number;
    const end = new Date(SIMULATION_EPOCH + bound * 1000).toISOString().slice(11, 19);
    expect(bound).toBeGreaterThan(0);
    expect(plan).toContain(`expected ${formatElapsed(bound * 1000)} or more, ending ${end} UTC or later`);
  });

  it("reports the timeline: the failed batch's install and rollback, the revert batches, in service at each change", () => {
    const { phases, inService, steps } = run.report.timeline;
    const web2 = phases.filter((p: { tier: string; batch: number; revert: boolean }) => p.tier === 'web' && p.batch === 2 && !p.revert);
    expect(web2.map((p: { phase: string; direction: string }) => `${p.direction} ${p.phase}`)).toEqual(['forward out of traffic', 'forward install', 'rollback out of traffic', 'rollback reinstall', 'rollback back to traffic']);
    expect(web2[1].failure).toEqual({ error: 'PatchFailedError', cause: expect.stringContaining('install failed on web-2') });
    expect(phases.filter((p: { revert: boolean }) => p.revert).map((p: { tier: string; hostNames: string }) => `${p.tier} ${p.hostNames}`)).toEqual(expect.arrayContaining(['web web-1', 'middle mid-1', 'middle mid-2']));
    for (const p of phases) expect(p.end).toBeGreaterThanOrEqual(p.start);
    expect(steps.find((s: { failure?: unknown }) => s.failure)?.name).toBe('roll out');
    for (const series of inService) {
      const lowest = Math.min(...series.points.map(([, n]: [number, number]) => n));
      expect(lowest, series.tier).toBe(run.report.minInService[series.tier]);
    }
    // web: 2 in service, 1 while web-1 then web-2 are out (the failed batch starts right as web-1 returns), 2 after the rollback.
    expect(inService.find((s: { tier: string }) => s.tier === 'web').points.map(([, n]: [number, number]) => n)).toEqual([2, 1, 2]);
  });
});

describe('milestone lines only when the step did something', () => {
  it('says nothing of surged hosts after a release without a surge tier, and says it after a surge release', async () => {
    const plain = await fleetflowInProcess('simulate', 'deploy');
    const surge = await fleetflowInProcess('simulate', 'deploy', '--env', env('surge'));

    expect(plain.status).toBe(0);
    expect(plain.stdout).not.toContain('surge kept stopped');
    expect(surge.status, surge.stderr).toBe(0);
    expect(surge.stdout).toContain('terminating the old hosts the surge kept stopped');
  });

  it('says the old database is kept only when it still exists (restore-data), not when it was lost (recover)', async () => {
    const restore = await simulateJson('restore-data', '--source', 'latest');
    const recover = await simulateJson('recover');

    expect(restore.report.oldDatabase).toMatchObject({ identifier: 'canonical-db', status: 'available' });
    expect(restore.lines.some((l) => l.endsWith('canonical-db is kept, tagged as replaced'))).toBe(true);
    expect(recover.status).toBe(0);
    expect(recover.report.oldDatabase).toBeNull();
    expect(recover.lines.some((l) => l.includes('tagged as replaced'))).toBe(false);
    expect(recover.lines.some((l) => l.includes('the instance it replaces, canonical-db, no longer exists'))).toBe(true);
    // The restored database is checked from a host recover just launched: named, not by its instance ID.
    expect(recover.lines.some((l) => /available; checking it from mid-1$/.test(l))).toBe(true);
    expect(recover.lines.filter((l) => /\bi-[0-9a-f]{8,}/.test(l))).toEqual([]);
  }, 120_000);

  it('names new hosts by name, never by instance ID', async () => {
    const allocate = await simulateJson('allocate');

    expect(allocate.status).toBe(0);
    expect(allocate.lines.some((l) => l.includes('setting up new hosts web-1, web-2'))).toBe(true);
    expect(allocate.lines.filter((l) => /\bi-[0-9a-f]{8,}/.test(l))).toEqual([]);
  });
});

describe('progress at 1,500 hosts per tier (waves, a failure in the third web wave)', () => {
  // One run (the progress lines on stderr, the report on stdout), read three ways.
  let run: Run;
  beforeAll(async () => {
    run = await simulateJson('deploy', '--env', env('waves'), '--hosts', '1500', '--fault', 'patch-fail:web-300');
  }, 300_000);

  it('collapses host lists and keeps every progress line within 200 characters', () => {
    expect(run.status).toBe(1);
    expect(run.lines.filter((l) => [...l].length > MAX_LINE_CHARS)).toEqual([]);
    expect(run.lines).toEqual(expect.arrayContaining([expect.stringMatching(/\] web batch 3\/6: installing 1\.1\.0 on 375 hosts: web-152 … web-526$/)]));
  });

  it('keeps the summary short: 4,501 hosts (and the database) in a handful of rows, lines within 200 characters, the outcome last', () => {
    // The summary the CLI prints without --json, of this run's report.
    const lines = formatHumanSummary({ ...run.report, realTimeMs: 0 }).split('\n');

    expect(lines.length).toBeLessThan(200);
    expect(lines.filter((l) => [...l].length > MAX_LINE_CHARS)).toEqual([]);
    expect(lines.filter(Boolean).at(-2)).toBe('Release 1.1.0 on waves: FAILED');
  });

  it('bounds the timeline: at most 500 in-service points per tier, the lowest count kept', () => {
    const { inService, bounds } = run.report.timeline;

    expect(bounds.maxPointsPerTier).toBe(MAX_CAPACITY_POINTS);
    for (const series of inService) {
      expect(series.points.length, series.tier).toBeLessThanOrEqual(MAX_CAPACITY_POINTS);
      expect(Math.min(...series.points.map(([, n]: [number, number]) => n)), series.tier).toBe(run.report.minInService[series.tier]);
    }
  });
});
