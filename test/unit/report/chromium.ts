/**
 * Renders a page in Debian's headless Chromium: its DOM as the browser built it
 * (--dump-dom) and a screenshot (--screenshot), each in a fresh profile directory.
 * A missing Chromium fails the test that asked, saying how to install it: the report's
 * check in a real browser is never skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';

export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function chromium(args: string[]): string {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: the report test renders the page in it. Install Debian's package: sudo apt-get install chromium`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'fleetflow-chromium-'));
  try {
    const run = spawnSync(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 });
    if (run.status !== 0) throw new Error(`chromium exited ${run.status}: ${run.stderr.slice(-2000)}`);
    return run.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

export function dumpDom(file: string): string {
  return chromium(['--dump-dom', pathToFileURL(file).href]);
}

export function screenshot(file: string, width: number, height: number): PNG {
  const dir = mkdtempSync(join(tmpdir(), 'fleetflow-shot-'));
  try {
    const png = join(dir, 'page.png');
    chromium([`--screenshot=${png}`, `--window-size=${width},${height}`, pathToFileURL(file).href]);
    return PNG.sync.read(readFileSync(png));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per pixel row, the longest run of exactly this colour (anti-aliased edges do not count). */
export function longestRuns(png: PNG, [r, g, b]: readonly [number, number, number]): number[] {
  const runs: number[] = [];
  for (let y = 0; y < png.height; y += 1) {
    let longest = 0;
    let run = 0;
    for (let x = 0; x < png.width; x += 1) {
      const i = (y * png.width + x) * 4;
      run = png.data[i] === r && png.data[i + 1] === g && png.data[i + 2] === b ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    runs.push(longest);
  }
  return runs;
}
