/**
 * One workflow per environment at a time: a DynamoDB conditional write, taken over when
 * its holder's execution is no longer running, and released on every exit.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/** Error names of the DynamoDB direct integration when DynamoDB throttles. */
export const DYNAMODB_THROTTLING_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.ThrottlingException',
  'DynamoDB.RequestLimitExceeded',
];

/** How every DynamoDB task of the lock rides out DynamoDB throttling. */
const DYNAMODB_RETRY: sfn.RetryProps = { errors: DYNAMODB_THROTTLING_ERRORS, interval: Duration.seconds(1), maxAttempts: 6, backoffRate: 2 };

export interface EnvironmentLockProps {
  readonly environment: string;
  readonly table: dynamodb.ITable;
  /** ARN patterns of the executions that may hold the lock. */
  readonly holderExecutionArns: string[];
}

export class EnvironmentLock {
  private readonly key: Record<string, tasks.DynamoAttributeValue>;

  constructor(
    private readonly scope: Construct,
    private readonly props: EnvironmentLockProps,
  ) {
    this.key = { environment: tasks.DynamoAttributeValue.fromString(props.environment) };
  }

  /** Acquire the lock, or take it over from an execution that is no longer running, then `next`. */
  acquire(next: sfn.IChainable): sfn.IChainable {
    const { scope, props } = this;
    const holderItem = {
      ...this.key,
      holder: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId),
      acquiredAt: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.State.EnteredTime')),
    };
    const acquire = new tasks.DynamoPutItem(scope, 'Acquire Lock', {
      table: props.table,
      item: holderItem,
      conditionExpression: 'attribute_not_exists(environment)',
      resultPath: sfn.JsonPath.DISCARD,
    });
    const readLock = new tasks.DynamoGetItem(scope, 'Read Lock', { table: props.table, key: this.key, consistentRead: true, resultPath: '$.lock' });
    const describeHolder = new tasks.CallAwsService(scope, 'Describe Lock Holder', {
      service: 'sfn',
      action: 'describeExecution',
      parameters: { ExecutionArn: sfn.JsonPath.stringAt('$.lock.Item.holder.S') },
      iamResources: props.holderExecutionArns,
      iamAction: 'states:DescribeExecution',
      resultSelector: { 'status.$': '$.Status' },
      resultPath: '$.holder',
    });
    const takeOver = new tasks.DynamoPutItem(scope, 'Take Over Lock', {
      table: props.table,
      item: holderItem,
      conditionExpression: 'holder = :stale',
      expressionAttributeValues: { ':stale': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$.lock.Item.holder.S')) },
      resultPath: sfn.JsonPath.DISCARD,
    });
    const describeLock = new sfn.Pass(scope, 'Describe Lock Conflict', {
      parameters: {
        Error: 'EnvironmentLockedError',
        Cause: sfn.JsonPath.format(
          'environment {} is being changed by {}; nothing was changed',
          props.environment,
          sfn.JsonPath.stringAt('$.lock.Item.holder.S'),
        ),
      },
      resultPath: '$.failure',
    });
    describeLock.next(new sfn.Fail(scope, 'Environment Locked', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' }));

    readLock.addRetry(DYNAMODB_RETRY);
    describeHolder.addRetry({ errors: ['Sfn.ThrottlingException'], interval: Duration.seconds(1), maxAttempts: 6, backoffRate: 2 });
    const conflict = ['DynamoDB.ConditionalCheckFailedException'];
    for (const put of [acquire, takeOver]) {
      put.addRetry(DYNAMODB_RETRY);
      put.addCatch(readLock, { errors: conflict, resultPath: sfn.JsonPath.DISCARD });
    }
    // The holder's execution may be gone entirely (deleted history): it is not running.
    describeHolder.addCatch(takeOver, { errors: ['Sfn.ExecutionDoesNotExistException'], resultPath: sfn.JsonPath.DISCARD });
    readLock.next(
      new sfn.Choice(scope, 'Lock Still Held?')
        .when(sfn.Condition.isNotPresent('$.lock.Item'), acquire)
        .otherwise(
          describeHolder.next(
            new sfn.Choice(scope, 'Lock Holder Running?')
              .when(sfn.Condition.stringEquals('$.holder.status', 'RUNNING'), describeLock)
              .otherwise(takeOver),
          ),
        ),
    );
    acquire.next(next);
    takeOver.next(next);
    return acquire;
  }

  /** Deletes the lock if this execution still holds it, then goes on to `next` either way. */
  release(name: string, next: sfn.IChainable): tasks.DynamoDeleteItem {
    const state = new tasks.DynamoDeleteItem(this.scope, name, {
      table: this.props.table,
      key: this.key,
      conditionExpression: 'holder = :me',
      expressionAttributeValues: { ':me': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId) },
      resultPath: sfn.JsonPath.DISCARD,
    });
    state.addRetry(DYNAMODB_RETRY);
    // A lock that was taken over is someone else's now: leave it.
    state.addCatch(next, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
    state.next(next);
    return state;
  }
}
