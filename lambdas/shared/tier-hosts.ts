/**
 * A tier's hosts as a release or a repoint finds them, before anything changes: the running
 * hosts its tags select, whether each is in traffic (target groups, or the out-of-traffic
 * marker of an execution that stopped), and the batch policy for their count. Shared by Plan
 * Release (deploy) and Plan Restore Data (restore-data), which roll the same tiers.
 */
import { paginateDescribeInstances } from '@aws-sdk/client-ec2';
import { DescribeTargetGroupAttributesCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvalidInputError, InventoryError } from '../domain/contract/errors';
import type { HostRef, TrafficPlan } from '../domain/contract/payloads';
import { INSTALL_SENT_TAGS, LAUNCHED_BY_TAG, OUT_OF_TRAFFIC_TAG, RELEASE_TAG } from '../domain/contract/tags';
import { resolveBatchPolicy } from '../domain/environment/batch-policy';
import type { HostTierDefinition } from '../domain/environment/model';
import { DRAIN_MARGIN_SECONDS } from '../domain/environment/tiers';
import { ec2 } from './aws/ec2';
import { elbv2 } from './aws/elbv2';
import { logger } from './logger';
import { describeHosts } from './polling';

/** A host as found by its tier's tags. */
export type FoundHost = HostRef;
/** Hosts that carry the out-of-traffic marker of an execution that stopped before putting them back. */
const markedOut = new WeakSet<FoundHost>();
const sent = new WeakSet<FoundHost>();
/** Hosts a FleetFlow execution launched (LAUNCHED_BY_TAG): one registered in no target group was set up by a run that stopped. */
const launched = new WeakSet<FoundHost>();
/** Whether an install was sent to the host and never recorded (INSTALLING_TAG): it may not run what its release tag says. */
export const installSent: Pick<WeakSet<FoundHost>, 'has'> = sent;

export function policyFor(tier: HostTierDefinition, hostCount: number) {
  try {
    return resolveBatchPolicy(tier.name, tier.batch, hostCount);
  } catch (err) {
    throw new InvalidInputError((err as Error).message, { cause: err });
  }
}

/** Launched hosts left without a release by an execution that stopped: skipped, and logged. */
const neverServed: string[] = [];

/** Running instances carrying every tag of the tier's selector, in a stable order. */
export async function findHosts(tier: HostTierDefinition): Promise<FoundHost[]> {
  const filters = [
    ...Object.entries(tier.hosts.tags).map(([key, value]) => ({ Name: `tag:${key}`, Values: [value] })),
    { Name: 'instance-state-name', Values: ['running'] },
  ];
  const hosts: FoundHost[] = [];
  for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 1000 }, { Filters: filters })) {
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) {
        if (!instance.InstanceId) continue;
        const tag = (key: string) => instance.Tags?.find((t) => t.Key === key)?.Value ?? '';
        // A host a compute workflow or a surge launched and that never got a release (its execution
        // stopped or failed before, even with its first install sent) has never served: new hosts are
        // registered only after their install is recorded. It is not one of the tier's hosts to release.
        if (tag(LAUNCHED_BY_TAG) && !tag(RELEASE_TAG)) {
          neverServed.push(instance.InstanceId);
          continue;
        }
        const host: FoundHost = { id: instance.InstanceId, name: tag('Name') || instance.InstanceId, previous: tag(RELEASE_TAG) };
        if (tag(OUT_OF_TRAFFIC_TAG)) markedOut.add(host);
        if (tag(LAUNCHED_BY_TAG)) launched.add(host);
        if (INSTALL_SENT_TAGS.some((key) => tag(key))) sent.add(host);
        hosts.push(host);
      }
    }
  }
  if (neverServed.length > 0) logger.warn('launched hosts that never got a release are not part of the tier', { tier: tier.name, instances: neverServed.splice(0).slice(0, 20) });
  return hosts.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }) || a.id.localeCompare(b.id));
}

