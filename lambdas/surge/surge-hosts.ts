/**
 * The new hosts of one surge batch: as many as the batch has old hosts, launched into the
 * same subnets, on the release being rolled out. What Launch Surge Hosts, Check Surge Hosts
 * Ready and Load Surge Batch share: the batch's ProvisionTier and its launch scope.
 */
import type { BatchTaskInput, HostRef, ProvisionTaskInput, ProvisionTier } from '../domain/contract/payloads';
import { findInstances, findInstancesById, tagFilters } from '../shared/instances';
import { launchedTags } from '../compute/launching';

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
  for (const host of event.batch.hosts) {
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
  return { execution: event.execution, tier, scope: surgeScope(event), ...(event.phase ? { phase: event.phase } : {}) };
}

/** The batch's new hosts, as a batch (their `previous` is the release: a new host has no other). */
export async function surgeBatch(event: BatchTaskInput): Promise<BatchTaskInput['batch']> {
  const provision = await surgeProvision(event);
  const hosts = await findInstances(tagFilters(launchedTags(event.execution, provision.tier, provision.scope), ['running']));
  const refs: HostRef[] = hosts.map((h) => ({ id: h.id, name: h.name, previous: event.release }));
  return { index: event.batch.index, count: event.batch.count, hosts: refs };
}
