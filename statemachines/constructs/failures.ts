/**
 * Every failure named. An execution of a FleetFlow workflow ends SUCCEEDED, or FAILED with
 * one of FleetFlow's own error names: never with a raw SDK or runtime name (TypeError,
 * Lambda.Unknown, States.Timeout, ThrottlingException, ...).
 *
 * Each state that can fail is caught once, by a States.ALL catcher, into a chain shared by
 * every state that fails to the same target (`catchNamed`): one "named?" check, then
 * FleetFlow's errors go on as they are, and anything else is renamed `UnexpectedTaskError`
 * with a cause naming the original error and where it happened (in a batch, the tier and the
 * batch's hosts), then goes where the named errors go. Failure naming is written once per
 * scope, not once per state: a template that named it per state carried the list of names
 * hundreds of times. The failed state is the one the execution history shows failing just
 * before the chain. The cause is bounded: it holds the original error's name, never its cause
 * (a raw cause can be large, and intrinsic functions cannot cut it); that cause stays in the
 * execution history.
 *
 * A FleetFlow error a handler throws reaches the workflow as Lambda delivers it: the Cause is
 * the runtime's JSON, `{"errorType", "errorMessage", "trace": [stack lines with the bundle's
 * paths]}`. Once per failure path (`lambdaMessage`), the workflow keeps only `errorMessage`,
 * so that what a Fail state, a composed cause or the Failed event carries is the sentence,
 * never a stack trace. Any other cause passes through as it is.
 */
