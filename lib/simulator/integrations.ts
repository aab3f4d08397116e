/**
 * Step Functions direct service integrations, as the simulated account answers them:
 * DynamoDB item writes with condition expressions (the environment lock), DescribeExecution
 * (is the lock's holder still running?), EventBridge PutEvents (notifications) and the
 * SNS task-token approval. Errors carry the names Step Functions gives them.
 */
import type { SimulatedAccount } from './account';

type AttributeMap = Record<string, Record<string, string>>;

export class IntegrationError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

import { APPROVAL_REJECTED_ERROR } from '../../lambdas/domain/contract/errors';
import { LOCK_TABLE_NAME } from './fleet';
import { SimulatedServiceError, THROTTLING_ERROR_BY_SERVICE } from './aws-errors';
import { events as eventsService } from './services/events';

/** How the simulated approver answers a task-token request, in virtual seconds. */
export const APPROVER_RESPONSE_SECONDS = 120;

export interface IntegrationContext {
  readonly account: SimulatedAccount;
  /** The calling execution and its state machine: the EventBridge integration adds both to each entry's Resources. */
  readonly executionArn?: string;
  readonly stateMachineArn?: string;
}

/**
 * The optimized EventBridge integration (`arn:aws:states:::events:putEvents`), as the Step
 * Functions Developer Guide ("Add EventBridge events with Step Functions") describes it:
 * - "The execution ARN and the state machine ARN are automatically appended to the Resources
 *   field of each PutEventsRequestEntry": they count in the entry's size;
 * - "If the response from PutEvents contains a non-zero FailedEntryCount then the Task state
 *   fails with the error EventBridge.FailedEntry".
 * The call itself is EventBridge's PutEvents (services/events.ts: 1-10 entries, under 256 KB
 * together, Source, DetailType and a Detail that is a JSON object, per-entry ErrorCode), metered
 * like every call (`--fault throttle:events`); a refused or throttled call fails the task with
 * the error named `EventBridge.<code>`, as notify.ts retries them (EventBridge.ThrottlingException).
 * A Detail given as an object is sent as its JSON text, as Step Functions serializes it.
 */
function putEvents(account: SimulatedAccount, input: Record<string, unknown>, ctx: IntegrationContext): unknown {
  const given: Array<Record<string, unknown>> = Array.isArray(input.Entries) ? (input.Entries as Array<Record<string, unknown>>) : [];
  const appended = [ctx.executionArn, ctx.stateMachineArn].filter((arn): arn is string => arn !== undefined);
  const entries: Array<Record<string, unknown>> = given.map((e) => ({
    ...e,
    ...(e.Detail !== undefined && typeof e.Detail !== 'string' ? { Detail: JSON.stringify(e.Detail) } : {}),
    Resources: [...(Array.isArray(e.Resources) ? (e.Resources as string[]) : []), ...appended],
  }));
  let result: { FailedEntryCount: number; Entries: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }> };
  try {
    account.meter('events', 'PutEvents', THROTTLING_ERROR_BY_SERVICE.events!);
    result = eventsService.PutEvents!(account, { Entries: entries }) as typeof result;
  } catch (err) {
    if (err instanceof SimulatedServiceError) throw new IntegrationError(`EventBridge.${err.name}`, err.message);
    throw err;
  }
  // What reached the bus is what the rules forward to the topic: the report's notifications.
  entries.forEach((e, i) => {
    if (result.Entries[i]?.EventId !== undefined) account.notifications.push({ at: account.now(), detailType: String(e.DetailType), detail: JSON.parse(String(e.Detail)) });
  });
  if (result.FailedEntryCount > 0) {
    const failed = result.Entries.map((r, i) => (r.ErrorCode ? `entry ${i}: ${r.ErrorCode} (${r.ErrorMessage ?? ''})` : undefined)).filter(Boolean);
    throw new IntegrationError('EventBridge.FailedEntry', `${result.FailedEntryCount} of ${entries.length} entries failed: ${failed.join('; ')}`);
  }
  return result;
}

