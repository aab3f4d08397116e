/**
 * `simulate deploy --fault patch-fail:web-2 --report run.html` writes a page that Chromium
 * renders with the failed host's row and the rollback: in the DOM, and drawn (their colours
 * in the screenshot's pixels). A successful release's page is the control: the same check
 * finds neither there.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLOURS, rgb } from '../../../lib/report/colours';
import { dumpDom, longestRuns, screenshot } from './chromium';

const CLI = fileURLToPath(new URL('../../../bin/fleetflow.mjs', import.meta.url));
/** A batch's phase bar is wider than this; the legend's swatches are 12 pixels. */
const BAR_PIXELS = 20;
const dir = mkdtempSync(join(tmpdir(), 'fleetflow-report-'));

function simulate(file: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [CLI, 'simulate', 'deploy', ...args, '--report', file], { encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Pixel rows holding a bar of each colour: [failure and rollback in one row, rollback alone, failure anywhere]. */
function bars(file: string) {
  const png = screenshot(file, 1300, 1100);
  const failure = longestRuns(png, rgb(COLOURS.failure));
  const rollback = longestRuns(png, rgb(COLOURS.rollback));
  return {
    failedRowWithRollback: failure.filter((run, y) => run >= BAR_PIXELS && rollback[y]! >= BAR_PIXELS).length,
    rollbackOnly: rollback.filter((run, y) => run >= BAR_PIXELS && failure[y]! < BAR_PIXELS).length,
    failure: failure.filter((run) => run >= BAR_PIXELS).length,
  };
}

describe('the run report in headless Chromium', () => {
  const failed = join(dir, 'run.html');
  const succeeded = join(dir, 'ok.html');
  let failedRun: ReturnType<typeof simulate>;

  beforeAll(() => {
    failedRun = simulate(failed, '--fault', 'patch-fail:web-2');
    expect(simulate(succeeded).status).toBe(0);
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one self-contained page: no script, nothing to fetch', () => {
    expect(failedRun.status, failedRun.stderr).toBe(1);
    const html = readFileSync(failed, 'utf8');
    expect(html).not.toMatch(/<script|<link|<iframe|<img|\bsrc=|\bhref=|url\(|@import/i);
    // The only URL is the SVG namespace, an identifier that is never fetched.
    expect(html.match(/https?:\/\/[^"]+/g)?.filter((u) => u !== 'http://www.w3.org/2000/svg') ?? []).toEqual([]);
    expect(html).toContain("default-src 'none'");
  });

  it("has the failed host's row, its failure and the rollback in the DOM Chromium builds", () => {
    const dom = dumpDom(failed);

    // Batch rows (the workflow steps row above them is marked failed too: the roll out failed).
    const failedRows = [...dom.matchAll(/<g class="gantt-row (?:forward|rollback) failed"[^>]*data-hosts="([^"]*)"/g)].map((m) => m[1]);
    expect(failedRows).toEqual(['web-2']);
    expect(dom).toMatch(/<g class="gantt-row steps failed"/);
    // The failed batch's phase bar, in the failure colour, then its own rollback on the same row.
    const row = /<g class="gantt-row forward failed"[^>]*>(.*?)<\/g>/s.exec(dom)![1]!;
    expect(row).toMatch(new RegExp(`class="phase failed"[^>]*fill="${COLOURS.failure}"`));
    expect(row).toContain(`fill="${COLOURS.rollback}"`);
    // The rollback's own batches: web-1, then the middle tier, labelled as the rollback.
    const rollbackRows = [...dom.matchAll(/<g class="gantt-row rollback"[^>]*data-label="([^"]*)"/g)].map((m) => m[1]);
    expect(rollbackRows).toEqual(['web rollback 1/1: web-1', 'middle rollback 1/2: mid-1', 'middle rollback 2/2: mid-2']);
    // The step that failed, with its cause.
    expect(dom).toMatch(/<tr class="step level-0 failed"><td class="name">roll out<\/td>.*PatchFailedError: tier web: install failed on web-2/);
  }, 120_000);

  it("draws the failed host's row with its rollback, and the rollback's batches, in the screenshot", () => {
    const drawn = bars(failed);

    expect(drawn.failedRowWithRollback).toBeGreaterThan(0);
    expect(drawn.rollbackOnly).toBeGreaterThan(0);
  }, 120_000);

  it('draws neither a failure nor a rollback for a release that succeeded (the control)', () => {
    const drawn = bars(succeeded);

    expect(drawn).toEqual({ failedRowWithRollback: 0, rollbackOnly: 0, failure: 0 });
  }, 120_000);
});