import { CfnMapping, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import * as handlerErrors from '../../lambdas/domain/contract/errors';

/** Something failed that FleetFlow did not expect: the cause names the original error and where it happened. */
export const UNEXPECTED_TASK_ERROR = 'UnexpectedTaskError';
/** The release is on every host but its record could not be written (see the deploy workflow). */
export const RELEASE_NOT_RECORDED_ERROR = 'ReleaseNotRecordedError';
/** Another execution holds the environment's lock and is running. */
export const ENVIRONMENT_LOCKED_ERROR = 'EnvironmentLockedError';
/** The lock item has no holder FleetFlow could have written, and taking it over was not safe. */
export const LOCK_CORRUPT_ERROR = 'LockCorruptError';
/** No answer to the approval request in time: a rejection. */
export const APPROVAL_TIMEOUT_ERROR = 'ApprovalTimeoutError';

/** The names the workflows give failures themselves (in Pass states), beside the handlers' own. */
export const WORKFLOW_ERRORS = [
  UNEXPECTED_TASK_ERROR,
  RELEASE_NOT_RECORDED_ERROR,
  ENVIRONMENT_LOCKED_ERROR,
  LOCK_CORRUPT_ERROR,
  APPROVAL_TIMEOUT_ERROR,
] as const;

/**
 * The name of every error class of lambdas/domain/contract/errors.ts, read from the module itself so
 * that a class added there is a FleetFlow name here without another list to keep.
 */
export const HANDLER_ERRORS: readonly string[] = Object.values(handlerErrors).flatMap((value) =>
  typeof value === 'function' && value.prototype instanceof Error ? [new (value as new (message: string) => Error)('').name] : [],
);

/** Every FleetFlow error name: what an execution may fail with. */
export const FLEETFLOW_ERRORS: readonly string[] = [...new Set([...HANDLER_ERRORS, handlerErrors.APPROVAL_REJECTED_ERROR, ...WORKFLOW_ERRORS])].sort();

export function isFleetFlowError(name: string | undefined): boolean {
  return name !== undefined && FLEETFLOW_ERRORS.includes(name);
}

export interface NamedCatchProps {
  /** Where the error goes in the state (the Catch's ResultPath), named or renamed. */
  readonly resultPath: string;
  /**
   * What the cause says after "a state failed unexpectedly with <error>": a States.Format template
   * whose `{}` are filled, in order, from `args`, paths present whenever the state runs and
   * bounded in size (e.g. ' on tier {} ({})' with the tier's name and the batch's hosts as
   * `describeHosts` names them).
   */
  readonly context?: string;
  readonly args?: readonly string[];
  /** Where the failed state and the original cause can be read. @default 'the execution history' */
  readonly causeIn?: string;
}

/** The template Mapping that holds FleetFlow's error names once per stack, and the keys of the list. */
export const ERROR_NAMES_MAPPING = 'FleetFlowErrorNames';
export const ERROR_NAMES_MAPPING_KEYS = ['errors', 'names'] as const;

/** Per stack, the mapped list of names as a token (one mapping per stack, whatever the number of FleetFlows in it). */
const storedNames = new WeakMap<Stack, string>();

/**
 * FleetFlow's error names as the arguments of States.Array (`'AlarmFiredError','ApprovalRejectedError',...`),
 * written once per template instead of once per failure path. The text is kept in the template's
 * Mappings and each definition names it with Fn::FindInMap, which CloudFormation resolves inside
 * the Fn::Join of a DefinitionString ("Fn::Join: supported functions", CloudFormation User
 * Guide; mapping values "can be of type String or List"), as statemachines/constructs/stored-environment.ts
 * does for the environment. Step Functions receives exactly the definition it received before:
 * only the template stops repeating the 600-character list 80 times. The text holds no `"` and
 * no `\`, so it needs no escaping inside the definition's JSON string.
 */
function errorNamesText(scope: Construct): string {
  const stack = Stack.of(scope);
  const existing = storedNames.get(stack);
  if (existing) return existing;
  const text = FLEETFLOW_ERRORS.map((name) => `'${name}'`).join(',');
  // Not lazy, said so: a lazy mapping would write the list back into every definition (its keys are
  // known), and leaving `lazy` unset makes cdk synth print an INFO suggesting it.
  const mapping = new CfnMapping(stack, ERROR_NAMES_MAPPING, { mapping: { [ERROR_NAMES_MAPPING_KEYS[0]]: { [ERROR_NAMES_MAPPING_KEYS[1]]: text } }, lazy: false });
  const value = mapping.findInMap(...ERROR_NAMES_MAPPING_KEYS);
  storedNames.set(stack, value);
  return value;
}

/**
 * Whether the error at `errorPath` is a FleetFlow name, as one intrinsic: the names are
 * written once per failure path, not once per state (an `Or` of 33 StringEquals rules is about
 * twice the size), and in the template once in all (`errorNamesText`). Step Functions'
 * States.ArrayContains and States.Array: "Intrinsic functions for JSONPath", Step Functions Developer Guide.
 */
function namedExpression(scope: Construct, errorPath: string): string {
  return `States.ArrayContains(States.Array(${errorNamesText(scope)}), ${errorPath}.Error)`;
}

/** Per target state: the failure paths built before it, by what they say (path, context, kind of state). */
const namingChains = new WeakMap<sfn.State, Map<string, sfn.IChainable>>();

/**
 * Catches every error of `state` into `next` at `props.resultPath`, through a chain shared by
 * every state that fails to the same target saying the same: FleetFlow's errors go on as they
 * are (a Lambda task's with its message read out of the runtime's JSON), anything else is
 * renamed `UnexpectedTaskError` with a cause that names the error and the scope (`context`)
 * and says where the failed state and the original cause are. Add catchers for particular
 * errors before calling this: the catcher added here is States.ALL, which must be the last.
 *
 * The chain: a Pass that notes whether the error is named (`namedExpression`, as `named`
 * beside its Error and Cause, which no state reads but the Choice), a Choice, then either the
 * target or the rename (which writes Error and Cause only). One chain per target, context and kind of state, never one per state: the
 * failed state is the one whose TaskFailed/ExecutionFailed event precedes the chain in the
 * execution history.
 */
export function catchNamed(
  scope: Construct,
  state: sfn.TaskStateBase | sfn.Parallel | sfn.Map,
  next: sfn.IChainable,
  props: NamedCatchProps,
): sfn.IChainable {
  // A Lambda task's own error carries the runtime's JSON; a Map's or a Parallel's was read already, inside.
  const chain = namingChain(scope, next, props, state instanceof tasks.LambdaInvoke);
  state.addCatch(chain, { errors: [sfn.Errors.ALL], resultPath: props.resultPath });
  return chain;
}

function namingChain(scope: Construct, next: sfn.IChainable, props: NamedCatchProps, fromLambda: boolean): sfn.IChainable {
  const target = next.startState;
  const errorPath = props.resultPath;
  const causeIn = props.causeIn ?? 'the execution history';
  const chains = namingChains.get(target) ?? new Map<string, sfn.IChainable>();
  namingChains.set(target, chains);
  const key = JSON.stringify([errorPath, props.context ?? '', props.args ?? [], causeIn, fromLambda]);
  const existing = chains.get(key);
  if (existing) return existing;
  // State names are unique in a state machine: the first chain before a target is named for it, others numbered.
  const of = `${pathLabel(target, errorPath)}${chains.size === 0 ? '' : ` ${chains.size + 1}`}`;
  const check = new sfn.Pass(scope, stateName(scope, 'Check Failure For', of), {
    parameters: { 'Error.$': `${errorPath}.Error`, 'Cause.$': `${errorPath}.Cause`, 'named.$': namedExpression(scope, errorPath) },
    resultPath: errorPath,
  });
  const rename = new sfn.Pass(scope, stateName(scope, 'Name Failure For', of), {
    parameters: {
      Error: UNEXPECTED_TASK_ERROR,
      Cause: sfn.JsonPath.format(
        `a state failed unexpectedly with {}${props.context ?? ''}; the failed state and the original cause are in ${causeIn}`,
        sfn.JsonPath.stringAt(`${errorPath}.Error`),
        ...(props.args ?? []).map((path) => sfn.JsonPath.stringAt(path)),
      ),
    },
    resultPath: errorPath,
  });
  rename.next(next);
  const named = fromLambda ? lambdaMessage(scope, next, errorPath) : next;
  check.next(new sfn.Choice(scope, stateName(scope, 'Failure Named For', of, '?')).when(sfn.Condition.booleanEquals(`${errorPath}.named`, true), named).otherwise(rename));
  chains.set(key, check);
  return check;
}

/** A target state and the error path failures reach it on, as state names say it: "Notify Failed", "Roll Back Batch (rollbackFailure)". */
function pathLabel(target: sfn.State, errorPath: string): string {
  return `${target.stateId}${errorPath === '$.failure' ? '' : ` (${errorPath.slice(2)})`}`;
}

/** Step Functions: "The name of the state ... must be 80 characters or fewer" (Amazon States Language, States). */
const MAX_STATE_NAME = 80;
/** Per stack, how many names were shortened: the number keeps a shortened name unique. */
const shortened = new WeakMap<Stack, { count: number }>();

/** `<prefix> <label><suffix>`, the label cut (and numbered) when the name would pass Step Functions' limit. */
function stateName(scope: Construct, prefix: string, label: string, suffix = ''): string {
  const name = `${prefix} ${label}${suffix}`;
  if (name.length <= MAX_STATE_NAME) return name;
  const counter = shortened.get(Stack.of(scope)) ?? { count: 0 };
  shortened.set(Stack.of(scope), counter);
  counter.count += 1;
  const mark = ` #${counter.count}${suffix}`;
  return `${prefix} ${label.slice(0, MAX_STATE_NAME - prefix.length - 1 - mark.length).trimEnd()}${mark}`;
}

/**
 * What a Lambda function error's Cause looks like as Step Functions receives it: the runtime's
 * JSON (Node.js: errorType, errorMessage, trace; a function timeout: errorType
 * `Sandbox.Timedout` and errorMessage only). Matched whole (`}` last), so a cut or composed
 * cause is never parsed.
 */
export const LAMBDA_CAUSE_PATTERN = '{"errorType":*"errorMessage":*}';

/** Per target state and error path: the one chain that reads a Lambda cause's message before it. */
const messageChains = new WeakMap<sfn.State, Map<string, sfn.IChainable>>();

/**
 * The states before `next` that replace the Cause of the error at `errorPath` with its
 * `errorMessage` when the Cause is a Lambda runtime's JSON, and leave any other cause
 * (States.Timeout's, a Fail state's own, a renamed error's) as it is: a Choice guards the
 * parse, so no States.Runtime can arise. Built once per target and path, whatever the number
 * of tasks that fail there: one per failure path, not one per state.
 */
export function lambdaMessage(scope: Construct, next: sfn.IChainable, errorPath: string): sfn.IChainable {
  const target = next.startState;
  const chains = messageChains.get(target) ?? new Map<string, sfn.IChainable>();
  messageChains.set(target, chains);
  const existing = chains.get(errorPath);
  if (existing) return existing;
  const of = pathLabel(target, errorPath);
  // The runtime's JSON, parsed in place of the cause; then the message alone takes its place.
  const parse = new sfn.Pass(scope, `Parse Cause Of ${of}`, {
    parameters: { 'json.$': `States.StringToJson(${errorPath}.Cause)` },
    resultPath: `${errorPath}.Cause`,
  });
  const message = new sfn.Pass(scope, `Message Of ${of}`, { inputPath: `${errorPath}.Cause.json.errorMessage`, resultPath: `${errorPath}.Cause` });
  parse.next(message);
  message.next(next);
  const chain = new sfn.Choice(scope, `Cause Of ${of}?`).when(sfn.Condition.stringMatches(`${errorPath}.Cause`, LAMBDA_CAUSE_PATTERN), parse).otherwise(next);
  chains.set(errorPath, chain);
  return chain;
}

/** The states that read a child execution's failure, by name. */
export interface ChildFailureNames {
  readonly childFailed: string;
  readonly parse: string;
  readonly reported: string;
  readonly take: string;
  readonly named: string;
}

/**
 * Catches a `startExecution.sync:2` task. A child that fails reaches it as States.TaskFailed
 * whose cause is the child's DescribeExecution output as JSON: its Error and Cause are read
 * back, and the parent goes on to `onFailure` with the child's own error when it is one of
 * FleetFlow's (its cause prefixed by `causePrefix`), to `unnamed` with any other error of the
 * child, and to `unexpected` when the task itself failed (timed out, could not start it) or
 * the child said nothing. Both of those rename the failure; the caller words them.
 */
export function catchChildFailure(
  scope: Construct,
  task: sfn.TaskStateBase,
  props: { names: ChildFailureNames; onFailure: sfn.IChainable; unnamed: sfn.IChainable; unexpected: sfn.IChainable; causePrefix?: string },
): void {
  const { names } = props;
  const take = new sfn.Pass(scope, names.take, {
    parameters: {
      'Error.$': '$.childFailure.detail.Error',
      'Cause.$': props.causePrefix ? `States.Format('${props.causePrefix}{}', $.childFailure.detail.Cause)` : '$.childFailure.detail.Cause',
      // Whether the child's error is one of FleetFlow's, as catchNamed's chains tell it.
      'named.$': namedExpression(scope, '$.childFailure.detail'),
    },
    resultPath: '$.failure',
  });
  take.next(new sfn.Choice(scope, names.named).when(sfn.Condition.booleanEquals('$.failure.named', true), props.onFailure).otherwise(props.unnamed));
  const parse = new sfn.Pass(scope, names.parse, { parameters: { 'detail.$': 'States.StringToJson($.failure.Cause)' }, resultPath: '$.childFailure' });
  parse.next(
    new sfn.Choice(scope, names.reported)
      .when(sfn.Condition.and(sfn.Condition.isPresent('$.childFailure.detail.Error'), sfn.Condition.isPresent('$.childFailure.detail.Cause')), take)
      .otherwise(props.unexpected),
  );
  // Only a child's own failure carries its description as JSON; anything else is the task's own failure.
  const childFailed = new sfn.Choice(scope, names.childFailed)
    .when(sfn.Condition.and(sfn.Condition.stringEquals('$.failure.Error', 'States.TaskFailed'), sfn.Condition.stringMatches('$.failure.Cause', '{*')), parse)
    .otherwise(props.unexpected);
  task.addCatch(childFailed, { errors: ['States.ALL'], resultPath: '$.failure' });
}
