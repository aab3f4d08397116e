/**
 * The new hosts of one surge batch: as many as the batch has old hosts, launched into the
 * same subnets, on the release being rolled out. What Launch Surge Hosts and Check Surge Hosts
 * share: the batch's ProvisionTier, its launch scope, and the phase of their one operation.
 */
import type { BatchTaskInput, HostRef, PhaseState, ProvisionTaskInput, ProvisionTier } from '../domain/contract/payloads';
import { REPLACES_TAG } from '../domain/contract/tags';
import { findInstances, findInstancesById, tagFilters } from '../shared/instances';
import { continuePhase, startPhase } from '../shared/phase';
import { launchedTags } from '../compute/launching';
import { EXPECTED_READY_SECONDS } from '../compute/hosts-ready';

/** The batch's new hosts, once ready (`label` as causes name them). */
export type SurgeBatch = BatchTaskInput['batch'];

/**
 * The phase of a surge batch's one operation (statemachines/surge/surge-pipeline.ts), from Launch
 * Surge Hosts to the last setup step seen done by Check Surge Hosts.
 */
export interface SurgeSetUpPhase extends PhaseState {
  /**
   * 'launch': launch groups remain (a launch past its time budget; Launch More Surge Hosts goes on);
   * 'ready': the new hosts come up; 'setup': step `step` of the tier's setup runs on them.
   */
  readonly stage: 'launch' | 'ready' | 'setup';
  readonly step: number;
  /** The new hosts, from the first step on: what the install and the entry into service read. */
  readonly batch?: SurgeBatch;
  /** The launch launched the next batch's new hosts too: Launch Next Surge Hosts has nothing left to do (absent otherwise). */
  readonly prepared?: true;
}

/**
 * The phase of the hosts' readiness, counted from their launch (the youngest host's LaunchTime,
 * `launchedAt`: the ready timeout is a boot's): hosts a batch before launched (a pipelined surge
 * prepared them while it installed) are looked at once, hosts launched just now when hosts
 * usually are ready.
 */
export function readyPhase(tier: BatchTaskInput['tier'], launchedAt: readonly number[], now = Date.now()): SurgeSetUpPhase {
  const surge = tier.surge;
  if (!surge) throw new TypeError(`tier ${tier.name} has no surge plan`);
  const startedAt = launchedAt.length > 0 ? Math.min(now, Math.max(...launchedAt)) : now;
  const started = { ...startPhase(surge.readyTimeoutSeconds, tier.polling, undefined, EXPECTED_READY_SECONDS), startedAt, deadline: startedAt + surge.readyTimeoutSeconds * 1000 };
  // Past the usual boot, look now: the schedule would back off from a launch this look never waited for.
  const phase = continuePhase(started, tier.polling, now);
  const bootLeft = Math.max(0, EXPECTED_READY_SECONDS - Math.floor((now - startedAt) / 1000));
  return { ...phase, waitSeconds: Math.min(phase.waitSeconds, bootLeft), stage: 'ready', step: 0 };
}

/** The scope tag of a batch's new hosts: unique per tier and batch within the execution. */
export function surgeScope(event: BatchTaskInput): string {
  return `surge#${event.tier.name}#${event.batch.index}`;
}

/** What the batch launches: one host per old host, in the old host's subnet (else the tier's first). */
export async function surgeProvision(event: BatchTaskInput): Promise<ProvisionTaskInput> {
  const surge = event.tier.surge;
  if (!surge) throw new TypeError(`tier ${event.tier.name} has no surge plan`);
  const old = await findInstancesById(event.batch.hosts.map((h) => h.id));
  const subnetOf = new Map(old.map((h) => [h.id, h.subnetId]));
  const perSubnet = surge.launch.subnets.map(() => 0);
  // An old host already replaced (a restart: replaced-hosts.ts) gets no new host: it is only retired with the batch.
  for (const host of event.batch.hosts.filter((h) => !h.replaced)) {
    const index = surge.launch.subnets.findIndex((s) => s.id === subnetOf.get(host.id));
    perSubnet[Math.max(0, index)]! += 1;
  }
  const tier: ProvisionTier = {
    spec: event.tier,
    release: event.release,
    launch: surge.launch,
    perSubnet,
    targetGroupNames: [],
    setup: surge.setup,
    readyTimeoutSeconds: surge.readyTimeoutSeconds,
  };
  const replaces = replacesTag(event.batch.hosts.filter((h) => !h.replaced).map((h) => h.id));
  return { execution: event.execution, tier, scope: surgeScope(event), ...(replaces ? { tags: { [REPLACES_TAG]: replaces } } : {}), ...(event.phase ? { phase: event.phase } : {}) };
}

/**
 * EC2 tag values hold at most 256 Unicode characters (EC2 tag restrictions: "Maximum value length – 256
 * Unicode characters in UTF-8"): twelve instance IDs. A bigger batch's new hosts carry no such tag, and
 * a restart then takes none of its old hosts as replaced (replaced-hosts.ts: it surges them again).
 */
export const MAX_REPLACES_TAG_LENGTH = 256;

/**
 * The value of a batch's new hosts' REPLACES_TAG: the old hosts they replace, by ID (deterministic: the plan's
 * order, so a retried launch sends the same tags with the same ClientToken). Undefined when none or too long.
 */
export function replacesTag(ids: readonly string[]): string | undefined {
  const value = ids.join(' ');
  return value !== '' && value.length <= MAX_REPLACES_TAG_LENGTH ? value : undefined;
}

/** The batch's new hosts, as a batch (their `previous` is the release: a new host has no other). */
export async function surgeBatch(event: BatchTaskInput): Promise<BatchTaskInput['batch']> {
  const provision = await surgeProvision(event);
  const hosts = await findInstances(tagFilters(launchedTags(event.execution, provision.tier, provision.scope), ['running']));
  const refs: HostRef[] = hosts.map((h) => ({ id: h.id, name: h.name, previous: event.release }));
  return { index: event.batch.index, count: event.batch.count, hosts: refs };
}
