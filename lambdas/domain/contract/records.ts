/**
 * Where FleetFlow records what it did, and how it names what it creates: the Parameter Store
 * names of the release and database records, and the names of restored instances and of the
 * snapshots it may restore. Naming only (no SDK): the stack's IAM grants are built from the
 * same names the handlers use.
 */

/**
 * Where the release of each environment and component is recorded: SSM Parameter
 * Store, `/fleetflow/<environment>/<component>/current` and `.../previous`; `.../next` is
 * the release a pipeline queued for the next release window.
 */
export function releaseParameterName(environment: string, component: string, which: 'current' | 'previous' | 'next'): string {
  return `/fleetflow/${environment}/${component}/${which}`;
}

/** Where the environment's current database instance is recorded, once a restore has replaced the defined one. */
export function databaseParameterName(environment: string): string {
  return `/fleetflow/${environment}/database/current`;
}

/** RDS DB instance identifiers: at most 63 characters (RDS API reference, CreateDBInstance). */
const MAX_IDENTIFIER_CHARS = 63;
/** `-<kind>-YYYYMMDDHHMM-xxxxxxxx`: what a restored instance's name adds to the database's. */
const RESTORED_SUFFIX_CHARS = 1 + 4 + 1 + 12 + 1 + 8;
export const RESTORED_KINDS = { snapshot: 'snap', 'point-in-time': 'pitr' } as const;

/**
 * How every instance restored from the database `base` begins: `<base>-snap-` or
 * `<base>-pitr-` (the base lowercased, as RDS stores identifiers, and cut so that the whole
 * identifier fits 63 characters). Restores name their instances with it, and IAM pins the
 * restore and the release's database grants to it.
 */
export function restoredPrefix(base: string, kind: keyof typeof RESTORED_KINDS): string {
  const head = base.toLowerCase().replace(/--+/g, '-').slice(0, MAX_IDENTIFIER_CHARS - RESTORED_SUFFIX_CHARS).replace(/-+$/, '');
  return `${head}-${RESTORED_KINDS[kind]}-`;
}

/**
 * The snapshot names FleetFlow's IAM grants let it read and restore, for the database `defined`
 * of the environment: automated snapshots of it and of the instances restores made of it
 * (`rds:<instance>-<time>`), manual ones named after either, and FleetFlow's own
 * (`fleetflow-<environment>-...`). IAM authorizes a snapshot by its name only (no condition key
 * says which instance it was taken of), so these names are the grant; the restore also checks
 * the snapshot's source instance.
 */
export function snapshotNamePatterns(defined: string, environment: string): string[] {
  const heads = [defined.toLowerCase() + '-', ...(Object.keys(RESTORED_KINDS) as Array<keyof typeof RESTORED_KINDS>).map((kind) => restoredPrefix(defined, kind))];
  // A restored instance's prefix is already covered when the database's full name begins it.
  const kept = heads.filter((head, i) => !heads.some((other, j) => j !== i && other.length < head.length && head.startsWith(other)));
  return [...new Set([...kept.map((h) => `rds:${h}*`), ...kept.map((h) => `${h}*`), `fleetflow-${environment}-*`])];
}

/** Whether a snapshot name is one of `snapshotNamePatterns` (each a prefix and `*`). */
export function snapshotNameGranted(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => name.toLowerCase().startsWith(p.slice(0, -1)));
}
