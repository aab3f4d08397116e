/**
 * Plan Release: validates the execution input against the environment, finds each
 * tier's hosts by tag, and splits them into batches that keep the tier's minimum
 * healthy capacity. Nothing is changed; every refusal happens here, before the
 * first host leaves traffic.
 */
import { paginateDescribeInstances } from '@aws-sdk/client-ec2';
import { DescribeTargetGroupAttributesCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { resolveBatchPolicy, partitionIntoWaves } from '../domain/environment/batch-policy';
import { componentOf, DRAIN_MARGIN_SECONDS, isHostTier, type EnvironmentDefinition, type HostTierDefinition } from '../domain/environment/model';
import { parseEnvironment } from '../domain/environment/parse';
import { parseExecutionInput, RELEASE_PATTERN } from '../domain/execution-input';
import { readAlarms, unmatched } from '../shared/alarms';
import { ec2 } from '../shared/aws/ec2';
import { elbv2 } from '../shared/aws/elbv2';
import { readParameter } from '../shared/parameters';
import { currentDatabaseIdentifier } from '../shared/database-record';
import { tierSpec } from '../shared/tier-spec';
import { releaseParameterName } from '../shared/release-record';
import { InvalidInputError, InventoryError } from '../domain/contract/errors';
import { describeHosts } from '../shared/polling';
import { logger } from '../shared/logger';
import { storePlan } from '../shared/plan-store';
import { INSTALL_SENT_TAGS, OUT_OF_TRAFFIC_TAG, RELEASE_TAG } from '../domain/contract/tags';
import { LAUNCHED_BY_TAG } from '../shared/compute-tags';
import { type DatabasePlan, type DeployInput, type DeployPlan, type HostRef, type PlannedTier, type StoredPlan, type SurgePlan, type TrafficPlan, type ValidationPlan } from '../domain/contract/payloads';
import { describeTargetGroups, launchableTier, launchSpecOf, READY_TIMEOUT_SECONDS, setupOf } from '../shared/provision-plan';

export { RELEASE_TAG };

/** A host as found by its tier's tags. */
type FoundHost = HostRef;
/** Hosts that carry the out-of-traffic marker of an execution that stopped before putting them back. */
const markedOut = new WeakSet<FoundHost>();
/** Hosts an install was sent to and never recorded (INSTALLING_TAG). */
const installSent = new WeakSet<FoundHost>();

export interface PlanReleaseEvent {
  readonly environment: unknown;
  readonly input: unknown;
  readonly execution: string;
}

export const handler = async (event: PlanReleaseEvent): Promise<StoredPlan> => {
  const plan = await planRelease(event);
  logger.info('planned release', { release: plan.release, hosts: plan.hostCount, batches: plan.batchCount });
  return storePlan(plan, event.execution);
};

/**
 * The execution input, checked before anything else happens (lambdas/domain/execution-input.ts, which
 * the CLI applies to its options too): prototype keys are refused anywhere in it, and
 * every value a message shows back is cut to its start.
 */
export function parseDeployInput(input: unknown): DeployInput {
  return parseExecutionInput(input);
}

export async function planRelease(event: PlanReleaseEvent): Promise<DeployPlan> {
  const parsed = parseDeployInput(event.input);
  let environment: EnvironmentDefinition;
  try {
    environment = parseEnvironment(event.environment);
  } catch (err) {
    throw new InvalidInputError((err as Error).message, { cause: err });
  }
  const input = parsed.releaseFrom ? { ...parsed, release: await queuedRelease(environment.name, parsed.component) } : parsed;
  const { release, component } = input;
  const hostTiers = environment.tiers
    .filter(isHostTier)
    .filter((t) => componentOf(t) === component)
    .sort((a, b) => a.order - b.order);
  if (hostTiers.length === 0) throw new InvalidInputError(`environment ${environment.name} has no ${component} tier`);

  const recorded = await recordedRelease(environment.name, component);
  const tiers: PlannedTier[] = [];
  const hostsByTier = new Map<string, HostRef[]>();
  const alreadyReleased: string[] = [];
  let hostCount = 0;
  for (const tier of hostTiers) {
    const hosts = await findHosts(tier);
    hostsByTier.set(tier.name, hosts);
    if (hosts.length === 0) {
      throw new InventoryError(`tier ${tier.name}: no running instance has the tags ${JSON.stringify(tier.hosts.tags)}`);
    }
    const unrecorded = hosts.filter((h) => !h.previous);
    if (unrecorded.length > 0) {
      throw new InventoryError(
        `tier ${tier.name}: ${describeHosts(unrecorded)} have no ${RELEASE_TAG} tag, so a failed batch could not be ` +
          'rolled back; tag each host with the release it runs',
      );
    }
    const { batchSize, minHealthy, waves, rollbackBatchSize } = policyFor(tier, hosts.length);
    const { traffic, healthyAfterSeconds, outOfTraffic } = await resolveTraffic(tier, hosts);
    await assertAlarmsExist(tier);

    // A release that stopped midway may have left hosts out of traffic: they go first,
    // whatever they run (one may be half-installed), and come back on the release. One that
    // already carries the release returns to what was recorded before it if the batch fails.
    const leftOut = hosts
      .filter((h) => outOfTraffic.has(h.id))
      .map((h) => (h.previous === release && recorded && recorded !== release ? { ...h, previous: recorded } : h));
    const inTraffic = hosts.filter((h) => !outOfTraffic.has(h.id));
    // A host with an install sent and never recorded may run anything: it is not "already released".
    const onRelease = (h: FoundHost) => h.previous === release && !installSent.has(h);
    const toPatch = [...leftOut, ...inTraffic.filter((h) => !onRelease(h))];
    alreadyReleased.push(...inTraffic.filter(onRelease).map((h) => h.name));
    hostCount += hosts.length;
    const batches = partitionIntoWaves(toPatch, waves, batchSize);
    tiers.push({
      spec: {
        ...tierSpec(environment, tier, { traffic, healthyAfterSeconds }, { hostCount: hosts.length, minHealthy, batchSize, rollbackBatchSize }),
        ...(tier.batch.strategy === 'surge' ? { retire: 'stop' as const, surge: await surgePlan(environment, tier) } : {}),
      },
      batchCount: batches.length,
      batches,
    });
  }
  const batchCount = tiers.reduce((n, t) => n + t.batchCount, 0);
  const upToDate = recorded === release && batchCount === 0;
  const database =
    component === 'application' && !upToDate ? await planDatabase(environment, hostsByTier, release, event.execution) : undefined;
  return {
    environment: environment.name,
    component,
    release,
    recordedRelease: recorded,
    upToDate,
    ...(database ? { database } : {}),
    validation: planValidation(environment, input),
    tiers,
    hostCount,
    batchCount,
    alreadyReleased,
  };
}

/** How a surge tier's batches launch and set up their new hosts (the tier's launch, prerequisites and probe). */
async function surgePlan(environment: EnvironmentDefinition, tier: HostTierDefinition): Promise<SurgePlan> {
  const launchable = launchableTier(environment, tier.name, `tiers.${tier.name}.batch.strategy`);
  return { launch: launchSpecOf(launchable), setup: setupOf(launchable, await describeTargetGroups(launchable)), readyTimeoutSeconds: READY_TIMEOUT_SECONDS };
}

export function policyFor(tier: HostTierDefinition, hostCount: number) {
  try {
    return resolveBatchPolicy(tier.name, tier.batch, hostCount);
  } catch (err) {
    throw new InvalidInputError((err as Error).message, { cause: err });
  }
}

async function recordedRelease(environment: string, component: string): Promise<string | null> {
  return readParameter(releaseParameterName(environment, component, 'current'));
}

/** The release a pipeline queued for the next window. */
async function queuedRelease(environment: string, component: string): Promise<string> {
  const name = releaseParameterName(environment, component, 'next');
  const release = await readParameter(name);
  if (release === null) throw new InvalidInputError(`no release is queued for this window: parameter ${name} does not exist; nothing was changed`);
  if (!RELEASE_PATTERN.test(release)) throw new InvalidInputError(`the release queued in ${name} is not a valid release (received ${JSON.stringify(release)})`);
  return release;
}


async function planDatabase(
  environment: EnvironmentDefinition,
  hostsByTier: ReadonlyMap<string, HostRef[]>,
  release: string,
  execution: string,
): Promise<DatabasePlan | undefined> {
  const data = environment.tiers.find((t) => !isHostTier(t));
  if (!data || isHostTier(data)) return undefined;
  const runnerTierName = data.database.migration.runnerTier;
  const runnerTier = environment.tiers.find((t) => t.name === runnerTierName);
  // The runner is the first host of its tier, whether or not it still needs the release.
  const runnerHosts = hostsByTier.get(runnerTierName) ?? (runnerTier && isHostTier(runnerTier) ? await findHosts(runnerTier) : []);
  const runner = runnerHosts[0];
  if (!runner) throw new InventoryError(`database ${data.database.instanceIdentifier}: no running host in tier ${runnerTierName} to run the migration`);
  const { runnerTier: _runnerTier, ...migration } = data.database.migration;
  return {
    // After a restore-data, the database is the restored instance the record names.
    instanceIdentifier: (await currentDatabaseIdentifier(environment)) ?? data.database.instanceIdentifier,
    snapshotId: snapshotIdentifier(environment.name, release, execution),
    snapshotTimeoutSeconds: data.database.snapshotTimeoutSeconds,
    migration,
    runner,
    polling: environment.polling,
  };
}

/**
 * RDS snapshot identifiers: 1-255 letters, digits or hyphens, starting with a letter,
 * no two hyphens in a row, no hyphen at the end.
 */
export function snapshotIdentifier(environment: string, release: string, execution: string): string {
  const slug = (text: string) => text.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `fleetflow-${slug(environment)}-${slug(release)}-${slug(execution)}`.slice(0, 255).replace(/-+$/, '');
}

function planValidation(environment: EnvironmentDefinition, input: DeployInput): ValidationPlan {
  const v = environment.validation;
  return {
    alarms: v.alarms,
    alarmPrefixes: v.alarmPrefixes,
    bakeSeconds: v.bakeSeconds,
    approval: { required: input.requireApproval ?? v.approval.required, timeoutSeconds: v.approval.timeoutSeconds },
    onFailure: input.onValidationFailure ?? v.onFailure,
    polling: environment.polling,
  };
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
        // stopped or failed before) has never served: it is not one of the tier's hosts to release.
        if (tag(LAUNCHED_BY_TAG) && !tag(RELEASE_TAG) && !INSTALL_SENT_TAGS.some((key) => tag(key))) {
          neverServed.push(instance.InstanceId);
          continue;
        }
        const host: FoundHost = { id: instance.InstanceId, name: tag('Name') || instance.InstanceId, previous: tag(RELEASE_TAG) };
        if (tag(OUT_OF_TRAFFIC_TAG)) markedOut.add(host);
        if (INSTALL_SENT_TAGS.some((key) => tag(key))) installSent.add(host);
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
    const unmarked = missing.filter((h) => !markedOut.has(h));
    if (unmarked.length > 0) {
      throw new InventoryError(
        `tier ${tier.name}: ${describeHosts(unmarked)} not registered in target group ${name}, and not left out by FleetFlow ` +
          `(no ${OUT_OF_TRAFFIC_TAG} tag): register them, or take them out of the tier's tags; nothing was changed`,
      );
    }
    for (const h of missing) outOfTraffic.add(h.id);
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
async function assertDrainCovers(tier: HostTierDefinition, name: string, arn: string): Promise<number> {
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

async function assertAlarmsExist(tier: HostTierDefinition): Promise<void> {
  const { names: missing } = unmatched(await readAlarms({ names: tier.alarms }), { names: tier.alarms });
  if (missing.length > 0) throw new InventoryError(`tier ${tier.name}: alarm(s) ${missing.join(', ')} do not exist`);
}
