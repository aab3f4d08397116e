/**
 * `fleetflow plan --workflow W`: what a workflow would do, worked out by that workflow's own
 * planning handler (the one its state machine's Plan task invokes) behind the read-only guard
 * (plan-context.ts), against AWS or the simulated account, without starting anything. It
 * refuses exactly what the workflow would refuse, with the same message, because it is the
 * same code.
 *
 * PLANNERS below is the one table of workflow → planner: a new workflow is planned by adding
 * its row (its planning handler, how the simulated account starts for it, and how its plan
 * reads as a WorkflowPlanReport); lib/cli/commands/plan.ts takes its --workflow choices from it.
 */
import type { ComputePlan, HostRef, ProvisionTier, RestorePlan, StoredTier, TierPlan } from '../../lambdas/domain/contract/payloads';
import type { EnvironmentDefinition } from '../../lambdas/domain/environment/model';
import { isHostTier } from '../../lambdas/domain/environment/model';
import { batchKey } from '../../lambdas/shared/plan-store';
import { hasSurgeTier } from './release-estimate';
import { planDeploy, type DeployPlanReport } from './plan-deploy';
import { withPlanContext, type KeptBatches } from './plan-context';
import { estimateCompute, estimateRecover, estimateReplaceDatabase, estimateRestore, estimateScaleIn, type WorkflowEstimate } from './workflow-estimate';
import type { ScaleInSummary } from './scale-in-plan';
import type { ReplaceDatabaseSummary } from './replace-database-plan';

/** The execution name the planners are given: a plan is no execution, and nothing is stored under it. */
const PLAN_EXECUTION = 'fleetflow-plan';

/** One tier's part in a plan: hosts launched, retired (replaced) or repointed, with the batches in order. */
export interface TierStep {
  readonly tier: string;
  readonly action: 'launch' | 'retire' | 'repoint';
  readonly hosts: number;
  /** Launch: the release the new hosts get. */
  readonly release?: string;
  /** Launch: new hosts per availability zone. */
  readonly perZone?: Record<string, number>;
  /** Launch: what each new host runs before the release (prerequisite documents, then the probe). */
  readonly setup?: string[];
  /** The fewest hosts of the tier kept in service while its batches run (retire: as many as before the replacement). */
  readonly minInService: number;
  /** Retire and repoint: each batch's hosts (launch: the new hosts' names are known once launched). */
  readonly batches: ReadonlyArray<{ readonly hosts: string[]; readonly stayInService: number | null }>;
}

export interface WorkflowPlanReport {
  readonly workflow: Exclude<PlannedWorkflow, 'deploy'>;
  readonly environment: string;
  /** One line: what the run does. */
  readonly summary: string;
  readonly steps: TierStep[];
  /** The database step, as a sentence; null when the workflow leaves the database alone. */
  readonly database: string | null;
  /** restore-data and recover: where the data comes from, its time, and the writes lost (seconds before the plan). */
  readonly recovery: { readonly source: string; readonly recoveryPointTime: string; readonly dataLossSeconds: number } | null;
  /** The network checked in front of each tier that launches (allocate, scale-out), as the Plan task checks it. */
  readonly network: ReadonlyArray<{ readonly tier: string; readonly listeners: number; readonly securityGroups: number; readonly certificates: number; readonly records: number }>;
  /** The bake after the repoint (restore-data, recover). */
  readonly validation: { readonly bakeSeconds: number; readonly alarms: number } | null;
  /** Hosts a stopped run launched and never set up, terminated first. */
  readonly leftovers: number;
  /** Recover: its parts, each planned by its own workflow's code where the account allows it now. */
  readonly parts?: ReadonlyArray<{ readonly workflow: string; readonly input: unknown; readonly expectedSeconds: number; readonly stateTransitions: number }>;
  /** Scale-in: the tier's hosts, floor and count, and the hosts chosen, in order (scale-in-plan.ts). */
  readonly scaleIn?: ScaleInSummary;
  /** Replace-database: the blue, the green's settings, the lag threshold and the timeouts (replace-database-plan.ts). */
  readonly replaceDatabase?: ReplaceDatabaseSummary;
  readonly estimate: WorkflowEstimate;
}

