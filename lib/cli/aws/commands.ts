/**
 * The commands that act on AWS: start, status, watch, history, rollback, approve and reject.
 *
 * Convention shared with the rest of the CLI: an action sets `process.exitCode`; a refusal of
 * input throws InvalidInputError before any AWS call (main prints it as one line, exit 2);
 * no AWS region or no usable credentials is one line on stderr and exit 2 (the person's
 * configuration); AWS that cannot do it (access denied, no network, throttled, a service
 * error) is one line on stderr and exit 3, never a stack trace. Exit codes: lib/cli/aws/errors.ts.
 * No command prints a task token.
 */
import { type Command, Option } from 'commander';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { showValue } from '../../../lambdas/domain/environment/input-guards';
import { approve, reject, validateToken } from '../approval';
import { findApproval } from './approval';
import { defaultContext, type AwsContext } from './context';
import { EXIT_OK, exitCodeOf, refusalOf } from './errors';
import { ExecutionReader, followExecution, outcome } from './follow';
import { MAX_HISTORY, rollback, showHistory, showStatus } from './history';
import { AWS_WORKFLOWS, checkEnvironmentName, checkExecutionArn, checkRunId, checkWorkflow } from './names';
import { startWorkflow, type Started } from './start';
import { unshownArguments } from '../commands/options';
import { checkReportFile } from '../commands/report-file';
import { writeHistoryReport } from './run-report';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';

/** Characters of `--approver`: it goes into the task's output and the execution's history. */
const MAX_APPROVER_CHARS = 256;
/** Characters of `--reason`: it becomes part of the execution's cause. */
const MAX_REASON_CHARS = 1_000;

type Values = Record<string, unknown>;

/**
 * Registers the AWS commands on `program`. `context` is for tests: the SDK clients, identity,
 * clock and output the commands use (default: the standard AWS configuration, stdout, stderr).
 */
