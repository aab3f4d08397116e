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
 *
 * Safe to retry: an approval already answered the same way is reported, not refused.
 */
import { DescribeExecutionCommand, paginateGetExecutionHistory, type HistoryEvent } from '@aws-sdk/client-sfn';
import { APPROVAL_REJECTED_ERROR, InvalidInputError } from '../../../lambdas/domain/contract/errors';
import type { AwsContext } from './context';

/**
 * History events per page: a pending approval is among the last few events of a waiting
 * execution, so the first page usually answers. An answered one may lie further back (a
 * rejected release's revert follows it); the whole history is read if need be, which Step
 * Functions bounds ("Maximum execution history size: 25,000 events", Step Functions quotas).
 */
const PAGE_SIZE = 100;
/** Events that close a task: met before (newest first) its TaskScheduled, the approval was answered. */
const TASK_CLOSED = new Set(['TaskSucceeded', 'TaskFailed', 'TaskTimedOut', 'TaskStateAborted']);

export type ApprovalState =
  | { readonly state: 'pending'; readonly token: string }
  | { readonly state: 'approved' | 'rejected' | 'timed out'; readonly by?: string };

/**
 * The execution's latest approval: pending (with its token), or how it was answered, so a
 * retried `approve` of an approved release is told so instead of failing. Refuses an execution
 * that never asked for one.
 */
export async function findApproval(context: AwsContext, executionArn: string): Promise<ApprovalState & { readonly name: string; readonly status: string }> {
  const execution = await context.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const name = execution.name ?? executionArn;
  const status = execution.status ?? 'UNKNOWN';
  let closing: HistoryEvent | undefined;
  let read = 0;
  const pages = paginateGetExecutionHistory({ client: context.sfn, pageSize: PAGE_SIZE }, { executionArn, reverseOrder: true, includeExecutionData: true });
  for await (const page of pages) {
    for (const event of page.events ?? []) {
      const details = event.taskScheduledEventDetails;
      if (event.type === 'TaskScheduled' && details?.resource?.endsWith('.waitForTaskToken')) {
        if (closing) return { name, status, ...answerOf(closing) };
        const token = tokenIn(details.parameters);
        if (token && status === 'RUNNING') return { name, status, state: 'pending', token };
        if (token) throw new InvalidInputError(`${name} is ${status}: no approval is pending`);
      }
      // The newest task closing seen so far; a later-read (older) TaskScheduled is the task it closed.
      if (TASK_CLOSED.has(event.type ?? '')) closing = event;
      else if (event.type === 'TaskScheduled') closing = undefined;
    }
    read += page.events?.length ?? 0;
  }
  throw new InvalidInputError(`${name} (${status}) has no approval in its ${read} history events: nothing to answer`);
}

function answerOf(closing: HistoryEvent): ApprovalState {
  if (closing.type === 'TaskSucceeded') {
    try {
      const by = (JSON.parse(closing.taskSucceededEventDetails?.output ?? '{}') as { approvedBy?: unknown }).approvedBy;
      return { state: 'approved', ...(typeof by === 'string' ? { by } : {}) };
    } catch {
      return { state: 'approved' };
    }
  }
  if (closing.type === 'TaskFailed' && closing.taskFailedEventDetails?.error === APPROVAL_REJECTED_ERROR) {
    const by = /^rejected by (.*?): /.exec(closing.taskFailedEventDetails.cause ?? '')?.[1];
    return { state: 'rejected', ...(by ? { by } : {}) };
  }
  return { state: 'timed out' };
}

/** The token in Request Approval's parameters: `Message` is the notification, as an object or as its JSON text. */
function tokenIn(parameters: string | undefined): string | undefined {
  try {
    const params = JSON.parse(parameters ?? '{}') as { Message?: unknown };
    const message = (typeof params.Message === 'string' ? JSON.parse(params.Message) : params.Message) as { token?: unknown } | undefined;
    return typeof message?.token === 'string' && message.token.length > 0 ? message.token : undefined;
  } catch {
    return undefined;
  }
}
