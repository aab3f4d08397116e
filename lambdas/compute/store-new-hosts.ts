/**
 * Store New Hosts: the hosts this execution launched for a tier, written to the plan table
 * as batches for the rollout workflow (provision mode: set up, install, into traffic,
 * healthy), so the state carries a reference, never the host list.
 */
import { findInstances, tagFilters } from '../shared/instances';
import { storeTiers } from '../shared/plan-store';
import type { HostRef, StoredTier, ProvisionTaskInput } from '../domain/contract/payloads';
import { launchedTags } from './launching';
import { PROVISION_BATCH_HOSTS } from '../shared/provision-plan';

/** The tier as stored, and its first new host: where a restored database is checked from when this is the runner tier. */
export type StoredNewHosts = StoredTier & { readonly first: HostRef | null };

export const handler = async (event: ProvisionTaskInput): Promise<StoredNewHosts> => storeNewHosts(event);

export async function storeNewHosts(event: ProvisionTaskInput): Promise<StoredNewHosts> {
  const { tier, execution } = event;
  const hosts = await findInstances(tagFilters(launchedTags(execution, tier), ['running']));
  // A new host has no release to go back to: its "previous" is the release it gets.
  const refs: HostRef[] = hosts.map((h) => ({ id: h.id, name: h.name, previous: tier.release }));
  const batches: HostRef[][] = [];
  for (let i = 0; i < refs.length; i += PROVISION_BATCH_HOSTS) batches.push(refs.slice(i, i + PROVISION_BATCH_HOSTS));
  const [stored] = await storeTiers(tier.spec.environment, execution, 'provision', [
    { spec: { ...tier.spec, hostCount: refs.length }, batchCount: batches.length, batches },
  ]);
  return { ...stored!, first: refs[0] ?? null };
}