export interface PlanWorkflowOptions {
  readonly workflow: PlannedWorkflow;
  readonly environment: EnvironmentDefinition;
  /** The execution input the workflow would get (checked by the planner itself, as the workflow checks it). */
  readonly input: unknown;
  /** Plan against the simulated account seeded with this many hosts per tier (allocate, recover: none unless given) instead of AWS. */
  readonly simulated?: { readonly hostsPerTier?: number; readonly faults?: readonly string[] };
}

export type PlanReport = { readonly workflow: 'deploy'; readonly report: DeployPlanReport } | { readonly workflow: Exclude<PlannedWorkflow, 'deploy'>; readonly report: WorkflowPlanReport };

interface Planner {
  /** How `simulate <workflow>` seeds the account: allocate and recover start from one that lost its instances (recover: and its database, not its snapshots). */
  readonly emptyAccount: (input: Record<string, unknown>) => { empty: boolean; keepSnapshots: boolean };
  readonly plan: (environment: EnvironmentDefinition, input: unknown, kept: KeptBatches) => Promise<WorkflowPlanReport>;
}

const STARTS_FULL = () => ({ empty: false, keepSnapshots: false });

/** Workflow → its planner. Add a workflow here (see the file's comment). */
const PLANNERS = {
  allocate: {
    emptyAccount: (input) => ({ empty: true, keepSnapshots: input.database === 'latest-snapshot' }),
    plan: async (environment, input) => {
      const { planAllocation } = await import('../../lambdas/compute/allocation');
      return computeReport(environment, await planAllocation({ environment, input, execution: PLAN_EXECUTION }), new Map());
    },
  },
  'scale-out': {
    emptyAccount: STARTS_FULL,
    plan: async (environment, input) => {
      const { planScaleOut } = await import('../../lambdas/compute/plan-scale-out');
      return computeReport(environment, await planScaleOut({ environment, input, execution: PLAN_EXECUTION }), new Map());
    },
  },
  'scale-in': {
    emptyAccount: STARTS_FULL,
    plan: (environment, input, kept) => scaleInReport(environment, input, kept),
  },
  replace: {
    emptyAccount: STARTS_FULL,
    plan: async (environment, input, kept) => {
      const { planReplacement } = await import('../../lambdas/compute/plan-replacement');
      return computeReport(environment, await planReplacement({ environment, input, execution: PLAN_EXECUTION }), kept);
    },
  },
  'restore-data': {
    emptyAccount: STARTS_FULL,
    plan: async (environment, input, kept) => {
      const { planRestoreData } = await import('../../lambdas/restore-data/plan-restore-data');
      return restoreReport(await planRestoreData({ environment, input, execution: PLAN_EXECUTION }), kept);
    },
  },
  recover: {
    emptyAccount: () => ({ empty: true, keepSnapshots: true }),
    plan: (environment, input) => recoverReport(environment, input),
  },
  'replace-database': {
    emptyAccount: STARTS_FULL,
    plan: (environment, input) => replaceDatabaseReport(environment, input),
  },
} satisfies Record<string, Planner>;

/** The workflows `fleetflow plan` plans: deploy (plan-deploy.ts) and every row of PLANNERS. */
export const PLANNED_WORKFLOWS = ['deploy', ...(Object.keys(PLANNERS) as Array<keyof typeof PLANNERS>)] as const;
export type PlannedWorkflow = 'deploy' | keyof typeof PLANNERS;

export function isPlannedWorkflow(name: string): name is PlannedWorkflow {
  return (PLANNED_WORKFLOWS as readonly string[]).includes(name);
}

export async function planWorkflow(options: PlanWorkflowOptions): Promise<PlanReport> {
  const { workflow, environment, input } = options;
  if (workflow === 'deploy') {
    const report = await planDeploy({ environment, input, ...(options.simulated ? { simulatedHostsPerTier: options.simulated.hostsPerTier ?? 2 } : {}) });
    return { workflow, report };
  }
  const planner: Planner = PLANNERS[workflow];
  const given = options.simulated;
  const seed = given && (given.hostsPerTier === undefined ? planner.emptyAccount((input ?? {}) as Record<string, unknown>) : STARTS_FULL());
  const simulated = given && { ...seed, hostsPerTier: given.hostsPerTier ?? 2, faults: given.faults ?? [] };
  const report = await withPlanContext(environment, simulated, (kept) => planner.plan(environment, input, kept));
  return { workflow, report };
}

