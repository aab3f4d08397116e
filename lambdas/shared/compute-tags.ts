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

/** A host a replacement or a surge took out of service on purpose: by which execution, when, and why. */
export const RETIRED_BY_TAG = 'fleetflow:retired-by';
export const RETIRED_AT_TAG = 'fleetflow:retired-at';
export const RETIRED_REASON_TAG = 'fleetflow:retired-reason';
/** The retired reason of a batch's old hosts in a surge: stopped until the release is validated. */
export const SURGE_REASON = 'surge';
export const RETIRED_TAGS = [RETIRED_BY_TAG, RETIRED_AT_TAG, RETIRED_REASON_TAG] as const;
