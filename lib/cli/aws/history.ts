/**
 * `fleetflow status`, `fleetflow history` and `fleetflow rollback`: reading what ran, and
 * starting the release recorded before the current one.
 */
import { createHash } from 'node:crypto';
import { DescribeExecutionCommand, ListExecutionsCommand, type DescribeExecutionCommandOutput, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { releaseParameterName } from '../../../lambdas/domain/contract/records';
import type { AwsContext } from './context';
import { EXIT_OK, EXIT_WORKFLOW_FAILED } from './errors';
import { bounded } from './follow';
import { AWS_WORKFLOWS, stateMachineName } from './names';
import { resolveStateMachine, startWorkflow, type Started } from './start';

/** The most executions `history` lists (`--limit`). */
export const MAX_HISTORY = 100;
/** DescribeExecution calls in flight at once: a bounded fan-out, well inside the account's API throttling. */
const DESCRIBE_CONCURRENCY = 5;

/** The release an execution was started for, read from its input (`release`, or `releaseFrom`). */
export function releaseOf(input: string | undefined): string {
  try {
    const fields = JSON.parse(input ?? '{}') as { release?: unknown; releaseFrom?: unknown };
    if (typeof fields.release === 'string') return fields.release;
    if (typeof fields.releaseFrom === 'string') return `(${fields.releaseFrom})`;
  } catch {
    // An input that is not JSON names no release.
  }
  return '-';
}

/** `1h 02m 05s`; the time so far for a running execution. */
export function duration(start: Date | undefined, stop: Date | undefined, now: Date): string {
  if (!start) return '-';
  let seconds = Math.max(0, Math.round(((stop ?? now).getTime() - start.getTime()) / 1000));
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return hours > 0 ? `${hours}h ${pad(minutes)}m ${pad(seconds)}s` : minutes > 0 ? `${minutes}m ${pad(seconds)}s` : `${seconds}s`;
}

/** `fleetflow status ARN`: one execution. Exits 0 while it runs or once it succeeded, 1 when it failed, was aborted or timed out. */
export async function showStatus(context: AwsContext, executionArn: string): Promise<number> {
  const execution = await context.sfn.send(new DescribeExecutionCommand({ executionArn }));
  printExecution(context, execution);
  return execution.status === 'RUNNING' || execution.status === 'SUCCEEDED' || execution.status === 'PENDING_REDRIVE' ? EXIT_OK : EXIT_WORKFLOW_FAILED;
}

function printExecution(context: AwsContext, e: DescribeExecutionCommandOutput): void {
  context.out(`execution  ${e.executionArn}`);
  context.out(`status     ${e.status}`);
  context.out(`release    ${releaseOf(e.input)}`);
  context.out(`started    ${e.startDate?.toISOString() ?? '-'}`);
  if (e.stopDate) context.out(`stopped    ${e.stopDate.toISOString()}`);
  context.out(`duration   ${duration(e.startDate, e.stopDate, context.now())}`);
  if (e.error || e.cause) context.out(bounded(`error      ${e.error ?? '-'}: ${e.cause ?? ''}`, 1000));
}

interface Row {
  readonly workflow: string;
  readonly item: ExecutionListItem;
  readonly release: string;
}

/**
 * `fleetflow history --env NAME`: the latest `limit` executions of the environment's workflows
 * (ListExecutions of each state machine, newest first), with the release from each one's input.
 * A workflow the environment does not have (restore-data, recover without `restore`) is left out.
 */
export async function showHistory(context: AwsContext, environment: string, limit: number): Promise<number> {
  const rows: Row[] = [];
  for (const workflow of AWS_WORKFLOWS) {
    const machine = await resolveStateMachine(context, environment, workflow);
    let items: ExecutionListItem[];
    try {
      // ListExecutions lists newest first; one page of `limit` is all a merge of the latest `limit` needs.
      items = (await context.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: limit }))).executions ?? [];
    } catch (err) {
      if ((err as Error).name === 'StateMachineDoesNotExist') continue;
      throw err;
    }
    for (const item of items) rows.push({ workflow, item, release: '' });
  }
  rows.sort((a, b) => (b.item.startDate?.getTime() ?? 0) - (a.item.startDate?.getTime() ?? 0));
  const shown = rows.slice(0, limit);
  if (shown.length === 0) {
    context.out(`no executions of ${stateMachineName(environment, '*')}`);
    return EXIT_OK;
  }
  // The release is in the input, which only DescribeExecution returns: one call per row shown,
  // DESCRIBE_CONCURRENCY at a time.
  const described: DescribeExecutionCommandOutput[] = [];
  for (let i = 0; i < shown.length; i += DESCRIBE_CONCURRENCY) {
    const chunk = shown.slice(i, i + DESCRIBE_CONCURRENCY);
    described.push(...(await Promise.all(chunk.map((row) => context.sfn.send(new DescribeExecutionCommand({ executionArn: row.item.executionArn! }))))));
  }
  const table = shown.map((row, i) => [
    row.item.startDate ? `${row.item.startDate.toISOString().slice(0, 19)}Z` : '-',
    row.workflow,
    row.item.status ?? '-',
    releaseOf(described[i]!.input),
    duration(row.item.startDate, row.item.stopDate, context.now()),
    row.item.name ?? '-',
  ]);
  const header = ['STARTED', 'WORKFLOW', 'STATUS', 'RELEASE', 'DURATION', 'EXECUTION'];
  const widths = header.map((h, c) => Math.max(h.length, ...table.map((r) => r[c]!.length)));
  for (const line of [header, ...table]) context.out(bounded(line.map((cell, c) => (c === line.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')));
  return EXIT_OK;
}

/**
 * `fleetflow rollback --env NAME`: a release of the environment's previous release, as
 * Record Release left it at `/fleetflow/<env>/<component>/previous` (read only here).
 * The execution's name is derived from the current and previous releases, so a retried
 * rollback finds the first instead of starting a second.
 */
export async function rollback(context: AwsContext, environment: string, component: string, runId?: string): Promise<{ started: Started; from: string; to: string }> {
  const read = async (which: 'current' | 'previous') => {
    const name = releaseParameterName(environment, component, which);
    try {
      return (await context.ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
    } catch (err) {
      if ((err as Error).name === 'ParameterNotFound') return undefined;
      throw err;
    }
  };
  const [current, previous] = await Promise.all([read('current'), read('previous')]);
  if (!previous) {
    throw new InvalidInputError(`${environment} has no previous ${component} release recorded (${releaseParameterName(environment, component, 'previous')}): nothing to roll back to`);
  }
  const name = runId ?? `rollback-${createHash('sha256').update(`${component}\n${current ?? ''}\n${previous}`).digest('hex').slice(0, 24)}`;
  const started = await startWorkflow(context, {
    workflow: 'deploy',
    environment,
    release: previous,
    ...(component === 'application' ? {} : { input: JSON.stringify({ component }) }),
    runId: name,
  });
  return { started, from: current ?? '(none recorded)', to: previous };
}
