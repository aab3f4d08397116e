/**
 * The `fleetflow` command line, built on commander: each command declares its options and
 * help; the rules below hold for every command alike (the AWS commands of
 * lib/cli/aws/commands.ts included):
 *
 * - `--help` on any command prints that command's help and exits 0; `fleetflow help [COMMAND]`
 *   too; `--version` prints package.json's version;
 * - an unknown command or option is refused with commander's did-you-mean;
 * - an option given twice is refused unless it is repeatable (lib/cli/commands/options.ts);
 * - a stray argument is refused, naming it;
 * - every refusal is one line naming the option or field, with a hint to the command's
 *   --help, and exits 2 before anything runs (lib/cli/main.ts prints it).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { showValue } from '../../lambdas/domain/environment/input-guards';
import { registerAwsCommands } from './aws/commands';
import { isRepeatable, showsArguments } from './commands/options';
import { registerSimulateCommands } from './commands/simulate';
import { registerValidateCommand } from './commands/validate';
import { registerPlanCommand } from './commands/plan';
import { registerCaptureCommand } from './commands/capture';

const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
/** The width help is wrapped to: the terminal's, up to 100 columns; 100 when not a terminal (docs/cli.md shows it so). */
const HELP_WIDTH = 100;

/** A refusal found while parsing, with the command it was refused by (for the hint). */
export class UsageRefusal extends Error {
  override readonly name = 'UsageRefusal';
  constructor(
    message: string,
    readonly command: Command,
  ) {
    super(message);
  }
}

/** The program, with every command and the shared rules. `parsing.command`: the deepest command reached so far. */
export function buildProgram(parsing: { command?: Command } = {}): Command {
  const program = new Command('fleetflow')
    .description('Rolling deployment and recovery of multi-tier services on AWS with Step Functions, and its offline simulator.')
    .version(PACKAGE.version, '--version', 'print the version')
    .helpCommand('help [COMMAND]', 'print the help of a command')
    .addHelpText('after', '\nExit status: 0 success, 1 the workflow failed, 2 bad input, usage, or no AWS region or credentials (nothing ran), 3 AWS could not do it.\nSee: fleetflow COMMAND --help');
  registerSimulateCommands(program);
  registerValidateCommand(program);
  registerPlanCommand(program);
  registerCaptureCommand(program);
  registerAwsCommands(program);
  applyRules(program, parsing);
  return program;
}

function applyRules(command: Command, parsing: { command?: Command }): void {
  command
    // commander throws its CommanderError instead of exiting; main tells help from refusal by its code.
    .exitOverride((err) => {
      parsing.command = command;
      throw err;
    })
    .configureOutput({
      // Refusals are printed by main, as one line; help and version go to stdout as usual.
      outputError: () => undefined,
      getOutHelpWidth: () => (process.stdout.isTTY ? Math.min(process.stdout.columns, HELP_WIDTH) : HELP_WIDTH),
      getErrHelpWidth: () => (process.stderr.isTTY ? Math.min(process.stderr.columns, HELP_WIDTH) : HELP_WIDTH),
    })
    .showSuggestionAfterError(true)
    .allowUnknownOption(false)
    // Stray arguments are refused in the preAction hook below, naming the argument.
    .allowExcessArguments(true)
    .hook('preSubcommand', (_parent, sub) => {
      parsing.command = sub;
    })
    .hook('preAction', (_self, acting) => {
      const stray = acting.args.slice(acting.registeredArguments.length);
      if (stray.length > 0) {
        const shown = showsArguments(acting) ? ` ${showValue(stray[0])}` : ' (not shown: it may be a secret)';
        throw new UsageRefusal(`unexpected argument${shown}: ${path(acting)} takes options only`, acting);
      }
    });
  parsing.command ??= command;
  // Each occurrence of an option emits `option:NAME`: a second one of a non-repeatable option is refused.
  const seen = new Set<string>();
  for (const option of command.options) {
    if (isRepeatable(option)) continue;
    const name = option.name();
    command.on(`option:${name}`, () => {
      if (seen.has(name)) throw new UsageRefusal(`${option.long ?? name} is given more than once`, command);
      seen.add(name);
    });
  }
  for (const sub of command.commands) applyRules(sub, parsing);
}

/** `fleetflow simulate deploy`: how a person types the command. */
export function path(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
