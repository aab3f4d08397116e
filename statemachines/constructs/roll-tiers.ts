/**
 * Roll Tiers: one tier at a time (in the plan's order), one segment of batches at a time,
 * each segment a child execution of the rollout workflow. The parent's history then grows
 * by a handful of events per segment, and each child's by its own batches only.
 *
 * A child that fails reports its error inside the cause of the parent's task
 * (States.TaskFailed, cause = the child's DescribeExecution output as JSON); it is read
 * back here, so the parent fails with the child's own error name and cause when it is one of
 * FleetFlow's. Anything else (the child ended by its quotas or aborted, the task timed out or
 * could not start it) is renamed UnexpectedTaskError, naming the tier (constructs/failures.ts).
 */
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { catchChildFailure, UNEXPECTED_TASK_ERROR } from './failures';

export interface RollTiersProps {
  /** State names are prefixed with it (e.g. "Revert "). */
  readonly prefix: string;
  /** Where the stored plan is in the state (`StoredPlan`). */
  readonly planPath: string;
  readonly rollout: sfn.IStateMachine;
  /** Gate each batch on its tier's alarms (not in a revert: the bad release may still fire them). */
  readonly checkAlarms: boolean;
  /** How long a child may run: the workflows' execution timeout. */
  readonly timeout: Duration;
}

export type RollSegmentsProps = Pick<RollTiersProps, 'prefix' | 'rollout' | 'timeout'>;

/** What a segment carries of its tier: the rollout workflow's input (`RolloutInput`) but the segment. */
const SEGMENT_OF_TIER = {
  'release.$': '$.release',
  'execution.$': '$.execution',
  'tier.$': '$.tier',
  'keyPrefix.$': '$.keyPrefix',
  'batchCount.$': '$.batchCount',
  'checkAlarms.$': '$.checkAlarms',
  'mode.$': '$.mode',
  'setup.$': '$.setup',
  'reason.$': '$.reason',
};

/**
 * One tier's segments, each a child execution, one after the other. The state holds the
 * tier as `RolloutInput` without its segment, plus `segments`: what rollTiers gives each
 * tier, and what a compute workflow builds for the hosts it launched.
 */
export function rollSegments(scope: Construct, props: RollSegmentsProps): sfn.Map {
  const n = (name: string) => `${props.prefix}${name}`;
  const rollSegment = new tasks.StepFunctionsStartExecution(scope, n('Roll Out Segment'), {
    stateMachine: props.rollout,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    associateWithParent: true,
    input: sfn.TaskInput.fromObject({ ...SEGMENT_OF_TIER, 'segment.$': '$.segment' }),
    resultSelector: { 'status.$': '$.Status' },
    resultPath: sfn.JsonPath.DISCARD,
    // Explicit: a Task without one inherits no useful bound.
    taskTimeout: sfn.Timeout.duration(props.timeout),
  });
  // Starting the child may be throttled or refused for a moment; it started nothing then.
  rollSegment.addRetry({
    errors: ['StepFunctions.ExecutionLimitExceeded', 'StepFunctions.ThrottlingException', 'StepFunctions.SdkClientException'],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 4,
  });

  const failed = new sfn.Fail(scope, n('Segment Failed'), { errorPath: '$.failure.Error', causePath: '$.failure.Cause' });
  // The task itself failed otherwise (timed out, could not start the child, or the child ended without an error of its own).
  const unexpected = new sfn.Pass(scope, n('Roll Out Segment Failed Unexpectedly'), {
    parameters: {
      Error: UNEXPECTED_TASK_ERROR,
      Cause: sfn.JsonPath.format(
        `${n('Roll Out Segment')} failed unexpectedly with {} rolling out tier {}; the original cause is in the execution history`,
        sfn.JsonPath.stringAt('$.failure.Error'),
        sfn.JsonPath.stringAt('$.tier.name'),
      ),
    },
    resultPath: '$.failure',
  });
  unexpected.next(failed);
  // The child failed with an error that is not FleetFlow's (its quotas, say): named here, its cause left in its history.
  const unnamed = new sfn.Pass(scope, n('Name Segment Failure'), {
    parameters: {
      Error: UNEXPECTED_TASK_ERROR,
      Cause: sfn.JsonPath.format(
        'the rollout execution of tier {} failed unexpectedly with {}; the original cause is in the history of that execution',
        sfn.JsonPath.stringAt('$.tier.name'),
        sfn.JsonPath.stringAt('$.failure.Error'),
      ),
    },
    resultPath: '$.failure',
  });
  unnamed.next(failed);
  catchChildFailure(scope, rollSegment, {
    names: {
      childFailed: n('Child Failed?'),
      parse: n('Parse Segment Failure'),
      reported: n('Segment Reported Error?'),
      take: n('Take Segment Error'),
      named: n('Segment Error Named?'),
    },
    onFailure: failed,
    unnamed,
    unexpected,
  });

  const segments = new sfn.Map(scope, n('Roll Segments'), {
    itemsPath: '$.segments',
    maxConcurrency: 1,
    itemSelector: { ...SEGMENT_OF_TIER, 'segment.$': '$$.Map.Item.Value' },
    resultPath: sfn.JsonPath.DISCARD,
  });
  segments.itemProcessor(rollSegment);
  return segments;
}

export function rollTiers(scope: Construct, props: RollTiersProps): sfn.Map {
  const n = (name: string) => `${props.prefix}${name}`;
  const map = new sfn.Map(scope, n('Roll Tiers'), {
    itemsPath: `${props.planPath}.tiers`,
    maxConcurrency: 1,
    itemSelector: {
      'release.$': `${props.planPath}.release`,
      'execution.$': '$$.Execution.Name',
      'tier.$': '$$.Map.Item.Value.spec',
      'keyPrefix.$': '$$.Map.Item.Value.keyPrefix',
      'batchCount.$': '$$.Map.Item.Value.batchCount',
      'segments.$': '$$.Map.Item.Value.segments',
      checkAlarms: props.checkAlarms,
      // Each stored tier says what its batches do (a revert may restore one tier and retire another).
      'mode.$': '$$.Map.Item.Value.mode',
      setup: [],
      'reason.$': '$$.Map.Item.Value.reason',
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  map.itemProcessor(rollSegments(scope, props));
  return map;
}