/** A compute plan (allocate, scale-out, replace) as a person reads it. */
async function computeReport(environment: EnvironmentDefinition, plan: ComputePlan, kept: KeptBatches): Promise<WorkflowPlanReport> {
  // Scale-in's plan reads as its own (scale-in-plan.ts), never as a launch.
  if (plan.workflow === 'scale-in') throw new Error('plan: a scale-in plan is read by scaleInReport');
  const steps: TierStep[] = plan.tiers.map(launchStep);
  if (plan.retire) for (const tier of plan.retire.tiers) steps.push(retireStep(tier, plan, kept));
  const network = [];
  if (plan.workflow !== 'replace') {
    // The Plan task checked these and refused on the first failure; asked again (reads only) for what they covered.
    const { checkTierNetwork } = await import('../../lambdas/compute/network-checks');
    for (const tier of plan.tiers) {
      const definition = environment.tiers.find((t) => t.name === tier.spec.name);
      if (!definition || !isHostTier(definition) || definition.traffic.kind !== 'target-group') continue;
      const checked = await checkTierNetwork(definition);
      network.push({ tier: tier.spec.name, listeners: checked.listeners, securityGroups: checked.securityGroups, certificates: checked.certificates ?? 0, records: checked.records ?? 0 });
    }
  }
  const db = plan.database;
  const restore = plan.restore;
  // Allocate's database branch runs beside the hosts' launch (one Parallel); they are set up once it is available.
  const database = db
    ? db.fromSnapshot
      ? `restore ${db.instanceIdentifier} from snapshot ${db.fromSnapshot.identifier} (data of ${db.fromSnapshot.createdAt}) while the hosts launch, which are set up once it is available`
      : `create ${db.instanceIdentifier} (${[db.create.engine, db.create.engineVersion].filter(Boolean).join(' ')}, ${db.create.instanceClass}) while the hosts launch, which are set up once it is available`
    : restore
      ? `restores the data while the hosts launch: ${describeSource(restore)} into new instance ${restore.target.identifier} (${restore.target.settings.instanceClass}${restore.target.settings.multiAz ? ', Multi-AZ' : ''}); ` +
        `check it with ${restore.check.document} on ${runnerName(restore)}; ` +
        `then write its endpoint to ${restore.connectionParameter} before any host is set up: each first serves on the restored data; ` +
        `no host to repoint; ${restore.target.identifier} recorded as current once every new host serves`
      : null;
  // A few tiers by name, the rest counted: the summary stays one readable line at any number of tiers.
  const named = plan.tiers.slice(0, 3).map((t) => `${t.spec.name} +${t.spec.hostCount} on ${t.release}`);
  const launched = [...named, ...(plan.tiers.length > 3 ? [`${plan.tiers.length - 3} more tier(s)`] : [])].join(', ');
  const retired = plan.retire ? `; ${plan.retire.hostCount} host(s) replaced${plan.retire.first ? ', retired first (disaster recovery)' : ', retired once their replacements serve'}` : '';
  return {
    workflow: plan.workflow,
    environment: plan.environment,
    summary: plan.nothingToDo
      ? `nothing to do: ${plan.nothingToDo}; the run ends at its plan, without taking the lock`
      : plan.launchCount === 0 && !db && !restore
        ? 'nothing to launch: every tier has its count'
        : `launch ${plan.launchCount} host(s)${launched ? ` (${launched})` : ''}${retired}${restore ? `; restores ${describeSource(restore)} while they launch` : ''}`,
    steps,
    database,
    recovery: restore ? { source: describeSource(restore), recoveryPointTime: restore.recoveryPointTime, dataLossSeconds: restore.dataLossSeconds } : null,
    network,
    validation: null,
    leftovers: (plan.leftovers ?? []).reduce((n, t) => n + t.count, 0),
    estimate: estimateCompute(plan),
  };
}

function launchStep(tier: ProvisionTier): TierStep {
  const perZone: Record<string, number> = {};
  tier.launch.subnets.forEach((s, i) => {
    if (tier.perSubnet[i]) perZone[s.availabilityZone] = (perZone[s.availabilityZone] ?? 0) + tier.perSubnet[i]!;
  });
  return {
    tier: tier.spec.name,
    action: 'launch',
    hosts: tier.spec.hostCount,
    release: tier.release,
    perZone,
    setup: tier.setup.map((s) => (s.purpose === 'probe' ? 'probe of the health check path' : s.document)),
    minInService: tier.spec.minHealthy,
    batches: [],
  };
}

