/**
 * How a command's action ends, for every command of the program (lib/cli/program.ts):
 *
 * - it returns its exit status through `action(...)`, which sets `process.exitCode`
 *   (main returns it, then restores the process's own);
 * - it refuses input by throwing InvalidInputError (or InvalidEnvironmentError /
 *   InvalidFaultError, the refusals of an environment file and of a fault), before
 *   anything runs: main prints one line naming the option or field, with a hint to the
 *   command's --help, and exits 2.
 */
import type { Command } from 'commander';

/** The documented exit statuses (docs/cli.md). */
export const EXIT = {
  /** The workflow (or the check) succeeded. */
  ok: 0,
  /** The workflow failed, or the campaign found a violation. */
  failed: 1,
  /** Bad input or usage: nothing ran. */
  usage: 2,
  /** AWS could not do it: no permission, no network, throttled (no region or credentials is `usage`: lib/cli/aws/errors.ts). */
  unreachable: 3,
} as const;

/** The command's options, typed by the caller (commander's `opts()` is untyped). */
export type Values = Record<string, unknown>;

/**
 * An action for `command.action(...)`: calls `run` with the command's options and sets
 * `process.exitCode` to the status it returns.
 */
export function action(run: (values: Values, command: Command) => Promise<number> | number): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    // commander passes the declared arguments, then the options, then the command itself.
    const command = args.at(-1) as Command;
    process.exitCode = await run(command.opts(), command);
  };
}
