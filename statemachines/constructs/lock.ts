/**
 * One workflow per environment at a time: a DynamoDB conditional write, taken over when
 * its holder's execution is no longer running, and released on every exit.
 *
 * A lock item FleetFlow could not have written (no `holder`, a holder that is not a string,
 * or a string that is not an execution ARN of this environment's release) cannot jam the
 * environment: it is taken over, with a conditional write on exactly that malformed state,
 * when ListExecutions shows that this execution is the only release of the environment
 * running. Otherwise the execution fails with LockCorruptError, changing nothing, and its
 * cause names the item to delete.
 */
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { LockNotReleasedError } from '../../lambdas/domain/contract/errors';
import { catchNamed, ENVIRONMENT_LOCKED_ERROR, LOCK_CORRUPT_ERROR } from './failures';

/** Error names of the DynamoDB direct integration when DynamoDB throttles. */
export const DYNAMODB_THROTTLING_ERRORS = [
  'DynamoDB.ProvisionedThroughputExceededException',
  'DynamoDB.ThrottlingException',
  'DynamoDB.RequestLimitExceeded',
];

/** How every DynamoDB task of the lock rides out DynamoDB throttling. */
const DYNAMODB_RETRY: sfn.RetryProps = { errors: DYNAMODB_THROTTLING_ERRORS, interval: Duration.seconds(1), maxAttempts: 6, backoffRate: 2 };

/**
 * Releasing the lock rides out throttling, and any other error DynamoDB may clear, for about
 * a quarter of an hour (1, 2, 4 ... 32 s, then every minute): giving up leaves the lock held.
 */
export const UNLOCK_RETRY: sfn.RetryProps = {
  errors: [...DYNAMODB_THROTTLING_ERRORS, 'DynamoDB.InternalServerErrorException'],
  interval: Duration.seconds(1),
  maxAttempts: 20,
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
};

/** The name an execution fails with when every step succeeded but its lock could not be released. */
export const LOCK_NOT_RELEASED_ERROR = new LockNotReleasedError('').name;

