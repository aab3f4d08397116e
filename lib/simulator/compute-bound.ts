/**
 * The unavoidable time of a compute workflow on the simulated account, to measure its
 * makespan against: a new host booting and passing its status checks (SSM registers
 * meanwhile) while the database is created or restored (allocate overlaps the two; the
 * longer counts), a restored one's check, then, for the slowest tier (tiers are provisioned
 * side by side), each setup step delivered and run, the install, and the health checks a new
 * target must pass; for a replacement, the slowest old host's drain (drainBoundSeconds) and stop;
 * and before all of it, the planner's protection reads at EC2's request rate (protectionReadSeconds).
 */
import { CHECK_SECONDS, QUICK_COMMAND_SECONDS, RECONFIGURE_SECONDS, SSM_DELIVERY_SECONDS, drainBoundSeconds, drainCheckOf, type SimulatedAccount, type SimHost, PREREQUISITE_SECONDS, PROBE_SECONDS, SSM_REGISTRATION_SECONDS } from './account';
import { BOOT_SECONDS, STATUS_CHECK_SECONDS, STOPPING_SECONDS } from './services/ec2';
import { DB_CREATE_SECONDS, DB_FIRST_BACKUP_SECONDS, DB_RESTORE_SECONDS } from './services/rds';
import { LAUNCHED_BY_TAG, RETIRED_BY_TAG } from '../../lambdas/domain/contract/tags';
import type { ComputePlan } from '../../lambdas/domain/contract/payloads';
import { EC2_NON_MUTATING } from './request-rates';
import { protectionReads, readSeconds } from '../../lambdas/compute/retire-guards';
import { batchKey } from '../../lambdas/shared/plan-store';
import { PLAN_TABLE_NAME } from './fleet';

/**
 * The least time EC2's request rate allows for `reads` protection reads (DescribeInstanceAttribute,
 * one host and one attribute a call: lambdas/compute/retire-guards.ts), which the planner makes
 * before anything else: the bucket's 100 at once, then 20 a second ("Non-mutating actions", EC2
 * developer guide, Request throttling for the Amazon EC2 API). AWS's floor, not the guard's pace:
 * the guard keeps half the bucket (ATTRIBUTE_PACE, 50 at once), 2.5 s over it, on purpose.
 */
export function protectionReadSeconds(reads: number): number {
  return readSeconds(reads, { burst: EC2_NON_MUTATING.capacity, perSecond: EC2_NON_MUTATING.refillPerSecond });
}

/** The tiers whose hosts a plan's guard read: their batches in the plan table, and the policy the guard checked them for. */
export interface GuardedPlanTier {
  readonly keyPrefix: string;
  readonly batchCount: number;
  readonly policy: 'stop' | 'terminate';
}

/**
 * How many protection reads a plan's guard had to make, from the plan (not from the calls the
 * code made: those count a throttled call, and a restarted run's earlier plan): the hosts in the
 * guarded tiers' batches, by retire-guards.ts's own protectionReads, each host as it was when
 * the plan read it (`plannedAt`, virtual ms): one a stop found already stopping or stopped is
 * not read.
 */
export function plannedProtectionReads(account: SimulatedAccount, tiers: readonly GuardedPlanTier[], plannedAt: number): number {
  let reads = 0;
  for (const tier of tiers) {
    const hosts: Array<{ id: string; state: string }> = [];
    for (let index = 0; index < tier.batchCount; index += 1) {
      const stored = account.tables.get(PLAN_TABLE_NAME)?.get(batchKey(tier.keyPrefix, index))?.hosts?.S;
      if (!stored) throw new Error(`batch ${batchKey(tier.keyPrefix, index)} is not in the simulated plan table`);
      for (const { id } of JSON.parse(stored) as Array<{ id: string }>) hosts.push({ id, state: stateWhenPlanned(account.requireHost(id), plannedAt) });
    }
    reads += protectionReads(hosts, tier.policy).length;
  }
  return reads;
}

/** Whether a host was running or had left it (stopping, stopped: a stop skips it) at `at`: it left running then, and did not boot again before. */
function stateWhenPlanned(host: SimHost, at: number): 'running' | 'stopped' {
  const left = host.leftRunningAt;
  if (left === undefined || left > at) return 'running';
  return host.bootedAt !== undefined && host.bootedAt > left && host.bootedAt <= at ? 'running' : 'stopped';
}

/** A launched host booted, past its status checks and registered with SSM. */
export function readySeconds(): number {
  return BOOT_SECONDS + Math.max(STATUS_CHECK_SECONDS, SSM_REGISTRATION_SECONDS);
}

/**
 * What a surge batch adds to a rolling one: its new hosts boot and are set up before they
 * install, and its old ones stop after draining. Hosts the previous batch prepared (a pipelined
 * surge) booted for `overlapSeconds` before this batch started: only the rest of the boot counts.
 * A pipelined batch that is not its segment's last does not wait for its old hosts to stop
 * (`stopAwaited` false): the next batch launches only once they have, meanwhile setting up.
 */
export function surgeOverheadSeconds(setup: ReadonlyArray<{ purpose: string }>, overlapSeconds = 0, stopAwaited = true): { boot: number; setup: number; stop: number } {
  return { boot: Math.max(0, readySeconds() - overlapSeconds), setup: setupSeconds(setup), stop: stopAwaited ? STOPPING_SECONDS : 0 };
}

