/**
 * A restore-data run stopped after it began repointing (StopExecution, a timeout, the lock
 * taken over) leaves a restored instance that the connection parameter names and some hosts
 * use, while the record (/fleetflow/<env>/database/current) still names the old database: it
 * is written last. Starting restore-data again must not restore a second instance and repoint
 * those hosts away from the first, which would drop every write they made to it.
 *
 * Plan Restore Data finds such an instance here, read-only, from what the stopped run left:
 * the hosts' `fleetflow:database` / `fleetflow:database-sent` tags (written as each host is
 * reconfigured) and the connection parameter's endpoint. The endpoint's first label is taken as
 * a candidate identifier, as RDS names addresses ("the endpoint value is
 * mydb.123456789012.us-east-1.rds.amazonaws.com", RDS User Guide, Finding the connection
 * information for a DB instance), and only counts once the instance's own Endpoint equals the
 * parameter, so a parameter holding a name of the operator's (a CNAME) is never mistaken. Only instances named as
 * FleetFlow names restored instances are looked at (the planner may describe only those and
 * the current one, lib/data-access.ts), and only those a restore-data execution created
 * (`fleetflow:created-by`, `fleetflow:restored-from`) and no later restore replaced.
 */
import type { DBInstance } from '@aws-sdk/client-rds';
import type { RestoreSource } from '../domain/compute-input';
import { InvalidInputError } from '../domain/contract/errors';
import { restoredPrefix } from '../domain/contract/records';
import { CREATED_BY_TAG, DATABASE_SENT_TAG, DATABASE_TAG, OUT_OF_TRAFFIC_TAG, REPLACED_BY_TAG, RESTORED_FROM_TAG } from '../domain/contract/tags';
import type { ResolvedSource } from '../domain/contract/payloads';
import { describeDatabase, endpointOf } from '../shared/database-record';
import type { InstanceFacts } from '../shared/instances';
import { describeList } from '../shared/polling';

/** A restored instance an earlier execution began repointing the hosts to, and what it left. */
export interface EarlierRestore {
  readonly identifier: string;
  /** The execution that restored it (its `fleetflow:created-by` tag). */
  readonly execution: string;
  /** Its `fleetflow:restored-from` tag: "snapshot <id>" or "<instance> at <ISO time>". */
  readonly restoredFrom: string;
  readonly endpoint: string | undefined;
  /** Whether the connection parameter names it. */
  readonly connectionNamesIt: boolean;
  /** Hosts whose reconfigure for it succeeded and that are in traffic: they use it and need nothing more. */
  readonly moved: readonly InstanceFacts[];
  /** Hosts a reconfigure for it was sent to (not confirmed), or that the stopped run left out of traffic. */
  readonly underway: readonly InstanceFacts[];
}

/** The restored data an earlier restore's tag names, as a source. */
export type EarlierSource = { readonly kind: 'snapshot'; readonly snapshot: string } | { readonly kind: 'point-in-time'; readonly instance: string; readonly time: string };

export function parseRestoredFrom(tag: string): EarlierSource | undefined {
  const snapshot = /^snapshot (\S+)$/.exec(tag);
  if (snapshot) return { kind: 'snapshot', snapshot: snapshot[1]! };
  const pit = /^(\S+) at (\S+)$/.exec(tag);
  if (pit && !Number.isNaN(Date.parse(pit[2]!))) return { kind: 'point-in-time', instance: pit[1]!, time: new Date(pit[2]!).toISOString() };
  return undefined;
}

/** Whether an identifier is one FleetFlow gives a restored instance of this database. */
function restoredName(base: string, identifier: string): boolean {
  const id = identifier.toLowerCase();
  return (['snapshot', 'point-in-time'] as const).some((kind) => id.startsWith(restoredPrefix(base, kind)));
}

/** The instance identifier of an "<address>:<port>" endpoint: RDS addresses begin with it. */
function identifierOfEndpoint(endpoint: string | null): string | undefined {
  return endpoint?.split(':')[0]?.split('.')[0]?.toLowerCase() || undefined;
}

/**
 * The restored instance an earlier run began repointing to, or undefined when the repoint of
 * none began. Refuses (before anything changes) when the hosts were moved towards more than one.
 */
