/**
 * Check Hosts Ready: every host this execution launched for the tier is running, has
 * passed its EC2 status checks, and is online in Systems Manager (so Run Command can reach
 * it). Polled until the tier's ready timeout:
 * - a host that terminated or stopped on its own, or whose status checks are impaired,
 *   fails LaunchFailedError at once;
 * - a host still not online in SSM at the deadline fails InstanceNotManagedError;
 * - anything else still booting at the deadline fails LaunchFailedError.
 */
import { DescribeInstanceStatusCommand } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { ec2 } from '../shared/aws/ec2';
import { ssm } from '../shared/aws/ssm';
import { InstanceNotManagedError, LaunchFailedError } from '../domain/contract/errors';
import { findInstances, tagFilters, type InstanceFacts } from '../shared/instances';
import { completePhase, continuePhase, startPhase } from '../shared/phase';
import { describeHosts } from '../shared/polling';
import { launchedTags } from './launching';
import type { PhaseState, ProvisionTaskInput } from '../domain/contract/payloads';

/** DescribeInstanceStatus: at most 100 instance IDs per call. */
const MAX_STATUS_IDS = 100;
/** DescribeInstanceInformation: the InstanceIds filter takes at most 50 values, MaxResults 5-50. */
const MAX_INFORMATION_IDS = 50;
/** What a host usually takes to boot, pass its status checks and register with SSM: the first look. */
export const EXPECTED_READY_SECONDS = 90;

// A throttled look learned nothing: look again later, until the phase's deadline.

/** The phase Check Hosts Ready starts at its first look. */
export function readyPhase(event: ProvisionTaskInput): PhaseState {
  return startPhase(event.tier.readyTimeoutSeconds, event.tier.spec.polling, undefined, EXPECTED_READY_SECONDS);
}

export async function checkHostsReady(event: ProvisionTaskInput): Promise<PhaseState> {
  const { tier } = event;
  const now = Date.now();
  const phase = event.phase ?? readyPhase(event);
  const requested = tier.perSubnet.reduce((a, b) => a + b, 0);
  const hosts = await findInstances(tagFilters(launchedTags(event.execution, tier, event.scope)));
  const atDeadline = now >= phase.deadline;
  const label = `tier ${tier.spec.name}`;

  const gone = hosts.filter((h) => ['shutting-down', 'terminated', 'stopping', 'stopped'].includes(h.state));
  if (gone.length > 0) throw new LaunchFailedError(`${label}: ${describeHosts(gone)} ${gone.length === 1 ? 'is' : 'are'} ${gone[0]!.state} before ever serving`);
  if (hosts.length < requested) {
    if (!atDeadline) return continuePhase(phase, tier.spec.polling, now);
    throw new LaunchFailedError(`${label}: only ${hosts.length} of the ${requested} launched host(s) were found after ${tier.readyTimeoutSeconds}s`);
  }
  const booting = hosts.filter((h) => h.state !== 'running');
  const statuses = await instanceStatuses(hosts.filter((h) => h.state === 'running'));
  const impaired = hosts.filter((h) => statuses.get(h.id) === 'impaired');
  if (impaired.length > 0) throw new LaunchFailedError(`${label}: ${describeHosts(impaired)} failed their EC2 status checks (impaired)`);
  const checking = hosts.filter((h) => h.state === 'running' && statuses.get(h.id) !== 'ok');
  const online = await onlineInSsm(hosts.filter((h) => h.state === 'running'));
  const unmanaged = hosts.filter((h) => h.state === 'running' && !online.has(h.id));
  if (booting.length === 0 && checking.length === 0 && unmanaged.length === 0) return completePhase(phase, now);
  if (!atDeadline) return continuePhase(phase, tier.spec.polling, now);
  if (booting.length + checking.length > 0) {
    throw new LaunchFailedError(`${label}: ${describeHosts([...booting, ...checking])} still booting or checking after ${tier.readyTimeoutSeconds}s`);
  }
  throw new InstanceNotManagedError(
    `${label}: ${describeHosts(unmanaged)} never came online in Systems Manager within ${tier.readyTimeoutSeconds}s ` +
      '(check the SSM Agent, the instance profile and the route to SSM)',
  );
}

/** Instance status per host ('ok', 'initializing', 'impaired', ...); the worse of instance and system status. */
async function instanceStatuses(hosts: readonly InstanceFacts[]): Promise<Map<string, string>> {
  const statuses = new Map<string, string>();
  for (let i = 0; i < hosts.length; i += MAX_STATUS_IDS) {
    const ids = hosts.slice(i, i + MAX_STATUS_IDS).map((h) => h.id);
    const { InstanceStatuses = [] } = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: ids, IncludeAllInstances: true }));
    for (const s of InstanceStatuses) {
      const both = [s.InstanceStatus?.Status, s.SystemStatus?.Status];
      statuses.set(s.InstanceId!, both.includes('impaired') ? 'impaired' : both.every((x) => x === 'ok') ? 'ok' : (both.find((x) => x !== 'ok') ?? 'unknown'));
    }
  }
  return statuses;
}

/** Hosts SSM lists with PingStatus Online. */
async function onlineInSsm(hosts: readonly InstanceFacts[]): Promise<Set<string>> {
  const online = new Set<string>();
  for (let i = 0; i < hosts.length; i += MAX_INFORMATION_IDS) {
    const ids = hosts.slice(i, i + MAX_INFORMATION_IDS).map((h) => h.id);
    let NextToken: string | undefined;
    do {
      const page = await ssm.send(
        new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ids }], MaxResults: MAX_INFORMATION_IDS, NextToken }),
      );
      for (const info of page.InstanceInformationList ?? []) if (info.PingStatus === 'Online' && info.InstanceId) online.add(info.InstanceId);
      NextToken = page.NextToken;
    } while (NextToken);
  }
  return online;
}
