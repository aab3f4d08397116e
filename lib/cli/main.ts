/**
 * The `fleetflow` command line: `main` parses with the program of lib/cli/program.ts, runs
 * the command's action, and returns the exit status (documented in docs/cli.md):
 * 0 success, 1 the workflow failed, 2 bad input or usage (nothing ran), 3 AWS could not be
 * reached (the AWS commands).
 *
 * A refusal is one line on stderr, naming the option or field, then a hint to the
 * command's --help (an invalid environment file lists each of its problems on a line of
 * its own). Never the whole usage.
 */
import { CommanderError, type Command } from 'commander';
import { boundedMessage, InvalidInputError, MAX_MESSAGE_BYTES } from '../../lambdas/domain/contract/errors';
import { InvalidEnvironmentError } from '../../lambdas/domain/environment/errors';
import { InvalidFaultError } from '../simulator/faults';
import { EXIT } from './commands/action';
import { buildProgram, path, UsageRefusal } from './program';

/** Characters of a value a refusal quotes from the command line (an unknown option or command). */
const QUOTED_CHARS = 60;

/**
 * Runs the command line; returns the exit status. Every usage or validation error exits 2
 * before any state machine is synthesized or execution runs.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const parsing: { command?: Command } = {};
  const program = buildProgram(parsing);
  // Actions report their status in process.exitCode (lib/cli/commands/action.ts); the process's own is kept.
  const before = process.exitCode;
  process.exitCode = undefined;
  // `fleetflow help simulate deploy`: commander's help command reads one word; any depth is `… --help`.
  const args = argv[0] === 'help' && argv.length > 2 ? [...argv.slice(1), '--help'] : [...argv];
  try {
    await program.parseAsync(args, { from: 'user' });
    return Number(process.exitCode ?? EXIT.ok);
  } catch (err) {
    if (err instanceof CommanderError && (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || (err.code === 'commander.help' && err.exitCode === 0))) {
      return EXIT.ok;
    }
    // A command group without its subcommand (`fleetflow`, `fleetflow simulate`): its help, listing them, is on stderr.
    if (err instanceof CommanderError && err.code === 'commander.help') return EXIT.usage;
    const refused = refusal(err);
    if (refused === undefined) throw err;
    const command = err instanceof UsageRefusal ? err.command : (parsing.command ?? program);
    // A list of problems (an invalid environment) gets the hint on a line of its own, not after its last problem.
    const hint = `${refused.includes('\n') ? '\n ' : ''} (see: ${path(command)} --help)`;
    // The whole refusal, hint included, fits in MAX_MESSAGE_BYTES.
    process.stderr.write(`fleetflow: ${boundedMessage(refused, MAX_MESSAGE_BYTES - Buffer.byteLength(`fleetflow: ${hint}\n`))}${hint}\n`);
    return EXIT.usage;
  } finally {
    process.exitCode = before;
  }
}

/** The refusal's message, bounded and on one line (an environment's problems on one each); undefined for any other error. */
function refusal(err: unknown): string | undefined {
  if (err instanceof InvalidEnvironmentError) return boundedMessage(err.message);
  if (err instanceof CommanderError) return oneLine(commanderMessage(err.message));
  if (err instanceof UsageRefusal || err instanceof InvalidInputError || err instanceof InvalidFaultError) return oneLine(err.message);
  return undefined;
}

/** commander's "error: unknown option '--x'\n(Did you mean --y?)" as "unknown option '--x' (did you mean --y?)", quoted values cut. */
function commanderMessage(message: string): string {
  return message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\?\)$/s, ' (did you mean $1?)')
    .replace(/'([^']*)'/g, (_, quoted: string) => `'${quoted.length > QUOTED_CHARS ? `${quoted.slice(0, QUOTED_CHARS)}… (${quoted.length} characters)` : quoted}'`);
}

/** At most 1 KB, with control characters (a newline in a value) shown escaped. */
function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  return boundedMessage(message).replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}