export async function callIntegration(resource: string, input: Record<string, any>, ctx: IntegrationContext): Promise<unknown> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const action = resource.replace(/^arn:[^:]+:states:::/, '');
  const { account } = ctx;
  account.settle();
  switch (action) {
    case 'dynamodb:putItem': {
      const table = account.table(input.TableName);
      const key = partitionKey(input.Item);
      checkCondition(input.ConditionExpression, table.get(key), input.ExpressionAttributeValues);
      table.set(key, structuredClone(input.Item));
      return {};
    }
    case 'dynamodb:getItem': {
      const item = account.table(input.TableName).get(partitionKey(input.Key));
      return item ? { Item: structuredClone(item) } : {};
    }
    case 'dynamodb:deleteItem': {
      throttleUnlock(account, input.TableName);
      const table = account.table(input.TableName);
      const key = partitionKey(input.Key);
      checkCondition(input.ConditionExpression, table.get(key), input.ExpressionAttributeValues);
      table.delete(key);
      return {};
    }
    case 'aws-sdk:sfn:listExecutions': {
      // Executions of that state machine, newest first, as ListExecutions pages them.
      const prefix = `${String(input.StateMachineArn).replace(':stateMachine:', ':execution:')}:`;
      const executions = [...account.executions]
        .filter(([arn, status]) => arn.startsWith(prefix) && (input.StatusFilter === undefined || status === input.StatusFilter))
        .reverse()
        .slice(0, input.MaxResults || 100)
        .map(([arn, status]) => ({ ExecutionArn: arn, StateMachineArn: input.StateMachineArn, Name: arn.slice(prefix.length), Status: status }));
      return { Executions: executions };
    }
    case 'aws-sdk:sfn:describeExecution': {
      const status = account.executions.get(input.ExecutionArn);
      if (!status) throw new IntegrationError('Sfn.ExecutionDoesNotExistException', `Execution Does Not Exist: '${input.ExecutionArn}'`);
      return { ExecutionArn: input.ExecutionArn, Status: status };
    }
    case 'events:putEvents':
      return putEvents(account, input, ctx);
    case 'sns:publish.waitForTaskToken':
      return approverAnswer(account);
    default:
      throw new IntegrationError('States.Runtime', `the simulator does not implement the integration ${action}`);
  }
}

/** Deletes on the lock table answered with throttling (`unlock-throttle:N`: the first N). */
const unlockThrottled = new WeakMap<SimulatedAccount, number>();

function throttleUnlock(account: SimulatedAccount, tableName: string): void {
  const limit = account.faults.unlockThrottle ?? 0;
  if (tableName !== LOCK_TABLE_NAME || limit === 0) return;
  const seen = unlockThrottled.get(account) ?? 0;
  if (seen >= limit) return;
  unlockThrottled.set(account, seen + 1);
  account.faultFired('unlock-throttle');
  throw new IntegrationError('DynamoDB.ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.');
}

/** The approver answers after a while; a timeout is an answer that never comes. */
async function approverAnswer(account: SimulatedAccount): Promise<unknown> {
  account.notifications.push({ at: account.now(), detailType: 'SNS approval request', detail: {} });
  if (account.faults.approval !== undefined) account.faultFired('approval');
  if (account.faults.approval === 'timeout') return new Promise(() => {});
  await new Promise((resolve) => setTimeout(resolve, APPROVER_RESPONSE_SECONDS * 1000));
  if (account.faults.approval === 'reject') throw new IntegrationError(APPROVAL_REJECTED_ERROR, 'the approver rejected the release');
  return { approvedBy: 'simulated-approver' };
}

function partitionKey(item: AttributeMap | undefined): string {
  const value = item?.environment?.S;
  if (!value) throw new IntegrationError('DynamoDB.ValidationException', 'the key attribute environment (S) is required');
  return value;
}

/**
 * The condition expressions FleetFlow writes: attribute_(not_)exists(x), attribute_type(x, :type),
 * x = :value (strings), NOT and OR of them.
 */
function checkCondition(expression: string | undefined, current: AttributeMap | undefined, values: AttributeMap = {}): void {
  if (!expression) return;
  if (!conditionHolds(expression.trim(), current, values)) {
    throw new IntegrationError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
  }
}

function conditionHolds(expression: string, current: AttributeMap | undefined, values: AttributeMap): boolean {
  const alternatives = expression.split(/\s+OR\s+/);
  if (alternatives.length > 1) return alternatives.some((a) => conditionHolds(a.trim(), current, values));
  const not = /^NOT\s+(.+)$/.exec(expression);
  if (not) return !conditionHolds(not[1]!.trim(), current, values);
  const exists = /^attribute_(not_)?exists\((\w+)\)$/.exec(expression);
  if (exists) return (current?.[exists[2]!] !== undefined) !== Boolean(exists[1]);
  const type = /^attribute_type\((\w+),\s*(:\w+)\)$/.exec(expression);
  if (type) {
    const wanted = values[type[2]!]?.S;
    if (!wanted) throw new IntegrationError('DynamoDB.ValidationException', `${type[2]} must be a type name (S, N, ...) in ${expression}`);
    const attribute = current?.[type[1]!];
    return attribute !== undefined && Object.keys(attribute).length === 1 && wanted in attribute;
  }
  const equals = /^(\w+) = (:\w+)$/.exec(expression);
  if (equals) return current?.[equals[1]!]?.S !== undefined && current[equals[1]!]!.S === values[equals[2]!]?.S;
  throw new IntegrationError('DynamoDB.ValidationException', `the simulator does not support the condition ${expression}`);
}
