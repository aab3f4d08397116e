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

import { APPROVAL_REJECTED_ERROR } from '../../lambdas/shared/errors';

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
      const table = account.table(input.TableName);
      const key = partitionKey(input.Key);
      checkCondition(input.ConditionExpression, table.get(key), input.ExpressionAttributeValues);
      table.delete(key);
      return {};
    }
    case 'aws-sdk:sfn:describeExecution': {
      const status = account.executions.get(input.ExecutionArn);
      if (!status) throw new IntegrationError('Sfn.ExecutionDoesNotExistException', `Execution Does Not Exist: '${input.ExecutionArn}'`);
      return { ExecutionArn: input.ExecutionArn, Status: status };
    }
    case 'events:putEvents': {
      for (const entry of input.Entries ?? []) {
        account.notifications.push({ at: account.now(), detailType: entry.DetailType, detail: JSON.parse(JSON.stringify(entry.Detail)) });
      }
      return { FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_: unknown, i: number) => ({ EventId: `sim-event-${i}` })) };
    }
    case 'sns:publish.waitForTaskToken':
      return approverAnswer(account);
    default:
      throw new IntegrationError('States.Runtime', `the simulator does not implement the integration ${action}`);
  }
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

/** The condition expressions FleetFlow writes: attribute_(not_)exists(x) and x = :value. */
function checkCondition(expression: string | undefined, current: AttributeMap | undefined, values: AttributeMap = {}): void {
  if (!expression) return;
  const exists = /^attribute_(not_)?exists\((\w+)\)$/.exec(expression);
  const equals = /^(\w+) = (:\w+)$/.exec(expression);
  let holds: boolean;
  if (exists) holds = (current?.[exists[2]!] !== undefined) !== Boolean(exists[1]);
  else if (equals) holds = current?.[equals[1]!]?.S !== undefined && current[equals[1]!]!.S === values[equals[2]!]?.S;
  else throw new IntegrationError('DynamoDB.ValidationException', `the simulator does not support the condition ${expression}`);
  if (!holds) throw new IntegrationError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
}
