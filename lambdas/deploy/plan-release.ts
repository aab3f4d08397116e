/**
 * Plan Release: validates the execution input against the environment, finds each
 * tier's hosts by tag, and splits them into batches that keep the tier's minimum
 * healthy capacity. Nothing is changed; every refusal happens here, before the
 * first host leaves traffic.
 */
import { partitionIntoWaves, resolveSurgeLimits } from '../domain/environment/batch-policy';
import type { EnvironmentDefinition, HostTierDefinition } from '../domain/environment/model';
import { componentOf, isHostTier } from '../domain/environment/tiers';
import { parseExecutionInput, RELEASE_PATTERN } from '../domain/execution-input';
import { readAlarms, unmatched } from '../shared/alarms';
import { readParameter } from '../shared/parameters';
import { currentDatabaseIdentifier } from '../shared/database-record';
import { tierSpec } from '../shared/tier-spec';
import { releaseParameterName } from '../domain/contract/records';
import { InsufficientCapacityError, InvalidInputError, InventoryError } from '../domain/contract/errors';
import { describeHosts, describeList } from '../shared/polling';
import { logger } from '../shared/logger';
import { storePlan } from '../shared/plan-store';
import { RELEASE_TAG } from '../domain/contract/tags';
import { type DatabasePlan, type DeployInput, type DeployPlan, type HostRef, type PlannedTier, type StoredPlan, type SurgePlan, type TrafficPlan, type ValidationPlan } from '../domain/contract/payloads';
import { describeTargetGroups, environmentOf, launchableTier, launchSpecOf, READY_TIMEOUT_SECONDS, setupOf } from '../shared/provision-plan';
import { findInstancesById } from '../shared/instances';
import { refuseUnretirableTiers, type GuardedTier } from '../compute/retire-guards';
import { notServingAs } from '../compute/host-health';
import { groupTargetStates } from '../shared/target-health';
import { findHosts, installSent, policyFor, resolveTraffic, type FoundHost } from '../shared/tier-hosts';
import { replacedOldHosts } from '../surge/replaced-hosts';

export { RELEASE_TAG };

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
  const environment = environmentOf(event.environment);
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
  const guarded: GuardedTier[] = [];
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
    const { traffic, healthyAfterSeconds, outOfTraffic } = await resolveTraffic(tier, hosts);
    // Restarted surge: old hosts a stopped execution took out whose new host serves are retired, not surged again.
    const { replaced, counted } = await surgeRestart(tier, hosts, outOfTraffic, release, event.execution);
    const policy = policyFor(tier, counted.length);
    const { minHealthy, waves, rollbackBatchSize } = policy;
    // A surge's batches are capped by the new hosts it may add at once (batch.maxSurge).
    const surgeLimits = tier.batch.strategy === 'surge' ? resolveSurgeLimits(tier.batch.maxSurge, counted.length, policy.batchSize) : undefined;
    const batchSize = surgeLimits?.batchSize ?? policy.batchSize;
    await assertAlarmsExist(tier);

    // A release that stopped midway may have left hosts out of traffic: they go first,
    // whatever they run (one may be half-installed), and come back on the release. One that
    // already carries the release returns to what was recorded before it if the batch fails.
    const leftOut = counted
      .filter((h) => outOfTraffic.has(h.id))
      .map((h) => (h.previous === release && recorded && recorded !== release ? { ...h, previous: recorded } : h));
    const inTraffic = counted.filter((h) => !outOfTraffic.has(h.id));
    // A host with an install sent and never recorded may run anything: it is not "already released".
    const onRelease = (h: FoundHost) => h.previous === release && !installSent.has(h);
    const toPatch = [...leftOut, ...inTraffic.filter((h) => !onRelease(h))];
    alreadyReleased.push(...inTraffic.filter(onRelease).map((h) => h.name));
    // Only a tier with a batch to run must keep its floor through it: one already on the release has
    // no batch, whatever its health (a release resumed, or run again once up to date).
    if (toPatch.length + replaced.length > 0) await refuseBelowFloor(environment.name, tier, hosts, traffic, outOfTraffic, minHealthy);
    hostCount += counted.length;
    // A surge stops the old hosts it replaces, then terminates them once the release is validated
    // (lambdas/surge/terminate-surged.ts): refused here, before the lock, if EC2 would refuse either or
    // an Auto Scaling group would bring them back (retire-guards.ts). Only the hosts it will retire.
    // 'terminate' checks both protections: stop protection blocks the stop, either blocks the terminate.
    // Every surge tier's reads are added up before the first (retire-guards.ts): checked after the loop.
    // The replaced old hosts (a restart) are stopped and terminated too.
    if (surgeLimits && toPatch.length + replaced.length > 0) {
      guarded.push({
        tier: tier.name,
        hosts: await findInstancesById([...replaced, ...toPatch].map((h) => h.id)),
        policy: 'terminate',
        wording: {
          retires: 'a surge release stops the old hosts it replaces, then terminates them once the release is validated',
          otherwise: 'release the tier with batch.strategy "rolling"',
        },
      });
    }
    const batches = withReplaced(partitionIntoWaves(toPatch, waves, batchSize), replaced);
    tiers.push({
      spec: {
        ...tierSpec(environment, tier, { traffic, healthyAfterSeconds }, { hostCount: counted.length, minHealthy, batchSize, rollbackBatchSize }),
        ...(surgeLimits ? { retire: 'stop' as const, surge: { ...(await surgePlan(environment, tier)), maxSurge: surgeLimits.maxSurge, pipeline: surgeLimits.pipeline } } : {}),
      },
      batchCount: batches.length,
      batches,
    });
  }
  await refuseUnretirableTiers('a surge release', guarded);
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