export function registerAwsCommands(program: Command, context?: (region?: string) => AwsContext): void {
  const cached = new Map<string, AwsContext>();
  // A command about one execution calls the region its ARN names; the others the configured one.
  const ctx = context ?? ((region?: string) => cached.get(region ?? '') ?? cached.set(region ?? '', defaultContext(region)).get(region ?? '')!);
  const regionOfArgument = (_values: Values, arn: unknown) => checkExecutionArn(String(arn), 'EXECUTION_ARN').region;
  const regionOfExecution = (values: Values) => (values.execution === undefined ? undefined : checkExecutionArn(String(values.execution), '--execution').region);

  program
    .command('start')
    .description('start a workflow of an environment on AWS; a retried start finds the first execution instead of starting a second')
    .argument('<workflow>', AWS_WORKFLOWS.join(' | '))
    .requiredOption('--env <NAME>', 'the environment (state machine fleetflow-NAME-WORKFLOW)')
    .option('--release <VERSION>', 'the release (deploy, allocate, recover)')
    .option('--input <JSON>', 'further fields of the execution input, e.g. \'{"tier":"web","add":2}\'')
    .option('--run-id <ID>', 'the execution name: a CI run id; the same id is the same execution (1-80 of A-Z a-z 0-9 - _)')
    .option('--state-machine-arn <ARN>', 'the state machine, instead of fleetflow-NAME-WORKFLOW in the caller\'s account and region')
    .option('--wait', 'follow the execution and its children until it ends; exit 0 on success, 1 otherwise')
    .action(run(ctx, async (c, values, workflowText) => {
      const workflow = checkWorkflow(String(workflowText));
      const environment = checkEnvironmentName(values.env as string);
      if (values.runId !== undefined) checkRunId(values.runId as string);
      const started = await startWorkflow(c, {
        workflow,
        environment,
        ...(values.release === undefined ? {} : { release: values.release as string }),
        ...(values.input === undefined ? {} : { input: values.input as string }),
        ...(values.runId === undefined ? {} : { runId: values.runId as string }),
        ...(values.stateMachineArn === undefined ? {} : { stateMachineArn: values.stateMachineArn as string }),
      });
      return reportStart(c, started, values.wait === true);
    }));

  program
    .command('status')
    .description('show one execution: status, release, start, duration, and the error and cause when it failed')
    .argument('<execution-arn>', 'the execution')
    .option('--report <FILE>', 'also write one self-contained HTML page of the execution so far, from its histories')
    .action(run(ctx, async (c, values, arn) => {
      checkExecutionArn(String(arn), 'EXECUTION_ARN');
      const report = values.report as string | undefined;
      checkReportFile(report);
      const code = await showStatus(c, String(arn));
      if (report !== undefined) await reportNow(c, String(arn), report);
      return code;
    }, regionOfArgument));

  program
    .command('watch')
    .description('follow a running execution and its children until it ends; exit 0 on success, 1 otherwise')
    .argument('<execution-arn>', 'the execution')
    .option('--report <FILE>', 'when it ends, write one self-contained HTML page of the run, from its histories')
    .action(run(ctx, async (c, values, arn) => {
      checkExecutionArn(String(arn), 'EXECUTION_ARN');
      const report = values.report as string | undefined;
      checkReportFile(report);
      const followed = await followExecution(c, String(arn), report !== undefined);
      if (report !== undefined) {
        writeHistoryReport(report, followed.execution, followed.reader.run(followed.execution.startDate), c.now());
        c.out(`report written to ${report}`);
      }
      return followed.exitCode;
    }, regionOfArgument));

  program
    .command('history')
    .description('the latest executions of every workflow of an environment, with status, release, start and duration')
    .requiredOption('--env <NAME>', 'the environment')
    .option('--limit <N>', `how many executions, 1-${MAX_HISTORY}`, '20')
    .action(run(ctx, async (c, values) => {
      const environment = checkEnvironmentName(values.env as string);
      const text = String(values.limit);
      if (!/^[1-9][0-9]{0,2}$/.test(text) || Number(text) > MAX_HISTORY) {
        throw new InvalidInputError(`--limit must be a whole number from 1 to ${MAX_HISTORY} (received ${showValue(text)})`);
      }
      return showHistory(c, environment, Number(text));
    }));

  program
    .command('rollback')
    .description('start a release of the environment\'s previous release, as FleetFlow recorded it')
    .requiredOption('--env <NAME>', 'the environment')
    .addOption(new Option('--component <NAME>', 'which release record').choices(['application', 'monitoring']).default('application'))
    .option('--run-id <ID>', 'the execution name (default: derived from the current and previous releases)')
    .option('--wait', 'follow the release until it ends; exit 0 on success, 1 otherwise')
    .action(run(ctx, async (c, values) => {
      const environment = checkEnvironmentName(values.env as string);
      const runId = values.runId === undefined ? undefined : checkRunId(values.runId as string);
      const { started, from, to } = await rollback(c, environment, values.component as string, runId);
      c.out(`rolling ${environment} back from ${from} to ${to}`);
      return reportStart(c, started, values.wait === true);
    }));

  for (const answer of ['approve', 'reject'] as const) {
    const command = program
      .command(answer)
      .description(`${answer} a release waiting for approval on AWS: by its execution, or by the token from the notification`)
      .option('--execution <ARN>', 'the deploy execution waiting for approval (its pending task token is read from its history)')
      .option('--token <TOKEN>', 'the task token from the approval notification, instead of --execution')
      .option('--approver <NAME>', 'who answers (default: the caller\'s AWS identity, from STS GetCallerIdentity)');
    if (answer === 'reject') command.option('--reason <TEXT>', 'why, recorded in the execution\'s cause', 'no reason given');
    // A token pasted without --token must never be quoted back in a refusal (lib/cli/commands/options.ts).
    unshownArguments(command);
    command.action(run(ctx, async (c, values) => answerApproval(c, answer, values), regionOfExecution));
  }
}