/** The hosts a replacement retires, batch by batch, as the planner stored them. */
function retireStep(tier: StoredTier, plan: ComputePlan, kept: KeptBatches): TierStep {
  const batches = storedBatches(tier, kept);
  const launched = plan.tiers.find((t) => t.spec.name === tier.spec.name)?.spec.hostCount ?? 0;
  return {
    tier: tier.spec.name,
    action: 'retire',
    hosts: tier.spec.hostCount,
    minInService: tier.spec.minHealthy,
    // Standard: the replacements serve before the old hosts go; disaster recovery: the old go first, the tier may be out of service.
    batches: batches.map((b) => ({ hosts: b.map((h) => h.name), stayInService: plan.retire!.first ? null : tier.spec.minHealthy + launched - b.length })),
  };
}

function storedBatches(tier: StoredTier, kept: KeptBatches): HostRef[][] {
  return Array.from({ length: tier.batchCount }, (_, i) => kept.get(batchKey(tier.keyPrefix, i)) ?? []);
}

function describeSource(plan: Pick<RestorePlan, 'source' | 'recoveryPointTime'>): string {
  return plan.source.kind === 'snapshot' ? `snapshot ${plan.source.snapshot} of ${plan.source.instance}` : `${plan.source.instance} as of ${plan.recoveryPointTime}`;
}

/** Where the restored instance is checked: the plan's runner, or (allocate restoring for the hosts it launches) the runner tier's first new host. */
function runnerName(plan: RestorePlan): string {
  return plan.check.runner?.name ?? `the first new ${plan.check.runnerTier ?? 'runner'} host`;
}

/** A scale-in plan as a person reads it: the hosts Plan Scale In chose, what it weighed (scale-in-plan.ts), the retire batches. */
async function scaleInReport(environment: EnvironmentDefinition, input: unknown, kept: KeptBatches): Promise<WorkflowPlanReport> {
  const { planScaleIn } = await import('../../lambdas/compute/plan-scale-in');
  const { scaleInParts } = await import('./scale-in-plan');
  const plan = await planScaleIn({ environment, input, execution: PLAN_EXECUTION });
  const parts = await scaleInParts(environment, plan, kept, PLAN_EXECUTION);
  const { tier, remove, minimum } = parts.summary;
  return {
    workflow: 'scale-in',
    environment: plan.environment,
    summary: parts.sentence,
    steps: [{ tier, action: 'retire', hosts: remove, minInService: minimum, batches: parts.batches }],
    database: null,
    recovery: null,
    network: [],
    validation: null,
    leftovers: 0,
    scaleIn: parts.summary,
    estimate: estimateScaleIn(plan),
  };
}

/** A replace-database plan as a person reads it: supported (else the planner refused), the green, the lag threshold and timeouts (replace-database-plan.ts). */
async function replaceDatabaseReport(environment: EnvironmentDefinition, input: unknown): Promise<WorkflowPlanReport> {
  const { planReplaceDatabase } = await import('../../lambdas/replace-database/plan');
  const { replaceDatabaseParts } = await import('./replace-database-plan');
  const plan = await planReplaceDatabase({ environment, input, execution: PLAN_EXECUTION });
  const parts = replaceDatabaseParts(plan);
  return {
    workflow: 'replace-database',
    environment: plan.environment,
    summary: parts.sentence,
    // No host is touched: the green takes the blue's endpoint.
    steps: [],
    database: parts.database,
    recovery: null,
    network: [],
    validation: null,
    leftovers: 0,
    replaceDatabase: parts.summary,
    estimate: estimateReplaceDatabase(plan),
  };
}

