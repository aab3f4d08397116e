/**
 * Create Green and Check Green: the blue/green deployment (CreateBlueGreenDeployment), then
 * its status until AVAILABLE ("Resources are available in the green environment"). The blue
 * keeps serving throughout: the green is a copy that "stays in sync with the current production
 * environment" (API reference, CreateBlueGreenDeployment).
 *
 * Safe to retry: the deployment's name is the plan's (one per execution), and it is tagged with
 * the execution and the environment at creation. A retry whose first answer was lost finds it
 * by name (DescribeBlueGreenDeployments, filter blue-green-deployment-name) before creating,
 * and takes it as its own only when its source is this plan's blue and its tag this execution.
 */
import { CreateBlueGreenDeploymentCommand, DescribeBlueGreenDeploymentsCommand, type BlueGreenDeployment } from '@aws-sdk/client-rds';
import { GreenDatabaseFailedError } from '../domain/contract/errors';
import { CREATED_BY_TAG, ENVIRONMENT_TAG } from '../domain/contract/tags';
import { rds } from '../shared/aws/rds';
import { describeDatabase, endpointOf } from '../shared/database-record';
import { completePhase, continuePhase, requirePhase, startPhase } from '../shared/phase';
import type { GreenPhase, ReplaceTaskInput } from './types';

/** What RDS usually takes to copy an instance into a green: the first look (and `fleetflow plan`'s estimate, lib/plan/workflow-estimate.ts). */
export const EXPECTED_PROVISION_SECONDS = 1200;

const blueServes = (event: ReplaceTaskInput) => `; ${event.plan.current.identifier} still serves, unchanged`;

export async function createGreen(event: ReplaceTaskInput): Promise<GreenPhase> {
  const { plan } = event;
  const existing = await deploymentNamed(plan.deploymentName);
  let deployment = existing;
  if (existing) {
    const tags = Object.fromEntries((existing.TagList ?? []).map((t) => [t.Key, t.Value]));
    if (existing.Source !== plan.current.arn || tags[CREATED_BY_TAG] !== event.execution) {
      throw new GreenDatabaseFailedError(`a blue/green deployment named ${plan.deploymentName} exists and is not this execution's (source ${existing.Source})${blueServes(event)}`);
    }
  } else {
    try {
      ({ BlueGreenDeployment: deployment } = await rds.send(
        new CreateBlueGreenDeploymentCommand({
          BlueGreenDeploymentName: plan.deploymentName,
          Source: plan.current.arn,
          ...(plan.target.engineVersion !== undefined ? { TargetEngineVersion: plan.target.engineVersion } : {}),
          ...(plan.target.instanceClass !== undefined ? { TargetDBInstanceClass: plan.target.instanceClass } : {}),
          ...(plan.target.allocatedStorage !== undefined ? { TargetAllocatedStorage: plan.target.allocatedStorage } : {}),
          // "The DB parameter group associated with the DB instance in the green environment" (API reference);
          // a major upgrade's group of the new family, checked by the plan.
          ...(plan.target.parameterGroup !== undefined ? { TargetDBParameterGroupName: plan.target.parameterGroup } : {}),
          Tags: [
            { Key: CREATED_BY_TAG, Value: event.execution },
            { Key: ENVIRONMENT_TAG, Value: plan.environment },
          ],
        }),
      ));
    } catch (err) {
      throw new GreenDatabaseFailedError(`CreateBlueGreenDeployment ${plan.deploymentName} refused: ${(err as Error).name}: ${(err as Error).message}${blueServes(event)}`, { cause: err });
    }
  }
  return { ...startPhase(plan.provisionTimeoutSeconds, plan.polling, undefined, EXPECTED_PROVISION_SECONDS), deploymentId: deployment!.BlueGreenDeploymentIdentifier! };
}

/** AVAILABLE: the green's identifier and endpoint; PROVISIONING: look again; anything else fails, the blue untouched. */
export async function checkGreen(event: ReplaceTaskInput & { phase?: GreenPhase }): Promise<GreenPhase> {
  const phase = requirePhase(event) as GreenPhase;
  const now = Date.now();
  const deployment = await deploymentById(phase.deploymentId);
  const status = deployment?.Status ?? 'not found';
  if (status === 'AVAILABLE') {
    const greenArn = deployment!.Target ?? '';
    const greenIdentifier = greenArn.split(':').pop() ?? '';
    const green = await describeDatabase(greenIdentifier);
    const greenEndpoint = green && endpointOf(green);
    if (!greenEndpoint) throw new GreenDatabaseFailedError(`green ${greenIdentifier} of ${phase.deploymentId} has no endpoint (${green?.DBInstanceStatus ?? 'not found'})${blueServes(event)}`);
    return { ...completePhase(phase, now), deploymentId: phase.deploymentId, greenIdentifier, greenEndpoint };
  }
  if (status !== 'PROVISIONING') {
    const details = deployment?.StatusDetails ? ` (${deployment.StatusDetails})` : '';
    throw new GreenDatabaseFailedError(`blue/green deployment ${phase.deploymentId} is ${status}${details}; it is kept for inspection${blueServes(event)}`);
  }
  if (now >= phase.deadline) {
    throw new GreenDatabaseFailedError(`blue/green deployment ${phase.deploymentId} still PROVISIONING ${event.plan.provisionTimeoutSeconds}s after it was created; it is kept${blueServes(event)}`);
  }
  return { ...continuePhase(phase, event.plan.polling, now), deploymentId: phase.deploymentId };
}

async function deploymentNamed(name: string): Promise<BlueGreenDeployment | undefined> {
  const { BlueGreenDeployments = [] } = await rds.send(new DescribeBlueGreenDeploymentsCommand({ Filters: [{ Name: 'blue-green-deployment-name', Values: [name] }] }));
  return BlueGreenDeployments[0];
}

/** The deployment, or undefined once RDS no longer has it (BlueGreenDeploymentNotFoundFault). */
export async function deploymentById(id: string): Promise<BlueGreenDeployment | undefined> {
  try {
    const { BlueGreenDeployments = [] } = await rds.send(new DescribeBlueGreenDeploymentsCommand({ BlueGreenDeploymentIdentifier: id }));
    return BlueGreenDeployments[0];
  } catch (err) {
    if ((err as Error).name === 'BlueGreenDeploymentNotFoundFault') return undefined;
    throw err;
  }
}
