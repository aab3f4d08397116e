/**
 * Who is calling: STS GetCallerIdentity, for the approver's name and the account a state
 * machine's ARN is built in. The STS client takes the Step Functions client's resolved
 * region and credentials, so both follow the same configuration chain (profile,
 * environment, SSO, role), and the SDK's own endpoint settings (`AWS_ENDPOINT_URL_STS`,
 * `AWS_ENDPOINT_URL`).
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { partitionOf } from './names';

export interface CallerIdentity {
  /** arn:aws:sts::123456789012:assumed-role/Deployer/alice, or an IAM user's ARN. */
  readonly arn: string;
  readonly account: string;
  readonly partition: string;
}

export async function getCallerIdentity(sfn: SFNClient): Promise<CallerIdentity> {
  // Resolving the region first gives the SDK's own "Region is missing" when there is none.
  const region = await sfn.config.region();
  const sts = new STSClient({ region, credentials: sfn.config.credentials });
  try {
    const { Arn: arn, Account: account } = await sts.send(new GetCallerIdentityCommand({}));
    if (!arn || !account) throw Object.assign(new Error('GetCallerIdentity answered without Arn and Account'), { name: 'InvalidResponse' });
    return { arn, account, partition: arn.split(':')[1] ?? partitionOf(region) };
  } finally {
    sts.destroy();
  }
}
