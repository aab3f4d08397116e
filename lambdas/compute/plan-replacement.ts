/**
 * Plan Replacement (compute restore): which hosts are replaced, and where their
 * replacements launch (the same tier, the same subnet). Targets are named hosts or
 * instance IDs, or "unhealthy": every host of the tier(s) that a target group reports
 * unhealthy or whose EC2 status checks fail. The hosts replaced are written to the plan
 * table; once every replacement is healthy in service they are taken out, drained and
 * stopped or terminated (the tier's `retire` policy), never below the tier's in-service
 * count before the replacement. In disaster-recovery mode they are retired first, all at
 * once (the service may be down meanwhile). Hosts EC2 would refuse to stop or terminate (stop or
 * termination protection, by the retire policy) or that belong to an Auto Scaling group are refused
 * first, naming them (retire-guards.ts). Read-only.
 */
import { DescribeInstanceStatusCommand } from '@aws-sdk/client-ec2';
import { parseComputeInput, type ReplaceInput } from '../domain/compute-input';
import type { EnvironmentDefinition, HostTierDefinition } from '../domain/environment/model';
import { isHostTier } from '../domain/environment/tiers';
import { ec2 } from '../shared/aws/ec2';
import { RETIRED_BY_TAG, RELEASE_TAG } from '../domain/contract/tags';
import { InvalidInputError, InventoryError } from '../domain/contract/errors';
import { findInstances, tagFilters, type InstanceFacts } from '../shared/instances';
import { logger } from '../shared/logger';
import { storeTiers } from '../shared/plan-store';
import { describeHosts } from '../shared/polling';
import { healthyTargets, targetStates } from '../shared/target-health';
import type { HostRef, PlannedTier, ComputePlan, LeftoverTier, ProvisionTier } from '../domain/contract/payloads';
import type { PlanEvent } from './allocation';
import { describeTargetGroups, environmentOf, launchableTier, PROVISION_BATCH_HOSTS, provisionTier, releaseFor } from '../shared/provision-plan';
import { isLeftover, leftoverTier, outOfService, refuseOutOfService, registeredHosts } from './leftovers';
import { refuseUnretirableTiers } from './retire-guards';
import { retireTraffic } from './retire-traffic';

/** Hosts that can be replaced: anything not already gone. */
const REPLACEABLE_STATES = ['pending', 'running', 'stopping', 'stopped'] as const;
/** DescribeInstanceStatus takes at most 100 instance IDs per call (EC2 API reference). */
const MAX_STATUS_IDS = 100;

export const handler = async (event: PlanEvent): Promise<ComputePlan> => {
  const plan = await planReplacement(event);
  logger.info(plan.nothingToDo ?? 'planned replacement', { launch: plan.launchCount, retire: plan.retire?.hostCount ?? 0 });
  return plan;
};

export async function planReplacement(event: PlanEvent): Promise<ComputePlan> {
  const input = parseComputeInput('replace', event.input);
  const environment = environmentOf(event.environment);
  const { byTier: targets, leftovers } = await resolveTargets(environment, input, event.execution);
  const provisions: ProvisionTier[] = [];
  const retiring: PlannedTier[] = [];
  // Before anything is launched or drained: a host EC2 would not stop or terminate, or an Auto Scaling group would bring back;
  // every tier's protection reads added up before the first (retire-guards.ts).
  await refuseUnretirableTiers(
    'a replacement',
    [...targets].filter(([, hosts]) => hosts.length > 0).map(([tierName, hosts]) => ({ tier: tierName, hosts, policy: launchableTier(environment, tierName, 'targets').retire })),
  );
  for (const [tierName, hosts] of targets) {
    if (hosts.length === 0) continue;
    const tier = launchableTier(environment, tierName, 'targets');
    const release = await releaseFor(environment, tier);
    const perSubnet = tier.launch.subnets.map((s) => hosts.filter((h) => h.subnetId === s.id).length);
    // A host outside the tier's subnets is replaced in the least-used subnet.
    const elsewhere = hosts.filter((h) => !tier.launch.subnets.some((s) => s.id === h.subnetId)).length;
    for (let i = 0; i < elsewhere; i += 1) perSubnet[perSubnet.indexOf(Math.min(...perSubnet))]! += 1;
    const provision = await provisionTier(environment, tier, { count: hosts.length, perSubnet, release });
    provisions.push(provision);
    const inServiceBefore = input.mode === 'disaster-recovery' ? 0 : await inServiceCount(tier, provision, event.execution);
    // Drained as a release drains: the host-side check on the groups' ports, the first look at the delay (retire-traffic.ts).
    const traffic = await retireTraffic(tier, await describeTargetGroups(tier));
    const refs: HostRef[] = hosts.map((h) => ({ id: h.id, name: h.name, previous: h.tags.get(RELEASE_TAG) ?? '' }));
    const batches: HostRef[][] = [];
    for (let i = 0; i < refs.length; i += PROVISION_BATCH_HOSTS) batches.push(refs.slice(i, i + PROVISION_BATCH_HOSTS));
    retiring.push({
      mode: 'retire',
      reason: input.mode === 'disaster-recovery' ? 'disaster-recovery' : 'replaced',
      // Retiring never lowers the tier below what was in service before the replacement.
      spec: { ...provision.spec, traffic, retire: tier.retire, hostCount: hosts.length, minHealthy: inServiceBefore, batchSize: Math.min(hosts.length, PROVISION_BATCH_HOSTS) },
      batchCount: batches.length,
      batches,
    });
  }
  const retireTiers = await storeTiers(environment.name, event.execution, 'retire', retiring);
  const launchCount = provisions.reduce((n, t) => n + t.spec.hostCount, 0);
  return {
    environment: environment.name,
    workflow: 'replace',
    tiers: provisions,
    launchCount,
    ...(leftovers.length > 0 ? { leftovers } : {}),
    // Named targets are each found or refused; only "unhealthy" can find none: with no leftover to terminate either,
    // the run then changes nothing, says so, and ends before taking the lock.
    ...(launchCount === 0 && leftovers.length === 0 ? { nothingToDo: 'no unhealthy host: nothing replaced' } : {}),
    retire: { tiers: retireTiers, hostCount: launchCount, first: input.mode === 'disaster-recovery', release: provisions[0]?.release ?? '' },
  };
}