export async function resolveTraffic(
  tier: HostTierDefinition,
  hosts: readonly FoundHost[],
): Promise<{ traffic: TrafficPlan; healthyAfterSeconds: number; outOfTraffic: Set<string> }> {
  // Tiers without target groups: what a stopped execution drained is known by its marker only.
  if (tier.traffic.kind !== 'target-group') {
    return { traffic: tier.traffic, healthyAfterSeconds: 0, outOfTraffic: new Set(hosts.filter((h) => markedOut.has(h)).map((h) => h.id)) };
  }
  const outOfTraffic = new Set<string>();
  /** Hosts neither registered nor marked out, with the groups they are missing from. */
  const unmarked = new Map<FoundHost, string[]>();
  let TargetGroups;
  try {
    ({ TargetGroups = [] } = await elbv2.send(new DescribeTargetGroupsCommand({ Names: tier.traffic.targetGroups })));
  } catch (err) {
    // AWS answers an unknown name with TargetGroupNotFound for the whole call.
    if ((err as Error).name !== 'TargetGroupNotFoundException') throw err;
    throw new InventoryError(`tier ${tier.name}: target group(s) ${tier.traffic.targetGroups.join(', ')} not found`, { cause: err });
  }
  const arns: string[] = [];
  const ports = new Set<number>();
  let healthyAfterSeconds = 0;
  let deregistrationDelaySeconds = 0;
  for (const name of tier.traffic.targetGroups) {
    const group = TargetGroups.find((g) => g.TargetGroupName === name);
    if (!group?.TargetGroupArn) throw new InventoryError(`tier ${tier.name}: target group ${name} does not exist`);
    arns.push(group.TargetGroupArn);
    if (group.Port !== undefined) ports.add(group.Port);
    deregistrationDelaySeconds = Math.max(deregistrationDelaySeconds, await assertDrainCovers(tier, name, group.TargetGroupArn));
    healthyAfterSeconds = Math.max(
      healthyAfterSeconds,
      (group.HealthCheckIntervalSeconds ?? 30) * (group.HealthyThresholdCount ?? 5),
    );
    // Only hosts already in service are rolled; registering a host that was out on
    // purpose would change the service, not release onto it.
    const { TargetHealthDescriptions = [] } = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.TargetGroupArn }));
    // A draining target is on its way out: not in traffic.
    const registered = new Set(TargetHealthDescriptions.filter((d) => d.TargetHealth?.State !== 'draining').map((d) => d.Target?.Id));
    const missing = hosts.filter((h) => !registered.has(h.id));
    for (const h of missing) {
      if (markedOut.has(h)) outOfTraffic.add(h.id);
      else unmarked.set(h, [...(unmarked.get(h) ?? []), name]);
    }
  }
  // A host a compute run launched and set up (it has its release) but that is registered in none of the
  // groups: a run stopped before Return To Traffic, or a person deregistered a serving host. Nothing says
  // which, so neither a release nor a compute run touches it (lambdas/compute/leftovers.ts): a person decides.
  const neverPut = [...unmarked].filter(([h, groups]) => launched.has(h) && groups.length === arns.length).map(([h]) => h);
  if (neverPut.length > 0) throw new InventoryError(outOfServiceRefusal(tier.name, neverPut));
  for (const [h, groups] of unmarked) {
    // The first group, in the definition's order, that misses unmarked hosts: all of them named.
    throw new InventoryError(
      `tier ${tier.name}: ${describeHosts([h, ...[...unmarked].filter(([o, g]) => o !== h && g.includes(groups[0]!)).map(([o]) => o)])} ` +
        `not registered in target group ${groups[0]}, and not left out by FleetFlow ` +
        `(no ${OUT_OF_TRAFFIC_TAG} tag): register them, or take them out of the tier's tags; nothing was changed`,
    );
  }
  return {
    traffic: { kind: 'target-group', targetGroupArns: arns, deregistrationDelaySeconds, ports: [...ports].sort((a, b) => a - b) },
    healthyAfterSeconds,
    outOfTraffic,
  };
}

