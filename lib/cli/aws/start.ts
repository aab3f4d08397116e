/**
 * `fleetflow start <workflow> --env NAME`: one StartExecution, safe to retry.
 *
 * The execution's name is derived from the workflow and its input (or is the run id), so a
 * retried CI step asks for the same name. Step Functions: "When the original execution is open
 * and the execution input from the new call is identical, the Success message is returned ...
 * When the original execution is closed, the ExecutionAlreadyExists message is returned
 * regardless of input" (StartExecution, `name`), and "An execution can't use the name of another
 * execution for 90 days". So a second start is answered with the first execution either way:
 * AWS's own answer while it runs, DescribeExecution's once it has closed (same input), and a
 * refusal when the name was used for another input.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { parseExecutionInput } from '../../../lambdas/domain/execution-input';
import { parseReplaceDatabaseInput } from '../../../lambdas/domain/replace-database-input';
import { parseComputeInput } from '../../../lambdas/domain/compute-input';
import { showValue } from '../../../lambdas/domain/environment/input-guards';
import type { AwsContext } from './context';
import { canonicalJson, checkStateMachineArn, executionArnOf, executionName, stateMachineArn, stateMachineName, type AwsWorkflow } from './names';

/** Characters of `--input`: Step Functions takes 256 KiB of input; FleetFlow's inputs are a few hundred bytes. */
const MAX_INPUT_CHARS = 16_384;

export interface StartRequest {
  readonly workflow: AwsWorkflow;
  readonly environment: string;
  readonly release?: string;
  /** Further fields of the execution input, as JSON (`--input`). */
  readonly input?: string;
  readonly runId?: string;
  readonly stateMachineArn?: string;
}

export interface Started {
  readonly executionArn: string;
  readonly name: string;
  /** False when this start found the execution a previous start had begun. */
  readonly created: boolean;
  /** The execution's status when it was found closed; RUNNING otherwise. */
  readonly status: string;
}

/** The execution input, checked as the workflow's planner checks it: a bad option starts nothing. */
export function buildInput(workflow: AwsWorkflow, release: string | undefined, json: string | undefined): Record<string, unknown> {
  let fields: Record<string, unknown> = {};
  if (json !== undefined) {
    if (json.length > MAX_INPUT_CHARS) throw new InvalidInputError(`--input must be at most ${MAX_INPUT_CHARS} characters of JSON (received ${json.length})`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new InvalidInputError(`--input must be a JSON object (received ${showValue(json)})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidInputError(`--input must be a JSON object (received ${showValue(json)})`);
    fields = parsed as Record<string, unknown>;
  }
  if (release !== undefined) {
    if (workflow !== 'deploy' && workflow !== 'allocate' && workflow !== 'recover') {
      throw new InvalidInputError(`--release is not an input of ${workflow} (only deploy, allocate and recover take a release)`);
    }
    if (fields.release !== undefined) throw new InvalidInputError('--release and --input\'s "release" are both given; give one');
    fields = { ...fields, release };
  }
  try {
    if (workflow === 'deploy') parseExecutionInput(fields);
    else if (workflow === 'replace-database') parseReplaceDatabaseInput(fields);
    else parseComputeInput(workflow, fields);
  } catch (err) {
    if (err instanceof InvalidInputError) throw new InvalidInputError(`${workflow} input: ${err.message}`);
    throw err;
  }
  return fields;
}

/** The state machine's ARN: the one given, or `fleetflow-<env>-<workflow>` in the caller's account and region. */
export async function resolveStateMachine(context: AwsContext, environment: string, workflow: string, given?: string): Promise<string> {
  if (given !== undefined) return checkStateMachineArn(given);
  const [region, caller] = await Promise.all([context.region(), context.caller()]);
  return stateMachineArn(caller.partition, region, caller.account, stateMachineName(environment, workflow));
}

export async function startWorkflow(context: AwsContext, request: StartRequest): Promise<Started> {
  // Everything typed is checked before the first call.
  const fields = buildInput(request.workflow, request.release, request.input);
  const name = executionName(request.workflow, fields, request.runId);
  const input = canonicalJson(fields);
  const machine = await resolveStateMachine(context, request.environment, request.workflow, request.stateMachineArn);
  try {
    const started = await context.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name, input }));
    return { executionArn: started.executionArn!, name, created: true, status: 'RUNNING' };
  } catch (err) {
    if (!(err instanceof ExecutionAlreadyExists) && (err as Error).name !== 'ExecutionAlreadyExists') throw err;
  }
  // The name was used: the same start, already closed (or open with another input).
  const executionArn = executionArnOf(machine, name);
  const existing = await context.sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (existing.input !== undefined && sameInput(existing.input, input)) {
    return { executionArn, name, created: false, status: existing.status ?? 'RUNNING' };
  }
  throw new InvalidInputError(
    `execution name ${name} was already used for another input (${executionArn}); ` +
      `Step Functions keeps a name for 90 days: give another --run-id`,
  );
}

function sameInput(recorded: string, sent: string): boolean {
  try {
    return canonicalJson(JSON.parse(recorded)) === sent;
  } catch {
    return false;
  }
}
