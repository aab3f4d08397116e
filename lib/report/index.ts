/**
 * The picture of a run: `--report FILE` on every `simulate` command, and on `watch` and
 * `status` on AWS, writes one self-contained HTML page (page.ts) from the run's report (run.ts).
 */
import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderPage } from './page';
import type { RunReport } from './run';

export { renderPage } from './page';
export type { RunReport } from './run';

/** Writes the page to `file` (replacing it: writing it again gives the same page). */
export function writeRunReport(report: RunReport, file: string): void {
  writeFileSync(file, renderPage(report), 'utf8');
}

/**
 * Why `file` cannot take the page, or undefined: checked before the run, so a bad
 * `--report` runs nothing (one line, naming the value).
 */
export function reportFileProblem(file: string): string | undefined {
  const shown = JSON.stringify(file.length > 200 ? `${file.slice(0, 200)}…` : file);
  if (file.trim() === '') return '--report needs a file name, such as run.html';
  const target = resolve(file);
  if (existsSync(target) && statSync(target).isDirectory()) return `--report ${shown} is a directory; give a file name, such as run.html`;
  const directory = dirname(target);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) return `--report ${shown}: the directory ${JSON.stringify(directory)} does not exist`;
  try {
    accessSync(existsSync(target) ? target : directory, constants.W_OK);
  } catch {
    return `--report ${shown}: not writable`;
  }
  return undefined;
}
