/**
 * What FleetFlow records about databases and the hosts that use them (see ARCHITECTURE.md):
 * on hosts, as EC2 tags; on RDS instances, as RDS tags (AddTagsToResource).
 */
/** The database a host was last reconfigured for, written once its reconfigure succeeded. */
export const DATABASE_TAG = 'fleetflow:database';
/** Written before a reconfigure is sent (its value: the database it points the host to), removed once recorded. */
export const DATABASE_SENT_TAG = 'fleetflow:database-sent';

/** On a restored instance: the execution that restored it, and from what. */
export const CREATED_BY_TAG = 'fleetflow:created-by';
export const RESTORED_FROM_TAG = 'fleetflow:restored-from';
/** On the instance a restore replaced: by which execution, when, why. It is kept, never modified. */
export const REPLACED_BY_TAG = 'fleetflow:replaced-by';
export const REPLACED_AT_TAG = 'fleetflow:replaced-at';
export const REPLACED_REASON_TAG = 'fleetflow:replaced-reason';