export async function findEarlierRestore(args: {
  readonly base: string;
  readonly currentId: string;
  readonly connection: string | null;
  readonly hosts: readonly InstanceFacts[];
  readonly execution: string;
}): Promise<EarlierRestore | undefined> {
  const current = args.currentId.toLowerCase();
  const candidates = new Set<string>();
  const fromParameter = identifierOfEndpoint(args.connection);
  if (fromParameter) candidates.add(fromParameter);
  for (const h of args.hosts) for (const key of [DATABASE_TAG, DATABASE_SENT_TAG]) if (h.tags.get(key)) candidates.add(h.tags.get(key)!.toLowerCase());
  const found: Array<{ instance: DBInstance; tags: Map<string, string> }> = [];
  for (const id of candidates) {
    if (id === current || !restoredName(args.base, id)) continue;
    const instance = await describeDatabase(id);
    // DescribeDBInstances returns each instance's tags: DBInstance.TagList, "A list of tags" (RDS API Reference, DBInstance):
    // no ListTagsForResource, which the planner is not granted.
    const tags = new Map((instance?.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    // Gone, not a restore-data execution's, this execution's own (a retried plan), or recorded once and since replaced: not a restore under way.
    if (!instance || !tags.get(CREATED_BY_TAG) || !tags.get(RESTORED_FROM_TAG) || tags.get(CREATED_BY_TAG) === args.execution || tags.has(REPLACED_BY_TAG)) continue;
    found.push({ instance, tags });
  }
  const earlier = found.map(({ instance, tags }) => {
    const id = instance.DBInstanceIdentifier!;
    const endpoint = endpointOf(instance);
    const uses = (h: InstanceFacts) => h.tags.get(DATABASE_TAG)?.toLowerCase() === id.toLowerCase();
    const sent = (h: InstanceFacts) => h.tags.get(DATABASE_SENT_TAG)?.toLowerCase() === id.toLowerCase();
    return {
      identifier: id,
      execution: tags.get(CREATED_BY_TAG)!,
      restoredFrom: tags.get(RESTORED_FROM_TAG)!,
      endpoint,
      connectionNamesIt: endpoint !== undefined && args.connection === endpoint,
      moved: args.hosts.filter((h) => uses(h) && !sent(h) && !h.tags.get(OUT_OF_TRAFFIC_TAG)),
      underway: args.hosts.filter((h) => sent(h) || (uses(h) && !!h.tags.get(OUT_OF_TRAFFIC_TAG))),
    } satisfies EarlierRestore;
  });
  // Restored but never pointed to (stopped before Write Connection, or a failed run's, kept for inspection): nothing to resume.
  const begun = earlier.filter((e) => e.connectionNamesIt || e.moved.length + e.underway.length > 0);
  if (begun.length > 1) {
    throw new InvalidInputError(
      `hosts were moved towards several restored databases that are not the recorded ${args.currentId}: ` +
        `${begun.map((e) => `${e.identifier} (restored by ${e.execution}; ${hostsOf(e) || 'no host'})`).join('; ')}; ` +
        'point every host at one of them (or back) before restoring again; nothing was changed',
    );
  }
  return begun[0];
}

/** The hosts on it or moving onto it, by name (the first few, then how many more). */
export function hostsOf(e: EarlierRestore): string {
  return describeList([...e.moved, ...e.underway].map((h) => h.name));
}

/**
 * Whether the input asks for the data the earlier restore holds: the same snapshot or point in
 * time, or `latest` / `latest-snapshot` when it restored the current database's data by the
 * same means the input resolves to now (what "latest" meant when that run planned).
 */
export function sameData(earlier: EarlierSource, input: RestoreSource, resolved: ResolvedSource): boolean {
  if (input === 'latest') return earlier.kind === resolved.kind && (earlier.kind === 'snapshot' || earlier.instance === resolved.instance);
  if (input === 'latest-snapshot') return earlier.kind === 'snapshot';
  if (typeof input === 'string') return earlier.kind === 'snapshot' && earlier.snapshot === input;
  return earlier.kind === 'point-in-time' && Date.parse(earlier.time) === Date.parse(input.pointInTime);
}

/** The `--source` (and execution input) that asks for the earlier restore's data again. */
export function sourceArgument(earlier: EarlierSource): string {
  return earlier.kind === 'snapshot' ? earlier.snapshot : earlier.time;
}
