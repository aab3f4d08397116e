/**
 * Switch Over: SwitchoverBlueGreenDeployment with the input's SwitchoverTimeout, then its status
 * until SWITCHOVER_COMPLETED. What AWS documents of it:
 * - "If the switchover takes longer than the specified duration, then any changes are rolled
 *   back, and no changes are made to the environments" (API reference): a switchover that did not
 *   complete leaves the blue serving, and fails here as SwitchoverFailedError.
 * - "RDS renames the DB instances in the blue environment by appending -old<n> to the current
 *   name", and the green takes the blue's name and endpoint, so "the switchover typically takes
 *   under a minute with no data loss and no need for application changes" (RDS User Guide):
 *   hosts are not repointed.
 * - Connections during the switchover: writes stop on both environments and their connections
 *   are dropped while the instances are renamed; clients reconnect to the same endpoint, which
 *   then answers from the green (the User Guide's "Switchover actions"; RDS Proxy: "existing
 *   connections to the proxy are dropped ... applications must re-establish connections").
 *
 * Safe to retry: a deployment already SWITCHOVER_IN_PROGRESS or SWITCHOVER_COMPLETED is this
 * execution's own switchover (the deployment is), and is not asked for again.
 */
import { SwitchoverBlueGreenDeploymentCommand } from '@aws-sdk/client-rds';
import { SwitchoverFailedError } from '../domain/contract/errors';
import { rds } from '../shared/aws/rds';
import { completePhase, continuePhase, requirePhase, startPhase } from '../shared/phase';
import { deploymentById } from './green';
import type { ReplaceTaskInput, SwitchoverPhase } from './types';

type SwitchoverEvent = ReplaceTaskInput & { readonly deploymentId: string; readonly phase?: SwitchoverPhase };

/** Looks past the switchover's own timeout: RDS's rollback and the status it reports afterwards. */
const AFTER_TIMEOUT_SECONDS = 300;
const ASKED = new Set(['SWITCHOVER_IN_PROGRESS', 'SWITCHOVER_COMPLETED']);
/** "The switchover typically takes under a minute with no data loss" (RDS User Guide, Overview of Amazon RDS Blue/Green Deployments): the first look, unless the timeout is shorter (and `fleetflow plan`'s estimate). */
export const EXPECTED_SWITCHOVER_SECONDS = 60;

const blueServes = (event: SwitchoverEvent) => `${event.plan.current.identifier} still serves at ${event.plan.current.endpoint}, unchanged, and nothing written to it is lost`;

export async function startSwitchover(event: SwitchoverEvent): Promise<SwitchoverPhase> {
  const { plan } = event;
  const status = (await deploymentById(event.deploymentId))?.Status;
  if (!ASKED.has(status ?? '')) {
    try {
      await rds.send(new SwitchoverBlueGreenDeploymentCommand({ BlueGreenDeploymentIdentifier: event.deploymentId, SwitchoverTimeout: plan.switchoverTimeoutSeconds }));
    } catch (err) {
      throw new SwitchoverFailedError(`SwitchoverBlueGreenDeployment ${event.deploymentId} refused: ${(err as Error).name}: ${(err as Error).message}; ${blueServes(event)}`, { cause: err });
    }
  }
  return { ...startPhase(plan.switchoverTimeoutSeconds + AFTER_TIMEOUT_SECONDS, plan.polling, undefined, Math.min(EXPECTED_SWITCHOVER_SECONDS, plan.switchoverTimeoutSeconds)), deploymentId: event.deploymentId };
}

/**
 * Seconds after the request during which AVAILABLE means "not started yet": the request returns
 * before DescribeBlueGreenDeployments need report SWITCHOVER_IN_PROGRESS.
 */
export const AVAILABLE_GRACE_SECONDS = 60;

/**
 * What each status says, in the API reference's words (BlueGreenDeployment.Status): only
 * SWITCHOVER_FAILED ("Switchover was attempted but failed", which a SwitchoverTimeout ends in:
 * "any changes are rolled back") is a rollback; INVALID_CONFIGURATION ("Resources in the green
 * environment are invalid, so switchover isn't possible") never started; AVAILABLE ("Resources are
 * available in the green environment") shortly after the request is looked at again.
 */
export async function checkSwitchover(event: SwitchoverEvent): Promise<SwitchoverPhase> {
  const phase = requirePhase(event) as SwitchoverPhase;
  const now = Date.now();
  const deployment = await deploymentById(phase.deploymentId);
  const status = deployment?.Status ?? 'not found';
  const details = deployment?.StatusDetails ? ` (${deployment.StatusDetails})` : '';
  const id = phase.deploymentId;
  const since = Math.round((now - phase.startedAt) / 1000);
  if (status === 'SWITCHOVER_COMPLETED') return { ...completePhase(phase, now), deploymentId: id };
  const waiting = status === 'SWITCHOVER_IN_PROGRESS' || (status === 'AVAILABLE' && since < AVAILABLE_GRACE_SECONDS);
  if (waiting) {
    if (now >= phase.deadline) throw new SwitchoverFailedError(`the switchover of ${id} is still in progress ${since}s after it was asked for; look at the deployment before anything else`);
    return { ...continuePhase(phase, event.plan.polling, now), deploymentId: id };
  }
  switch (status) {
    case 'SWITCHOVER_FAILED':
      throw new SwitchoverFailedError(
        `the switchover of ${id} (SwitchoverTimeout ${event.plan.switchoverTimeoutSeconds}s) failed${details}: RDS rolled it back, changing neither environment; ${blueServes(event)}; the green is kept`,
      );
    case 'INVALID_CONFIGURATION':
      throw new SwitchoverFailedError(`RDS reports ${id} INVALID_CONFIGURATION${details}: the green environment's resources are invalid, so it cannot switch over; ${blueServes(event)}; the green is kept to inspect`);
    case 'AVAILABLE':
      throw new SwitchoverFailedError(`${id} is still AVAILABLE ${since}s after the switchover was asked for${details}: RDS has not switched it over; ${blueServes(event)}; look at the deployment before asking again`);
    case 'not found':
    case 'DELETING':
      throw new SwitchoverFailedError(`${id} is ${status === 'DELETING' ? 'being deleted' : 'gone'} during its switchover (someone deleted it): which instance serves at ${event.plan.current.endpoint} is not known here; look at the database before anything else`);
    default:
      throw new SwitchoverFailedError(`RDS reports ${id} ${status}${details} during its switchover, which FleetFlow does not know; look at the deployment and the database before anything else`);
  }
}
