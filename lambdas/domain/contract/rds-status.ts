/**
 * The RDS DB instance statuses FleetFlow tells apart, in one place: which end on their own
 * (worth waiting for) and which an instance passes through while RDS creates or restores it.
 * Every other status (`failed`, `incompatible-*`, `storage-full`, `stopped`, ...) needs a
 * person, and a check fails at once on it.
 *
 * The statuses are those of the RDS User Guide's table "Viewing Amazon RDS DB instance status"
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html).
 */

/** Statuses that end without anyone acting: worth waiting for. */
export const TRANSIENT_STATUSES: ReadonlySet<string> = new Set([
  'backing-up',
  'modifying',
  'storage-optimization',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'configuring-activity-stream',
  'upgrading',
  'maintenance',
  'rebooting',
  'renaming',
  'resetting-master-credentials',
  'starting',
  'creating',
  'converting-to-vpc',
  'moving-to-vpc',
]);

/**
 * Whether RDS ends this status by itself. Everything else (`failed`, `incompatible-network`,
 * `incompatible-option-group`, `incompatible-parameters`, `incompatible-restore`,
 * `inaccessible-encryption-credentials[-recoverable]`, `insufficient-capacity`,
 * `storage-full`, `stopped`, `stopping`, `deleting`, `restore-error`, and any status this
 * list does not know) fails the check at once.
 */
export function isTransient(status: string): boolean {
  return TRANSIENT_STATUSES.has(status);
}

/** Statuses RDS passes through on its own while it creates an instance. */
export const CREATING: ReadonlySet<string> = new Set(['creating', 'backing-up', 'modifying', 'configuring-enhanced-monitoring', 'configuring-log-exports', 'rebooting', 'storage-optimization']);
