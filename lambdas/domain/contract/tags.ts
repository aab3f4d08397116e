/**
 * Every tag key FleetFlow writes and reads, on EC2 instances and RDS instances: one list,
 * so that the handlers, the IAM conditions of the stack (which tag keys a role may write)
 * and the simulator name the same keys.
 */

// ---- Releases, on hosts ----

/** The EC2 tag on each instance that records which release it runs. */
export const RELEASE_TAG = 'fleetflow:release';

/**
 * Written with RELEASE_TAG when a host moves forward to a new release: the release it ran
 * before, so that a rollback can send it back even when the execution that moved it is
 * gone (a release started again after one that stopped midway).
 */
export const PREVIOUS_RELEASE_TAG = 'fleetflow:previous-release';

/**
 * Written before an install is sent, to the release being installed, and removed once the
 * install is recorded (RELEASE_TAG): a host that carries it may run that release, whatever
 * its release tag says, so a rollback treats it as moved.
 */
export const INSTALLING_TAG = 'fleetflow:installing';

/**
 * The same for a batch's rollback (the previous release reinstalled). A separate key, so that
 * a reinstall sent after an unconfirmed install keeps both possibilities on record.
 */
export const REINSTALLING_TAG = 'fleetflow:reinstalling';

/** Every record of an install sent and not confirmed. */
export const INSTALL_SENT_TAGS = [INSTALLING_TAG, REINSTALLING_TAG] as const;

/**
 * The EC2 tag FleetFlow sets on a host, to the execution's name, before it takes the host
 * out of traffic, and removes once the host is back. A host that carries it and is out of
 * traffic was left there by an execution that stopped (aborted, timed out, failed midway):
 * the next release puts it back first. A host out of traffic without it was taken out by
 * someone else, on purpose, and is left alone.
 */
export const OUT_OF_TRAFFIC_TAG = 'fleetflow:out-of-traffic';

// ---- Launching and retiring hosts ----

/**
 * What FleetFlow records with EC2 tags on the hosts it launches and retires.
 *
 * Every instance a compute workflow launches carries LAUNCHED_BY_TAG (the execution's
 * name) and LAUNCH_GROUP_TAG (which of the execution's launch requests made it) from the
 * moment it exists (RunInstances TagSpecifications), so a retried or redriven task finds
 * what was already launched, and a failed execution finds everything it must terminate.
 */
export const LAUNCHED_BY_TAG = 'fleetflow:launched-by';
export const LAUNCH_GROUP_TAG = 'fleetflow:launch-group';
/** Which part of the execution launched it, when there are several (a surge: the tier and batch). */
export const LAUNCH_SCOPE_TAG = 'fleetflow:launch-scope';
/** A surge batch's new host: the IDs (space-separated) of the batch's old hosts the new hosts replace, tagged at launch (lambdas/surge/surge-hosts.ts). */
export const REPLACES_TAG = 'fleetflow:replaces';

/** A host a replacement or a surge took out of service on purpose: by which execution, when, and why. */
export const RETIRED_BY_TAG = 'fleetflow:retired-by';
export const RETIRED_AT_TAG = 'fleetflow:retired-at';
export const RETIRED_REASON_TAG = 'fleetflow:retired-reason';
/** The retired reason of a batch's old hosts in a surge: stopped until the release is validated. */
export const SURGE_REASON = 'surge';
export const RETIRED_TAGS = [RETIRED_BY_TAG, RETIRED_AT_TAG, RETIRED_REASON_TAG] as const;

// ---- Databases, on hosts and RDS instances ----

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

/**
 * On the blue/green deployment replace-database creates: the environment it belongs to (its
 * role may switch over only deployments carrying its own environment's value) and, with
 * CREATED_BY_TAG, the execution that created it, so a retried task finds it.
 */
export const ENVIRONMENT_TAG = 'fleetflow:environment';
/** On the instance a blue/green switchover replaced (renamed `<identifier>-old<n>` by RDS): kept on purpose, never deleted. */
export const KEPT_TAG = 'fleetflow:kept';