async function answerApproval(c: AwsContext, answer: 'approve' | 'reject', values: Values): Promise<number> {
  const execution = values.execution as string | undefined;
  const token = values.token as string | undefined;
  if ((execution === undefined) === (token === undefined)) throw new InvalidInputError('give --execution ARN (the waiting execution) or --token TOKEN, one of them');
  if (execution !== undefined) checkExecutionArn(execution, '--execution');
  else validateTokenOrRefuse(token);
  const approver = values.approver as string | undefined;
  if (approver !== undefined && (approver.length === 0 || approver.length > MAX_APPROVER_CHARS || /[\p{Cc}]/u.test(approver))) {
    throw new InvalidInputError(`--approver must be 1-${MAX_APPROVER_CHARS} characters without control characters (received ${showValue(approver)})`);
  }
  const reason = values.reason as string | undefined;
  if (reason !== undefined && (reason.length === 0 || reason.length > MAX_REASON_CHARS)) {
    throw new InvalidInputError(`--reason must be 1-${MAX_REASON_CHARS} characters (received ${showValue(reason)})`);
  }
  // Who answers is the caller's AWS identity unless named: what IAM and CloudTrail know them by.
  const who = approver ?? (await c.caller()).arn;
  let answering = token;
  if (execution !== undefined) {
    const found = await findApproval(c, execution);
    const wanted = answer === 'approve' ? 'approved' : 'rejected';
    if (found.state === wanted) {
      // A retried answer: the release already has it.
      c.out(`already ${wanted}${found.by ? ` by ${found.by}` : ''}: ${execution}`);
      return EXIT_OK;
    }
    if (found.state !== 'pending') throw new InvalidInputError(`${found.name} (${found.status}): its approval was already ${found.state}${found.by ? ` by ${found.by}` : ''}; it cannot be ${wanted} now`);
    answering = found.token;
  }
  if (answer === 'approve') await approve(answering!, who, c.sfn);
  else await reject(answering!, who, reason ?? 'no reason given', c.sfn);
  c.out(`${answer === 'approve' ? 'approved' : 'rejected'} by ${who}${execution ? `: ${execution}` : ''}`);
  return EXIT_OK;
}

function validateTokenOrRefuse(token: string | undefined): void {
  try {
    validateToken(token);
  } catch (err) {
    throw new InvalidInputError((err as Error).message);
  }
}

/** Prints what a start did; with `--wait`, follows the execution (or reports the closed one it found). */
async function reportStart(c: AwsContext, started: Started, wait: boolean): Promise<number> {
  if (started.created) c.out(`started ${started.executionArn}`);
  else if (started.status === 'SUCCEEDED') {
    c.out(`nothing started: an earlier identical start already ran and SUCCEEDED (${started.executionArn}); to run it again, give a new --run-id`);
  } else c.out(`already started by an earlier identical start, ${started.status}: ${started.executionArn}`);
  // A retried start that finds the first execution ended badly is not a green step.
  if (!started.created && started.status !== 'RUNNING' && started.status !== 'SUCCEEDED') {
    return outcome(c, await c.sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn })));
  }
  if (!wait) return EXIT_OK;
  if (started.status !== 'RUNNING') {
    return outcome(c, await c.sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn })));
  }
  return (await followExecution(c, started.executionArn)).exitCode;
}

/** `status --report`: one read of the execution's and its children's histories, drawn as the page (no line printed). */
async function reportNow(c: AwsContext, executionArn: string, file: string): Promise<void> {
  const reader = new ExecutionReader(c, executionArn, true);
  // Described first: what the page says of its status is never newer than the histories read after.
  const execution = await c.sfn.send(new DescribeExecutionCommand({ executionArn }));
  await reader.look();
  writeHistoryReport(file, execution, reader.run(execution.startDate), c.now());
  c.out(`report written to ${file}`);
}

/**
 * A commander action: runs `body` with the context, the options and the arguments, and sets
 * `process.exitCode`. A refusal of input is thrown on (main: one line, exit 2); a missing
 * region or credentials is one line on stderr and exit 2; AWS that cannot do it, exit 3.
 */
function run(
  context: (region?: string) => AwsContext,
  body: (c: AwsContext, values: Values, ...args: unknown[]) => Promise<number>,
  /** The region the command's own input names (an execution ARN), checked before any AWS call. */
  regionOf?: (values: Values, ...args: unknown[]) => string | undefined,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    // commander passes the declared arguments, then the options, then the command itself.
    const command = args.at(-1) as Command;
    const c = context(regionOf?.(command.opts(), ...args.slice(0, -2)));
    try {
      process.exitCode = await body(c, command.opts(), ...args.slice(0, -2));
    } catch (err) {
      const refusal = refusalOf(err);
      if (refusal instanceof InvalidInputError) throw refusal;
      if (!refusal) throw err;
      c.err(`fleetflow: ${refusal.message}`);
      process.exitCode = exitCodeOf(refusal);
    }
  };
}
