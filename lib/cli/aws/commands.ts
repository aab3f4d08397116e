/**
 * The commands that act on AWS: for now `approve` and `reject` (branch `cli`); branch
 * `awsops` replaces this file with start, status, watch, history, rollback and
 * approve --execution. lib/cli/program.ts calls `registerAwsCommands(program)`.
 *
 * The convention every command follows (lib/cli/commands/action.ts):
 * - an action returns its exit status through `action(...)`, which sets `process.exitCode`:
 *   EXIT.ok 0, EXIT.failed 1 (the workflow failed), EXIT.unreachable 3 (no region,
 *   credentials or permission: say so in one line on stderr, never a stack);
 * - a refusal of input throws InvalidInputError (lambdas/domain/contract/errors.ts) before
 *   any AWS call; main prints it as one line with a hint to the command's --help, exit 2;
 * - options are declared on the command (commander); a repeatable one through
 *   `repeatable(...)` (lib/cli/commands/options.ts): any other given twice is refused, as
 *   are unknown options and stray arguments, for every command alike;
 * - nothing prints a task token or a secret: a command that takes one is wrapped in
 *   `unshownArguments(...)`, so a token pasted without its option is not quoted back.
 */
import { type Command, Option } from 'commander';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { approve, reject, validateToken } from '../approval';
import { action, EXIT, type Values } from '../commands/action';
import { unshownArguments } from '../commands/options';

export function registerAwsCommands(program: Command): void {
  unshownArguments(program.command('approve'))
    .description('approve a release waiting for approval on AWS (the token is in the approval notification)')
    .option('--token <TOKEN>', 'the task token from the approval notification (required)')
    .addOption(approverOption())
    .action(action((values) => answer('approve', values)));

  unshownArguments(program.command('reject'))
    .description('reject a release waiting for approval on AWS (the token is in the approval notification)')
    .option('--token <TOKEN>', 'the task token from the approval notification (required)')
    .addOption(approverOption())
    .addOption(new Option('--reason <TEXT>', 'why, recorded in the execution\'s cause').default('no reason given'))
    .action(action((values) => answer('reject', values)));
}

function approverOption(): Option {
  return new Option('--approver <NAME>', 'who answers').default(process.env.USER ?? 'unknown', '$USER');
}

async function answer(kind: 'approve' | 'reject', values: Values): Promise<number> {
  let token: string;
  try {
    token = validateToken(values.token as string | undefined);
  } catch (err) {
    throw new InvalidInputError((err as Error).message);
  }
  const approver = String(values.approver);
  if (kind === 'approve') await approve(token, approver);
  else await reject(token, approver, String(values.reason));
  process.stdout.write(`${kind === 'approve' ? 'approved' : 'rejected'}\n`);
  return EXIT.ok;
}