/** A restore-data plan as a person reads it. */
function restoreReport(plan: RestorePlan, kept: KeptBatches): WorkflowPlanReport {
  const steps: TierStep[] = plan.tiers.map((tier) => ({
    tier: tier.spec.name,
    action: 'repoint',
    hosts: tier.spec.hostCount,
    minInService: tier.spec.minHealthy,
    batches: storedBatches(tier, kept).map((b) => ({ hosts: b.map((h) => h.name), stayInService: tier.spec.hostCount - b.length })),
  }));
  return {
    workflow: 'restore-data',
    environment: plan.environment,
    // A resumed restore (lambdas/restore-data/earlier-restore.ts) restores nothing: the instance is the stopped run's.
    summary: plan.resume
      ? `resume ${plan.resume.execution}'s restore of ${describeSource(plan)} into ${plan.target.identifier}, check it from ${runnerName(plan)}, repoint the other ${plan.hostCount} host(s), bake`
      : `restore ${describeSource(plan)} into ${plan.target.identifier}, check it from ${runnerName(plan)}, repoint ${plan.hostCount} host(s), bake`,
    steps,
    database:
      (plan.resume
        ? `no restore: ${plan.target.identifier} is ${plan.resume.execution}'s, stopped while repointing (on it or moving: ${plan.resume.hosts || 'no host'}); `
        : `restore into new instance ${plan.target.identifier} (${plan.target.settings.instanceClass}${plan.target.settings.multiAz ? ', Multi-AZ' : ''}); `) +
      `check it with ${plan.check.document} on ${runnerName(plan)}; then write its endpoint to ${plan.connectionParameter}; ` +
      `${plan.current.identifier} ${plan.current.exists ? 'is kept, tagged as replaced' : 'no longer exists'}`,
    recovery: { source: describeSource(plan), recoveryPointTime: plan.recoveryPointTime, dataLossSeconds: plan.dataLossSeconds },
    network: [],
    validation: { bakeSeconds: plan.validation.bakeSeconds, alarms: plan.validation.alarms.length + plan.validation.alarmPrefixes.length },
    leftovers: 0,
    estimate: estimateRestore(plan),
  };
}

/**
 * Recover: Plan Recover's own checks (the restore source, a release to put back) and its
 * choice, then its parts. Allocate is planned by its own code against the account as it is.
 * When nothing serves on the database (it is gone, and no host of the tiers using it remains),
 * Plan Recover sends allocate `"database": "restore"`: allocate's plan restores the data while
 * the hosts launch, and there is no restore-data part. Otherwise the restore-data part's source
 * is resolved as restore-data resolves it, and its repoint batches are those of the hosts
 * allocate will launch (restore-data's planner cannot run before they exist). The release of
 * the recorded release finds the new hosts on it already.
 */
async function recoverReport(environment: EnvironmentDefinition, input: unknown): Promise<WorkflowPlanReport> {
  const { planRecover } = await import('../../lambdas/recover/plan-recover');
  const { planAllocation } = await import('../../lambdas/compute/allocation');
  const { estimateRelease } = await import('./release-estimate');
  const plan = await planRecover({ environment, input });
  const allocated = await planAllocation({ environment, input: plan.allocate, execution: PLAN_EXECUTION });
  const allocation = await computeReport(environment, allocated, new Map());
  const validation = { ...environment.validation, approval: { required: false, timeoutSeconds: 0 }, onFailure: 'rollback' as const, polling: environment.polling };
  // The recorded release, put back on hosts that were launched on it: up to date, its own states only.
  // (Only `upToDate` and `validation` are read of an up-to-date plan.)
  const release = estimateRelease({ upToDate: true, validation } as unknown as Parameters<typeof estimateRelease>[0], hasSurgeTier(environment));
  const releasePart = { workflow: 'deploy' as const, input: plan.deploy, expectedSeconds: release.expectedSeconds, stateTransitions: release.stateTransitions };
  const allocatePart = { workflow: 'allocate' as const, input: plan.allocate, expectedSeconds: allocation.estimate.expectedSeconds, stateTransitions: allocation.estimate.stateTransitions };
  const common = {
    workflow: 'recover' as const,
    environment: environment.name,
    network: allocation.network,
    validation: { bakeSeconds: environment.validation.bakeSeconds, alarms: environment.validation.alarms.length + environment.validation.alarmPrefixes.length },
    leftovers: allocation.leftovers,
  };
  const launching = allocation.steps.reduce((n, t) => n + t.hosts, 0);
  if (!plan.restore) {
    // Plan Recover's fast path: allocate's own plan restores, checks and writes the connection (its database line says so).
    const restored = allocated.restore!;
    return {
      ...common,
      summary: `allocate ${launching} host(s) and restore ${describeSource(restored)} while they launch, then release ${plan.release} (the recorded release)`,
      steps: allocation.steps,
      database: allocation.database,
      recovery: allocation.recovery,
      // No restore-data part, so no bake of its own; the release of the recorded release is up to date.
      validation: null,
      parts: [allocatePart, releasePart],
      estimate: estimateRecover({ allocate: allocation.estimate, release }),
    };
  }
  const { repoint, steps, recovery, data } = await repointAfterAllocate(environment, plan, allocated, allocation.steps);
  const restore = data.database.restore!;
  const restoreEstimate = estimateRestore({
    target: { identifier: `a new instance of ${data.database.instanceIdentifier}` },
    check: restore.check,
    reconfigure: restore.reconfigure,
    validation,
    polling: environment.polling,
    tiers: repoint,
  });
  return {
    ...common,
    summary: `allocate ${launching} host(s), restore ${recovery.source}, then release ${plan.release} (the recorded release)`,
    steps,
    database: `allocate leaves it alone; restore-data restores ${recovery.source} into a new instance; checks it from a ${data.database.migration.runnerTier} host; then writes its endpoint to ${restore.connectionParameter}`,
    recovery,
    parts: [allocatePart, { workflow: 'restore-data', input: plan.restore, expectedSeconds: restoreEstimate.expectedSeconds, stateTransitions: restoreEstimate.stateTransitions }, releasePart],
    estimate: estimateRecover({ allocate: allocation.estimate, restore: restoreEstimate, release }),
  };
}

