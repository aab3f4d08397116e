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

/** How the simulated approver answers a task-token request, in virtual seconds. */
export const APPROVER_RESPONSE_SECONDS = 120;

export interface IntegrationContext {
  readonly account: SimulatedAccount;
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
    case 'events:putEvents': {
      for (const entry of input.Entries ?? []) {
        account.notifications.push({ at: account.now(), detailType: entry.DetailType, detail: JSON.parse(JSON.stringify(entry.Detail)) });
        // The same bus as the handlers' events: a report counts both per detail type.
        account.events.push({ at: account.now(), id: `sim-event-${account.events.length + 1}`, bus: entry.EventBusName ?? 'default', source: entry.Source, detailType: entry.DetailType, detail: JSON.parse(JSON.stringify(entry.Detail)) });
      }
      return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_: unknown, i: number) => ({ EventId: `sim-event-${i}` })) };
    }
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
  throw new IntegrationError('DynamoDB.ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.');
}

/** The approver answers after a while; a timeout is an answer that never comes. */
async function approverAnswer(account: SimulatedAccount): Promise<unknown> {
  account.notifications.push({ at: account.now(), detailType: 'SNS approval request', detail: {} });
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
