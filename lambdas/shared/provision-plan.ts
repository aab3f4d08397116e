/**
 * What the compute planners share: the environment and the records read, and how a tier's
 * new hosts are described (ProvisionTier). Planning only reads; every refusal happens here,
 * before the lock and before anything is launched.
 */
import { DescribeTargetGroupsCommand, type TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EnvironmentDefinition, HostTierDefinition } from '../domain/environment/model';
import { componentOf, isHostTier } from '../domain/environment/tiers';
import { readStoredEnvironment } from '../domain/environment/stored';
import { elbv2 } from './aws/elbv2';
import { readParameter } from './parameters';
import { tierSpec } from './tier-spec';
import { DependencyCheckFailedError, InvalidInputError } from '../domain/contract/errors';
import { findInstances, tagFilters } from './instances';
import { releaseParameterName } from '../domain/contract/records';
import { LAUNCHED_BY_TAG, RELEASE_TAG } from '../domain/contract/tags';
import type { TrafficPlan, LaunchSpec, ProvisionTier, SetupStep } from '../domain/contract/payloads';

/** A host tier with a launch definition. */
export type LaunchableTier = HostTierDefinition & { launch: NonNullable<HostTierDefinition['launch']> };

/** How long a new host may take to run, pass its status checks and come online in SSM. */
export const READY_TIMEOUT_SECONDS = 900;
/** How long the probe of the health check path may take on a host. */
const PROBE_TIMEOUT_SECONDS = 60;
/** The largest batch a new tier is installed in (the rollout's batch cap, lambdas/shared/plan-store.ts). */
export const PROVISION_BATCH_HOSTS = 2000;

/**
 * The environment of a planner's payload: the definition synth validated and stored in the
 * template, read without validating it again (domain/environment/stored.ts says why); a document
 * that is not what synth writes is refused as InvalidInputError before anything is read.
 */
export function environmentOf(raw: unknown): EnvironmentDefinition {
  try {
    return readStoredEnvironment(raw);
  } catch (err) {
    throw new InvalidInputError((err as Error).message, { cause: err });
  }
}

/** A host tier that can be launched: it must exist and have `launch`. */
export function launchableTier(environment: EnvironmentDefinition, name: string, field: string): LaunchableTier {
  const tier = environment.tiers.find((t) => t.name === name);
  if (!tier) {
    const names = environment.tiers.filter(isHostTier).map((t) => t.name);
    throw new InvalidInputError(`${field}: environment ${environment.name} has no tier "${name}" (host tiers: ${names.join(', ')}); nothing was changed`);
  }
  if (!isHostTier(tier)) throw new InvalidInputError(`${field}: tier ${name} is the data tier; its instance is not launched from a template`);
  if (!tier.launch) {
    throw new InvalidInputError(`${field}: tier ${name} has no launch definition (tiers[].launch: template, version, subnets), so FleetFlow cannot launch its hosts; nothing was changed`);
  }
  return tier as LaunchableTier;
}


/**
 * The release new hosts of a tier get: what the environment records as current for the
 * tier's component. `override` is accepted only when nothing is recorded (a first
 * deployment); new hosts never run a release the rest of the tier does not.
 */
export async function releaseFor(environment: EnvironmentDefinition, tier: HostTierDefinition, override?: string): Promise<string> {
  const component = componentOf(tier);
  const name = releaseParameterName(environment.name, component, 'current');
  // Nothing recorded yet (the environment was never released by FleetFlow): what the tier's hosts run, if they agree.
  const recorded = (await readParameter(name)) ?? (await tierRelease(tier));
  if (recorded && override && override !== recorded) {
    throw new InvalidInputError(
      `release: ${component} release ${recorded} is recorded as current (${name}); new hosts get the recorded release, so release them ` +
        `with the deploy workflow instead (received "${override}"); nothing was changed`,
    );
  }
  const release = recorded ?? override;
  if (!release) {
    throw new InvalidInputError(`release: no ${component} release is recorded (${name} does not exist, and the tier's hosts do not agree on one); give the release to install, e.g. {"release": "1.0.0"}; nothing was changed`);
  }
  return release;
}

/**
 * The release every running host of the tier is tagged with, when they all agree; null
 * otherwise. Hosts a stopped run launched and never set up have none and are not asked.
 */
async function tierRelease(tier: HostTierDefinition): Promise<string | null> {
  const hosts = (await findInstances(tagFilters(tier.hosts.tags, ['running']))).filter((h) => !(h.tags.has(LAUNCHED_BY_TAG) && !h.tags.has(RELEASE_TAG)));
  const releases = new Set(hosts.map((h) => h.tags.get(RELEASE_TAG) ?? ''));
  return releases.size === 1 && !releases.has('') ? [...releases][0]! : null;
}

