/**
 * Names on AWS: the workflows a person starts, their state machines' names and ARNs, the
 * execution name a start derives from its input, and the checks of what a person types.
 * No SDK here: every function is pure, so the CLI refuses bad input before any call.
 */
import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import { showValue } from '../../../lambdas/domain/environment/input-guards';

/** The workflows a person or a pipeline starts (rollout is only started by them). */
export const AWS_WORKFLOWS = ['deploy', 'allocate', 'scale-out', 'scale-in', 'replace', 'restore-data', 'recover'] as const;
export type AwsWorkflow = (typeof AWS_WORKFLOWS)[number];

/** An environment's name, as the environment model allows it (lowercase, a letter first, at most 32). */
const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Execution names a person gives (`--run-id`) and the ones derived here. Step Functions: "A name
 * must not contain: whitespace, brackets < > { } [ ], wildcard characters ? *, special characters
 * " # % \ ^ | ~ ` $ & , ; : /, control characters" and is 1-80 characters (StartExecution, `name`);
 * and "To enable logging with CloudWatch Logs, the name should only contain 0-9, A-Z, a-z, - and _"
 * (every FleetFlow state machine logs), so only those are accepted.
 */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_EXECUTION_NAME = 80;

/** `arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>` (standard workflows). */
const EXECUTION_ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]{1,80}):([^:\s]{1,80})$/;
const STATE_MACHINE_ARN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;

export function checkWorkflow(text: string): AwsWorkflow {
  if (!(AWS_WORKFLOWS as readonly string[]).includes(text)) {
    throw new InvalidInputError(`workflow must be one of ${AWS_WORKFLOWS.join(', ')} (received ${showValue(text)})`);
  }
  return text as AwsWorkflow;
}

export function checkEnvironmentName(text: string | undefined): string {
  if (text === undefined || !ENVIRONMENT_NAME.test(text)) {
    throw new InvalidInputError(`--env must be an environment name: 1-32 lowercase letters, digits and hyphens, a letter first (received ${showValue(text)})`);
  }
  return text;
}

export function checkRunId(text: string): string {
  if (!EXECUTION_NAME.test(text)) {
    throw new InvalidInputError(`--run-id must be 1-80 letters, digits, "-" or "_": it becomes the execution's name (received ${showValue(text)})`);
  }
  return text;
}

export interface ExecutionArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly stateMachineName: string;
  readonly name: string;
}

export function checkExecutionArn(text: string | undefined, option = 'execution'): ExecutionArnParts {
  const match = text === undefined ? null : EXECUTION_ARN.exec(text);
  if (!match) {
    throw new InvalidInputError(`${option} must be an execution ARN, arn:aws:states:REGION:ACCOUNT:execution:STATE_MACHINE:NAME (received ${showValue(text)})`);
  }
  const [, partition, region, account, stateMachineName, name] = match as unknown as [string, string, string, string, string, string];
  return { partition, region, account, stateMachineName, name };
}

export function checkStateMachineArn(text: string): string {
  if (!STATE_MACHINE_ARN.test(text)) {
    throw new InvalidInputError(`--state-machine-arn must be arn:aws:states:REGION:ACCOUNT:stateMachine:NAME (received ${showValue(text)})`);
  }
  return text;
}

/** `fleetflow-<env>-<workflow>`, as the stack names it (statemachines/constructs/workflow.ts). */
export function stateMachineName(environment: string, workflow: string): string {
  return `fleetflow-${environment}-${workflow}`;
}

/** The partition a region belongs to: the ARN of a state machine in it begins with it. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export function stateMachineArn(partition: string, region: string, account: string, name: string): string {
  return `arn:${partition}:states:${region}:${account}:stateMachine:${name}`;
}

/** The ARN an execution of `stateMachine` named `name` has: what a second start of the same name refers to. */
export function executionArnOf(stateMachine: string, name: string): string {
  return `${stateMachine.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** JSON with every object's keys sorted: the same input always gives the same text, hence the same name. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The execution name of a start: the run id when one is given; otherwise the release (or the
 * workflow) and a hash of the workflow and its input, so the same start, retried by a CI step,
 * asks Step Functions for the same name and cannot start a second execution.
 */
export function executionName(workflow: AwsWorkflow, input: Record<string, unknown>, runId?: string): string {
  if (runId !== undefined) return checkRunId(runId);
  const hash = createHash('sha256').update(`${workflow}\n${canonicalJson(input)}`).digest('hex').slice(0, 20);
  const release = typeof input.release === 'string' ? input.release.replace(/[^A-Za-z0-9_-]/g, '_') : workflow;
  const head = release.slice(0, MAX_EXECUTION_NAME - hash.length - 1);
  return `${head}-${hash}`;
}
