/**
 * Notifications: one EventBridge event per milestone; a rule forwards them to the SNS
 * topic. Notifying is best-effort: whether it works or not, the workflow goes on.
 */
import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

export const NOTIFICATION_SOURCE = 'fleetflow';

export interface NotifyOptions {
  /** The event carries `$.failure` (error and cause). */
  readonly withFailure?: boolean;
  /** Where the resolved release is, once known (a release window's input only says "next"). */
  readonly releasePath?: string;
  /** Which workflow the milestone is of, in the event's detail type. @default "Release" */
  readonly workflow?: string;
  /** Where the event is put. @default the account's default event bus */
  readonly eventBus?: events.IEventBus;
}

export function notify(
  scope: Construct,
  name: string,
  environment: string,
  event: string,
  next: sfn.IChainable,
  options: NotifyOptions = {},
): tasks.EventBridgePutEvents {
  const detail: Record<string, unknown> = {
    environment,
    event,
    'execution.$': '$$.Execution.Id',
    'input.$': '$.input',
    ...(options.releasePath ? { 'release.$': options.releasePath } : {}),
    ...(options.withFailure ? { 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' } : {}),
  };
  const put = new tasks.EventBridgePutEvents(scope, name, {
    entries: [
      {
        source: NOTIFICATION_SOURCE,
        detailType: `FleetFlow ${options.workflow ?? 'Release'} ${event}`,
        detail: sfn.TaskInput.fromObject(detail),
        ...(options.eventBus ? { eventBus: options.eventBus } : {}),
      },
    ],
    resultPath: sfn.JsonPath.DISCARD,
  });
  // A throttled or failed entry fails the optimized integration with EventBridge.FailedEntry.
  put.addRetry({
    errors: ['EventBridge.FailedEntry', 'EventBridge.InternalException', 'EventBridge.ThrottlingException'],
    interval: Duration.seconds(1),
    maxAttempts: 3,
    backoffRate: 2,
  });
  put.addCatch(next, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
  put.next(next);
  return put;
}
