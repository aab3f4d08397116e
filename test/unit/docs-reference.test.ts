/**
 * The hand-written references stay true to the code they describe: docs/cli.md carries the
 * usage the CLI prints, and docs/faults.md names every fault kind the simulator parses.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../lib/cli/main';
import { FAULT_KINDS } from '../../lib/simulator/faults';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('docs/cli.md', () => {
  afterEach(() => vi.restoreAllMocks());

  it('shows the usage exactly as `fleetflow help` prints it', async () => {
    // Prepare
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));

    // Act
    const status = await main(['help']);

    // Assess
    expect(status).toBe(0);
    const usage = printed.join('');
    expect(usage).toMatch(/^Usage:\n/);
    expect(read('docs/cli.md')).toContain(`\`\`\`text\n${usage}\`\`\``);
  });
});

describe('docs/faults.md', () => {
  it.each(FAULT_KINDS)('describes the fault kind %s', (kind) => {
    // A row of the fault tables starts with the kind, alone or followed by its target.
    expect(read('docs/faults.md')).toMatch(new RegExp(`^\\| \`${kind}[:\`]`, 'm'));
  });
});

describe('the paths the docs name', () => {
  const pages = ['README.md', 'ARCHITECTURE.md', ...readdirSync(new URL('../../docs/', import.meta.url), { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.md')).map((p) => `docs/${p}`)];
  // A file path of the repository, as the pages write them (code spans, table cells, links).
  const PATH = /\b(?:lambdas|lib|statemachines|test|bench|bin|environments)\/[A-Za-z0-9_./-]+\.(?:ts|mjs|json)\b/g;

  it.each(pages)('%s names only files that exist (a moved file leaves no stale path behind)', (page) => {
    const missing = [...new Set(read(page).match(PATH) ?? [])].filter((path) => !existsSync(new URL(`../../${path}`, import.meta.url)));
    expect(missing).toEqual([]);
  });
});
