/**
 * The command line's contract, in process (lib/cli/main.ts over lib/cli/program.ts): help
 * and version, did-you-mean, one-line refusals with a hint, the same option rules for every
 * command, and every refusal exiting 2 before anything runs. Whatever would run (a
 * simulation, a campaign, an answer to AWS) is mocked and must not be called on a refusal.
 */
import { readFileSync } from 'node:fs';
import { DescribeDBInstanceAutomatedBackupsCommand, RDSClient } from '@aws-sdk/client-rds';
import type { Command } from 'commander';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import canonicalJson from '../../environments/canonical.json';
import { InvalidInputError } from '../../lambdas/domain/contract/errors';
import { isHostTier, type DatabaseTierDefinition } from '../../lambdas/domain/environment/model';
import { parseEnvironment } from '../../lambdas/domain/environment/parse';
import { resolveSource } from '../../lambdas/restore-data/restore-source';
import { approve, reject } from '../../lib/cli/approval';
import { main } from '../../lib/cli/main';
import { buildProgram, path } from '../../lib/cli/program';
import { simulatedRestoreWindow } from '../../lib/cli/commands/restore-window';
import { runCampaign } from '../../lib/simulator/campaign';
import { RESTORABLE_LAG_MS } from '../../lib/simulator/services/rds';
import { SIMULATION_EPOCH, simulateDeploy, simulateExecutions } from '../../lib/simulator/simulate';

// What a command runs, replaced: a refusal must reach none of them.
vi.mock('../../lib/simulator/simulate', async (original) => ({
  ...(await original<typeof import('../../lib/simulator/simulate')>()),
  simulateDeploy: vi.fn(async () => ({ status: 'SUCCEEDED' })),
  simulateExecutions: vi.fn(async () => ({ reports: [{ status: 'SUCCEEDED' }] })),
}));
vi.mock('../../lib/simulator/campaign', async (original) => ({
  ...(await original<typeof import('../../lib/simulator/campaign')>()),
  runCampaign: vi.fn(async () => undefined),
}));
vi.mock('../../lib/cli/approval', async (original) => ({
  ...(await original<typeof import('../../lib/cli/approval')>()),
  approve: vi.fn(async () => undefined),
  reject: vi.fn(async () => undefined),
}));

const ran = () => [simulateDeploy, simulateExecutions, runCampaign, approve, reject].filter((f) => vi.mocked(f).mock.calls.length > 0).map((f) => f.name);

beforeEach(() => vi.clearAllMocks());
afterEach(() => vi.restoreAllMocks());

async function fleetflow(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const status = await main(argv);
    return { status, stdout, stderr };
  } finally {
    vi.mocked(process.stdout.write).mockRestore();
    vi.mocked(process.stderr.write).mockRestore();
  }
}

/** Every command that runs something (no subcommands), as a person types it after `fleetflow`. */
function leafCommands(command: Command = buildProgram()): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap((c) => leafCommands(c));
}
const words = (command: Command) => path(command).split(' ').slice(1);
const LEAVES = leafCommands();

/** A refusal: exit 2, one line on stderr naming `field`, with the hint, nothing on stdout, nothing run. */
function expectRefusal(run: { status: number; stdout: string; stderr: string }, field: string, command: string): void {
  expect(run.status, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr.split('\n')).toEqual([expect.any(String), '']);
  expect(run.stderr).toContain(field);
  expect(run.stderr).toMatch(new RegExp(`^fleetflow: .* \\(see: fleetflow${command ? ` ${command}` : ''} --help\\)\\n$`));
  expect(run.stderr).not.toContain('Usage:');
  expect(ran()).toEqual([]);
}

