/**
 * The option rules every command follows (applied by lib/cli/program.ts to every command,
 * the AWS commands included): an option is given at most once unless it is declared
 * repeatable here; unknown options and stray arguments are refused.
 */
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';

/** `--env`'s default: the canonical environment. */
export const DEFAULT_ENV = fileURLToPath(new URL('../../../environments/canonical.json', import.meta.url));

const REPEATABLE = new WeakSet<Option>();

/** An option that may be given many times, its values collected in order (default none). */
export function repeatable(option: Option): Option {
  REPEATABLE.add(option);
  return option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]).default([], 'none');
}

export function isRepeatable(option: Option): boolean {
  return REPEATABLE.has(option);
}

const UNSHOWN = new WeakSet<Command>();

/**
 * A command whose stray arguments are never quoted back in a refusal: a task token pasted
 * without its `--token` must not end up in a terminal's scrollback or a CI log.
 */
export function unshownArguments(command: Command): Command {
  UNSHOWN.add(command);
  return command;
}

export function showsArguments(command: Command): boolean {
  return !UNSHOWN.has(command);
}