/** ELB's default deregistration delay, when a target group does not report the attribute. */
export const ELB_DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300;

/**
 * The target group's deregistration delay (DescribeTargetGroupAttributes,
 * `deregistration_delay.timeout_seconds`), which the tier's drain timeout must cover. The ALB
 * user guide: "even though target deregistration is complete, the status of the target will be
 * displayed as draining until the deregistration delay elapses." A drain that cannot outlast
 * the delay would time out on every batch whose host-side check (if any) fails, so the
 * release is refused here, before the lock, naming both figures.
 */
export async function assertDrainCovers(tier: HostTierDefinition, name: string, arn: string): Promise<number> {
  const { Attributes = [] } = await elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
  const value = Attributes.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
  const parsed = value === undefined ? Number.NaN : Number(value);
  const delay = Number.isInteger(parsed) && parsed >= 0 ? parsed : ELB_DEFAULT_DEREGISTRATION_DELAY_SECONDS;
  const needed = delay + DRAIN_MARGIN_SECONDS;
  if (tier.drain.timeoutSeconds < needed) {
    throw new InvalidInputError(
      `tier ${tier.name}: drain.timeoutSeconds ${tier.drain.timeoutSeconds} cannot cover the deregistration delay of target group ` +
        `${name}, ${delay}s (deregistration_delay.timeout_seconds): ELB shows a deregistered target draining until the delay ` +
        `has elapsed, so the drain would time out; set drain.timeoutSeconds to at least ${needed} (the delay and ` +
        `${DRAIN_MARGIN_SECONDS}s), or lower the target group's delay; nothing was changed`,
    );
  }
  return delay;
}

/**
 * The refusal for hosts FleetFlow launched and set up (they have a release) that are registered in
 * none of their tier's target groups without FleetFlow having taken them out of traffic. Two stories
 * fit and nothing AWS reports tells them apart: a FleetFlow run stopped between the release tag and
 * Return To Traffic, or a person deregistered a serving host (aws elbv2 deregister-targets) or swapped
 * the tier's group. Terminating a host of the second kind destroys one that may be needed, so the
 * plans refuse, naming the hosts and both ways out, and a person decides. Shared by Plan Release and
 * the compute planners, so both say the same thing (`also`: what else the planner has to say).
 */
export function outOfServiceRefusal(tiers: string | readonly string[], hosts: readonly HostRef[], also = ''): string {
  const one = hosts.length === 1;
  const names = typeof tiers === 'string' ? [tiers] : tiers;
  const releases = [...new Set(hosts.map((h) => h.previous))].sort();
  const release = `${releases.length === 1 ? 'release' : 'releases'} ${releases.join(', ')}`;
  return (
    `${names.length === 1 ? `tier ${names[0]}` : `tiers ${names.join(', ')}`}: ${one ? '1 host' : `${hosts.length} hosts`}, ${describeHosts(hosts)}, ` +
    `${one ? 'has' : 'have'} ${release} but ${one ? 'is' : 'are'} ` +
    `registered in none of ${names.length === 1 ? "the tier's" : 'their tiers\''} target groups and FleetFlow did not take ${one ? 'it' : 'them'} out of traffic (no ${OUT_OF_TRAFFIC_TAG} tag): ` +
    `a FleetFlow run stopped before putting ${one ? 'it' : 'them'} into service, or ${one ? 'it was' : 'they were'} deregistered by hand; ` +
    `register ${one ? 'it' : 'them'} back with \`aws elbv2 register-targets\` if ${one ? 'it' : 'they'} should serve, ` +
    `or terminate ${one ? 'it' : 'them'} if a stopped run left ${one ? 'it' : 'them'}${also ? `; ${also}` : ''}; nothing was changed`
  );
}