/** `count` hosts spread evenly over the tier's subnets, the first subnets taking the remainder. */
export function spreadEvenly(count: number, subnets: number): number[] {
  return Array.from({ length: subnets }, (_, i) => Math.floor(count / subnets) + (i < count % subnets ? 1 : 0));
}

/**
 * The tier's target groups must exist and use the port the definition gives; checked before
 * the lock (nothing launched yet) and again once the new hosts run (their VPC).
 */
export async function describeTargetGroups(tier: HostTierDefinition): Promise<TargetGroup[]> {
  if (tier.traffic.kind !== 'target-group') return [];
  let groups: TargetGroup[];
  try {
    ({ TargetGroups: groups = [] } = await elbv2.send(new DescribeTargetGroupsCommand({ Names: tier.traffic.targetGroups })));
  } catch (err) {
    // One unknown name fails the whole call (TargetGroupNotFound).
    if ((err as Error).name !== 'TargetGroupNotFoundException') throw err;
    throw new DependencyCheckFailedError(
      `tier ${tier.name}: target group(s) ${tier.traffic.targetGroups.join(', ')} not found (${(err as Error).message}); nothing was launched`,
      { cause: err },
    );
  }
  const port = tier.traffic.port;
  for (const name of tier.traffic.targetGroups) {
    const group = groups.find((g) => g.TargetGroupName === name);
    if (!group?.TargetGroupArn) throw new DependencyCheckFailedError(`tier ${tier.name}: target group ${name} does not exist; nothing was launched`);
    if (port !== undefined && group.Port !== port) {
      throw new DependencyCheckFailedError(`tier ${tier.name}: target group ${name} routes to port ${group.Port}, not ${port} as the definition says; nothing was launched`);
    }
  }
  return tier.traffic.targetGroups.map((name) => groups.find((g) => g.TargetGroupName === name)!);
}

/** What new hosts of `tier` need: how to launch, set up, install and check them. */
export async function provisionTier(
  environment: EnvironmentDefinition,
  tier: LaunchableTier,
  args: { count: number; perSubnet?: number[]; release: string },
): Promise<ProvisionTier> {
  const groups = await describeTargetGroups(tier);
  const traffic: TrafficPlan =
    tier.traffic.kind === 'target-group' ? { kind: 'target-group', targetGroupArns: groups.map((g) => g.TargetGroupArn!) } : tier.traffic;
  const healthyAfterSeconds = Math.max(0, ...groups.map((g) => (g.HealthCheckIntervalSeconds ?? 30) * (g.HealthyThresholdCount ?? 5)));
  // New hosts are out of service until they are healthy: no minimum applies while they are installed.
  const spec = tierSpec(environment, tier, { traffic, healthyAfterSeconds }, { hostCount: args.count, minHealthy: 0, batchSize: Math.max(1, Math.min(args.count, PROVISION_BATCH_HOSTS)) });
  return {
    spec,
    release: args.release,
    launch: launchSpecOf(tier),
    perSubnet: args.perSubnet ?? spreadEvenly(args.count, tier.launch.subnets.length),
    targetGroupNames: tier.traffic.kind === 'target-group' ? tier.traffic.targetGroups : [],
    ...(tier.traffic.kind === 'target-group' && tier.traffic.port !== undefined ? { port: tier.traffic.port } : {}),
    setup: setupOf(tier, groups),
    readyTimeoutSeconds: READY_TIMEOUT_SECONDS,
  };
}

/** Where and from what the tier's hosts launch. */
export function launchSpecOf(tier: LaunchableTier): LaunchSpec {
  return {
    template: 'name' in tier.launch.template ? { name: tier.launch.template.name } : { id: tier.launch.template.id },
    version: tier.launch.version,
    subnets: tier.launch.subnets,
    instanceTypes: tier.launch.instanceTypes,
  };
}

/** What each new host runs before the release: the prerequisites in order, then a probe of the first target group's health check path. */
export function setupOf(tier: HostTierDefinition, groups: readonly TargetGroup[]): SetupStep[] {
  const prerequisites: SetupStep[] = tier.prerequisites.map((command) => ({ ...command, purpose: 'prerequisite' }));
  return [...prerequisites, ...(groups.length > 0 ? [probeStep(groups[0]!)] : [])];
}

/**
 * The load balancer's own health check, asked on the host itself before it goes into
 * service: the path and port the target group checks (HealthCheckPort "traffic-port" is
 * the group's port), through AWS-RunShellScript.
 */
function probeStep(group: TargetGroup): SetupStep {
  const port = !group.HealthCheckPort || group.HealthCheckPort === 'traffic-port' ? group.Port : Number(group.HealthCheckPort);
  const path = group.HealthCheckPath ?? '/';
  return {
    purpose: 'probe',
    document: 'AWS-RunShellScript',
    parameters: { commands: [`curl -fsS --max-time 5 -o /dev/null http://localhost:${port}${path}`] },
    timeoutSeconds: PROBE_TIMEOUT_SECONDS,
  };
}
