/**
 * `--report FILE` is checked before anything runs: a file that cannot be written is refused
 * with one line naming it and exit 2, on deploy and on the compute and data commands alike.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { reportFileProblem } from '../../../lib/report/index';

const CLI = fileURLToPath(new URL('../../../bin/fleetflow.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fleetflow-report-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reportFileProblem', () => {
  it('accepts a new file in an existing directory', () => {
    expect(reportFileProblem(join(dir, 'run.html'))).toBeUndefined();
  });

  it.each([
    ['', '--report needs a file name'],
    [dir, 'is a directory'],
    [join(dir, 'missing', 'run.html'), 'does not exist'],
  ])('refuses %j', (file, message) => {
    expect(reportFileProblem(file)).toContain(message);
  });
});

describe('--report on the command line', () => {
  it.each([
    [['deploy'], join(dir, 'missing', 'run.html')],
    [['allocate'], ''],
    [['restore-data', '--source', 'latest'], dir],
  ])('simulate %j --report %j exits 2 with one line, running nothing', (command, file) => {
    const run = spawnSync(process.execPath, [CLI, 'simulate', ...command, '--report', file], { encoding: 'utf8', timeout: 60_000 });

    expect(run.status).toBe(2);
    expect(run.stderr.split('\n')[0]).toMatch(/^fleetflow: --report /);
    expect(run.stderr).not.toContain('execution started');
    expect(run.stdout).toBe('');
  });
});