export interface EnvironmentLockProps {
  readonly environment: string;
  readonly table: dynamodb.ITable;
  /** ARN patterns of the executions that may hold the lock (`*` matches any characters). */
  readonly holderExecutionArns: string[];
  /** The release state machine: its running executions are listed before a malformed lock is taken over. */
  readonly releaseStateMachineArn: string;
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
        Error: ENVIRONMENT_LOCKED_ERROR,
        Cause: sfn.JsonPath.format(
          'environment {} is being changed by {}; nothing was changed',
          props.environment,
          sfn.JsonPath.stringAt('$.lock.Item.holder.S'),
        ),
      },
      resultPath: '$.failure',
    });
    describeLock.next(new sfn.Fail(scope, 'Environment Locked', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' }));

    const malformed = this.malformedLock(holderItem, takeOver);
    readLock.addRetry(DYNAMODB_RETRY);
    describeHolder.addRetry({ errors: ['Sfn.ThrottlingException'], interval: Duration.seconds(1), maxAttempts: 6, backoffRate: 2 });
    const conflict = ['DynamoDB.ConditionalCheckFailedException'];
    for (const put of [acquire, takeOver, malformed.takeOver]) {
      put.addRetry(DYNAMODB_RETRY);
      put.addCatch(readLock, { errors: conflict, resultPath: sfn.JsonPath.DISCARD });
    }
    // The holder's execution may be gone entirely (deleted history): it is not running.
    describeHolder.addCatch(takeOver, { errors: ['Sfn.ExecutionDoesNotExistException'], resultPath: sfn.JsonPath.DISCARD });
    // A holder that only looks like one of ours is no execution at all: a malformed lock.
    describeHolder.addCatch(malformed.start, { errors: ['Sfn.InvalidArnException'], resultPath: sfn.JsonPath.DISCARD });
    // Anything else that fails while taking the lock ends the execution, named, before anything changed.
    const notTaken = new sfn.Fail(scope, 'Lock Not Taken', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
    for (const task of [acquire, readLock, describeHolder, takeOver, ...malformed.states]) {
      catchNamed(scope, task, notTaken, { resultPath: '$.failure', context: ` taking the lock of environment ${props.environment}; no host was changed` });
    }

    // Only an execution of this environment's release can hold the lock; the item may say anything else.
    const holderIsRelease = new sfn.Choice(scope, 'Lock Holder Is A Release?')
      .when(sfn.Condition.or(...props.holderExecutionArns.map((arn) => sfn.Condition.stringMatches('$.lock.Item.holder.S', arn))), describeHolder)
      .otherwise(malformed.start);
    readLock.next(
      new sfn.Choice(scope, 'Lock Still Held?')
        .when(sfn.Condition.isNotPresent('$.lock.Item'), acquire)
        .otherwise(
          // IsPresent of holder.S: the holder exists and is a string (a DynamoDB S); anything else is malformed.
          new sfn.Choice(scope, 'Lock Holder Recorded?').when(sfn.Condition.isPresent('$.lock.Item.holder.S'), holderIsRelease).otherwise(malformed.start),
        ),
    );
    describeHolder.next(
      new sfn.Choice(scope, 'Lock Holder Running?')
        .when(sfn.Condition.stringEquals('$.holder.status', 'RUNNING'), describeLock)
        .otherwise(takeOver),
    );
    acquire.next(next);
    takeOver.next(next);
    malformed.takeOver.next(next);
    return acquire;
  }

  /**
   * A lock item FleetFlow could not have written. It is taken over only when this execution
   * is the one release of the environment running (a release whose item someone overwrote
   * would still be running), with a conditional write on the malformed state it read: a
   * holder string is replaced only while it is that string (Take Over Lock, `holder = :stale`),
   * a missing or non-string holder only while there is still no string holder.
   */
  private malformedLock(
    holderItem: Record<string, tasks.DynamoAttributeValue>,
    takeOverText: tasks.DynamoPutItem,
  ): { start: sfn.IChainable; takeOver: tasks.DynamoPutItem; states: sfn.TaskStateBase[] } {
    const { scope, props } = this;
    const listRunning = new tasks.CallAwsService(scope, 'List Running Releases', {
      service: 'sfn',
      action: 'listExecutions',
      parameters: { StateMachineArn: props.releaseStateMachineArn, StatusFilter: 'RUNNING', MaxResults: 2 },
      iamResources: [props.releaseStateMachineArn],
      iamAction: 'states:ListExecutions',
      resultSelector: { 'executions.$': '$.Executions[*].ExecutionArn' },
      resultPath: '$.running',
    });
    listRunning.addRetry({ errors: ['Sfn.ThrottlingException'], interval: Duration.seconds(1), maxAttempts: 6, backoffRate: 2 });
    const countRunning = new sfn.Pass(scope, 'Count Running Releases', {
      parameters: {
        'count.$': 'States.ArrayLength($.running.executions)',
        'includesThis.$': 'States.ArrayContains($.running.executions, $$.Execution.Id)',
      },
      resultPath: '$.running',
    });
    const takeOverMalformed = new tasks.DynamoPutItem(scope, 'Take Over Malformed Lock', {
      table: props.table,
      item: holderItem,
      conditionExpression: 'attribute_not_exists(holder) OR NOT attribute_type(holder, :text)',
      expressionAttributeValues: { ':text': tasks.DynamoAttributeValue.fromString('S') },
      resultPath: sfn.JsonPath.DISCARD,
    });
    const describeCorrupt = new sfn.Pass(scope, 'Describe Corrupt Lock', {
      parameters: {
        Error: LOCK_CORRUPT_ERROR,
        Cause: sfn.JsonPath.format(
          'the lock of environment {} is an item FleetFlow did not write (its holder is not an execution of this release workflow), ' +
            'and this execution could not confirm that no other release of the environment runs ({} running listed, this one among them: {}); ' +
            'nothing was changed. Once no other release runs, start again (the item is then taken over), or delete the item with key environment = {} from the DynamoDB table {}',
          props.environment,
          sfn.JsonPath.stringAt('$.running.count'),
          sfn.JsonPath.stringAt('$.running.includesThis'),
          props.environment,
          props.table.tableName,
        ),
      },
      resultPath: '$.failure',
    });
    describeCorrupt.next(new sfn.Fail(scope, 'Lock Corrupt', { errorPath: '$.failure.Error', causePath: '$.failure.Cause' }));
    listRunning.next(countRunning);
    countRunning.next(
      new sfn.Choice(scope, 'Only This Release Running?')
        .when(
          sfn.Condition.and(sfn.Condition.numberEquals('$.running.count', 1), sfn.Condition.booleanEquals('$.running.includesThis', true)),
          new sfn.Choice(scope, 'Malformed Holder Is Text?').when(sfn.Condition.isPresent('$.lock.Item.holder.S'), takeOverText).otherwise(takeOverMalformed),
        )
        .otherwise(describeCorrupt),
    );
    return { start: listRunning, takeOver: takeOverMalformed, states: [listRunning, takeOverMalformed] };
  }

  /**
   * Deletes the lock if this execution still holds it (a lock taken over is someone else's
   * now: left alone), then goes on to `next`. DeleteItem is retried for about a quarter of an
   * hour; if it still fails, the execution does not end as if the lock were free:
   * - after a success (`notReleased` given): `$.failure` becomes LockNotReleasedError with a
   *   cause saying the work is done and the lock is still held, and the execution goes on to
   *   `notReleased` (the workflow's Notify Failed and Fail);
   * - after a failure (`$.failure` holds it): the original error is kept and its cause says
   *   the lock is still held; then `next`.
   */
  release(name: string, next: sfn.IChainable, notReleased?: sfn.IChainable): tasks.DynamoDeleteItem {
    const { scope, props } = this;
    const state = new tasks.DynamoDeleteItem(scope, name, {
      table: props.table,
      key: this.key,
      conditionExpression: 'holder = :me',
      expressionAttributeValues: { ':me': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.executionId) },
      resultPath: sfn.JsonPath.DISCARD,
    });
    state.addRetry(UNLOCK_RETRY);
    // A lock that was taken over is someone else's now: leave it.
    state.addCatch(next, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: sfn.JsonPath.DISCARD });
    const stillHeld =
      'the lock of environment {} could not be released: DeleteItem on the lock table failed with {} after its retries, so the item still names this execution. ' +
      'Once this execution has ended, the next FleetFlow execution of the environment takes the lock over; to free it now, delete the item with key environment = {} from the DynamoDB table {}';
    const describe = notReleased
      ? new sfn.Pass(scope, `Describe ${name} Failure`, {
          parameters: {
            Error: LOCK_NOT_RELEASED_ERROR,
            Cause: sfn.JsonPath.format(
              `every step of this execution succeeded, but ${stillHeld}`,
              props.environment,
              sfn.JsonPath.stringAt('$.unlockFailure.Error'),
              props.environment,
              props.table.tableName,
            ),
          },
          resultPath: '$.failure',
        })
      : new sfn.Pass(scope, `Describe ${name} Failure`, {
          parameters: {
            'Error.$': '$.failure.Error',
            Cause: sfn.JsonPath.format(
              `{}; and ${stillHeld}`,
              sfn.JsonPath.stringAt('$.failure.Cause'),
              props.environment,
              sfn.JsonPath.stringAt('$.unlockFailure.Error'),
              props.environment,
              props.table.tableName,
            ),
          },
          resultPath: '$.failure',
        });
    describe.next(notReleased ?? next);
    state.addCatch(describe, { errors: ['States.ALL'], resultPath: '$.unlockFailure' });
    state.next(next);
    return state;
  }
}