/**
 * A surge tier after a stopped execution of this release (lambdas/surge/replaced-hosts.ts): the old hosts
 * its batch's serving new hosts prove replaced, and its new hosts left surplus by a rollback (`replaced`), and the tier's hosts without them
 * (`counted`: its declared count again, which the floor and the batches are planned on). Other tiers, and
 * surge tiers with nothing left out by an earlier execution, are as they were found.
 */
async function surgeRestart(tier: HostTierDefinition, hosts: FoundHost[], outOfTraffic: ReadonlySet<string>, release: string, execution: string) {
  if (tier.batch.strategy !== 'surge') return { replaced: [], counted: hosts };
  const found = await replacedOldHosts({ hostTags: tier.hosts.tags, hosts, outOfTraffic }, release, execution);
  if (found.unsure.length > 0) {
    logger.warn('old hosts an earlier surge took out of traffic have no serving replacement it can prove: surged again, the tier may end above its count', {
      tier: tier.name,
      hosts: describeHosts(found.unsure),
    });
  }
  // Surplus new hosts (their old hosts serve again: a rollback stopped midway) are retired as the replaced are: no launch for them.
  const replaced = [...found.replaced, ...found.surplus];
  const gone = new Set(replaced.map((h) => h.id));
  return { replaced: replaced.map((h) => ({ ...h, replaced: true as const })), counted: hosts.filter((h) => !gone.has(h.id)) };
}

/**
 * The replaced old hosts join the tier's first batch: taken out (already), drained, stopped and kept with it,
 * with no host launched for them (lambdas/surge/surge-hosts.ts `surgeProvision`). A tier with no other host
 * to release has no batch to join: they form one of their own, which launches nothing.
 */
function withReplaced(batches: HostRef[][], replaced: readonly HostRef[]): HostRef[][] {
  if (replaced.length === 0) return batches;
  const [first = [], ...rest] = batches;
  return [[...replaced, ...first], ...rest];
}

/** How a surge tier's batches launch and set up their new hosts (the tier's launch, prerequisites and probe). */
async function surgePlan(environment: EnvironmentDefinition, tier: HostTierDefinition): Promise<Omit<SurgePlan, 'maxSurge' | 'pipeline'>> {
  const launchable = launchableTier(environment, tier.name, `tiers.${tier.name}.batch.strategy`);
  return { launch: launchSpecOf(launchable), setup: setupOf(launchable, await describeTargetGroups(launchable)), readyTimeoutSeconds: READY_TIMEOUT_SECONDS };
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

async function assertAlarmsExist(tier: HostTierDefinition): Promise<void> {
  const { names: missing } = unmatched(await readAlarms({ names: tier.alarms }), { names: tier.alarms });
  if (missing.length > 0) throw new InventoryError(`tier ${tier.name}: alarm(s) ${missing.join(', ')} do not exist`);
}

/**
 * A tier behind target groups that is already below its floor (fewer hosts serving in one of its
 * groups than `batch.minHealthyPercent` keeps) is refused here, before the lock, with nothing
 * changed: every batch's live check (Check Capacity, Take Batch Out) would refuse it anyway, a
 * rolling release after waiting out the health timeout, a surge after launching new hosts.
 * Counted as those checks count, group by group, over the hosts in traffic (a host a stopped
 * release left out counts as out); a host only `initial` counts as serving, as it soon will: ELB
 * reports it so while "the load balancer is still sending the target the minimum number of health
 * checks required to determine its health status" (Elb.InitialHealthChecking, or
 * Elb.RegistrationInProgress: TargetHealth, ELB API reference), and the batch's live check waits for
 * it (lambdas/compute/host-health.ts `notServingAs`, as Plan Scale In reads health). A host drained
 * by hand is refused earlier, by resolveTraffic. Tiers no load balancer watches are judged by
 * their health command, which Plan Release does not send: their batches check it live.
 */
async function refuseBelowFloor(
  environment: string,
  tier: HostTierDefinition,
  hosts: readonly FoundHost[],
  traffic: TrafficPlan,
  outOfTraffic: ReadonlySet<string>,
  minHealthy: number,
): Promise<void> {
  if (traffic.kind !== 'target-group') return;
  const inTraffic = hosts.filter((h) => !outOfTraffic.has(h.id));
  for (const [i, arn] of traffic.targetGroupArns.entries()) {
    const states = await groupTargetStates(arn);
    const failing = inTraffic.flatMap((h) => {
      const why = notServingAs(states.get(h.id) ?? 'unregistered');
      return why ? [{ ...h, why }] : [];
    });
    const serving = inTraffic.length - failing.length;
    if (serving >= minHealthy) continue;
    const group = tier.traffic.kind === 'target-group' ? (tier.traffic.targetGroups[i] ?? arn) : arn;
    const input = JSON.stringify({ targets: 'unhealthy', tier: tier.name });
    throw new InsufficientCapacityError(
      `tier ${tier.name}: ${serving} of ${hosts.length} host(s) healthy in ${group}, below the floor of ${minHealthy} ` +
        `(batch.minHealthyPercent ${tier.batch.minHealthyPercent}) before anything changed, so no batch could leave service; ` +
        `not serving: ${describeList(failing.map((h) => `${h.name} (${h.why})`))}` +
        (outOfTraffic.size > 0 ? `, and ${outOfTraffic.size} left out of traffic by a stopped release` : '') +
        `; replace them first (fleetflow start replace --env ${environment} --input '${input}'), then release; nothing was changed`,
    );
  }
}