/** The hosts to replace, by tier; and the leftovers of stopped runs, which are neither targets nor replaced (they are terminated). */
async function resolveTargets(
  environment: EnvironmentDefinition,
  input: ReplaceInput,
  execution: string,
): Promise<{ byTier: Map<string, InstanceFacts[]>; leftovers: LeftoverTier[] }> {
  const tiers = environment.tiers.filter(isHostTier).filter((t) => !input.tier || t.name === input.tier);
  if (input.tier && tiers.length === 0) launchableTier(environment, input.tier, 'tier');
  const byTier = new Map<string, InstanceFacts[]>();
  const hostsOf = new Map<string, InstanceFacts[]>();
  const leftovers: LeftoverTier[] = [];
  const unregistered = new Map<string, InstanceFacts[]>();
  const leftHosts: InstanceFacts[] = [];
  // A host an earlier replacement retired (stopped, kept for inspection) is no longer part of its tier,
  // nor is one a stopped run launched and never set up (leftovers.ts). A host set up and registered in none
  // of the tier's target groups, not taken out by FleetFlow, is refused, named, before anything changes.
  for (const tier of tiers) {
    const hosts = await findInstances(tagFilters(tier.hosts.tags, REPLACEABLE_STATES));
    const arns = (await describeTargetGroups(tier)).map((g) => g.TargetGroupArn!);
    unregistered.set(tier.name, outOfService(hosts, execution, await registeredHosts(arns, hosts, execution)));
    hostsOf.set(tier.name, hosts.filter((h) => !h.tags.has(RETIRED_BY_TAG) && !isLeftover(h, execution)));
    const left = hosts.filter((h) => isLeftover(h, execution));
    leftHosts.push(...left);
    if (left.length > 0) leftovers.push(leftoverTier(tier.name, tier.hosts.tags, left));
  }
  refuseOutOfService(unregistered, leftHosts);
  if (input.targets === 'unhealthy') {
    for (const tier of tiers) byTier.set(tier.name, await unhealthyHosts(tier, hostsOf.get(tier.name)!));
    return { byTier, leftovers };
  }
  const unknown: string[] = [];
  const database = environment.tiers.find((t) => !isHostTier(t));
  for (const target of new Set(input.targets)) {
    if (database && !isHostTier(database) && target === database.database.instanceIdentifier) {
      throw new InvalidInputError(`targets: "${target}" is the environment's database, which replace does not touch (it replaces EC2 hosts); nothing was changed`);
    }
    const found = [...hostsOf].flatMap(([tier, hosts]) => hosts.filter((h) => h.id === target || h.name === target).map((h) => [tier, h] as const));
    if (found.length === 0) {
      unknown.push(target);
      continue;
    }
    if (found.length > 1) throw new InvalidInputError(`targets: "${target}" names ${found.length} hosts (${describeHosts(found.map(([, h]) => h))}); name them by instance ID; nothing was changed`);
    const [tier, host] = found[0]!;
    byTier.set(tier, [...(byTier.get(tier) ?? []).filter((h) => h.id !== host.id), host]);
  }
  if (unknown.length > 0) {
    throw new InventoryError(
      `targets: no running or stopped host of ${input.tier ? `tier ${input.tier}` : 'this environment'} is named ${unknown.slice(0, 5).map((t) => `"${t}"`).join(', ')}` +
        `${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}; nothing was changed`,
    );
  }
  return { byTier, leftovers };
}

/** Hosts a target group of the tier reports unhealthy, or whose EC2 status checks fail (impaired), or that are stopped. */
async function unhealthyHosts(tier: HostTierDefinition, hosts: readonly InstanceFacts[]): Promise<InstanceFacts[]> {
  if (hosts.length === 0) return [];
  const bad = new Set(hosts.filter((h) => h.state === 'stopped' || h.state === 'stopping').map((h) => h.id));
  for (const group of await describeTargetGroups(tier)) {
    for (const [id, state] of await targetStates(group.TargetGroupArn!, hosts.map((h) => h.id))) if (state === 'unhealthy') bad.add(id);
  }
  const ids = hosts.map((h) => h.id);
  for (let i = 0; i < ids.length; i += MAX_STATUS_IDS) {
    const { InstanceStatuses = [] } = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: ids.slice(i, i + MAX_STATUS_IDS) }));
    for (const status of InstanceStatuses) {
      if (status.InstanceStatus?.Status === 'impaired' || status.SystemStatus?.Status === 'impaired') bad.add(status.InstanceId!);
    }
  }
  return hosts.filter((h) => bad.has(h.id));
}

/** Hosts of the tier in service now: healthy in its target groups, or running and not a leftover (tiers without one). */
async function inServiceCount(tier: HostTierDefinition, provision: ProvisionTier, execution: string): Promise<number> {
  if (provision.spec.traffic.kind === 'target-group') {
    let least = Number.POSITIVE_INFINITY;
    for (const arn of provision.spec.traffic.targetGroupArns) least = Math.min(least, (await healthyTargets(arn)).size);
    return least;
  }
  return (await findInstances(tagFilters(tier.hosts.tags, ['running']))).filter((h) => !isLeftover(h, execution)).length;
}
