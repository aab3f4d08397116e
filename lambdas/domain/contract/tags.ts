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