describe('help and version', () => {
  it('knows the nineteen commands', () => {
    expect(LEAVES.map((c) => words(c).join(' ')).sort()).toEqual(
      ['approve', 'capture', 'history', 'plan', 'reject', 'rollback', 'simulate allocate', 'simulate campaign', 'simulate deploy', 'simulate recover', 'simulate replace', 'simulate replace-database', 'simulate restore-data', 'simulate scale-in', 'simulate scale-out', 'start', 'status', 'validate', 'watch'].sort(),
    );
  });

  it.each(LEAVES.map((c) => [words(c).join(' ')]))('%s --help prints that command\'s help on stdout and exits 0, running nothing', async (name) => {
    const run = await fleetflow(...name.split(' '), '--help');

    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(new RegExp(`^Usage: fleetflow ${name} \\[options\\]( <[a-z-]+>)?\\n`));
    expect(run.stdout).toContain('--help');
    expect(ran()).toEqual([]);
  });

  it('simulate deploy --help names its own options and no other command\'s', async () => {
    const run = await fleetflow('simulate', 'deploy', '--help');

    for (const option of ['--env', '--release', '--component', '--on-failure', '--require-approval', '--window', '--fault', '--hosts', '--json']) expect(run.stdout).toContain(option);
    for (const other of ['--tiers', '--targets', '--source', '--runs', '--token']) expect(run.stdout).not.toContain(other);
    expect(run.stdout).toContain('patch-fail:HOST');
  });

  it.each([[['--help']], [['help']], [['-h']]])('fleetflow %j lists every command and exits 0', async (argv) => {
    const run = await fleetflow(...argv);

    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage: fleetflow \[options\] \[command\]\n/);
    for (const command of ['simulate', 'validate', 'approve', 'reject']) expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('fleetflow help simulate and fleetflow simulate --help list the nine simulate commands', async () => {
    for (const argv of [['help', 'simulate'], ['simulate', '--help']]) {
      const run = await fleetflow(...argv);
      expect(run.status).toBe(0);
      for (const sub of ['deploy', 'campaign', 'allocate', 'scale-out', 'scale-in', 'replace', 'restore-data', 'recover', 'replace-database']) expect(run.stdout).toMatch(new RegExp(`^  ${sub} \\[options\\]`, 'm'));
    }
  });

  it('fleetflow help simulate deploy prints the help of simulate deploy, as simulate deploy --help does', async () => {
    const run = await fleetflow('help', 'simulate', 'deploy');

    expect(run.status).toBe(0);
    expect(run.stdout).toBe((await fleetflow('simulate', 'deploy', '--help')).stdout);
    expect(run.stdout).toMatch(/^Usage: fleetflow simulate deploy \[options\]\n/);
  });

  it('fleetflow simulate alone lists its subcommands (on stderr: no command was given) and exits 2', async () => {
    const run = await fleetflow('simulate');

    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Usage: fleetflow simulate \[options\] \[command\]/);
    expect(run.stderr).toMatch(/^ {2}restore-data \[options\]/m);
    expect(ran()).toEqual([]);
  });

  it('--version prints package.json\'s version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

    const run = await fleetflow('--version');

    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
  });
});

describe('did you mean', () => {
  it.each([
    [['simulate', 'deploy', '--hots', '3'], "unknown option '--hots' (did you mean --hosts?)", 'simulate deploy'],
    [['simulate', 'restore-data', '--sorce', 'latest'], "unknown option '--sorce' (did you mean --source?)", 'simulate restore-data'],
    [['simulate', 'deplyo'], "unknown command 'deplyo' (did you mean deploy?)", 'simulate'],
    [['simulate', 'campaing'], "unknown command 'campaing' (did you mean campaign?)", 'simulate'],
    [['validte'], "unknown command 'validte' (did you mean validate?)", ''],
    [['reject', '--reasno', 'late'], "unknown option '--reasno' (did you mean --reason?)", 'reject'],
  ])('%j: one line with the suggestion, exit 2', async (argv, message, command) => {
    expectRefusal(await fleetflow(...argv), message, command);
  });

  it('an unknown command with nothing close is refused without a suggestion', async () => {
    const run = await fleetflow('frobnicate');

    expectRefusal(run, "unknown command 'frobnicate'", '');
    expect(run.stderr).not.toContain('did you mean');
  });
});