/** Recover's old path (hosts remained): the restore source resolved as restore-data resolves it, and the hosts it will repoint once allocate launched what each restore tier misses. */
async function repointAfterAllocate(
  environment: EnvironmentDefinition,
  plan: { readonly restore?: Record<string, unknown>; readonly release: string },
  allocated: ComputePlan,
  launched: readonly TierStep[],
) {
  const { resolveSource } = await import('../../lambdas/restore-data/restore-source');
  const { currentDatabaseIdentifier, dataTierOf, describeDatabase } = await import('../../lambdas/shared/database-record');
  const { parseComputeInput } = await import('../../lambdas/domain/compute-input');
  const { policyFor } = await import('../../lambdas/shared/tier-hosts');
  const { launchableTier, provisionTier } = await import('../../lambdas/shared/provision-plan');
  const data = dataTierOf(environment)!;
  const restore = data.database.restore!;
  const current = (await currentDatabaseIdentifier(environment))!;
  const source = parseComputeInput('restore-data', plan.restore).source;
  const { source: resolved, time } = await resolveSource(environment.name, data, current, await describeDatabase(current), source);
  const dataLossSeconds = Math.max(0, Math.round((Date.now() - Date.parse(time)) / 1000));
  const repoint: Array<{ spec: TierPlan; batchCount: number }> = [];
  const steps: TierStep[] = [...launched];
  for (const name of restore.tiers) {
    const definition = environment.tiers.find((t) => t.name === name);
    if (!definition || !isHostTier(definition)) continue;
    const hosts = definition.count ?? 0;
    if (hosts === 0) continue;
    const { batchSize, minHealthy, rollbackBatchSize } = policyFor(definition, hosts);
    // The tier as a new host of it is described (its target groups' health-check threshold), with the repoint's batch policy.
    const described = allocated.tiers.find((t) => t.spec.name === name)?.spec ?? (await provisionTier(environment, launchableTier(environment, name, 'tiers'), { count: hosts, release: plan.release })).spec;
    const realSpec: TierPlan = { ...described, hostCount: hosts, minHealthy, batchSize, rollbackBatchSize };
    const batchCount = Math.ceil(hosts / batchSize);
    repoint.push({ spec: realSpec, batchCount });
    steps.push({ tier: name, action: 'repoint', hosts, minInService: minHealthy, batches: Array.from({ length: batchCount }, (_, i) => ({ hosts: [], stayInService: hosts - Math.min(batchSize, hosts - i * batchSize) })) });
  }
  const recoverySource = resolved.kind === 'snapshot' ? `snapshot ${resolved.snapshot} of ${resolved.instance}` : `${resolved.instance} as of ${time}`;
  return { repoint, steps, data, recovery: { source: recoverySource, recoveryPointTime: time, dataLossSeconds } };
}
