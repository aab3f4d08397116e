/**
 * `fleetflow approve` / `fleetflow reject`: answer a release waiting in Request Approval.
 * The token comes from the approval notification (`--token`) or from the execution's history
 * (`--execution`, lib/cli/aws/approval.ts). Uses the standard AWS configuration (region,
 * credentials, AWS_ENDPOINT_URL) unless given a client.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';

import { APPROVAL_REJECTED_ERROR } from '../../lambdas/domain/contract/errors';

const defaultClient = new SFNClient({});

export async function approve(token: string, approver: string, sfn: SFNClient = defaultClient): Promise<void> {
  await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approvedBy: approver }) }));
}

export async function reject(token: string, approver: string, reason: string, sfn: SFNClient = defaultClient): Promise<void> {
  await sfn.send(
    new SendTaskFailureCommand({
      taskToken: token,
      error: APPROVAL_REJECTED_ERROR,
      // SendTaskFailure caps the cause at 32,768 characters.
      cause: `rejected by ${approver}: ${reason}`.slice(0, 32_768),
    }),
  );
}

export function validateToken(token: string | undefined): string {
  // Task tokens are 1 to 2,048 characters.
  if (!token || token.length > 2048) throw new TypeError('--token is required: the task token from the approval notification (1-2048 characters)');
  return token;
}