describe('refusals: one line of at most 300 characters, exit 2, nothing run', () => {
  it.each([
    [['simulate', 'deploy', '--release', ''], '--release', 'simulate deploy'],
    [['simulate', 'deploy', '--component', 'database'], '--component', 'simulate deploy'],
    [['simulate', 'deploy', '--hosts', '0x10'], '--hosts', 'simulate deploy'],
    [['simulate', 'deploy', '--release'], '--release', 'simulate deploy'],
    [['simulate', 'deploy', 'extra'], 'unexpected argument "extra"', 'simulate deploy'],
    [['simulate', 'scale-out', '--tier', 'web', '--add', '0'], '--add', 'simulate scale-out'],
    [['simulate', 'scale-out', '--add', '2'], '--tier', 'simulate scale-out'],
    [['simulate', 'scale-in', '--tier', 'web', '--remove', '0'], '--remove', 'simulate scale-in'],
    [['simulate', 'scale-in', '--tier', 'web'], '--remove', 'simulate scale-in'],
    // Scale-in installs and launches nothing: such a fault would inject nothing, and the run look as if it survived it.
    [['simulate', 'scale-in', '--tier', 'web', '--remove', '1', '--fault', 'patch-fail:web-1'], 'simulate scale-in does not take "patch-fail" faults', 'simulate scale-in'],
    [['simulate', 'scale-in', '--tier', 'web', '--remove', '1', '--fault', 'down:web-1', '--fault', 'launch-fail:web'], 'does not take "launch-fail" faults', 'simulate scale-in'],
    [['simulate', 'allocate', '--tiers', 'web=x'], '--tiers', 'simulate allocate'],
    [['simulate', 'replace', '--targets', 'web-1', '--add', '2'], "unknown option '--add'", 'simulate replace'],
    [['simulate', 'restore-data'], '--source', 'simulate restore-data'],
    [['simulate', 'recover', '--source', '2026-13-45T99:00:00Z'], 'source', 'simulate recover'],
    [['simulate', 'campaign', '--runs', '0'], '--runs', 'simulate campaign'],
    [['validate', '--env', '/nonexistent/fleetflow.json'], '/nonexistent/fleetflow.json', 'validate'],
    [['validate', 'environments/canonical.json'], 'unexpected argument "environments/canonical.json"', 'validate'],
    [['approve'], '--token', 'approve'],
    [['reject', '--token'], '--token', 'reject'],
    [['approve', '--token', 'AAAA', '--reason', 'why not'], "unknown option '--reason'", 'approve'],
  ])('%j', async (argv, field, command) => {
    const run = await fleetflow(...argv);

    expectRefusal(run, field, command);
    expect(run.stderr.length).toBeLessThanOrEqual(300);
  });

  it('simulate deploy --release \'\' prints at most 300 characters (issue 16: it printed 4,788)', async () => {
    const run = await fleetflow('simulate', 'deploy', '--release', '');

    expect(run.status).toBe(2);
    expect(run.stderr.length + run.stdout.length).toBeLessThanOrEqual(300);
    expect(run.stderr).toBe(
      'fleetflow: --release: release must be 1-64 letters, digits, ".", "_", "+" or "-", starting with a letter or digit (received "") (see: fleetflow simulate deploy --help)\n',
    );
  });

  it('a task token pasted without --token is refused without being quoted back', async () => {
    const token = `AAAAKgAAAAIAAAAAAAAAA${'t'.repeat(300)}`;

    const run = await fleetflow('approve', token);

    expectRefusal(run, 'unexpected argument (not shown: it may be a secret)', 'approve');
    expect(run.stderr).not.toContain(token.slice(0, 8));
  });

  it('a value quoted back (an unknown option of 100,000 characters) is cut, and a newline in it cannot start a second line', async () => {
    const long = await fleetflow('simulate', 'deploy', `--${'b'.repeat(100_000)}`);
    expectRefusal(long, "unknown option '--bbbb", 'simulate deploy');
    expect(long.stderr.length).toBeLessThanOrEqual(300);

    const newline = await fleetflow('simulate', 'deploy', '--release', '1.0\nfleetflow: approved');
    expectRefusal(newline, '--release', 'simulate deploy');
  });
});

describe('the same option rules for every command', () => {
  /** Each non-repeatable option of each command, given twice (with a value each accepts alone). */
  const REPEATS = LEAVES.flatMap((command) =>
    command.options
      .filter((o) => !o.hidden && o.long !== '--fault')
      .map((o) => {
        const value = o.argChoices?.[0] ?? 'x';
        const once = o.required || o.optional ? [o.long!, value] : [o.long!];
        return [words(command).join(' '), o.long!, [...words(command), ...once, ...once]] as const;
      }),
  );

  it('covers every option of every command (scale-out included, which kept the last one before)', () => {
    expect(REPEATS.length).toBeGreaterThanOrEqual(30);
    expect(REPEATS.filter(([command]) => command === 'simulate scale-out').map(([, option]) => option)).toEqual(expect.arrayContaining(['--tier', '--add', '--hosts', '--env', '--json']));
  });

  it.each(REPEATS)('%s refuses %s given twice', async (command, option, argv) => {
    expectRefusal(await fleetflow(...argv), `${option} is given more than once`, command);
  });

  it('--fault is repeatable: every value reaches the run, in order', async () => {
    const run = await fleetflow('simulate', 'deploy', '--json', '--fault', 'patch-fail:web-1', '--fault', 'unhealthy:mid-2');

    expect(run.status, run.stderr).toBe(0);
    expect(vi.mocked(simulateDeploy).mock.calls[0]![0]).toMatchObject({ faults: ['patch-fail:web-1', 'unhealthy:mid-2'] });
  });

  it('an option given once runs the command with it (the rule refuses repeats, not options)', async () => {
    const run = await fleetflow('simulate', 'scale-out', '--tier', 'web', '--add', '3', '--json');

    expect(run.status, run.stderr).toBe(0);
    expect(vi.mocked(simulateExecutions).mock.calls[0]![0]).toMatchObject({ workflow: 'scale-out', input: { tier: 'web', add: 3 } });
  });

  it('simulate scale-in takes the faults its planner refuses before the lock (docs/workflows/scale-in.md\'s protected:web-2)', async () => {
    const run = await fleetflow('simulate', 'scale-in', '--tier', 'web', '--remove', '1', '--hosts', '4', '--fault', 'protected:web-2', '--fault', 'protected:web-3@stop', '--fault', 'asg:web-4', '--json');

    expect(run.status, run.stderr).toBe(0);
    expect(vi.mocked(simulateExecutions).mock.calls[0]![0]).toMatchObject({ workflow: 'scale-in', faults: ['protected:web-2', 'protected:web-3@stop', 'asg:web-4'] });
  });

  it('an option of another command is refused as unknown, with its hint', async () => {
    expectRefusal(await fleetflow('simulate', 'allocate', '--tier', 'web'), "unknown option '--tier' (did you mean --tiers?)", 'simulate allocate');
  });
});

