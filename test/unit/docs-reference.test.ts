/**
 * The hand-written references stay true to the code they describe: docs/cli.md carries the
 * help of every command as the CLI prints it, and docs/faults.md names every fault kind the simulator parses.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Command } from 'commander';
import { main } from '../../lib/cli/main';
import { buildProgram, path } from '../../lib/cli/program';
import { FAULT_KINDS, parseFaults } from '../../lib/simulator/faults';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('docs/cli.md', () => {
  afterEach(() => vi.restoreAllMocks());

  /** The program, each command group and each command, as a person types it after `fleetflow`. */
  const commands = (command: Command = buildProgram()): string[] => [path(command).split(' ').slice(1).join(' '), ...command.commands.flatMap((c) => commands(c))];

  it('shows every command', () => {
    expect(commands()).toHaveLength(1 + 1 + 19);
  });

  it.each(commands())('shows the help of `fleetflow %s --help` exactly as it prints it', async (command) => {
    // Prepare
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));

    // Act
    const status = await main([...(command ? command.split(' ') : []), '--help']);

    // Assess
    expect(status).toBe(0);
    const help = printed.join('');
    expect(help).toMatch(/^Usage: fleetflow /);
    expect(read('docs/cli.md')).toContain(`\`\`\`text\n$ npx fleetflow ${command ? `${command} ` : ''}--help\n${help}\`\`\``);
  });
});

describe('docs/faults.md', () => {
  it('gives the number of kinds FAULT_KINDS has', () => {
    expect(read('docs/faults.md')).toContain(`${FAULT_KINDS.length} kinds in \`FAULT_KINDS\``);
  });

  it('names every kind in the refusal of an unknown one, as the page lists them', () => {
    let message = '';
    try {
      parseFaults(['explode:web-1'], new Set(['web-1']), new Set());
    } catch (err) {
      message = (err as Error).message;
    }
    const listed = /use one of (.+)$/.exec(message)?.[1]?.split(', ');
    expect(listed).toEqual([...FAULT_KINDS]);
  });

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
