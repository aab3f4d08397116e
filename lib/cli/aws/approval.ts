/**
 * `approve|reject --execution ARN`: answers the release's pending Request Approval without
 * the person copying its task token.
 *
 * Where the token is: Request Approval is an SNS publish `.waitForTaskToken` whose message
 * carries `$$.Task.Token` (statemachines/deploy/deploy-workflow.ts), so the token is in the
 * state's parameters, which Step Functions records in the execution history's TaskScheduled
 * event ("parameters: The JSON data passed to the resource referenced in a task state",
 * TaskScheduledEventDetails). Any task that waits for a token passes it in its parameters, so
 * a copy elsewhere (Parameter Store, DynamoDB) would add a reader, not remove one: who may read
 * the deploy executions' history may read the token. FleetFlow therefore keeps one place, the
 * history, out of its logs (the state machines log without execution data), and
 * `FleetFlow.grantApprove` grants exactly what an approver needs: GetExecutionHistory and
 * DescribeExecution on the deploy workflow's executions, SendTaskSuccess and SendTaskFailure
 * on the deploy state machine. The token is never printed.
 */
import { DescribeExecutionCommand, paginateGetExecutionHistory } from '@aws-sdk/client-sfn';
import { InvalidInputError } from '../../../lambdas/domain/contract/errors';
import type { AwsContext } from './context';

/** History events per page: the pending approval is among the last few events of a waiting execution. */
const PAGE_SIZE = 50;
/** Events that close a task: met before (newest first) its TaskScheduled, the approval was answered. */
const TASK_CLOSED = new Set(['TaskSucceeded', 'TaskFailed', 'TaskTimedOut', 'TaskStateExited', 'TaskStateAborted']);

export interface PendingApproval {
  readonly token: string;
  /** The release waiting, from the message. */
  readonly summary?: string;
}

/** The task token of the execution's pending approval; refuses an execution that is not waiting for one. */
export async function findPendingApproval(context: AwsContext, executionArn: string): Promise<PendingApproval> {
  const execution = await context.sfn.send(new DescribeExecutionCommand({ executionArn }));
  if (execution.status !== 'RUNNING') {
    throw new InvalidInputError(`${execution.name ?? executionArn} is ${execution.status}: no approval is pending`);
  }
  const pages = paginateGetExecutionHistory({ client: context.sfn, pageSize: PAGE_SIZE }, { executionArn, reverseOrder: true, includeExecutionData: true });
  for await (const page of pages) {
    for (const event of page.events ?? []) {
      if (TASK_CLOSED.has(event.type ?? '')) break;
      const details = event.taskScheduledEventDetails;
      if (event.type !== 'TaskScheduled' || !details?.resource?.endsWith('.waitForTaskToken')) continue;
      const found = tokenIn(details.parameters);
      if (found) return found;
    }
    // Only the newest events can hold a pending approval: the first page decides.
    break;
  }
  throw new InvalidInputError(`${execution.name ?? executionArn} is not waiting for an approval (no pending Request Approval in its latest events)`);
}

/** The token in Request Approval's parameters: `Message` is the notification, as an object or as its JSON text. */
function tokenIn(parameters: string | undefined): PendingApproval | undefined {
  try {
    const params = JSON.parse(parameters ?? '{}') as { Message?: unknown };
    const message = (typeof params.Message === 'string' ? JSON.parse(params.Message) : params.Message) as { token?: unknown; summary?: unknown } | undefined;
    if (typeof message?.token !== 'string' || message.token.length === 0) return undefined;
    return { token: message.token, ...(typeof message.summary === 'string' ? { summary: message.summary } : {}) };
  } catch {
    return undefined;
  }
}