describe('simulate restore-data --source TIME: the restorable window checked before anything runs', () => {
  const environment = parseEnvironment(canonicalJson);
  const data = environment.tiers.find((t): t is DatabaseTierDefinition => !isHostTier(t))!;
  const iso = (ms: number) => new Date(ms).toISOString();
  // The simulated instance's automated snapshots go back 24 hours; LatestRestorableTime trails by five minutes.
  const earliest = SIMULATION_EPOCH - 24 * 3600 * 1000;
  const latest = SIMULATION_EPOCH - RESTORABLE_LAG_MS;

  it('knows the simulated window: from the oldest automated snapshot to five minutes before the start', async () => {
    expect(await simulatedRestoreWindow(environment)).toEqual({ instance: data.database.instanceIdentifier, earliest, latest });
  });

  it.each([
    ['long before', '2020-01-01T00:00:00Z'],
    ['a second before the earliest', iso(earliest - 1000)],
    ['after the latest restorable time', iso(latest + 1000)],
  ])('a time %s the window exits 2 naming both bounds, and no execution starts', async (_label, time) => {
    const run = await fleetflow('simulate', 'restore-data', '--source', time);

    expectRefusal(run, `source: ${time} is outside the restorable window of ${data.database.instanceIdentifier}, ${iso(earliest)} to ${iso(latest)}; nothing was changed`, 'simulate restore-data');
  });

  it('a time inside the window runs', async () => {
    const time = iso(latest - 3600 * 1000);

    const run = await fleetflow('simulate', 'restore-data', '--source', time, '--json');

    expect(run.status, run.stderr).toBe(0);
    expect(vi.mocked(simulateExecutions).mock.calls[0]![0]).toMatchObject({ workflow: 'restore-data', input: { source: { pointInTime: time } } });
  });

  it('no-snapshot (no automated backup at all): refused as the workflow refuses it', async () => {
    const run = await fleetflow('simulate', 'restore-data', '--source', iso(latest - 60_000), '--fault', 'no-snapshot');

    expectRefusal(run, `source: ${data.database.instanceIdentifier} has no restorable window (no automated backups); restore a snapshot instead; nothing was changed`, 'simulate restore-data');
  });

  it('gives the very message Plan Restore Data gives for the same window (resolveSource)', async () => {
    const time = '2020-01-01T00:00:00Z';
    const rds = mockClient(RDSClient);
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [{ DbiResourceId: 'db-R', Status: 'active', RestoreWindow: { EarliestTime: new Date(earliest), LatestTime: new Date(latest) } }],
    });
    const workflow = await resolveSource(environment.name, data, data.database.instanceIdentifier, { DbiResourceId: 'db-R', LatestRestorableTime: new Date(latest) }, { pointInTime: time }).then(
      () => undefined,
      (err: unknown) => err,
    );
    rds.restore();

    const run = await fleetflow('simulate', 'restore-data', '--source', time);

    expect(workflow).toBeInstanceOf(InvalidInputError);
    expect(run.stderr).toBe(`fleetflow: ${(workflow as Error).message} (see: fleetflow simulate restore-data --help)\n`);
  });
});