function setupSeconds(setup: ReadonlyArray<{ purpose: string }>): number {
  return setup.reduce((n, step) => n + SSM_DELIVERY_SECONDS + (step.purpose === 'probe' ? PROBE_SECONDS : PREREQUISITE_SECONDS), 0);
}

/** `plannedAt`: when the plan task started (virtual ms), for the hosts a stop's guard found stopped. */
export function computeLowerBoundSeconds(plan: ComputePlan, account: SimulatedAccount, execution: string, plannedAt: number): number {
  const ready = BOOT_SECONDS + Math.max(STATUS_CHECK_SECONDS, SSM_REGISTRATION_SECONDS);
  // Allocate launches while the database is created or restored, and sets hosts up once it is available
  // (and, restored, checked from a new host: the check document delivered and run).
  const database = plan.restore
    ? DB_RESTORE_SECONDS
    : !plan.database ? 0 : plan.database.fromSnapshot ? DB_RESTORE_SECONDS : DB_CREATE_SECONDS + DB_FIRST_BACKUP_SECONDS;
  const check = plan.restore ? SSM_DELIVERY_SECONDS + CHECK_SECONDS : 0;
  const hosts = [...account.hosts.values()];
  let slowestTier = 0;
  for (const tier of plan.tiers) {
    const launched = hosts.filter((h) => h.tier === tier.spec.name && h.tags.get(LAUNCHED_BY_TAG) === execution);
    const setup = setupSeconds(tier.setup);
    const install = SSM_DELIVERY_SECONDS + Math.max(0, ...launched.map((h) => h.profile.installSeconds));
    const healthy = tier.spec.traffic.kind === 'target-group' ? tier.spec.healthyAfterSeconds : SSM_DELIVERY_SECONDS + QUICK_COMMAND_SECONDS.health;
    slowestTier = Math.max(slowestTier, setup + install + healthy);
  }
  const provisioned = plan.tiers.length > 0 ? Math.max(database, ready) + check + slowestTier : database + check;
  let retire = 0;
  for (const tier of plan.retire?.tiers ?? []) {
    const old = hosts.filter((h) => h.tier === tier.spec.name && h.tags.get(RETIRED_BY_TAG) === execution);
    const groups = account.groupsOf(tier.spec.name);
    const check = drainCheckOf(tier.spec);
    // A host its drain check could not reach (stopped, or offline in SSM: the invocation is undeliverable, or SSM refused
    // it) has only ELB's word: the deregistration delay.
    const drain =
      tier.spec.traffic.kind === 'target-group'
        ? Math.max(0, ...old.map((h) => drainBoundSeconds(account, h, groups, check && drainCheckReached(account, h) ? check : undefined)))
        : 0;
    retire = Math.max(retire, drain + STOPPING_SECONDS);
  }
  const guarded = (plan.retire?.tiers ?? []).map((t) => ({ keyPrefix: t.keyPrefix, batchCount: t.batchCount, policy: t.spec.retire ?? 'terminate' }));
  return protectionReadSeconds(plannedProtectionReads(account, guarded, plannedAt)) + provisioned + retire;
}

/** Whether a host-side drain check was delivered to the host (SSM accepted it and the host's agent could run it). */
function drainCheckReached(account: SimulatedAccount, host: { id: string }): boolean {
  for (const command of account.commands.values()) {
    if (account.documents.get(command.document) !== 'drain-check') continue;
    const invocation = command.invocations.get(host.id);
    if (invocation && invocation.details !== 'Undeliverable') return true;
  }
  return false;
}

/**
 * The unavoidable time of a restore-data: the restore, the check delivered and run, then
 * batch after batch the slowest host's drain, the reconfigure delivered and run, and the
 * health checks its targets must pass again; then the bake.
 */
export function restoreLowerBoundSeconds(
  plan: {
    tiers: ReadonlyArray<{
      spec: { name: string; traffic: { kind: string; ports?: number[] }; drainCheck?: { timeoutSeconds: number }; healthyAfterSeconds: number };
      batchCount: number;
      keyPrefix: string;
    }>;
    validation: { bakeSeconds: number };
    /** A resumed restore (lambdas/restore-data/earlier-restore.ts) restores nothing: its instance is the stopped run's. */
    resume?: unknown;
  },
  account: SimulatedAccount,
  batchHosts: (keyPrefix: string, index: number) => string[],
): number {
  let total = (plan.resume ? 0 : DB_RESTORE_SECONDS) + SSM_DELIVERY_SECONDS + CHECK_SECONDS + plan.validation.bakeSeconds;
  for (const tier of plan.tiers) {
    const groups = account.groupsOf(tier.spec.name);
    for (let index = 0; index < tier.batchCount; index += 1) {
      const hosts = batchHosts(tier.keyPrefix, index).map((id) => account.requireHost(id));
      const drain = tier.spec.traffic.kind === 'target-group' ? Math.max(0, ...hosts.map((h) => drainBoundSeconds(account, h, groups, drainCheckOf(tier.spec)))) : 0;
      const healthy = tier.spec.traffic.kind === 'target-group' ? tier.spec.healthyAfterSeconds : SSM_DELIVERY_SECONDS + QUICK_COMMAND_SECONDS.health;
      total += drain + SSM_DELIVERY_SECONDS + RECONFIGURE_SECONDS + healthy;
    }
  }
  return total;
}
