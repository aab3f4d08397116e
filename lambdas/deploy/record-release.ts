/**
 * Record Release: once a release has passed validation, it becomes the environment's
 * current release for its component and the one before becomes `previous`. Nothing is
 * recorded for a release that failed or was rolled back.
 */
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { ssm } from '../shared/aws/ssm';
import { releaseParameterName } from '../domain/contract/records';
import type { DeployPlan } from '../domain/contract/payloads';

export const handler = async (event: { plan: DeployPlan }) => recordRelease(event.plan);

export async function recordRelease(plan: DeployPlan): Promise<{ current: string; previous: string | null }> {
  const put = (which: 'current' | 'previous', value: string) =>
    ssm.send(
      new PutParameterCommand({
        Name: releaseParameterName(plan.environment, plan.component, which),
        Value: value,
        Type: 'String',
        Overwrite: true,
        Description: `FleetFlow: ${which} ${plan.component} release of ${plan.environment}`,
      }),
    );
  const previous = plan.recordedRelease && plan.recordedRelease !== plan.release ? plan.recordedRelease : null;
  if (previous) await put('previous', previous);
  await put('current', plan.release);
  return { current: plan.release, previous };
}
